/**
 * The control endpoints the dashboard (`/__standin/ui`) is built on — its first client, and any
 * other tool's: the same gate as the rest of the control API (control.ts).
 *
 *   GET    /__standin/events[?world=<id>]                 server-sent events: `entry` (a journal entry, with its world)
 *                                                          as each request is answered — the last ones kept first —
 *                                                          and `world` ({world, change}) when a world changes or goes
 *   GET    /__standin/operations                          the spec's operations with their parameters, a sample body
 *                                                          and where the key goes (what a try-it form needs), and the
 *                                                          error catalogue's codes
 *   GET    /__standin/worlds/:id/journal/:requestId       one entry, with the request and answer (headers, bodies) when kept
 *   GET    /__standin/worlds/:id/records                  record counts per resource, and per lifecycle state
 *   GET    /__standin/worlds/:id/timers[?limit=10]        what the world's clock will do next (lifecycle moves, removals)
 *   GET    /__standin/worlds/:id/rules                    rules added to the world (POST one: src/rules/added.ts)
 *   DELETE /__standin/worlds/:id/rules/:ruleId
 */
import type { Worlds } from '../world/worlds.ts'
import { LifecycleTimer, RetentionTimer, type World } from '../world/world.ts'
import type { Incoming } from '../core/incoming.ts'
import type { StoredRecord } from '../world/store.ts'
import type { Api } from '../api.ts'
import type { OperationModel } from '../spec/model.ts'
import type { Exchanges, FeedEvent } from '../journal/exchanges.ts'
import { addedRuleOf, describeAddedRule } from '../rules/added.ts'
import { validBody } from '../contract/samples.ts'
import { seededRandom } from '../util/random.ts'
import { isPlainObject } from '../util/match.ts'
import { basePath, keyPlacement, parameterExample } from '../spec/request-parts.ts'

const json = (status: number, body: unknown) => new Response(status === 204 ? null : JSON.stringify(body, null, 2), { status, headers: status === 204 ? {} : { 'content-type': 'application/json' } })
const problem = (status: number, code: string, message: string) => json(status, { error: { code, message } })

/** The dashboard's endpoints, or undefined when the path is none of them (control.ts answers it). */
export function answerDashboard(worlds: Worlds, incoming: Incoming, method: string, parts: string[], body: any, url: URL, exchanges: Exchanges | undefined): Response | undefined {
  if (parts.length === 1 && parts[0] === 'events' && method === 'GET') return events(worlds, incoming, url, exchanges)
  if (parts.length === 1 && parts[0] === 'operations' && method === 'GET') return json(200, operationsOf(worlds.api))
  if (parts[0] !== 'worlds' || parts.length < 3) return undefined
  const sub = parts[2]
  if (!['records', 'timers', 'rules'].includes(sub!) && !(sub === 'journal' && parts.length === 4)) return undefined
  const world = parts[1] === 'default' ? worlds.default : worlds.get(parts[1]!)
  if (!world) return problem(404, 'unknown_world', `No world "${parts[1]}".`)
  if (sub === 'journal' && method === 'GET') {
    const entry = world.journal.all().find((e) => e.requestId === parts[3])
    if (!entry) return problem(404, 'unknown_request', `No request "${parts[3]}" in the journal of world ${world.id}.`)
    return json(200, { world: world.id, entry, exchange: exchanges?.get(world.id, entry.requestId) ?? null })
  }
  if (sub === 'records' && method === 'GET' && parts.length === 3) return json(200, recordCounts(world))
  if (sub === 'timers' && method === 'GET' && parts.length === 3) {
    const limit = Number(url.searchParams.get('limit') ?? 10)
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return problem(400, 'invalid_request', 'limit is a whole number from 1 to 1000')
    return json(200, nextTimers(world, limit))
  }
  if (sub === 'rules') return rules(worlds, world, method, parts, body)
  return problem(405, 'method_not_allowed', `${method} is not allowed on ${url.pathname}.`)
}

function rules(worlds: Worlds, world: World, method: string, parts: string[], body: any): Response {
  if (parts.length === 3 && method === 'GET') return json(200, world.addedRules.map(describeAddedRule))
  if (parts.length === 3 && method === 'POST') {
    const rule = addedRuleOf(worlds.api, isPlainObject(body) ? body : {}, world.addedRuleSeq + 1)
    if (typeof rule === 'string') return problem(400, 'invalid_rule', rule)
    world.addedRuleSeq = rule.id
    world.addedRules.push(rule)
    return json(201, describeAddedRule(rule))
  }
  if (parts.length === 4 && method === 'DELETE') {
    const i = world.addedRules.findIndex((r) => String(r.id) === parts[3])
    if (i === -1) return problem(404, 'unknown_rule', `No rule ${parts[3]} in world ${world.id} (a rule used up is gone).`)
    world.addedRules.splice(i, 1)
    return json(204, null)
  }
  return problem(405, 'method_not_allowed', 'GET or POST …/rules; DELETE …/rules/<id>')
}

/** Per resource: how many records, and how many in each lifecycle state (all tenants). */
function recordCounts(world: World): Record<string, { count: number; states: Record<string, number> }> {
  world.tick()
  const out: Record<string, { count: number; states: Record<string, number> }> = {}
  for (const [name, model] of world.api.behaviour.resources) {
    const states: Record<string, number> = {}
    let count = 0
    for (const record of world.store.records(name)) {
      count++
      if (model.lifecycle && record.state !== undefined) states[record.state] = (states[record.state] ?? 0) + 1
    }
    out[name] = { count, states }
  }
  return out
}

/** The world's pending timers, soonest first: when, and what each will do. */
function nextTimers(world: World, limit: number): { now: string; pending: number; next: object[] } {
  world.tick()
  const now = world.clock.now()
  const next: Array<{ at: number; seq: number; what: () => object }> = []
  let pending = 0
  world.timers.forEach((at, task, subject, _mark, seq) => {
    pending++
    // Only the soonest `limit` are described; the list stays short however many records wait.
    if (next.length === limit && at >= next[next.length - 1]!.at) return
    next.push({ at, seq, what: () => describeTimer(task, subject as StoredRecord) })
    next.sort((a, b) => a.at - b.at || a.seq - b.seq)
    if (next.length > limit) next.pop()
  })
  return {
    now: new Date(now).toISOString(), pending,
    next: next.map(({ at, what }) => ({ at: new Date(at).toISOString(), inMs: at - now, ...what() })),
  }
}

function describeTimer(task: unknown, record: StoredRecord | undefined): object {
  if (task instanceof LifecycleTimer) return { kind: 'lifecycle', resource: task.model.name, id: record?.id, state: record?.state, to: task.timer.to }
  if (task instanceof RetentionTimer) return { kind: 'retention', resource: task.model.name, id: record?.id }
  return { kind: 'timer' }
}

/** What a try-it form needs of each operation. */
function operationsOf(api: Api): object {
  const random = seededRandom(1)
  return {
    basePath: basePath(api),
    codes: [...api.behaviour.errors.catalogue.values()].map((c) => ({ code: c.code, status: c.status })),
    operations: api.operations.map((op) => ({
      id: op.id, method: op.method, path: op.path, resource: op.resource, action: op.action,
      summary: typeof rawOperation(api, op)?.summary === 'string' ? rawOperation(api, op).summary : undefined,
      parameters: op.parameters.filter((p) => p.in !== 'cookie').map((p) => ({ name: p.name, in: p.in, required: p.required, example: parameterExample(api, p) })),
      body: op.body ? sampleBody(api, op, random) : undefined,
      credential: op.auth.open ? undefined : keyPlacement(api, op),
      streams: op.stream !== undefined,
      reasons: reasonsOf(api, op),
    })),
  }
}

const AUTH_WHY: Record<string, string> = {
  missing: 'no credential', unknown: 'a key no tenant of this world holds', expired: 'an expired key', revoked: 'a revoked key',
  malformed: 'a credential of the wrong form', forbidden: 'the key lacks a scope or role the operation needs',
}
const VALIDATION_WHY: Record<string, string> = {
  malformed: 'a body that does not parse', contentType: 'a content type the operation does not take', tooLarge: 'a body too large',
  required: 'a required field or parameter left out', field: 'a field of the wrong type or form', enum: 'a value outside its allowed values',
  parameter: 'a parameter of the wrong type or form',
}

/**
 * What in the behaviour model answers each error code of an operation: a limit, a gate, a charge, a
 * record's state, auth, validation — the journal says `cause: state` and the code; this says which
 * part of the state (the dashboard's "why").
 */
function reasonsOf(api: Api, op: OperationModel): Record<string, string[]> {
  const reasons: Record<string, string[]> = {}
  const add = (code: string | undefined, why: string) => {
    if (!code) return
    const list = reasons[code] ??= []
    if (!list.includes(why)) list.push(why)
  }
  const { errors, auth, resources } = api.behaviour
  if (!op.auth.open) for (const [failure, code] of Object.entries(auth.errors)) add(code, `auth: ${AUTH_WHY[failure] ?? failure}`)
  for (const [cause, { code }] of Object.entries(errors.validation)) add(code, `validation: ${VALIDATION_WHY[cause] ?? cause}`)
  for (const limit of op.limits) add(limit.error, `limit "${limit.id}": ${limit.kind === 'rate' ? `a rate per ${Math.round(limit.windowMs / 1000)} s` : limit.kind === 'count' ? `a count of ${limit.resource ?? 'records'}` : 'a size'}, per ${limit.perName}`)
  if (op.stream?.concurrency) add(op.stream.concurrency.error, `limit "${op.stream.concurrency.id}": open streams at once`)
  for (const gate of op.gates) add(gate.error, 'a gate (x-standin gates): the tenant or request does not qualify')
  if (op.charge) add(op.charge.error, `charge: the "${op.charge.balance}" balance is short`)
  for (const [state, code] of op.states) add(code, `the record is ${state}`)
  for (const [resource, states] of op.parentStates) for (const [state, code] of states) add(code, `its ${resource} is ${state}`)
  if (op.idempotency) add(op.idempotency.conflict, 'idempotency: the key was used with another request')
  const own = op.resource && op.idParam ? resources.get(op.resource) : undefined
  if (own) add(own.notFound, `no such ${own.name} (in this world, for this tenant)`)
  for (const step of op.address?.steps ?? []) {
    const model = step.resource ? resources.get(step.resource) : undefined
    if (model) add(model.notFound, `no such ${model.name} (in this world, for this tenant)`)
  }
  const gone = op.resource ? resources.get(op.resource)?.gone : undefined
  if (gone) add(gone, 'the record was removed (retention or delete) and is remembered as gone')
  return reasons
}

function rawOperation(api: Api, op: OperationModel): any {
  return api.registry.resolve({ $ref: `#${op.pointer}` }).schema
}

function sampleBody(api: Api, op: OperationModel, random: () => number): { contentType: string; text: string } | undefined {
  try {
    const sample = validBody(api, op, random)
    if (!sample) return { contentType: [...op.body!.contentTypes.keys()][0] ?? 'application/json', text: '' }
    return { contentType: sample.contentType, text: sample.text ?? JSON.stringify(sample.value, null, 2) }
  } catch {
    // A schema the faker cannot fill: the form starts empty rather than the list failing.
    return { contentType: [...op.body!.contentTypes.keys()][0] ?? 'application/json', text: '' }
  }
}


/** Events queued for one reader, at most, before it is let go. */
const MAX_QUEUED = 5000

/**
 * `GET /__standin/events`: the live journal as server-sent events. The last entries kept (when the
 * door keeps exchanges) come first, then each new one; `world` events tell a page to look again at a
 * world (bunched: at most one per world every 100 ms — every request changes its world).
 */
function events(worlds: Worlds, incoming: Incoming, url: URL, exchanges: Exchanges | undefined): Response {
  if (!exchanges) return problem(404, 'not_found', 'Live events are given by `standin serve` (its dashboard); this standin keeps none.')
  const only = url.searchParams.get('world')
  const encoder = new TextEncoder()
  let stop = () => {}
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      const send = (event: string, data: unknown) => {
        try {
          controller.enqueue(encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`))
          // A reader that stopped reading (a frozen tab) is let go rather than queued for without end:
          // it reconnects and starts again from the last entries kept.
          if ((controller.desiredSize ?? 0) < -MAX_QUEUED) { controller.close(); stop() }
        } catch { stop() }
      }
      controller.enqueue(encoder.encode(': standin journal\nretry: 1000\n\n'))
      for (const entry of exchanges.recent()) if (!only || entry.world === only) send('entry', entry)
      const pendingWorlds = new Map<string, 'changed' | 'deleted'>()
      let flush: ReturnType<typeof setTimeout> | undefined
      const onWorld = (world: string, change: 'changed' | 'deleted') => {
        if (only && world !== only) return
        pendingWorlds.set(world, pendingWorlds.get(world) === 'deleted' ? 'deleted' : change)
        flush ??= setTimeout(() => {
          flush = undefined
          for (const [w, c] of pendingWorlds) send('world', { world: w, change: c })
          pendingWorlds.clear()
        }, 100)
      }
      const listener = (event: FeedEvent) => {
        if (event.kind === 'entry') { if (!only || event.entry.world === only) send('entry', event.entry) } else onWorld(event.world, event.change)
      }
      const unlisten = exchanges.listen(listener)
      const unwatch = worlds.watch((world, change) => onWorld(world.id, change))
      stop = () => {
        unlisten()
        unwatch()
        if (flush) clearTimeout(flush)
        flush = undefined
      }
      incoming.signal?.addEventListener('abort', () => stop(), { once: true })
    },
    cancel() {
      stop()
    },
  })
  return new Response(stream, { status: 200, headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-store', 'x-accel-buffering': 'no' } })
}
