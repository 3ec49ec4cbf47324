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
  /** What standin works around to serve the spec: one check left out for each. */
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
    api = compileApi(spec, { overlays: options.overlays })
  } catch (error) {
    if (error instanceof ConfigError) return { ok: false, problems: error.problems, warnings: error.warnings, operations: 0, scenarios: [] }
    throw error
  }
  const problems: ConfigProblem[] = []
  const warnings: ConfigProblem[] = [...api.warnings]
  let names: string[] = []
  if (options.scenarios) {
    try {
      names = loadScenarios(options.scenarios, api).map((s) => s.name)
    } catch (error) {
      if (error instanceof ConfigError) problems.push(...error.problems)
      else throw error
    }
  }
  return { ok: problems.length === 0 && !(options.strict && warnings.length > 0), problems, warnings, operations: api.operations.length, scenarios: names }
}
