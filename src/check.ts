/**
 * `standin check`: is the spec sound, is its behaviour model sound, do the scenarios fit it? Every
 * problem is listed with file and JSON pointer, not just the first.
 */
import { compileApi, type Api } from './api.ts'
import { ConfigError, type ConfigProblem } from './errors.ts'
import { loadScenarios } from './scenario/load.ts'

export interface CheckResult {
  ok: boolean
  problems: ConfigProblem[]
  operations: number
  scenarios: string[]
}

export function check(spec: string, options: { scenarios?: string; overlays?: string[] } = {}): CheckResult {
  let api: Api
  try {
    api = compileApi(spec, { overlays: options.overlays })
  } catch (error) {
    if (error instanceof ConfigError) return { ok: false, problems: error.problems, operations: 0, scenarios: [] }
    throw error
  }
  const problems: ConfigProblem[] = []
  let names: string[] = []
  if (options.scenarios) {
    try {
      names = loadScenarios(options.scenarios, api).map((s) => s.name)
    } catch (error) {
      if (error instanceof ConfigError) problems.push(...error.problems)
      else throw error
    }
  }
  return { ok: problems.length === 0, problems, operations: api.operations.length, scenarios: names }
}
