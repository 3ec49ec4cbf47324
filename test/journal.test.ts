import { describe, expect, it } from 'vitest'
import { Journal, type JournalEntry } from '../src/journal/journal.ts'

const entry = (i: number): Omit<JournalEntry, 'seq'> => ({
  at: i, requestId: `req_${i}`, method: 'GET', path: '/x', status: i % 2 === 0 ? 200 : 404, cause: 'state', violations: [], durationMs: 0,
})

describe('journal', () => {
  it.each([[3, 2], [3, 3], [3, 4], [3, 7], [3, 10], [1, 5]])('keeps the last %i of %i entries and counts the dropped ones', (capacity, added) => {
    const journal = new Journal(capacity)
    for (let i = 1; i <= added; i++) journal.add(entry(i))
    const kept = Math.min(capacity, added)
    expect(journal.all().map((e) => e.at)).toEqual(Array.from({ length: kept }, (_, k) => added - kept + 1 + k))
    expect(journal.query().map((e) => e.seq)).toEqual(journal.all().map((e) => e.seq))
    expect(journal.count({ status: 200 })).toBe(journal.all().filter((e) => e.status === 200).length)
    expect(journal.query({}, added - 1).map((e) => e.at)).toEqual(kept > 0 ? [added] : [])
    expect(journal.dropped).toBe(added - kept)
  })

  it('starts empty again after clear', () => {
    const journal = new Journal(2)
    for (let i = 1; i <= 5; i++) journal.add(entry(i))
    journal.clear()
    journal.add(entry(6))
    expect(journal.all().map((e) => e.at)).toEqual([6])
    expect(journal.dropped).toBe(0)
  })
})

describe('the run tally', () => {
  it('keeps unknown paths by name up to a bound, and counts the rest together', async () => {
    const { RunTally, UNMATCHED_PATHS, OTHER_PATHS } = await import('../src/journal/tally.ts')
    const tally = new RunTally()
    const entry = (path: string, operation?: string) => ({ seq: 0, at: 0, requestId: 'r', method: 'GET', path, operation, status: 404, code: 'not_found', cause: 'state', violations: [], durationMs: 0 }) as JournalEntry
    for (let i = 0; i < 20_000; i++) tally.record(entry(`/scan/${i}`), 'w')
    tally.record(entry('/v1/things', 'listThings'), 'w')
    const all = tally.all()
    expect(all.length).toBe(UNMATCHED_PATHS + 2)
    expect(all.find((o) => o.path === OTHER_PATHS)?.count).toBe(20_000 - UNMATCHED_PATHS)
    expect(all.find((o) => o.operation === 'listThings')?.count).toBe(1)
    expect(tally.requests).toBe(20_001)
  })
})
