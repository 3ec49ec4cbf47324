import { describe, expect, it } from 'vitest'
import { MemoryStore, type KeyedIndex, type StoredRecord } from '../src/world/store.ts'
import { seededRandom } from '../src/util/random.ts'

function rec(id: string, tenant: string, parentId?: string, state?: string): StoredRecord {
  return { id, resource: 'thing', tenant, parentId, data: { id }, state, transitions: 0, version: 0 }
}

/** The store as its interface reads: a list of records in the order they were put in. */
class Model {
  records: StoredRecord[] = []
  insert(r: StoredRecord) {
    this.records = this.records.filter((x) => x.id !== r.id)
    this.records.push(r)
  }
  remove(id: string) {
    this.records = this.records.filter((x) => x.id !== id)
  }
  list(tenant: string, parentId?: string) {
    return this.records.filter((r) => r.tenant === tenant && (parentId === undefined || r.parentId === parentId)).map((r) => r.id)
  }
}

describe('memory store', () => {
  it('lists a tenant\'s records oldest first, without removed ones', () => {
    const store = new MemoryStore()
    for (const id of ['a', 'b', 'c']) store.insert(rec(id, 't1'))
    store.insert(rec('x', 't2'))
    store.remove('thing', 'b')
    expect([...store.list('thing', 't1')].map((r) => r.id)).toEqual(['a', 'c'])
    expect([...store.list('thing', 't2')].map((r) => r.id)).toEqual(['x'])
    expect(store.size('thing')).toBe(3)
  })

  it('lists a record put back after its removal once, at the end', () => {
    const store = new MemoryStore()
    const a = rec('a', 't1')
    store.insert(a)
    store.insert(rec('b', 't1'))
    store.remove('thing', 'a')
    store.insert(a)
    expect([...store.list('thing', 't1')].map((r) => r.id)).toEqual(['b', 'a'])
    // Replaced by another record under the same id: the old one is gone from the list.
    store.insert(rec('b', 't1'))
    expect([...store.list('thing', 't1')].map((r) => r.id)).toEqual(['a', 'b'])
  })

  it('holds a record until it is removed, replaced or cleared away', () => {
    const store = new MemoryStore()
    const a = rec('a', 't1')
    const b = rec('b', 't1')
    store.insert(a)
    store.insert(b)
    expect([store.holds(a), store.holds(b)]).toEqual([true, true])
    store.remove('thing', 'a')
    expect(store.holds(a)).toBe(false)
    store.insert(a)
    expect(store.holds(a)).toBe(true)
    const b2 = rec('b', 't1')
    store.insert(b2)
    expect([store.holds(b), store.holds(b2)]).toEqual([false, true])
    store.clear()
    expect([store.holds(a), store.holds(b2)]).toEqual([false, false])
  })

  it('counts per tenant and state as records come, move and go', () => {
    const store = new MemoryStore()
    const a = rec('a', 't1', undefined, 'open')
    store.insert(a)
    store.insert(rec('b', 't1', undefined, 'open'))
    a.state = 'closed'
    store.update(a, 'open')
    expect(store.count('thing', 't1', new Set(['open']))).toBe(1)
    store.remove('thing', 'b')
    expect(store.count('thing', 't1', new Set(['open']))).toBe(0)
    expect(store.count('thing', 't1')).toBe(1)
  })

  it('agrees with a plain model through thousands of random inserts, removals and re-inserts', () => {
    const random = seededRandom(7)
    const store = new MemoryStore()
    const model = new Model()
    const removed: StoredRecord[] = []
    for (let step = 0; step < 20_000; step++) {
      const roll = random()
      if (roll < 0.5) {
        const r = rec(`r${Math.floor(random() * 3000)}`, `t${Math.floor(random() * 3)}`, random() < 0.5 ? 'p1' : 'p2')
        store.insert(r)
        model.insert(r)
      } else if (roll < 0.9 && model.records.length > 0) {
        const victim = model.records[Math.floor(random() * model.records.length)]!
        store.remove('thing', victim.id)
        model.remove(victim.id)
        removed.push(victim)
      } else if (removed.length > 0) {
        // The same object back in.
        const back = removed.splice(Math.floor(random() * removed.length), 1)[0]!
        store.insert(back)
        model.insert(back)
      }
      if (step % 500 === 0 || step === 19_999) {
        for (const t of ['t0', 't1', 't2']) {
          expect([...store.list('thing', t)].map((r) => r.id)).toEqual(model.list(t))
          expect([...store.list('thing', t, 'p1')].map((r) => r.id)).toEqual(model.list(t, 'p1'))
        }
        expect(store.size('thing')).toBe(model.records.length)
        for (const r of [...model.records.slice(0, 50), ...removed.slice(0, 50)]) expect(store.holds(r)).toBe(store.get('thing', r.id) === r)
      }
    }
  })

  it('finds records by key as they are inserted, changed, removed, put back and replaced', () => {
    const random = seededRandom(11)
    const store = new MemoryStore()
    const bySite: KeyedIndex = { keyOf: (r) => `${r.tenant}/${String(r.data.site)}` }
    const live = new Map<string, StoredRecord>()
    const removed: StoredRecord[] = []
    const site = () => `s${Math.floor(random() * 40)}`
    const check = () => {
      for (const t of ['t0', 't1']) {
        for (let s = 0; s < 40; s++) {
          const key = `${t}/s${s}`
          const expected = [...live.values()].filter((r) => bySite.keyOf(r) === key).map((r) => r.id).sort()
          expect([...store.keyed('thing', bySite, key)].map((r) => r.id).sort()).toEqual(expected)
        }
      }
    }
    for (let step = 0; step < 6_000; step++) {
      const roll = random()
      if (roll < 0.35) {
        const r = rec(`r${Math.floor(random() * 500)}`, random() < 0.5 ? 't0' : 't1')
        r.data.site = site()
        store.insert(r)
        live.set(r.id, r)
      } else if (roll < 0.65 && live.size > 0) {
        // A change the store is told of.
        const r = [...live.values()][Math.floor(random() * live.size)]!
        r.data.site = site()
        store.update(r, r.state)
      } else if (roll < 0.9 && live.size > 0) {
        const r = [...live.values()][Math.floor(random() * live.size)]!
        store.remove('thing', r.id)
        live.delete(r.id)
        removed.push(r)
      } else if (removed.length > 0) {
        const back = removed.splice(Math.floor(random() * removed.length), 1)[0]!
        if (live.has(back.id)) continue
        store.insert(back)
        live.set(back.id, back)
      }
      // The index is made on first use, part-way through, from the records then stored.
      if (step === 1_000 || (step > 1_000 && step % 250 === 0)) check()
    }
    check()
    // A removed record changed afterwards is not found, and does not come back by an update.
    const gone = removed.find((r) => !live.has(r.id))
    if (gone) {
      gone.data.site = 's0'
      store.update(gone, gone.state)
      expect([...store.keyed('thing', bySite, `${gone.tenant}/s0`)]).not.toContain(gone)
    }
  })
})
