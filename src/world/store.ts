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
  readonly byTenant = new Map<string, Set<string>>()
  readonly byParent = new Map<string, Set<string>>()
  /** tenant -> state -> count ('' counts records without a lifecycle). */
  readonly counts = new Map<string, Map<string, number>>()

  bump(tenant: string, state: string | undefined, delta: number): void {
    let perTenant = this.counts.get(tenant)
    if (!perTenant) this.counts.set(tenant, (perTenant = new Map()))
    const key = state ?? ''
    perTenant.set(key, (perTenant.get(key) ?? 0) + delta)
  }
}

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

  insert(record: StoredRecord): void {
    const c = this.collection(record.resource)
    const existing = c.byId.get(record.id)
    if (existing) this.remove(record.resource, record.id)
    c.byId.set(record.id, record)
    addTo(c.byTenant, record.tenant, record.id)
    if (record.parentId !== undefined) addTo(c.byParent, `${record.tenant}\u0000${record.parentId}`, record.id)
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
    c.byTenant.get(record.tenant)?.delete(id)
    if (record.parentId !== undefined) c.byParent.get(`${record.tenant}\u0000${record.parentId}`)?.delete(id)
    c.bump(record.tenant, record.state, -1)
    record.version++
    return record
  }

  *list(resource: string, tenant: string, parentId?: string): Iterable<StoredRecord> {
    const c = this.collections.get(resource)
    if (!c) return
    const ids = parentId === undefined ? c.byTenant.get(tenant) : c.byParent.get(`${tenant}\u0000${parentId}`)
    for (const id of ids ?? []) yield c.byId.get(id)!
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
    this.collections.clear()
  }
}

function addTo(index: Map<string, Set<string>>, key: string, id: string): void {
  let set = index.get(key)
  if (!set) index.set(key, (set = new Set()))
  set.add(id)
}
