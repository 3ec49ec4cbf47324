/**
 * A world: one isolated instance of the API — its records, clock, rule counters, rate windows,
 * idempotency cache and journal. Scenarios describe how a world starts; credentials select it.
 */
import type { Api } from '../api.ts'
import type { ResourceModel } from '../spec/model.ts'
import type { KeyDef, Scenario } from '../scenario/model.ts'
import { Clock, clockMoveProblem, type ClockMode } from './clock.ts'
import { MemoryStore, type Store, type StoredRecord } from './store.ts'
import { TimerQueue, type Task } from './timers.ts'
import { Journal, type JournalQuery, type Violation } from '../journal/journal.ts'
import { RateWindows } from '../limits/rate-window.ts'
import { buildRecord } from '../act/record.ts'
import { seedFromExamples } from '../act/seed.ts'
import { seededRandom, type SeededRandom } from '../util/random.ts'
import { mintScenarioTokens } from '../auth/tokens.ts'
import type { AddedRule } from '../rules/added.ts'

export interface Tenant {
  id: string
  tier?: string
  balances: Record<string, number>
  flags: Record<string, unknown>
  [extra: string]: unknown
}

export interface WorldOptions {
  id: string
  scenario: Scenario
  /** Keys as this world issues them (the scenario's own, or fresh ones). */
  keys: Map<string, KeyDef & { tenant: string }>
  clockMode: ClockMode
  seed: number
  wall?: () => number
  store?: Store
  /** Start empty (no tenants, records or seeds): a snapshot is about to be restored into it. */
  blank?: boolean
}

/** An open stream, as the world knows it: enough to end it when the world is reset or deleted. */
export interface OpenStream {
  close(): void
}

/** A place among a key's open streams, taken when a stream is admitted and given back when it ends. */
export interface StreamSlot {
  handle: OpenStream
  release(): void
}

export interface IdempotentResponse {
  fingerprint: string
  status: number
  headers: Array<[string, string]>
  /** A copy of the body as it was sent (not the record, which may have changed since). */
  body: unknown
  contentType?: string
  /** World time after which the key is forgotten. */
  expiresAt: number
}

type TimerModel = NonNullable<ResourceModel['lifecycle']>['timers'][number]

/**
 * A lifecycle timer of one resource (from one state to another after a while), shared by every record it
 * runs on: the queue holds the record and, for timers counted from entering a state, the record's
 * transition count then (moved on since = stale; -1 for timers counted from creation).
 */
export class LifecycleTimer implements Task<StoredRecord> {
  readonly world: World
  readonly model: ResourceModel
  readonly timer: TimerModel

  constructor(world: World, model: ResourceModel, timer: TimerModel) {
    this.world = world
    this.model = model
    this.timer = timer
  }

  run(record: StoredRecord, transitions: number, at: number): void {
    const { world, model, timer } = this
    if (!world.store.holds(record)) return
    if (transitions >= 0 && record.transitions !== transitions) return
    if (!timer.from.has(record.state!)) return
    if (timer.set) {
      const fields = timer.set({ record: record.data, tenant: world.tenants.get(record.tenant), now: at })
      if (fields && typeof fields === 'object') for (const [name, value] of Object.entries(fields)) if (value !== undefined) record.data[name] = value
    }
    world.setState(model, record, timer.to, at)
  }
}

/** A resource's retention: the record goes away, unless it already has. */
export class RetentionTimer implements Task<StoredRecord> {
  readonly world: World
  readonly model: ResourceModel

  constructor(world: World, model: ResourceModel) {
    this.world = world
    this.model = model
  }

  run(record: StoredRecord): void {
    if (this.world.store.holds(record)) this.world.remove(this.model, record)
  }
}

/** A removed record's address by a lookup field, among its resource's tombstones (never an id: ids hold no NUL). */
export function lookupTombstone(field: string, value: string): string {
  return `\u0000${field}\u0000${value}`
}

export function namedTokens(keys: Iterable<KeyDef & { tenant: string }>, tenant: string): { tokens?: Record<string, string> } {
  const tokens: Record<string, string> = {}
  let any = false
  for (const k of keys) if (k.tenant === tenant && typeof k.name === 'string') { tokens[k.name] = k.token; any = true }
  return any ? { tokens } : {}
}

/** Removed ids remembered per resource with `gone` (about 100 bytes each). */
export const MAX_TOMBSTONES = 100_000

export class World {
  readonly id: string
  readonly scenario: Scenario
  readonly api: Api
  readonly keys: Map<string, KeyDef & { tenant: string }>
  clock!: Clock
  readonly store: Store
  readonly timers = new TimerQueue()
  readonly journal = new Journal()
  readonly rates = new RateWindows()
  readonly tenants = new Map<string, Tenant>()
  readonly ruleHits = new Map<number, { matched: number; fired: number }>()
  /** Rules added through the control API (src/rules/added.ts), and the last id given to one. */
  readonly addedRules: AddedRule[] = []
  addedRuleSeq = 0
  readonly idempotency = new Map<string, IdempotentResponse>()
  /**
   * resource -> id -> when the record went away and whose it was, for `gone` (410) answers: kept for
   * resources that have a `gone` code only (another resource's removed records leave nothing).
   */
  readonly tombstones = new Map<string, Map<string, { at: number; tenant: string }>>()
  /** Open streams per key (a parent record's id; '' for streams no limit counts), for one-stream-at-a-time rules. */
  readonly streams = new Map<string, Set<OpenStream>>()
  random!: SeededRandom
  private readonly options: WorldOptions
  private readonly lifecycleTimers = new Map<TimerModel, LifecycleTimer>()
  private readonly retentionTimers = new Map<ResourceModel, RetentionTimer>()
  /** Requests numbered so far (request ids), kept by a snapshot so ids do not repeat after a restore. */
  requestSeq = 0
  private requestPrefix: string | undefined

  constructor(api: Api, options: WorldOptions) {
    this.api = api
    this.id = options.id
    this.scenario = options.scenario
    this.keys = options.keys
    this.options = options
    this.store = options.store ?? new MemoryStore()
    if (options.blank) this.start()
    else this.populate()
  }

  /** Puts the world back as its scenario starts it (same keys). */
  reset(): void {
    this.clearState()
    this.populate()
  }

  /** Keys minted by creating a credential record (not the scenario's): gone with the records. */
  private readonly minted = new Set<string>()
  /** Told of each key minted, so the key selects this world (Worlds' key index). */
  onKeyMinted?: (key: KeyDef & { tenant: string }) => void

  /** Signed tokens minted so far (their `jti`s are numbered). */
  tokenSeq = 0
  /** Whether each scenario key started revoked: a reset undoes what requests revoked since. */
  private readonly startRevoked = new WeakMap<KeyDef, boolean>()

  /**
   * A key the world made (a signed token): it authenticates and selects this world from now on.
   * `minted` keys go with a reset; a scenario's own (its signed tokens) stay.
   */
  addKey(key: KeyDef & { tenant: string }, minted = true): void {
    this.keys.set(key.token, key)
    if (minted) this.minted.add(key.token)
    this.onKeyMinted?.(key)
  }

  /** The signed token a scenario's key of this name (`token: alice-laptop, jwt: true`) became. */
  tokenFor(name: string): string | undefined {
    for (const key of this.keys.values()) if (key.name === name || key.token === name) return key.token
    return undefined
  }

  /** A credential record's value, authenticating as `tenant` from now on. */
  private mint(value: unknown, tenant: string): void {
    if (typeof value !== 'string' || value === '' || this.keys.has(value)) return
    const key = { token: value, tenant }
    this.keys.set(value, key)
    this.minted.add(value)
    this.onKeyMinted?.(key)
  }

  /** Empties the world — records, tenants, counters, timers, journal, open streams — keeping its keys. */
  clearState(): void {
    for (const token of this.minted) this.keys.delete(token)
    this.minted.clear()
    this.closeStreams()
    this.store.clear()
    this.journal.clear()
    this.rates.clear()
    this.tenants.clear()
    this.ruleHits.clear()
    this.idempotency.clear()
    this.tombstones.clear()
    this.timers.clear()
  }

  /** The clock and randomness the scenario starts with. */
  private start(): void {
    const { scenario, clockMode, seed, wall } = this.options
    this.clock = new Clock({ mode: scenario.clock.mode ?? clockMode, start: scenario.clock.start, wall })
    this.random = seededRandom(scenario.seed ?? seed)
  }

  /** A clock of this world's wall time, as a restore makes it. */
  makeClock(mode: ClockMode, start: number): Clock {
    return new Clock({ mode, start, wall: this.options.wall })
  }

  private populate(): void {
    const { scenario } = this.options
    this.start()
    // A key that expires a while after the world starts (`expiresAt: 10m`): on this world's clock.
    for (const key of this.keys.values()) if (key.expiresAfter !== undefined) key.expiresAt = this.clock.now() + key.expiresAfter
    for (const t of scenario.tenants) {
      const { keys: _k, records: _r, ...rest } = t
      this.tenants.set(t.id, structuredClone({ ...rest, balances: { ...t.balances }, flags: { ...t.flags } }) as Tenant)
    }
    mintScenarioTokens(this)
    // Revoked as the scenario has them (a logout since is undone by a reset).
    for (const key of this.keys.values()) {
      if (!this.startRevoked.has(key)) this.startRevoked.set(key, key.revoked === true)
      else if (this.startRevoked.get(key)) key.revoked = true
      else delete key.revoked
    }
    const now = this.clock.now()
    for (const t of scenario.tenants) {
      const tenant = this.tenants.get(t.id)!
      for (const [resource, list] of Object.entries(t.records)) {
        const model = this.api.behaviour.resources.get(resource)!
        const parentField = model.parent ? (model.parent.field ?? model.parent.param) : undefined
        for (let i = 0; i < list.length; i++) {
          // buildRecord copies what it keeps, so the scenario stays as written for the next reset.
          const data = list[i]!
          const parentId = parentField === undefined ? undefined : (data[parentField] as string | undefined)
          this.insert(model, buildRecord(this, model, tenant, data, { now, parentId }), now)
        }
      }
    }
    seedFromExamples(this, now)
  }

  /** Runs what the clock has made due. Called before every request and after every clock move. */
  tick(): void {
    this.timers.runDue(this.clock.now())
  }

  advance(ms: number): number {
    // Refused before anything moves: a move that fails half-way would leave timers run for a time
    // the clock never reached.
    const problem = clockMoveProblem(this.clock.now(), ms)
    if (problem) throw new RangeError(problem)
    // Step through due timers in order, so a record's later timers see the time they fire at.
    const target = this.clock.now() + ms
    for (let next = this.timers.peek(); next !== undefined && next <= target; next = this.timers.peek()) {
      if (next > this.clock.now()) this.clock.set(next)
      this.timers.runDue(next)
    }
    this.clock.set(target)
    this.tick()
    return this.clock.now()
  }

  nextRequestId(): string {
    this.requestPrefix ??= `req_${this.id.replace(/[^A-Za-z0-9]/g, '').slice(0, 12)}_`
    return this.requestPrefix + (++this.requestSeq).toString(36).padStart(6, '0')
  }

  /**
   * Adds a record made at `createdAt` (the `now` it was built with): its lifecycle timers and its
   * retention count from then. The time is not kept on the record — nothing reads it afterwards,
   * and two boxed numbers per record are 3 MB in a world of 100,000.
   */
  insert(model: ResourceModel, record: StoredRecord, createdAt: number): void {
    this.store.insert(record)
    if (model.credential !== undefined) this.mint(record.data[model.credential], record.tenant)
    this.tombstones.get(model.name)?.delete(record.id)
    this.scheduleTimers(model, record, 'created', createdAt)
    this.scheduleTimers(model, record, 'entered', createdAt)
    if (model.retentionMs !== undefined) this.timers.schedule(createdAt + model.retentionMs, this.retentionTask(model), record)
  }

  /** The task that removes records of `model` when their retention ends (one per resource). */
  retentionTask(model: ResourceModel): RetentionTimer {
    let task = this.retentionTimers.get(model)
    if (!task) this.retentionTimers.set(model, (task = new RetentionTimer(this, model)))
    return task
  }

  /** The task that runs one lifecycle timer of `model` (one per timer, shared by its records). */
  lifecycleTask(model: ResourceModel, timer: TimerModel): LifecycleTimer {
    let task = this.lifecycleTimers.get(timer)
    if (!task) this.lifecycleTimers.set(timer, (task = new LifecycleTimer(this, model, timer)))
    return task
  }

  /** Removes a record, and the records that live inside it (a project's tasks and their comments). */
  remove(model: ResourceModel, record: StoredRecord): void {
    this.store.remove(model.name, record.id)
    if (model.credential !== undefined) {
      const key = this.keys.get(String(record.data[model.credential]))
      if (key) key.revoked = true
    }
    if (model.gone !== undefined) {
      let gone = this.tombstones.get(model.name)
      if (!gone) this.tombstones.set(model.name, (gone = new Map()))
      gone.delete(record.id)
      gone.set(record.id, { at: this.clock.now(), tenant: record.tenant })
      // Found by another field too (a run by its task id): that address is gone as well.
      for (const field of this.lookupFields(model)) {
        const value = record.data[field]
        if (value === undefined || value === null) continue
        const key = lookupTombstone(field, String(value))
        gone.delete(key)
        gone.set(key, { at: this.clock.now(), tenant: record.tenant })
      }
      // The most recent removals only: past that, the oldest removed id is not found (404) rather
      // than gone (410), and a long run of creates and deletes does not grow without end.
      if (gone.size > MAX_TOMBSTONES) gone.delete(gone.keys().next().value!)
    }
    for (const child of this.api.behaviour.resources.values()) {
      if (child.parent?.resource !== model.name) continue
      for (const inner of [...this.store.list(child.name, record.tenant, record.id)]) this.remove(child, inner)
    }
  }

  private readonly lookups = new Map<ResourceModel, string[]>()

  /** The fields other than its id that operations find a resource's records by (`lookupBy`). */
  private lookupFields(model: ResourceModel): string[] {
    let fields = this.lookups.get(model)
    if (!fields) {
      fields = [...new Set(this.api.operations.filter((op) => op.lookup && op.resource === model.name).map((op) => op.lookup!.field))]
      this.lookups.set(model, fields)
    }
    return fields
  }

  /**
   * When a record of `resource` that was `tenant`'s went away (removed, not replaced since), if it
   * did: another tenant is not told that the id ever existed.
   */
  goneAt(resource: string, id: string, tenant: string | undefined): number | undefined {
    const tomb = this.tombstones.get(resource)?.get(id)
    return tomb !== undefined && tomb.tenant === tenant ? tomb.at : undefined
  }

  /** Takes a place among the open streams of a key; `release` gives it back (once). */
  openStream(key: string): StreamSlot {
    let open = this.streams.get(key)
    if (!open) this.streams.set(key, (open = new Set()))
    const set = open
    const handle: OpenStream = { close: () => slot.release() }
    const slot: StreamSlot = {
      handle,
      release: () => {
        set.delete(handle)
        if (set.size === 0 && this.streams.get(key) === set) this.streams.delete(key)
      },
    }
    set.add(handle)
    return slot
  }

  /** Ends every open stream (as if each client went away). */
  closeStreams(): void {
    for (const set of [...this.streams.values()]) for (const stream of [...set]) stream.close()
    this.streams.clear()
  }

  /** Moves a record to a lifecycle state, as an operation or a timer does. */
  setState(model: ResourceModel, record: StoredRecord, to: string, at = this.clock.now()): void {
    const lifecycle = model.lifecycle
    if (!lifecycle) return
    const previous = record.state
    record.state = to
    record.data[lifecycle.field] = to
    record.transitions++
    this.store.update(record, previous)
    this.scheduleTimers(model, record, 'entered', at)
  }

  private scheduleTimers(model: ResourceModel, record: StoredRecord, since: 'created' | 'entered', base: number): void {
    const lifecycle = model.lifecycle
    if (!lifecycle) return
    let vars: { record: Record<string, unknown>; tenant: Tenant | undefined; now: number } | undefined
    for (let i = 0; i < lifecycle.timers.length; i++) {
      const timer = lifecycle.timers[i]!
      if (timer.since !== since) continue
      if (since === 'entered' && !timer.from.has(record.state!)) continue
      vars ??= { record: record.data, tenant: this.tenants.get(record.tenant), now: base }
      if (timer.when && !timer.when(vars)) continue
      const after = timer.after(vars)
      if (typeof after !== 'number' || !Number.isFinite(after)) continue
      // Drawn only for a timer with a chance, so worlds without one keep the numbers they had.
      if (timer.chance) {
        const chance = Number(timer.chance(vars) ?? 0)
        if (!(this.random() < chance)) continue
      }
      this.timers.schedule(base + after, this.lifecycleTask(model, timer), record, since === 'entered' ? record.transitions : -1)
    }
  }

  /** The violations journalled in this world (requests that broke the spec, responses that did). */
  violations(side?: Violation['side']): Array<Violation & { requestId: string; operation?: string }> {
    return this.journal.all().flatMap((e) => e.violations.filter((v) => !side || v.side === side).map((v) => ({ ...v, requestId: e.requestId, operation: e.operation })))
  }

  /** A summary for the control API. */
  describe(): object {
    return {
      id: this.id,
      scenario: this.scenario.name,
      now: new Date(this.clock.now()).toISOString(),
      clock: this.clock.mode,
      tenants: [...this.tenants.values()].map((t) => ({
        id: t.id,
        tier: t.tier,
        balances: t.balances,
        keys: [...this.keys.values()].filter((k) => k.tenant === t.id).map((k) => k.token),
        // A scenario's signed tokens by the name it gives them (`token: alice-laptop, jwt: true`).
        ...namedTokens(this.keys.values(), t.id),
      })),
      records: Object.fromEntries(this.store.resources().map((r) => [r, this.store.size(r)])),
      journal: { entries: this.journal.all().length, dropped: this.journal.dropped },
    }
  }

  count(query: JournalQuery): number {
    return this.journal.count(query)
  }
}
