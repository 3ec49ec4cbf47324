import { describe, expect, it } from 'vitest'
import { isoString } from '../src/util/iso.ts'
import { TimerQueue } from '../src/world/timers.ts'
import { seededRandom } from '../src/util/random.ts'

describe('iso(ms)', () => {
  const Y10000 = Date.UTC(10000, 0, 1)
  it.each([
    ['the epoch', 0],
    ['negative zero', -0],
    ['a leap day', Date.UTC(2024, 1, 29, 23, 59, 59, 999)],
    ['the day after a century without one', Date.UTC(2100, 2, 1)],
    ['a leap day of a 400th year', Date.UTC(2000, 1, 29, 12)],
    ['a fraction of a millisecond', Date.UTC(2026, 0, 1) + 0.75],
    ['the last millisecond of 9999', Y10000 - 1],
    ['year 10000 (six-digit years)', Y10000],
    ['before 1970', Date.UTC(1969, 11, 31, 23, 59, 59, 999)],
    ['a year before 0', Date.UTC(-1, 5, 1)],
  ])('writes %s as a Date does', (_, ms) => {
    expect(isoString(ms)).toBe(new Date(ms).toISOString())
  })

  it('writes 20,000 instants from 1970 to 9999 as a Date does, remembered or not', () => {
    const random = seededRandom(5)
    for (let i = 0; i < 20_000; i++) {
      const ms = Math.floor(random() * Date.UTC(10000, 0, 1))
      expect(isoString(ms)).toBe(new Date(ms).toISOString())
      expect(isoString(ms)).toBe(new Date(ms).toISOString())
    }
  })

  it('throws as a Date does beyond its range', () => {
    expect(() => isoString(8.64e15 + 1)).toThrow(RangeError)
  })
})

describe('timer queue', () => {
  it('runs entries due at the same time in the order they were scheduled', () => {
    const queue = new TimerQueue()
    const ran: string[] = []
    const task = { run: (subject: string, mark: number, at: number) => ran.push(`${subject}:${mark}@${at}`) }
    queue.schedule(20, task, 'a', 1)
    queue.schedule(10, () => ran.push('b@10'))
    queue.schedule(20, task, 'c', -1)
    queue.schedule(10, task, 'd', 0)
    queue.schedule(30, task, 'e', 2)
    expect(queue.runDue(20)).toBe(4)
    expect(ran).toEqual(['b@10', 'd:0@10', 'a:1@20', 'c:-1@20'])
    expect(queue.peek()).toBe(30)
  })

  it('runs what a running entry schedules in time order, before later entries it is due ahead of', () => {
    const queue = new TimerQueue()
    const ran: string[] = []
    queue.schedule(10, () => {
      ran.push('first@10')
      queue.schedule(5, () => ran.push('earlier@5'))
      queue.schedule(10, () => ran.push('same@10'))
      queue.schedule(40, () => ran.push('later@40'))
    })
    queue.schedule(10, () => ran.push('second@10'))
    queue.schedule(20, () => ran.push('third@20'))
    queue.runDue(30)
    expect(ran).toEqual(['first@10', 'earlier@5', 'second@10', 'same@10', 'third@20'])
    expect(queue.size).toBe(1)
  })

  it('runs entries in time order, then scheduling order, as a sorted list would — shared tasks in order or not, and functions', () => {
    const random = seededRandom(11)
    const queue = new TimerQueue()
    // The model: every pending entry in a list, run earliest first (time, then scheduling order).
    let pending: Array<{ at: number; seq: number; name: string }> = []
    let seq = 0
    const ran: string[] = []
    const expected: string[] = []
    const tasks = [0, 1, 2].map(() => ({ run: (subject: string, mark: number, at: number) => { ran.push(`${subject}/${mark}@${at}`) } }))
    let clock = 0
    for (let step = 0; step < 5000; step++) {
      // Mostly a fixed delay after now (in order, per task), sometimes any delay.
      const at = random() < 0.75 ? clock + 100 : clock + Math.floor(random() * 200)
      const name = `e${seq}`
      if (random() < 0.15) {
        queue.schedule(at, () => { ran.push(`${name}@fn`) })
        pending.push({ at, seq: seq++, name: `${name}@fn` })
      } else {
        const mark = Math.floor(random() * 5)
        queue.schedule(at, tasks[Math.floor(random() * tasks.length)]!, name, mark)
        pending.push({ at, seq: seq++, name: `${name}/${mark}@${at}` })
      }
      if (random() < 0.3) {
        clock += Math.floor(random() * 40)
        queue.runDue(clock)
        pending.sort((a, b) => a.at - b.at || a.seq - b.seq)
        const due = pending.filter((p) => p.at <= clock)
        pending = pending.filter((p) => p.at > clock)
        expected.push(...due.map((p) => p.name))
        expect(queue.peek()).toBe(pending.length > 0 ? pending[0]!.at : undefined)
      }
    }
    expect(ran).toEqual(expected)
    expect(ran.length).toBeGreaterThan(3000)
    expect(queue.size).toBe(pending.length)
  })
})
