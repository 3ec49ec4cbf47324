import { describe, expect, it } from 'vitest'
import { RateWindows } from '../src/limits/rate-window.ts'
import { seededRandom } from '../src/util/random.ts'

/** The sliding log as the spec of it reads: the admitted times of the last window, kept in a plain list. */
class Model {
  private times: number[] = []
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
    }
  })
})
