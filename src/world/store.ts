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
  size(resource?: string): number
  resources(): string[]
  clear(): void
}

class Collection {
  readonly byId = new Map<string, StoredRecord>()
  /** A tenant's records (and a parent's), in the order they were put in: Sets of the records themselves, so a list needs no lookup by id. */
  readonly byTenant = new Map<string, Set<StoredRecord>>()
  readonly byParent = new Map<string, Set<StoredRecord>>()
  /** tenant -> state -> count ('' counts records without a lifecycle). */
  readonly counts = new Map<string, Map<string, number>>()

  bump(tenant: string, state: string | undefined, delta: number): void {
    let perTenant = this.counts.get(tenant)
    if (!perTenant) this.counts.set(tenant, (perTenant = new Map()))
    const key = state ?? ''
    perTenant.set(key, (perTenant.get(key) ?? 0) + delta)
  }
}

/**
 * Records taken out of a store (removed, replaced, cleared) and not put back: what a timer set on a
 * record asks before it runs, with no lookup in the map of every record. Weak, so nothing is kept
 * alive by it.
 */
const removedRecords = new WeakSet<StoredRecord>()

export class MemoryStore implements Store {
  private readonly collections = new Map<string, Collection>()

  private collection(resource: string): Collection {
    let c = this.collections.get(resource)
    if (!c) this.collections.set(resource, (c = new Collection()))
    return c
  }

  get(resource: string, id: string): StoredRecord | undefined {
    return this.collections.get(resource)?.byId.get(id)
  }

  holds(record: StoredRecord): boolean {
    // No lookup in a map of every record: those are the ones a removal marks.
    return !removedRecords.has(record)
  }

  insert(record: StoredRecord): void {
    const c = this.collection(record.resource)
    const existing = c.byId.get(record.id)
    if (existing) this.remove(record.resource, record.id)
    removedRecords.delete(record)
    c.byId.set(record.id, record)
    membersOf(c.byTenant, record.tenant).add(record)
    if (record.parentId !== undefined) membersOf(c.byParent, parentKey(record.tenant, record.parentId)).add(record)
    c.bump(record.tenant, record.state, 1)
  }

  update(record: StoredRecord, previousState: string | undefined): void {
    record.version++
    if (previousState !== record.state) {
      const c = this.collection(record.resource)
      c.bump(record.tenant, previousState, -1)
      c.bump(record.tenant, record.state, 1)
    }
  }

  remove(resource: string, id: string): StoredRecord | undefined {
    const c = this.collections.get(resource)
    const record = c?.byId.get(id)
    if (!c || !record) return undefined
    c.byId.delete(id)
    removedRecords.add(record)
    c.byTenant.get(record.tenant)?.delete(record)
    if (record.parentId !== undefined) c.byParent.get(parentKey(record.tenant, record.parentId))?.delete(record)
    c.bump(record.tenant, record.state, -1)
    record.version++
    return record
  }

  *list(resource: string, tenant: string, parentId?: string): Iterable<StoredRecord> {
    const c = this.collections.get(resource)
    if (!c) return
    const members = parentId === undefined ? c.byTenant.get(tenant) : c.byParent.get(parentKey(tenant, parentId))
    if (members) yield* members
  }

  count(resource: string, tenant: string, states?: ReadonlySet<string>): number {
    const perTenant = this.collections.get(resource)?.counts.get(tenant)
    if (!perTenant) return 0
    let total = 0
    if (states) for (const s of states) total += perTenant.get(s) ?? 0
    else for (const n of perTenant.values()) total += n
    return total
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

  clear(): void {
    for (const c of this.collections.values()) for (const record of c.byId.values()) removedRecords.add(record)
    this.collections.clear()
  }
}

function membersOf(index: Map<string, Set<StoredRecord>>, key: string): Set<StoredRecord> {
  let members = index.get(key)
  if (!members) index.set(key, (members = new Set()))
  return members
}

function parentKey(tenant: string, parentId: string): string {
  return `${tenant}\u0000${parentId}`
}
