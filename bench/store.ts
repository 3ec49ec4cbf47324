/**
 * The store behind a world: standin's MemoryStore against @msw/data's Collection, the obvious
 * off-the-shelf choice, at 1,000 and 100,000 records. Why src/world/store.ts is what it is.
 *
 *   node --expose-gc bench/store.ts
 *
 * For each store and size: the cost of reading a record by id, changing its state (what a lifecycle
 * timer or a transition does), and deleting and re-inserting it; and the heap the records take.
 * Ids are spread over the whole collection. Prints one JSON line.
 */
import { Collection } from '@msw/data'
import { MemoryStore, type StoredRecord } from '../src/world/store.ts'
import { sig } from './lib/stats.ts'

interface Session { id: string; tenant: string; state: string; data: Record<string, unknown> }

// @msw/data validates records through a Standard Schema; this one accepts every session as it is.
const schema = {
  '~standard': {
    version: 1 as const, vendor: 'standin-bench',
    validate: (value: unknown) => ({ value: value as Session }),
    types: undefined as unknown as { input: Session; output: Session },
  },
}

const SIZES = [1000, 100_000]
const ids = Array.from({ length: Math.max(...SIZES) }, (_, i) => session(i).id)
const id = (i: number) => ids[i]!

function session(i: number): Session {
  const id = `sess_${String(i).padStart(24, '0')}`
  return {
    id, tenant: 'ws_bench', state: i % 2 === 0 ? 'ready' : 'closed',
    data: { id, status: i % 2 === 0 ? 'ready' : 'closed', ttl: 3600, workspaceId: 'ws_bench', createdAt: '2026-01-01T00:00:00.000Z' },
  }
}

function stored(s: Session): StoredRecord {
  return { id: s.id, resource: 'session', tenant: s.tenant, data: s.data, state: s.state, transitions: 0, version: 0 }
}

function heapMB(): number {
  const gc = (globalThis as { gc?: () => void }).gc
  if (!gc) throw new Error('run with --expose-gc')
  gc(); gc()
  return process.memoryUsage().heapUsed / 2 ** 20
}

/** Microseconds per op: at least `minOps` ops, or as many as fit in `budgetMs`, whichever is more — capped at `maxOps`. */
async function cost(op: (i: number) => unknown, n: number, options = { minOps: 20, maxOps: 200_000, budgetMs: 300 }): Promise<{ us: number; ops: number }> {
  const t0 = performance.now()
  let ops = 0
  while (ops < options.maxOps && (ops < options.minOps || performance.now() - t0 < options.budgetMs)) {
    await op((ops * 7919) % n)
    ops++
  }
  return { us: sig(((performance.now() - t0) * 1000) / ops), ops }
}

async function memoryStore(n: number) {
  const before = heapMB()
  const store = new MemoryStore()
  for (let i = 0; i < n; i++) store.insert(stored(session(i)))
  const heap = heapMB() - before
  const get = await cost((i) => store.get('session', id(i)), n)
  const update = await cost((i) => {
    const r = store.get('session', id(i))!
    const previous = r.state
    r.state = r.state === 'ready' ? 'closed' : 'ready'
    store.update(r, previous)
  }, n)
  const remove = await cost((i) => {
    const r = store.remove('session', id(i))!
    store.insert(r)
  }, n)
  return { records: store.size('session'), heapMB: sig(heap), getUs: get.us, updateUs: update.us, deleteAndInsertUs: remove.us }
}

async function mswData(n: number) {
  const before = heapMB()
  const sessions = new Collection({ schema })
  for (let i = 0; i < n; i++) await sessions.create(session(i))
  const heap = heapMB() - before
  const get = await cost((i) => sessions.findFirst((q) => q.where({ id: id(i) })), n)
  const update = await cost((i) => sessions.update((q) => q.where({ id: id(i) }), { data(s) { s.state = s.state === 'ready' ? 'closed' : 'ready' } }), n)
  const remove = await cost(async (i) => {
    const r = sessions.delete((q) => q.where({ id: id(i) }))!
    await sessions.create({ ...r })
  }, n)
  return { records: sessions.count(), heapMB: sig(heap), getUs: get.us, updateUs: update.us, deleteAndInsertUs: remove.us, opsAtLargest: { get: get.ops, update: update.ops, deleteAndInsert: remove.ops } }
}

const result: Record<string, Record<string, object>> = { memoryStore: {}, mswData: {} }
for (const n of SIZES) result.memoryStore![n] = await memoryStore(n)
for (const n of SIZES) result.mswData![n] = await mswData(n)
console.log(JSON.stringify(result))
