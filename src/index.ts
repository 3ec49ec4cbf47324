/**
 * standin: a stateful stand-in for an HTTP API, driven by its OpenAPI spec.
 *
 * @example
 * import { createStandin } from 'standin'
 * import { handlersFor } from 'standin/msw'
 * const standin = await createStandin({ spec: 'spec/browser-sessions.yaml', scenarios: 'scenarios/browser-sessions' })
 * const server = setupServer(...handlersFor(standin))
 */
export { createStandin, type Standin, type StandinOptions, type WorldHandle } from './standin.ts'
export { ApiError, ConfigError, formatProblem, type ConfigProblem } from './errors.ts'
export { compileApi, type Api } from './api.ts'
export { scenarioSchema } from './scenario/load.ts'
export type { Handler } from './core/handle.ts'
export type { JournalEntry, JournalQuery, Violation } from './journal/journal.ts'
export { check, type CheckResult } from './check.ts'
export type { Coverage, CoverageItem, OperationCoverage } from './contract/coverage.ts'
export type { RunViolation } from './journal/tally.ts'
export type { WorldSnapshot } from './world/snapshot.ts'
