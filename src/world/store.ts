/**
 * A world's records. The Store interface is small so another backend can stand in; the one here
 * keeps every lookup O(1): records by id, by tenant (for lists) and by parent (for nested lists),
 * and counts per tenant and lifecycle state (for concurrency and count caps), updated as records
 * move — nothing on the request path scans a collection.
 *
 * Why not @msw/data as the store: measured in bench/store.ts, its `update` scans to find a record
 * (0.3 ms at 1,000 records, 31 ms at 100,000), which fails the "no slower at 100,000" bar.
 */
export interface StoredRecord {
  id: string
  resource: string
  tenant: string
  parentId?: string
  /** A record the request that made this one named but that it does not live in (`resource\u0000id`: the issue a comment was made on). */
  via?: string
  /** The public JSON of the record, as the API returns it. */
  data: Record<string, unknown>
  state?: string
  /** Counts state changes, so a timer set on entering a state can tell the record moved on. */
  transitions: number
  /** Bumped on every change, so stale timers can tell the record moved on. */
  version: number
}

export interface Store {
  get(resource: string, id: string): StoredRecord | undefined
  /**
   * Whether a record once inserted here is still the one stored under its id (not removed, replaced
   * or cleared away since) — what a timer set on it asks before it runs.
   */
  holds(record: StoredRecord): boolean
  insert(record: StoredRecord): void
  /** Records a change of state (and anything else) made to a record. */
  update(record: StoredRecord, previousState: string | undefined): void
  remove(resource: string, id: string): StoredRecord | undefined
  /** Records of a tenant (and parent, when given), oldest first. */
  list(resource: string, tenant: string, parentId?: string): Iterable<StoredRecord>
  count(resource: string, tenant: string, states?: ReadonlySet<string>): number
  /**
   * The records of `resource` whose key, as `index.keyOf` computes it, is `key` (the records a
   * unique constraint finds a duplicate among). Keys are computed on insert and update — a change
   * to a record counts once `update` is told of it — so finding them does not scan.
   */
  keyed(resource: string, index: KeyedIndex, key: string): Iterable<StoredRecord>
  /**
   * Numbers records by a sequence of a scope (an issue's number in its repository): the next one
   * (1 more than the highest given out or taken), or — given `taken`, a number a record already
   * has — notes it and returns it.
   */
  number(resource: string, scope: string, taken?: number): number
  size(resource?: string): number
  resources(): string[]
  /** Every record of a resource, whatever its tenant, in the order they were inserted (a world snapshot). */
  records(resource: string): Iterable<StoredRecord>
  /** The highest number given out per scope of a resource (Store.number), for a world snapshot. */
  sequences(resource: string): Iterable<[scope: string, last: number]>
  clear(): void
}

/** How a keyed index keys a record (the same object each time: it names the index). */
export interface KeyedIndex {
  keyOf(record: StoredRecord): string
}

/** A keyed index over one collection: records by key, and each record's key as last computed. */
class KeyIndex {
  readonly byKey = new Map<string, Set<StoredRecord>>()
  readonly keyOfRecord = new Map<StoredRecord, string>()
  readonly def: KeyedIndex
  constructor(def: KeyedIndex) {
    this.def = def
  }

  put(record: StoredRecord): void {
    const key = this.def.keyOf(record)
    const old = this.keyOfRecord.get(record)
    if (old === key) return
    if (old !== undefined) this.drop(record)
    let set = this.byKey.get(key)
    if (!set) this.byKey.set(key, (set = new Set()))
    set.add(record)
    this.keyOfRecord.set(record, key)
  }

  drop(record: StoredRecord): void {
    const old = this.keyOfRecord.get(record)
    if (old === undefined) return
    this.keyOfRecord.delete(record)
    const set = this.byKey.get(old)
    set?.delete(record)
    if (set?.size === 0) this.byKey.delete(old)
  }
}

class Collection {
  readonly byId = new Map<string, StoredRecord>()
  readonly byTenant = new Map<string, Members>()
  readonly byParent = new Map<string, Members>()
  /** tenant -> state -> count ('' counts records without a lifecycle). */
  readonly counts = new Map<string, Map<string, number>>()
  /** Keyed indexes, made on first use; most collections have none. */
  readonly indexes: KeyIndex[] = []
  /** The highest number given out per scope (Store.number). */
  readonly sequences = new Map<string, number>()

  bump(tenant: string, state: string | undefined, delta: number): void {
    let perTenant = this.counts.get(tenant)
    if (!perTenant) this.counts.set(tenant, (perTenant = new Map()))
    const key = state ?? ''
    perTenant.set(key, (perTenant.get(key) ?? 0) + delta)
  }

  /** A record is a member of a list while it is the one stored under its id. */
  isLive(record: StoredRecord): boolean {
    return this.byId.get(record.id) === record
  }
}

/**
 * The records of one tenant (or parent), oldest first. A removed record is not taken out at once
 * (that would scan): it stays until removed ones are half the list, and the list skips it until
 * then. An array of records rather than a Set of ids: adding is a push, not a hash insert, and a
 * world of 100,000 records keeps 8 bytes per record here rather than ~30.
 */
class Members {
  records: StoredRecord[] = []
  removed = 0
  /**
   * Records put back after a removal while their old entry may still be here: where the entry that
   * counts is. Empty but for that rare case; cleared by compaction.
   */
  current = new Map<StoredRecord, number>()

  add(record: StoredRecord, putBack: boolean): void {
    if (putBack) this.current.set(record, this.records.length)
    this.records.push(record)
  }

  /** Notes that one member went; compacts once half are gone. */
  drop(c: Collection): void {
    this.removed++
    if (this.removed > 64 && this.removed * 2 > this.records.length) this.compact(c)
  }

  compact(c: Collection): void {
    const current = this.current
    this.records = this.records.filter((r, i) => c.isLive(r) && (current.get(r) ?? i) === i)
    this.current = new Map()
    this.removed = 0
  }

  *live(c: Collection): Iterable<StoredRecord> {
    // A snapshot of the length: records added while listing are not listed.
    const records = this.records
    const current = this.current
    for (let i = 0, n = records.length; i < n; i++) {
      const r = records[i]!
      if (!c.isLive(r)) continue
      // A record put back is listed at its new entry, not its old one.
      if (current.size > 0 && (current.get(r) ?? i) !== i) continue
      yield r
    }
  }
}

export class MemoryStore implements Store {
  private readonly collections = new Map<string, Collection>()
  /**
   * Records taken out (removed, replaced, cleared) and not put back: what a timer set on a record
   * asks before it runs, with no lookup in the map of every record; and how a record put back is
   * told apart (its old entry may still be in its lists). Weak, so nothing is kept alive by it.
   */
  private readonly takenOut = new WeakSet<StoredRecord>()

  private collection(resource: string): Collection {
    let c = this.collections.get(resource)
    if (!c) this.collections.set(resource, (c = new Collection()))
    return c
  }

  get(resource: string, id: string): StoredRecord | undefined {
    return this.collections.get(resource)?.byId.get(id)
  }

  holds(record: StoredRecord): boolean {
    return !this.takenOut.has(record)
  }

  insert(record: StoredRecord): void {
    const c = this.collection(record.resource)
    const existing = c.byId.get(record.id)
    if (existing) this.remove(record.resource, record.id)
    const putBack = this.takenOut.delete(record)
    c.byId.set(record.id, record)
    for (let i = 0; i < c.indexes.length; i++) c.indexes[i]!.put(record)
    membersOf(c.byTenant, record.tenant).add(record, putBack)
    if (record.parentId !== undefined) membersOf(c.byParent, parentKey(record.tenant, record.parentId)).add(record, putBack)
    c.bump(record.tenant, record.state, 1)
  }

  update(record: StoredRecord, previousState: string | undefined): void {
    record.version++
    // A record taken out (removed, replaced) is no longer counted or indexed here.
    const c = this.collections.get(record.resource)
    if (!c || this.takenOut.has(record)) return
    for (let i = 0; i < c.indexes.length; i++) c.indexes[i]!.put(record)
    if (previousState !== record.state) {
      c.bump(record.tenant, previousState, -1)
      c.bump(record.tenant, record.state, 1)
    }
  }

  remove(resource: string, id: string): StoredRecord | undefined {
    const c = this.collections.get(resource)
    const record = c?.byId.get(id)
    if (!c || !record) return undefined
    c.byId.delete(id)
    for (let i = 0; i < c.indexes.length; i++) c.indexes[i]!.drop(record)
    this.takenOut.add(record)
    c.byTenant.get(record.tenant)?.drop(c)
    if (record.parentId !== undefined) c.byParent.get(parentKey(record.tenant, record.parentId))?.drop(c)
    c.bump(record.tenant, record.state, -1)
    record.version++
    return record
  }

  *list(resource: string, tenant: string, parentId?: string): Iterable<StoredRecord> {
    const c = this.collections.get(resource)
    if (!c) return
    const members = parentId === undefined ? c.byTenant.get(tenant) : c.byParent.get(parentKey(tenant, parentId))
    if (!members) return
    // The record's own tenant and parent are checked too: a list may still hold an old entry of a
    // record put back elsewhere.
    for (const r of members.live(c)) if (r.tenant === tenant && (parentId === undefined || r.parentId === parentId)) yield r
  }

  count(resource: string, tenant: string, states?: ReadonlySet<string>): number {
    const perTenant = this.collections.get(resource)?.counts.get(tenant)
    if (!perTenant) return 0
    let total = 0
    if (states) for (const s of states) total += perTenant.get(s) ?? 0
    else for (const n of perTenant.values()) total += n
    return total
  }

  number(resource: string, scope: string, taken?: number): number {
    const sequences = this.collection(resource).sequences
    const last = sequences.get(scope) ?? 0
    const n = taken ?? last + 1
    if (n > last) sequences.set(scope, n)
    return n
  }

  keyed(resource: string, index: KeyedIndex, key: string): Iterable<StoredRecord> {
    const c = this.collections.get(resource)
    if (!c) return []
    let keys = c.indexes.find((k) => k.def === index)
    if (!keys) {
      // Built once, the first time a collection is asked by this key; kept up to date from then on.
      keys = new KeyIndex(index)
      for (const record of c.byId.values()) keys.put(record)
      c.indexes.push(keys)
    }
    return keys.byKey.get(key) ?? []
  }

  size(resource?: string): number {
    if (resource) return this.collections.get(resource)?.byId.size ?? 0
    let n = 0
    for (const c of this.collections.values()) n += c.byId.size
    return n
  }

  resources(): string[] {
    return [...this.collections.keys()]
  }

  records(resource: string): Iterable<StoredRecord> {
    return this.collections.get(resource)?.byId.values() ?? []
  }

  sequences(resource: string): Iterable<[string, number]> {
    return this.collections.get(resource)?.sequences ?? []
  }

  clear(): void {
    for (const c of this.collections.values()) for (const record of c.byId.values()) this.takenOut.add(record)
    this.collections.clear()
  }
}

function membersOf(index: Map<string, Members>, key: string): Members {
  let members = index.get(key)
  if (!members) index.set(key, (members = new Members()))
  return members
}

function parentKey(tenant: string, parentId: string): string {
  return `${tenant}\u0000${parentId}`
}
