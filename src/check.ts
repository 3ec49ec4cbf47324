/**
 * `standin check`: is the spec sound, is its behaviour model sound, do the scenarios fit it? Every
 * problem is listed with file and JSON pointer, not just the first. Problems stop standin from
 * serving; warnings do not (one check left out, a keyword dropped), unless `strict` counts them too.
 */
import { compileApi, type Api } from './api.ts'
import { ConfigError, type ConfigProblem } from './errors.ts'
import { loadScenarios } from './scenario/load.ts'

export interface CheckResult {
  ok: boolean
  problems: ConfigProblem[]
  /** Sound but worth a look: a built-in role answered with a code chosen by closeness, a rule forcing an undeclared status. */
  warnings: ConfigProblem[]
  operations: number
  scenarios: string[]
}

export interface CheckOptions {
  scenarios?: string
  overlays?: string[]
  /** Warnings fail the check too (`standin check --strict`). */
  strict?: boolean
}

export function check(spec: string, options: CheckOptions = {}): CheckResult {
  let api: Api
  try {
    api = compileApi(spec, { overlays: options.overlays, validators: 'eager' })
  } catch (error) {
    if (error instanceof ConfigError) return { ok: false, problems: error.problems, warnings: error.warnings, operations: 0, scenarios: [] }
    throw error
  }
  const problems: ConfigProblem[] = []
  const warnings: ConfigProblem[] = [...api.warnings, ...api.behaviour.errors.warnings.map((w) => ({ file: api.spec.file, ...w, severity: 'warning' as const }))]
  let names: string[] = []
  if (options.scenarios) {
    try {
      const scenarios = loadScenarios(options.scenarios, api)
      names = scenarios.map((s) => s.name)
      for (const s of scenarios) for (const w of s.warnings ?? []) warnings.push({ file: s.file, ...w, severity: 'warning' })
    } catch (error) {
      if (error instanceof ConfigError) problems.push(...error.problems)
      else throw error
    }
  }
  return { ok: problems.length === 0 && !(options.strict && warnings.length > 0), problems, warnings, operations: api.operations.length, scenarios: names }
}
