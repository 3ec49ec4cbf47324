/**
 * The library entry: compile a spec and its scenarios once, and get the core handler, msw-ready
 * handlers' core, and worlds to drive from a test.
 */
import { compileApi, type Api, type CompileOptions } from './api.ts'
import { loadScenarios, builtinScenario, compileScenario } from './scenario/load.ts'
import type { Scenario } from './scenario/model.ts'
import { Worlds } from './world/worlds.ts'
import type { World } from './world/world.ts'
import { createHandler, type Handler, type HandlerOptions } from './core/handle.ts'
import { withCors } from './render/cors.ts'
import type { ClockMode } from './world/clock.ts'
import { parseDuration } from './util/duration.ts'
import type { JournalEntry, JournalQuery, Violation } from './journal/journal.ts'
import type { RunTally, RunViolation } from './journal/tally.ts'
import { computeCoverage, type Coverage } from './contract/coverage.ts'
import { restoreWorld, snapshotWorld, type WorldSnapshot } from './world/snapshot.ts'
import { proxySwitch, type ProxySwitch } from './proxy/proxy-switch.ts'
import { withProxyControl } from './proxy/proxy-control.ts'
import { mintToken } from './auth/tokens.ts'

export interface StandinOptions extends HandlerOptions {
  /** Path of the OpenAPI document (YAML or JSON). */
  spec: string
  /** A folder of scenario files, a single file, or scenarios as objects. */
  scenarios?: string | Array<string | Record<string, unknown>>
  /** OpenAPI Overlay files applied on top of the spec, in order. */
  overlays?: string[]
  /** `manual` (default in the library) or `real` (default on the dev server). */
  clock?: ClockMode
  /** Seed for ids and fake data. */
  seed?: number
  /** Where msw handlers answer: requests to other origins pass through. Default: the spec's first absolute server URL, else every origin. */
  baseUrl?: string
  /** Answer CORS preflights and allow any origin (default true), as a browser app needs of a dev server. */
  cors?: boolean
  /**
   * Told of a check left off at its first use — a schema that does not compile (validators compile
   * the first time a request needs them) — with its file and JSON pointer. Default: the console.
   */
  onWarning?: CompileOptions['onWarning']
  /** The run's tally to count in: a reloaded version (`standin serve --watch`) goes on with its predecessor's coverage and violations. */
  run?: RunTally
}

export interface Standin {
  api: Api
  worlds: Worlds
  /** The core: `(Request) => Promise<Response>`. */
  handle: Handler
  /** A fresh, isolated world of a scenario (the default scenario when omitted). */
  world(scenario?: string): WorldHandle
  /** The world a scenario's own keys reach, as the scenario file writes them. */
  home(scenario?: string): WorldHandle
  /**
   * A new world from a snapshot (`WorldHandle.snapshot()`, or the control API's), with fresh keys
   * for the same tenants: a suite saves a world once and starts each test from it.
   */
  restore(snapshot: WorldSnapshot): WorldHandle
  /** Error-path coverage of every request so far, in every world (deleted ones too). */
  coverage(): Coverage
  /** Every violation so far, in every world (deleted ones too). */
  violations(side?: Violation['side']): RunViolation[]
  baseUrl?: string
  /** With `proxy`: which operations the provider answers, switchable at run time. */
  proxy?: ProxySwitch
}

/** A world as a test drives it. */
export interface WorldHandle {
  id: string
  scenario: string
  /** Every key of the world, first tenant first. */
  keys: string[]
  /** The first key: enough for most tests. */
  key: string
  tenants: Array<{ id: string; keys: string[] }>
  clock: { now(): number; advance(duration: string | number): number; set(at: string | number | Date): number }
  journal: { count(query?: JournalQuery): number; query(query?: JournalQuery): JournalEntry[] }
  /** Records of a resource as the API would return them (all tenants). */
  state(resource: string): Array<Record<string, unknown>>
  violations(side?: Violation['side']): Array<Violation & { requestId: string; operation?: string }>
  /** Throws when any request or response of this world broke the spec. */
  assertNoViolations(side?: Violation['side']): void
  tenant(id?: string): World['tenants'] extends Map<string, infer T> ? T : never
  reset(): void
  /** The world as JSON — records, tenants, keys, clock, timers, counters (not the journal): for `restore`. */
  snapshot(): WorldSnapshot
  /** Puts this world back as a snapshot of it (or of another world of its scenario) has it; its keys stay. */
  restore(snapshot: WorldSnapshot): void
  /**
   * A signed token (the spec's `x-standin.auth.jwt`) for a user of a tenant (the first, unless
   * named), as a sign-in would give one; or, given a name, the token the scenario's key of that
   * name (`token: alice-laptop, jwt: true`) became.
   * @example
   * const token = world.token({ user: 'alice', role: 'admin', ttl: '10m' })
   * const laptop = world.token('alice-laptop')
   */
  token(options: string | { tenant?: string; user?: string; role?: string; scopes?: string[]; ttl?: string | number; expiresAt?: string | number | Date }): string
  /** The world itself, for what the handle does not cover. */
  world: World
}

/**
 * @example
 * const standin = await createStandin({ spec: 'spec/browser-sessions.yaml', scenarios: 'scenarios/browser-sessions' })
 * const world = standin.world('concurrency-limit')
 * const res = await standin.handle(new Request('http://localhost/v1/things', { method: 'POST', headers: { authorization: `Bearer ${world.key}` } }))
 */
export async function createStandin(options: StandinOptions): Promise<Standin> {
  const api = compileApi(options.spec, { overlays: options.overlays, onWarning: options.onWarning })
  const scenarios = readScenarios(api, options.scenarios)
  const worlds = new Worlds(api, scenarios, { clockMode: options.clock ?? 'manual', seed: options.seed ?? 1, run: options.run })
  const proxy = options.proxy ? proxySwitch(options.proxy) : undefined
  const core = createHandler(worlds, { ...options, proxy })
  let handle = options.cors === false ? core : withCors(core)
  if (proxy) handle = withProxyControl(handle, proxy, worlds, options)
  const baseUrl = options.baseUrl ?? firstAbsoluteServer(api)
  return {
    api, worlds, handle, baseUrl, proxy,
    world: (scenario) => handleFor(worlds, worlds.create(scenario)),
    home: (scenario) => handleFor(worlds, scenario ? worlds.home(scenario) : worlds.default),
    restore: (snapshot) => handleFor(worlds, restoreWorld(worlds, snapshot)),
    coverage: () => computeCoverage(api, worlds.run.all()),
    violations: (side) => worlds.run.violations(side),
  }
}

function readScenarios(api: Api, source: StandinOptions['scenarios']): Scenario[] {
  const list: Scenario[] = []
  for (const item of source === undefined ? [] : Array.isArray(source) ? source : [source]) {
    if (typeof item === 'string') list.push(...loadScenarios(item, api))
    else list.push(compileScenario(`(inline scenario ${String(item.name ?? list.length)})`, item, api))
  }
  if (!list.some((s) => s.name === api.behaviour.defaultScenario) && list.length === 0) list.push(builtinScenario(api.behaviour.defaultScenario))
  return list
}

function firstAbsoluteServer(api: Api): string | undefined {
  for (const s of Array.isArray(api.spec.document.servers) ? api.spec.document.servers : []) {
    if (typeof s?.url === 'string' && /^https?:\/\//.test(s.url) && !s.url.includes('{')) return new URL(s.url).origin
  }
  return undefined
}

export function handleFor(worlds: Worlds, world: World): WorldHandle {
  const tenants = [...world.tenants.values()].map((t) => ({ id: t.id, keys: [...world.keys.values()].filter((k) => k.tenant === t.id).map((k) => k.token) }))
  const keys = tenants.flatMap((t) => t.keys)
  return {
    id: world.id, scenario: world.scenario.name, keys, key: keys[0]!, tenants, world,
    clock: {
      now: () => world.clock.now(),
      advance(duration) {
        const ms = parseDuration(duration)
        if (ms === undefined) throw new RangeError(`"${duration}" is not a duration (90s, 31m, 2h, 30d, or seconds)`)
        return world.advance(ms)
      },
      set(at) {
        const ms = at instanceof Date ? at.getTime() : typeof at === 'number' ? at : Date.parse(at)
        return world.advance(ms - world.clock.now())
      },
    },
    journal: { count: (q) => world.journal.count(q), query: (q) => world.journal.query(q) },
    state(resource) {
      world.tick()
      return [...world.tenants.keys()].flatMap((t) => [...world.store.list(resource, t)].map((r) => r.data))
    },
    violations: (side) => world.violations(side),
    assertNoViolations(side) {
      const found = world.violations(side)
      if (found.length > 0) {
        throw new Error(`${found.length} contract violation(s) in world ${world.id}:\n${found.map((v) => `- ${v.side} ${v.operation ?? ''} ${v.location}${v.pointer} ${v.message} (${v.requestId})`).join('\n')}`)
      }
    },
    tenant: (id) => (id ? world.tenants.get(id) : world.tenants.values().next().value) as any,
    token(options) {
      if (typeof options === 'string') {
        const token = world.tokenFor(options)
        if (token === undefined) throw new Error(`world ${world.id} has no key named "${options}"`)
        return token
      }
      const ttlMs = options.ttl === undefined ? undefined : parseDuration(options.ttl)
      if (options.ttl !== undefined && ttlMs === undefined) throw new RangeError(`"${options.ttl}" is not a duration (90s, 31m, 2h, 30d, or seconds)`)
      const expiresAt = options.expiresAt === undefined ? undefined : options.expiresAt instanceof Date ? options.expiresAt.getTime() : typeof options.expiresAt === 'number' ? options.expiresAt : Date.parse(options.expiresAt)
      return mintToken(world, {
        tenant: options.tenant ?? world.tenants.keys().next().value!,
        ...(options.user !== undefined ? { user: options.user } : {}),
        ...(options.role !== undefined ? { role: options.role } : {}),
        ...(options.scopes ? { scopes: options.scopes } : {}),
        ...(ttlMs !== undefined ? { ttlMs } : {}),
        ...(expiresAt !== undefined && !Number.isNaN(expiresAt) ? { expiresAt } : {}),
      }).token
    },
    reset: () => world.reset(),
    snapshot: () => snapshotWorld(world),
    restore(snapshot) {
      restoreWorld(worlds, snapshot, { into: world })
    },
  }
}
