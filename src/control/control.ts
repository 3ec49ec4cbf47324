/**
 * Stage 2, control: the API under `/__standin/` that tests and tools use to make worlds, move their
 * clocks, read state and the journal. Loopback only, unless the operator sets a token.
 *
 *   GET    /__standin                          what is served: spec, scenarios, worlds
 *   GET    /__standin/scenarios
 *   GET    /__standin/worlds                   POST {scenario} → 201 {id, tenants: [{id, keys}]}
 *                                               POST {snapshot} → 201, a new world from a snapshot (fresh keys; body ≤ 1 MB)
 *   GET    /__standin/worlds/:id               DELETE → 204
 *   POST   /__standin/worlds/:id/reset
 *   POST   /__standin/worlds/:id/snapshot      → 201 {snapshot}: the world as JSON (src/world/snapshot.ts)
 *   POST   /__standin/worlds/:id/restore       {snapshot} → 200: the world back as the snapshot has it, same keys (≤ 64 MB)
 *   POST   /__standin/worlds/:id/tokens        {tenant, user, role, ttl} → 201 {token, …}: a signed token (tokens-api.ts)
 *   GET    /__standin/worlds/:id/clock         POST {advance: "31m"} | {set: "2026-01-01T00:00:00Z"}
 *   GET    /__standin/worlds/:id/state[/:resource]   POST /state/:resource {tenant, records}
 *   PATCH  /__standin/worlds/:id/tenants/:tenant      {balance, balances, tier, flags}
 *   PATCH  /__standin/worlds/:id/keys/:token          {expiresAt, revoked}: a key expired or revoked mid-run (keys-api.ts)
 *   GET    /__standin/worlds/:id/journal?operation=&status=&code=&since=
 *   GET    /__standin/worlds/:id/violations
 *   GET    /__standin/journal?world=&operation=&status=&code=   every live world's entries, each with its world
 *   GET    /__standin/violations?side=request|response          the run's violations, all worlds, deleted ones too
 *   GET    /__standin/coverage[?world=<id>]                     the run's error-path coverage (or one world's)
 *   GET    /__standin/ui                                        the dashboard (dashboard-page.ts), built on the above and
 *                                                               on dashboard-api.ts: events, operations, records, timers, rules
 */
import type { Worlds } from '../world/worlds.ts'
import { UnknownScenarioError } from '../world/worlds.ts'
import { namedTokens, type World } from '../world/world.ts'
import type { Incoming } from '../core/incoming.ts'
import { parseDuration } from '../util/duration.ts'
import { buildRecord } from '../act/record.ts'
import { assignOwn, isPlainObject } from '../util/match.ts'
import { computeCoverage, outcomesOf } from '../contract/coverage.ts'
import { restoreWorld, snapshotWorld, SnapshotError } from '../world/snapshot.ts'
import { answerKeyPatch } from './keys-api.ts'
import { answerTokens } from './tokens-api.ts'
import type { Exchanges } from '../journal/exchanges.ts'
import { answerDashboard } from './dashboard-api.ts'
import { answerDashboardPage, isDashboardPath, type DashboardFiles } from './dashboard-page.ts'

export const CONTROL_PREFIX = '/__standin'

export interface ControlOptions {
  /**
   * When set, required (as `Authorization: Bearer <token>` or `X-Standin-Token`) from every peer,
   * loopback too: a page in the developer's own browser is a loopback peer.
   */
  controlToken?: string
  /** Host names the control API answers to besides loopback ones (`localhost`, 127.0.0.0/8, ::1): the `--host` value, `--allow-host`. */
  allowedHosts?: string[]
  /** Origins whose pages may call the control API (CORS), besides the server's own origin. None by default. */
  allowedOrigins?: string[]
  /** How long a `fault: timeout` rule holds a request before dropping it. */
  faultTimeoutMs?: number
  /**
   * Keeps the last requests' headers and bodies and feeds every journal entry to listeners: the
   * dashboard's journal (`GET /__standin/events`, `GET /__standin/worlds/:id/journal/:requestId`).
   */
  exchanges?: Exchanges
  /** The dashboard's files, served at `/__standin/ui/` (dashboard-page.ts); `standin serve` gives them. */
  dashboard?: DashboardFiles
}

export function isControlPath(pathname: string): boolean {
  return pathname === CONTROL_PREFIX || pathname.startsWith(CONTROL_PREFIX + '/')
}

const json = (status: number, body: unknown) => new Response(status === 204 ? null : JSON.stringify(body, null, 2), { status, headers: status === 204 ? {} : { 'content-type': 'application/json' } })
const problem = (status: number, code: string, message: string) => json(status, { error: { code, message } })

/** The largest control request body: a scenario's records or a state seed, never an upload. */
export const CONTROL_BODY_LIMIT = 1024 * 1024

/**
 * The largest body of `POST /worlds/:id/restore`, whose snapshot may hold a world of many records;
 * still bounded. (`POST /worlds {snapshot}` keeps the usual limit: a larger snapshot goes to a world
 * made with `POST /worlds {scenario}` through its `/restore`.)
 */
export const SNAPSHOT_BODY_LIMIT = 64 * 1024 * 1024

function carriesSnapshot(parts: string[]): boolean {
  return parts[0] === 'worlds' && parts.length === 3 && parts[2] === 'restore'
}

export async function handleControl(worlds: Worlds, incoming: Incoming, options: ControlOptions): Promise<Response> {
  // The dashboard's files: behind the same gate, but loaded without the token (dashboard-page.ts says why).
  const page = isDashboardPath(incoming.path)
  const refused = refusal(incoming, options, page)
  if (refused) return refused
  if (page) return answerDashboardPage(incoming.path, incoming.method.toUpperCase(), options.dashboard)
  const cors = corsHeaders(incoming, options)
  const response = await answerControl(worlds, incoming, options)
  for (const [name, value] of cors) response.headers.set(name, value)
  return response
}

async function answerControl(worlds: Worlds, incoming: Incoming, options: ControlOptions): Promise<Response> {
  const url = new URL(incoming.url)
  let parts: string[]
  try {
    parts = url.pathname.slice(CONTROL_PREFIX.length).split('/').filter(Boolean).map(decodeURIComponent)
  } catch {
    return problem(400, 'invalid_path', `The path ${url.pathname} is not validly percent-encoded.`)
  }
  const method = incoming.method.toUpperCase()
  let body: any = {}
  if (method === 'OPTIONS') return json(204, null)
  if (method !== 'GET' && method !== 'DELETE' && method !== 'HEAD') {
    const limit = carriesSnapshot(parts) ? SNAPSHOT_BODY_LIMIT : CONTROL_BODY_LIMIT
    const read = await incoming.body(limit)
    if (read === 'tooLarge') return problem(413, 'payload_too_large', `This control request's body is at most ${limit} bytes.`)
    if (read === 'malformed') return problem(400, 'invalid_body', 'The request body was cut off.')
    let text: string
    try {
      text = read === null ? '' : new TextDecoder('utf-8', { fatal: true }).decode(read)
    } catch {
      return problem(400, 'invalid_json', 'The control API takes JSON bodies in UTF-8.')
    }
    if (text.trim() !== '') {
      try { body = JSON.parse(text) } catch { return problem(400, 'invalid_json', 'The control API takes JSON bodies.') }
      if (!isPlainObject(body)) return problem(400, 'invalid_json', 'The control API takes a JSON object as its body.')
    }
  }
  try {
    return answerDashboard(worlds, incoming, method, parts, body, url, options.exchanges) ?? route(worlds, method, parts, body, url)
  } catch (error) {
    if (error instanceof UnknownScenarioError) return problem(404, 'unknown_scenario', error.message)
    if (error instanceof RangeError) return problem(400, 'invalid_request', error.message)
    if (error instanceof SnapshotError) return problem(400, 'invalid_snapshot', error.message)
    return problem(500, 'control_error', (error as Error).message)
  }
}

/**
 * Who may drive the control API: the developer's tools, never a web page they happen to visit.
 * - a token, when set, from every peer (a page in the developer's browser is a loopback peer too);
 * - else loopback peers only;
 * - a `Host` the server answers to (loopback names, `--host`, `--allow-host`): a DNS-rebound name
 *   (`rebind.attacker.example` resolving to 127.0.0.1) is refused;
 * - no cross-origin caller unless its origin is allowed: a page's request carries `Origin` (or
 *   `Sec-Fetch-Site: cross-site`), and no CORS headers are given that would let it read an answer;
 * - bodies in JSON only, so a cross-origin "simple" request (text/plain, a form) cannot skip the
 *   preflight the answer above refuses.
 */
export function refusal(incoming: Incoming, options: ControlOptions, page = false): Response | undefined {
  const headers = incoming.headers
  if (options.controlToken) {
    const token = headers['x-standin-token'] ?? /^Bearer\s+(.+)$/i.exec(headers.authorization ?? '')?.[1]
    if (!page && token !== options.controlToken) return problem(401, 'control_unauthorized', 'This standin runs with a control token: send it as X-Standin-Token or Authorization: Bearer.')
  } else if (!isLoopbackPeer(incoming.remoteAddress)) {
    return problem(403, 'control_forbidden', 'The control API answers loopback clients only, unless standin runs with a control token and the request carries it.')
  }
  // In-process doors (msw, standin.handle) have no peer and no Host to rebind.
  if (incoming.remoteAddress !== undefined && headers.host !== undefined && !hostAllowed(headers.host, options)) {
    return problem(403, 'control_forbidden_host', `The control API does not answer to Host "${headers.host}": only loopback names and the host standin serves (add others with --allow-host).`)
  }
  const origin = headers.origin
  if (origin !== undefined ? !originAllowed(origin, headers.host, options) : headers['sec-fetch-site'] === 'cross-site') {
    return problem(403, 'control_cross_origin', `The control API refuses requests from web pages of other origins${origin ? ` (${origin})` : ''}; allow one with --allow-origin.`)
  }
  const type = headers['content-type']
  if (type !== undefined && !/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(type.trim())) {
    return problem(415, 'unsupported_media_type', `The control API takes JSON bodies (Content-Type: application/json), not ${type}.`)
  }
  return undefined
}

function isLoopbackPeer(peer: string | undefined): boolean {
  return peer === undefined || peer === '::1' || peer.startsWith('127.') || peer.startsWith('::ffff:127.')
}

/** `localhost:4010`, `127.0.0.1`, `[::1]:4010` → the name without its port. */
function hostName(host: string): string {
  const trimmed = host.trim().toLowerCase()
  if (trimmed.startsWith('[')) return trimmed.slice(0, trimmed.indexOf(']') + 1)
  const colon = trimmed.lastIndexOf(':')
  return colon === -1 ? trimmed : trimmed.slice(0, colon)
}

function hostAllowed(host: string, options: ControlOptions): boolean {
  const name = hostName(host)
  if (name === 'localhost' || name.endsWith('.localhost') || name === '[::1]' || /^127(\.\d{1,3}){3}$/.test(name)) return true
  return (options.allowedHosts ?? []).some((allowed) => hostName(allowed) === name || allowed.toLowerCase() === name)
}

function originAllowed(origin: string, host: string | undefined, options: ControlOptions): boolean {
  if ((options.allowedOrigins ?? []).includes(origin) || (options.allowedOrigins ?? []).includes('*')) return true
  // The server's own pages (a dashboard it serves): the origin's host is the one the request was sent to.
  try {
    return host !== undefined && new URL(origin).host.toLowerCase() === host.trim().toLowerCase()
  } catch {
    return false
  }
}

/** CORS headers for an origin the operator allowed explicitly; none for anyone else. */
function corsHeaders(incoming: Incoming, options: ControlOptions): Array<[string, string]> {
  const origin = incoming.headers.origin
  if (origin === undefined || !(options.allowedOrigins ?? []).some((o) => o === origin || o === '*')) return []
  return [
    ['access-control-allow-origin', origin],
    ['vary', 'Origin'],
    ['access-control-allow-methods', 'GET, POST, PATCH, DELETE, OPTIONS'],
    ['access-control-allow-headers', 'content-type, authorization, x-standin-token'],
  ]
}

function route(worlds: Worlds, method: string, parts: string[], body: any, url: URL): Response {
  const api = worlds.api
  if (parts.length === 0) {
    return json(200, {
      spec: api.spec.file,
      title: api.spec.document.info?.title,
      operations: api.operations.map((o) => ({ id: o.id, method: o.method, path: o.path, action: o.action, resource: o.resource })),
      scenarios: [...worlds.scenarios.keys()],
      defaultScenario: worlds.defaultScenario,
      worlds: worlds.list().map((w) => w.id),
      // Which version of the files answers (`standin serve --watch`; GET /__standin/live for more).
      ...(api.version !== undefined ? { version: api.version } : {}),
    })
  }
  if (parts[0] === 'scenarios' && parts.length === 1) {
    return json(200, [...worlds.scenarios.values()].map((s) => ({
      name: s.name, description: s.description, file: s.file,
      tenants: s.tenants.map((t) => ({ id: t.id, tier: t.tier, keys: t.keys.map((k) => k.token) })),
      rules: s.rules.length,
    })))
  }
  if (parts.length === 1 && method === 'GET' && ['journal', 'violations', 'coverage'].includes(parts[0]!)) return run(worlds, parts[0]!, url)
  if (parts[0] !== 'worlds') return problem(404, 'not_found', `No control endpoint ${method} ${url.pathname}.`)
  if (parts.length === 1) {
    if (method === 'GET') return json(200, worlds.list().map((w) => w.describe()))
    if (method === 'POST') {
      if (body.snapshot !== undefined) return json(201, worldCreated(restoreWorld(worlds, body.snapshot)))
      if (body.scenario !== undefined && typeof body.scenario !== 'string') return problem(400, 'invalid_request', 'scenario is the name of a scenario')
      const world = worlds.create(body.scenario)
      return json(201, worldCreated(world))
    }
    return problem(405, 'method_not_allowed', 'GET or POST')
  }
  const world = parts[1] === 'default' ? worlds.default : worlds.get(parts[1]!)
  if (!world) return problem(404, 'unknown_world', `No world "${parts[1]}".`)
  const sub = parts[2]
  if (sub === undefined) {
    if (method === 'GET') return json(200, world.describe())
    if (method === 'DELETE') { worlds.delete(world.id); return json(204, null) }
    return problem(405, 'method_not_allowed', 'GET or DELETE')
  }
  if (sub === 'reset' && method === 'POST') { world.reset(); worlds.changed(world); return json(200, world.describe()) }
  if (sub === 'snapshot' && method === 'POST') return json(201, { snapshot: snapshotWorld(world) })
  if (sub === 'restore' && method === 'POST') {
    if (body.snapshot === undefined) return problem(400, 'invalid_request', 'POST {"snapshot": <what POST /__standin/worlds/<id>/snapshot gave>}')
    return json(200, restoreWorld(worlds, body.snapshot, { into: world }).describe())
  }
  if (sub === 'clock') {
    if (method === 'POST') {
      if (body.advance !== undefined) {
        const ms = parseDuration(body.advance)
        if (ms === undefined) return problem(400, 'invalid_request', 'advance is a duration: 90s, 31m, 2h, 30d, or a number of seconds')
        world.advance(ms) // refuses a move past the last date a clock can show, before anything moves
      } else if (body.set !== undefined) {
        const at = typeof body.set === 'string' ? Date.parse(body.set) : NaN
        if (Number.isNaN(at)) return problem(400, 'invalid_request', 'set is an ISO 8601 date-time')
        world.advance(at - world.clock.now())
      } else return problem(400, 'invalid_request', 'POST {"advance": "31m"} or {"set": "<date-time>"}')
      worlds.changed(world)
    } else if (method !== 'GET') return problem(405, 'method_not_allowed', 'GET or POST')
    world.tick()
    return json(200, { now: new Date(world.clock.now()).toISOString(), epochMs: world.clock.now(), mode: world.clock.mode })
  }
  if (sub === 'tokens' && parts.length === 3) {
    const minted = answerTokens(world, method, body)
    if (minted.status === 201) worlds.changed(world)
    return json(minted.status, minted.body)
  }
  if (sub === 'keys' && parts.length === 4) {
    const patched = answerKeyPatch(world, method, parts[3]!, body)
    if (patched.status === 200) worlds.changed(world)
    return json(patched.status, patched.body)
  }
  if (sub === 'state') {
    const answer = state(world, method, parts[3], body)
    if (method === 'POST') worlds.changed(world)
    return answer
  }
  if (sub === 'tenants' && parts[3] && method === 'PATCH') {
    const tenant = world.tenants.get(parts[3])
    if (!tenant) return problem(404, 'unknown_tenant', `No tenant "${parts[3]}" in world ${world.id}.`)
    const wrong = tenantPatchProblem(body)
    if (wrong) return problem(400, 'invalid_patch', wrong)
    if (typeof body.balance === 'number') tenant.balances.balance = body.balance
    if (isPlainObject(body.balances)) assignOwn(tenant.balances, body.balances)
    if (typeof body.tier === 'string') tenant.tier = body.tier
    if (isPlainObject(body.flags)) assignOwn(tenant.flags, body.flags)
    worlds.changed(world)
    return json(200, tenant)
  }
  if (sub === 'journal' && method === 'GET') {
    const q = Object.fromEntries([...url.searchParams].filter(([k]) => k !== 'since'))
    return json(200, world.journal.query(q, Number(url.searchParams.get('since') ?? 0)))
  }
  if (sub === 'violations' && method === 'GET') return json(200, world.violations())
  return problem(404, 'not_found', `No control endpoint ${method} ${url.pathname}.`)
}

/** Views across worlds: the journal of live worlds, and the run's violations and coverage. */
function run(worlds: Worlds, view: string, url: URL): Response {
  const name = url.searchParams.get('world')
  const world = name === null ? undefined : name === 'default' ? worlds.default : worlds.get(name)
  if (name !== null && !world) return problem(404, 'unknown_world', `No world "${name}".`)
  if (view === 'journal') {
    const q = Object.fromEntries([...url.searchParams].filter(([k]) => k !== 'since' && k !== 'world'))
    return json(200, (world ? [world] : worlds.list()).flatMap((w) => w.journal.query(q).map((e) => ({ world: w.id, ...e }))))
  }
  if (view === 'violations') {
    const side = url.searchParams.get('side')
    if (side !== null && side !== 'request' && side !== 'response') return problem(400, 'invalid_request', 'side is request or response')
    const found = worlds.run.violations(side ?? undefined)
    return json(200, world ? found.filter((v) => v.world === world.id) : found)
  }
  return json(200, computeCoverage(worlds.api, world ? outcomesOf(world.journal.all()) : worlds.run.all()))
}

/** A tenant patch is `{balance?, balances?, tier?, flags?}` — the same words as a scenario's tenant. */
function tenantPatchProblem(body: Record<string, unknown>): string | undefined {
  for (const key of Object.keys(body)) {
    if (!['balance', 'balances', 'tier', 'flags'].includes(key)) return `Unknown field "${key}"; a tenant patch takes balance, balances, tier and flags.`
  }
  if (body.balance !== undefined && typeof body.balance !== 'number') return '"balance" must be a number.'
  if (body.balances !== undefined && !(isPlainObject(body.balances) && Object.values(body.balances).every((v) => typeof v === 'number'))) return '"balances" must map balance names to numbers.'
  if (body.tier !== undefined && typeof body.tier !== 'string') return '"tier" must be a string.'
  if (body.flags !== undefined && !isPlainObject(body.flags)) return '"flags" must be an object.'
  for (const group of ['balances', 'flags']) {
    const bad = isPlainObject(body[group]) ? Object.keys(body[group] as object).find((k) => ['__proto__', 'constructor', 'prototype'].includes(k)) : undefined
    if (bad) return `"${group}" cannot have a key named "${bad}".`
  }
  return undefined
}

export function worldCreated(world: World): object {
  return {
    id: world.id,
    scenario: world.scenario.name,
    now: new Date(world.clock.now()).toISOString(),
    tenants: [...world.tenants.values()].map((t) => ({
      id: t.id,
      keys: [...world.keys.values()].filter((k) => k.tenant === t.id).map((k) => k.token),
      // A scenario's signed tokens by the name it gives them, as GET /worlds/:id has them.
      ...namedTokens(world.keys.values(), t.id),
    })),
  }
}

function state(world: World, method: string, resource: string | undefined, body: any): Response {
  world.tick()
  const resources = world.api.behaviour.resources
  if (resource !== undefined && !resources.has(resource)) return problem(404, 'unknown_resource', `No resource "${resource}" (known: ${[...resources.keys()].join(', ')}).`)
  if (method === 'GET') {
    const dump = (name: string) => [...world.tenants.keys()].flatMap((t) => [...world.store.list(name, t)].map((r) => ({ tenant: r.tenant, ...r.data })))
    return json(200, resource ? dump(resource) : Object.fromEntries([...resources.keys()].map((r) => [r, dump(r)])))
  }
  if (method === 'POST' && resource) {
    const tenant = world.tenants.get(String(body.tenant ?? [...world.tenants.keys()][0]))
    if (!tenant) return problem(400, 'unknown_tenant', `No tenant "${body.tenant}".`)
    if (!Array.isArray(body.records)) return problem(400, 'invalid_request', 'POST {"tenant": "<id>", "records": [{…}]}')
    const model = resources.get(resource)!
    const created = body.records.map((data: any) => {
      const parentId = model.parent ? data?.[model.parent.field ?? model.parent.param] : undefined
      const now = world.clock.now()
      const record = buildRecord(world, model, tenant, isPlainObject(data) ? structuredClone(data) : {}, { now, parentId })
      world.insert(model, record, now)
      return record.data
    })
    return json(201, created)
  }
  return problem(405, 'method_not_allowed', 'GET or POST')
}
