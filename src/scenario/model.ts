/** A scenario, compiled: how a world starts and which outcomes it forces. */
import type { Predicate } from '../util/match.ts'
import type { Render } from '../util/template.ts'

export interface KeyDef {
  token: string
  scopes?: string[]
  role?: string
  user?: string
  expiresAt?: number
  /** `expiresAt` given as a duration: that long after the world starts, on its clock (ms). */
  expiresAfter?: number
  revoked?: boolean
  [extra: string]: unknown
}

export interface TenantDef {
  id: string
  tier?: string
  balances: Record<string, number>
  flags: Record<string, unknown>
  keys: KeyDef[]
  records: Record<string, Array<Record<string, unknown>>>
  [extra: string]: unknown
}

export interface RuleModel {
  index: number
  pointer: string
  operations?: Set<string>
  method?: string
  path?: RegExp
  match?: Predicate
  nth: number
  times: number
  error?: string
  status?: number
  headers: Array<[string, Render]>
  body?: Render
  vars: Record<string, unknown>
  delayMs?: number
  /** Seconds a forced 429 / 503 says to wait (Retry-After, and `retryAfter` in the catalogue's templates). */
  retryAfter?: number
  fault?: 'drop' | 'timeout'
  /** Cut the stream after this many events, with `error` or `fault`, instead of refusing up front. */
  afterEvents?: number
}

export interface Scenario {
  name: string
  file: string
  description?: string
  seed?: number
  clock: { start?: number; mode?: 'real' | 'manual' }
  tenants: TenantDef[]
  rules: RuleModel[]
  /** Limit numbers overridden by limit id. */
  limits: Map<string, number>
  /**
   * A credential no tenant holds is taken as this tenant's key (of the form the scheme asks for):
   * the built-in scenario's, so a client pointed at standin with its own token works at once, as
   * with Prism. Scenario files name their keys, and an unknown one is refused.
   */
  anyKeyTenant?: string
  /** `--proxy`: selector → mock or proxy, in order, for this scenario's worlds (src/proxy/selectors.ts). */
  proxy?: Array<[string, 'mock' | 'proxy']>
  /** What `check` warns about: rules forcing a status their operation does not declare. */
  warnings?: Array<{ pointer: string; message: string }>
}
