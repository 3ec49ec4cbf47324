import { describe, expect, it } from 'vitest'
import { MAX_ENTRIES, RateWindows } from '../src/limits/rate-window.ts'
import { seededRandom } from '../src/util/random.ts'

/** The sliding log as the spec of it reads: the admitted times of the last window, kept in a plain list. */
class Model {
  private times: number[] = []
  release(time: number) {
    const i = this.times.lastIndexOf(time)
    if (i !== -1) this.times.splice(i, 1)
  }
  take(now: number, limit: number, windowMs: number) {
    this.times = this.times.filter((t) => t > now - windowMs)
    if (this.times.length >= limit) {
      const freeAt = this.times[this.times.length - limit]! + windowMs
      return { admitted: false, remaining: 0, retryAfter: Math.max(1, Math.ceil((freeAt - now) / 1000)), reset: Math.ceil(freeAt / 1000) }
    }
    this.times.push(now)
    const n = this.times.length
    return { admitted: true, remaining: limit - n, retryAfter: 0, reset: Math.ceil(((n >= limit ? this.times[n - limit]! : this.times[0]!) + windowMs) / 1000) }
  }
}

describe('rate windows', () => {
  it('admit up to the limit in a window, then say when the oldest leaves it', () => {
    const rates = new RateWindows()
    const take = (now: number) => rates.take('l', 'k', now, 3, 1000)
    expect([0, 100, 200].map((t) => take(t).admitted)).toEqual([true, true, true])
    expect(take(300)).toMatchObject({ admitted: false, state: { remaining: 0, retryAfter: 1, reset: 1 } })
    expect(take(1000)).toMatchObject({ admitted: true, state: { remaining: 0 } })
    expect(take(1001).admitted).toBe(false)
    expect(take(1100)).toMatchObject({ admitted: true })
  })

  it('refuse everything at a limit of 0, saying to ask again after a window', () => {
    const rates = new RateWindows()
    expect(rates.take('l', 'k', 1500, 0, 60_000)).toMatchObject({ admitted: false, state: { limit: 0, remaining: 0, retryAfter: 60, reset: 62 } })
    expect(rates.take('l', 'k', 70_000, 0, 60_000)).toMatchObject({ admitted: false, state: { retryAfter: 60, reset: 130 } })
  })

  it('give a released slot back', () => {
    const rates = new RateWindows()
    rates.take('l', 'k', 0, 2, 1000)
    const second = rates.take('l', 'k', 10, 2, 1000)
    expect(rates.take('l', 'k', 20, 2, 1000).admitted).toBe(false)
    second.release()
    expect(rates.take('l', 'k', 30, 2, 1000)).toMatchObject({ admitted: true, state: { remaining: 0 } })
  })

  it.each([
    ['a small limit', 5, 2000],
    ['a limit the traffic reaches', 1500, 2000],
    ['a limit lifted out of reach', 1_000_000_000, 2000],
  ])('agree with the plain model over many windows of traffic: %s', (_, limit, windowMs) => {
    const rates = new RateWindows()
    const model = new Model()
    const random = seededRandom(7)
    let now = 1_700_000_000_000
    // 12,000 requests over a dozen windows, mostly a millisecond or two apart (thousands in a window,
    // so expired times pile up and are cut off), now and then a pause.
    for (let i = 0; i < 12_000; i++) {
      now += random() < 0.995 ? Math.floor(random() * 3) : Math.floor((random() * windowMs) / 2)
      const got = rates.take('l', 'k', now, limit, windowMs)
      const want = model.take(now, limit, windowMs)
      expect({ admitted: got.admitted, ...got.state }).toEqual({ ...want, limit })
      // A limit that counts successes gives a failed request's slot back, at once.
      if (got.admitted && random() < 0.2) {
        got.release()
        model.release(now)
      }
    }
  })

  it('keep a burst in one millisecond as one entry, and give back one of its slots', () => {
    const rates = new RateWindows()
    const burst = [0, 1, 2].map(() => rates.take('l', 'k', 5, 3, 1000))
    expect(rates.entries('l', 'k')).toBe(1)
    expect(rates.take('l', 'k', 6, 3, 1000)).toMatchObject({ admitted: false, state: { retryAfter: 1, reset: 2 } })
    burst[1]!.release()
    burst[1]!.release() // twice is once
    expect(rates.take('l', 'k', 7, 3, 1000)).toMatchObject({ admitted: true, state: { remaining: 0 } })
    expect(rates.take('l', 'k', 8, 3, 1000).admitted).toBe(false)
    expect(rates.take('l', 'k', 1005, 3, 1000)).toMatchObject({ admitted: true, state: { remaining: 1 } })
  })

  it.each([
    ['a limit lifted out of reach', 1_000_000_000],
    ['a limit the flood reaches', 150_000],
  ])('stay bounded under a flood, and never admit more than the limit: %s', (_, limit) => {
    // Several requests a millisecond for three minutes against a one-minute window: far more
    // milliseconds in a window than a log keeps entries.
    const windowMs = 60_000
    const traffic: number[] = []
    const random = seededRandom(11)
    let now = 1_700_000_000_000
    for (let i = 0; i < 600_000; i++) traffic.push((now += random() < 0.7 ? 0 : 1))

    // The same traffic through an exact sliding log (a plain queue of admitted times).
    const exactAdmitted = (() => {
      const times: number[] = []
      let head = 0
      let n = 0
      for (const t of traffic) {
        while (head < times.length && times[head]! <= t - windowMs) head++
        if (times.length - head < limit) { times.push(t); n++ }
      }
      return n
    })()

    const rates = new RateWindows()
    const admitted: number[] = []
    let head = 0
    let worst = { over: 0, roomOverstated: 0, entries: 0 }
    for (const t of traffic) {
      const got = rates.take('l', 'k', t, limit, windowMs)
      if (got.admitted) admitted.push(t)
      while (head < admitted.length && admitted[head]! <= t - windowMs) head++
      // What it admitted in the last minute, counted exactly: never over the limit, and the window
      // never says there is more room than there is.
      const exact = admitted.length - head
      worst = {
        over: Math.max(worst.over, exact - limit),
        roomOverstated: Math.max(worst.roomOverstated, got.state.remaining - (limit - exact)),
        entries: Math.max(worst.entries, rates.entries('l', 'k')),
      }
    }
    expect(worst.over).toBeLessThanOrEqual(0)
    expect(worst.roomOverstated).toBeLessThanOrEqual(0)
    expect(worst.entries).toBeLessThanOrEqual(MAX_ENTRIES)
    expect(worst.entries).toBeGreaterThan(MAX_ENTRIES / 2)
    if (limit < traffic.length) {
      // Coarsened, it refuses for a moment longer than an exact window would: not much longer.
      expect(exactAdmitted).toBeLessThan(traffic.length)
      expect(admitted.length).toBeLessThanOrEqual(exactAdmitted)
      expect(admitted.length).toBeGreaterThan(0.99 * exactAdmitted)
    } else expect(admitted.length).toBe(traffic.length)
  })

  it('forget keys with nothing left in their window: 100,000 ids once each keep no more than two windows\' worth', () => {
    const windows = new RateWindows()
    let most = 0
    // One new id every millisecond, a one-second window: at most ~1,000 ids are live at once.
    for (let i = 0; i < 100_000; i++) {
      expect(windows.take('per-record', `id_${i}`, i, 5, 1000).admitted).toBe(true)
      most = Math.max(most, windows.keys('per-record'))
    }
    expect(most).toBeLessThanOrEqual(2 * 1024 + 2)
  })

  it('still count a key seen again within its window after a sweep', () => {
    const windows = new RateWindows()
    for (let i = 0; i < 3000; i++) windows.take('s', `before_${i}`, i, 2, 1000)
    expect(windows.take('s', 'kept', 3000, 2, 1000).admitted).toBe(true)
    expect(windows.take('s', 'kept', 3001, 2, 1000).admitted).toBe(true)
    // Sweeps run among these (the key count doubles past 1,024): the early ids go, 'kept' stays.
    for (let i = 0; i < 900; i++) windows.take('s', `after_${i}`, 3002 + i, 2, 1000)
    expect(windows.keys('s')).toBeLessThan(3000)
    expect(windows.take('s', 'kept', 3950, 2, 1000).admitted).toBe(false)
  })
})
