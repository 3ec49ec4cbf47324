/**
 * A world as JSON, and back: what `POST /__standin/worlds/<id>/snapshot`, `WorldHandle.snapshot()`
 * and a state file (`standin serve --state`) all keep, with one serializer.
 *
 * Kept: the clock (a manual clock's time; a real clock's offset from the wall clock, so it goes on
 * running), the randomness where it stands (ids made after a restore are the ones the world would
 * have made next), tenants (balances, tier, flags), keys, records with their lifecycle state and
 * numbering, the pending lifecycle and retention timers (each at its due time, in its order), ids
 * removed that still answer 410, rule hit counts, request numbering and idempotent answers.
 *
 * Not kept: the journal (and so a world's coverage and violations), rate windows (a restored world's
 * windows start empty) and open streams (a client holding one is cut when the process ends anyway).
 */
import type { ResourceModel } from '../spec/model.ts'
import type { KeyDef } from '../scenario/model.ts'
import type { StoredRecord } from './store.ts'
import { LifecycleTimer, RetentionTimer, type IdempotentResponse, type Tenant, type World } from './world.ts'
import type { Worlds } from './worlds.ts'
import { isPlainObject } from '../util/match.ts'
import { mintScenarioTokens } from '../auth/tokens.ts'
import { seededRandom } from '../util/random.ts'

export const SNAPSHOT_FORMAT = 'standin-world'
export const SNAPSHOT_VERSION = 1

/** A world, JSON-safe. */
export interface WorldSnapshot {
  format: typeof SNAPSHOT_FORMAT
  version: typeof SNAPSHOT_VERSION
  id: string
  scenario: string
  /** When the snapshot was taken, as the world's clock read then (ISO 8601), for people reading it. */
  takenAt: string
  clock: {
    mode: 'real' | 'manual'
    /** The world's time, epoch ms. */
    now: number
    /** A real clock's lead over the wall clock, in ms: it is kept, and the clock goes on running. */
    offset?: number
  }
  random: number
  requestSeq: number
  keys: Array<KeyDef & { tenant: string }>
  tenants: Tenant[]
  records: Array<{ resource: string; id: string; tenant: string; parentId?: string; via?: string; data: Record<string, unknown>; state?: string; transitions: number; version: number }>
  /** resource → scope → the highest number given out (Store.number). */
  sequences: Record<string, Record<string, number>>
  /**
   * Pending timers, in the order they run; `record` is an index into `records`, `timer` into the
   * resource's lifecycle timers (with the state it leads to, so a timer of a spec changed since is
   * not mistaken for another).
   */
  timers: Array<SnapshotTimer & { record: number }>
  /** resource → removed ids that still answer `gone`: [id, when, tenant], oldest first. */
  tombstones: Record<string, Array<[string, number, string]>>
  ruleHits: Array<[number, number, number]>
  idempotency: Array<[string, IdempotentResponse]>
}

/**
 * @example
 * const saved = snapshotWorld(world)
 * const copy = restoreWorld(worlds, saved)          // a new world, fresh keys
 * restoreWorld(worlds, saved, { into: world })      // the same world, back as it was
 */
export function snapshotWorld(world: World, wall: () => number = Date.now): WorldSnapshot {
  // One copy, through JSON: the snapshot shares nothing with the live world, and holds only what
  // JSON keeps (what a state file and the control API would give back anyway).
  return JSON.parse(serializeWorld(world, wall)) as WorldSnapshot
}

/** A world's snapshot as JSON text, made once. */
export function serializeWorld(world: World, wall: () => number = Date.now): string {
  world.tick()
  const records: WorldSnapshot['records'] = []
  const index = new Map<StoredRecord, number>()
  for (const resource of world.store.resources()) {
    for (const r of world.store.records(resource)) {
      index.set(r, records.length)
      records.push(snapshotRecord(r))
    }
  }
  const timers: WorldSnapshot['timers'] = []
  for (const { at, task, subject, mark } of world.timers.entries()) {
    const record = index.get(subject as StoredRecord)
    const timer = record === undefined ? undefined : snapshotTimer(task, subject as StoredRecord, at, mark)
    if (timer) timers.push({ ...timer, record: record! })
  }
  return JSON.stringify({ ...snapshotHead(world, wall), records, timers } satisfies WorldSnapshot)
}

/** What a snapshot keeps besides records and timers (a state file writes it apart from them). */
export type SnapshotHead = Omit<WorldSnapshot, 'records' | 'timers'>
/** A record as a snapshot keeps it. */
export type SnapshotRecord = WorldSnapshot['records'][number]
/** A pending timer as a snapshot keeps it, without the record it runs on. */
export type SnapshotTimer = { at: number; mark: number } & ({ kind: 'lifecycle'; timer: number; to: string } | { kind: 'retention' })

/** Everything but the records and their timers; live objects, to be written out at once. */
export function snapshotHead(world: World, wall: () => number = Date.now): SnapshotHead {
  const sequences: WorldSnapshot['sequences'] = {}
  for (const resource of world.store.resources()) {
    const seq = Object.fromEntries(world.store.sequences(resource))
    if (Object.keys(seq).length > 0) sequences[resource] = seq
  }
  const now = world.clock.now()
  return {
    format: SNAPSHOT_FORMAT, version: SNAPSHOT_VERSION,
    id: world.id, scenario: world.scenario.name, takenAt: new Date(now).toISOString(),
    clock: { mode: world.clock.mode, now, ...(world.clock.mode === 'real' ? { offset: now - wall() } : {}) },
    random: world.random.state,
    requestSeq: world.requestSeq,
    keys: [...world.keys.values()],
    tenants: [...world.tenants.values()],
    sequences,
    tombstones: Object.fromEntries([...world.tombstones].map(([resource, gone]) => [resource, [...gone].map(([id, t]) => [id, t.at, t.tenant] as [string, number, string])])),
    ruleHits: [...world.ruleHits].map(([rule, h]) => [rule, h.matched, h.fired]),
    idempotency: [...world.idempotency],
  }
}

/** A record as a snapshot keeps it (its data live, to be written out at once). */
export function snapshotRecord(r: StoredRecord): SnapshotRecord {
  return { resource: r.resource, id: r.id, tenant: r.tenant, ...(r.parentId !== undefined ? { parentId: r.parentId } : {}), ...(r.via !== undefined ? { via: r.via } : {}), data: r.data, ...(r.state !== undefined ? { state: r.state } : {}), transitions: r.transitions, version: r.version }
}

/**
 * A timer entry as a snapshot keeps it, or undefined for one it leaves out: a timer set on a state
 * the record has left (it would do nothing when it ran), a stream's timers (functions; they end with
 * the stream).
 */
export function snapshotTimer(task: unknown, record: StoredRecord, at: number, mark: number): SnapshotTimer | undefined {
  if (task instanceof LifecycleTimer) {
    if (mark >= 0 && record.transitions !== mark) return undefined
    const timer = task.model.lifecycle?.timers.indexOf(task.timer) ?? -1
    return timer === -1 ? undefined : { at, mark, kind: 'lifecycle', timer, to: task.timer.to }
  }
  return task instanceof RetentionTimer ? { at, mark, kind: 'retention' } : undefined
}

export interface RestoreOptions {
  /**
   * Restore into this world (its id and keys stay; the snapshot must be of its scenario). Without
   * it, a new world of the snapshot's scenario is made, with fresh keys for the same tenants.
   */
  into?: World
  /**
   * Make the world under the snapshot's own id and keys (a state file's worlds, read back at
   * start-up); a scenario's own world is restored in place, with the keys its scenario file has.
   */
  asSaved?: boolean
  wall?: () => number
}

/**
 * Puts a snapshot's state into a world: a new one (fresh keys), the one given, or the one it was
 * taken of. Throws SnapshotError, naming what is wrong, for something that is not a snapshot.
 */
export function restoreWorld(worlds: Worlds, input: unknown, options: RestoreOptions = {}): World {
  const snapshot = checkSnapshot(input)
  const { into } = options
  if (!worlds.scenarios.has(snapshot.scenario)) throw new SnapshotError(`/scenario`, `the snapshot is of scenario "${snapshot.scenario}", which this standin does not have (it has: ${[...worlds.scenarios.keys()].join(', ')})`)
  let world: World
  if (into) {
    if (into.scenario.name !== snapshot.scenario) throw new SnapshotError('/scenario', `the snapshot is of scenario "${snapshot.scenario}", and world ${into.id} of "${into.scenario.name}"`)
    world = into
    world.clearState()
  } else if (options.asSaved) {
    // A scenario's own world keeps the keys its file writes now (they may have been edited since).
    const home = worlds.get(snapshot.id)
    if (home && worlds.scenarios.has(home.id) && home.scenario.name === snapshot.scenario) {
      world = home
      world.clearState()
    } else world = worlds.adopt(snapshot.id, snapshot.scenario, new Map(snapshot.keys.map((k) => [k.token, { ...k }])))
  } else {
    world = worlds.create(snapshot.scenario, { blank: true })
  }
  const wall = options.wall ?? Date.now
  world.clock = world.makeClock(snapshot.clock.mode, snapshot.clock.mode === 'real' ? wall() + (snapshot.clock.offset ?? 0) : snapshot.clock.now)
  world.random = seededRandom(snapshot.random)
  world.requestSeq = Math.max(world.requestSeq, snapshot.requestSeq)
  for (const t of snapshot.tenants) world.tenants.set(t.id, structuredClone(t))
  // The same world put back (its own snapshot): keys minted since its scenario started (signed tokens
  // a request made) come back with it. Fresh keys of another world that are signed tokens are minted now.
  if (world.id === snapshot.id) for (const k of snapshot.keys) if (!world.keys.has(k.token)) world.addKey({ ...k })
  // A key that expires a while after the world started (`expiresAt: 10m`) expires when it did in the
  // world saved, not that long after this restore (or when the control API set it since).
  for (const k of snapshot.keys) {
    const key = world.keys.get(k.token)
    if (key && key.expiresAfter !== undefined && key.expiresAfter === k.expiresAfter && typeof k.expiresAt === 'number') key.expiresAt = k.expiresAt
  }
  mintScenarioTokens(world)
  const resources = world.api.behaviour.resources
  const restored: Array<StoredRecord | undefined> = []
  for (const r of snapshot.records) {
    // A resource the spec no longer has (the spec changed since): its records are left out.
    if (!resources.has(r.resource)) {
      restored.push(undefined)
      continue
    }
    const record: StoredRecord = { id: r.id, resource: r.resource, tenant: r.tenant, ...(r.parentId !== undefined ? { parentId: r.parentId } : {}), ...(r.via !== undefined ? { via: r.via } : {}), data: structuredClone(r.data), ...(r.state !== undefined ? { state: r.state } : {}), transitions: r.transitions, version: r.version }
    world.store.insert(record)
    restored.push(record)
  }
  for (const [resource, scopes] of Object.entries(snapshot.sequences)) {
    for (const [scope, last] of Object.entries(scopes)) world.store.number(resource, scope, last)
  }
  for (const t of snapshot.timers) {
    const record = restored[t.record]
    if (!record) continue
    const model = resources.get(record.resource)!
    const task = t.kind === 'retention' ? (model.retentionMs !== undefined ? world.retentionTask(model) : undefined) : lifecycleTask(world, model, t.timer, t.to)
    if (task) world.timers.schedule(t.at, task, record, t.mark)
  }
  for (const [resource, gone] of Object.entries(snapshot.tombstones)) {
    world.tombstones.set(resource, new Map(gone.map(([id, at, tenant]) => [id, { at, tenant }])))
  }
  for (const [rule, matched, fired] of snapshot.ruleHits) world.ruleHits.set(rule, { matched, fired })
  for (const [id, answer] of snapshot.idempotency) world.idempotency.set(id, structuredClone(answer))
  // What fell due while the world was saved (a real clock went on running): it happens now.
  world.tick()
  worlds.changed(world)
  return world
}

function lifecycleTask(world: World, model: ResourceModel, index: number, to: string): LifecycleTimer | undefined {
  const timer = model.lifecycle?.timers[index]
  return timer && timer.to === to ? world.lifecycleTask(model, timer) : undefined
}

/** What is wrong with a snapshot, and where in it (a JSON pointer). */
export class SnapshotError extends Error {
  readonly pointer: string
  constructor(pointer: string, problem: string) {
    super(`Cannot restore the snapshot: ${problem}${pointer ? ` (at ${pointer})` : ''}.`)
    this.pointer = pointer
  }
}

/** The shape of a snapshot, checked before anything is changed. */
function checkSnapshot(input: unknown): WorldSnapshot {
  if (!isPlainObject(input)) throw new SnapshotError('', 'expected a JSON object, as POST /__standin/worlds/<id>/snapshot gives')
  const s = input as Record<string, unknown>
  if (s.format !== SNAPSHOT_FORMAT) throw new SnapshotError('/format', `expected "${SNAPSHOT_FORMAT}"`)
  if (s.version !== SNAPSHOT_VERSION) throw new SnapshotError('/version', `this standin reads version ${SNAPSHOT_VERSION}, got ${JSON.stringify(s.version)}`)
  const need: Array<[string, (v: unknown) => boolean, string]> = [
    ['id', (v) => typeof v === 'string' && v !== '', 'a world id'],
    ['scenario', (v) => typeof v === 'string', 'a scenario name'],
    ['clock', (v) => isPlainObject(v) && (v.mode === 'real' || v.mode === 'manual') && Number.isFinite(v.now) && (v.offset === undefined || Number.isFinite(v.offset)), '{mode: real|manual, now, offset?}'],
    ['random', (v) => Number.isInteger(v), 'an integer'],
    ['requestSeq', (v) => Number.isInteger(v), 'an integer'],
    ['keys', (v) => Array.isArray(v) && v.every((k) => isPlainObject(k) && typeof k.token === 'string' && typeof k.tenant === 'string'), 'a list of {token, tenant}'],
    ['tenants', (v) => Array.isArray(v) && v.every((t) => isPlainObject(t) && typeof t.id === 'string' && isPlainObject(t.balances) && isPlainObject(t.flags)), 'a list of {id, balances, flags}'],
    ['records', (v) => Array.isArray(v) && v.every((r) => isPlainObject(r) && typeof r.resource === 'string' && typeof r.id === 'string' && typeof r.tenant === 'string' && isPlainObject(r.data) && Number.isInteger(r.transitions) && Number.isInteger(r.version)), 'a list of {resource, id, tenant, data, transitions, version}'],
    ['sequences', (v) => isPlainObject(v) && Object.values(v).every((m) => isPlainObject(m) && Object.values(m).every(Number.isInteger)), 'resource → scope → integer'],
    ['timers', (v) => Array.isArray(v) && v.every((t) => isPlainObject(t) && Number.isFinite(t.at) && Number.isInteger(t.record) && Number.isInteger(t.mark) && (t.kind === 'retention' || (t.kind === 'lifecycle' && Number.isInteger(t.timer) && typeof t.to === 'string'))), 'a list of {at, record, mark, kind: retention} or {…, kind: lifecycle, timer, to}'],
    ['tombstones', (v) => isPlainObject(v) && Object.values(v).every((l) => Array.isArray(l) && l.every((g) => Array.isArray(g) && typeof g[0] === 'string' && Number.isFinite(g[1]) && typeof g[2] === 'string')), 'resource → [[id, at, tenant]]'],
    ['ruleHits', (v) => Array.isArray(v) && v.every((h) => Array.isArray(h) && h.length === 3 && h.every(Number.isInteger)), 'a list of [rule, matched, fired]'],
    ['idempotency', (v) => Array.isArray(v) && v.every((e) => Array.isArray(e) && typeof e[0] === 'string' && isPlainObject(e[1])), 'a list of [key, answer]'],
  ]
  for (const [name, ok, what] of need) if (!ok(s[name])) throw new SnapshotError(`/${name}`, `expected ${what}`)
  return s as unknown as WorldSnapshot
}
