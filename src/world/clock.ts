/**
 * A world's clock. `real` follows the wall clock (plus whatever it was advanced by); `manual` stands
 * still until advanced or set. Lifecycles, rate windows, key expiry and retention all read it, so a
 * test of a 30-minute TTL takes milliseconds.
 *
 * @example
 * const clock = new Clock({ mode: 'manual', start: Date.parse('2026-01-01T00:00:00Z') })
 * clock.advance(31 * 60_000)
 */
export type ClockMode = 'real' | 'manual'

export interface ClockOptions {
  mode?: ClockMode
  /** Epoch milliseconds the clock starts at (default: the wall clock at creation). */
  start?: number
  /** Where wall time comes from; passed in so nothing patches globals. */
  wall?: () => number
}

/**
 * The latest instant a clock reaches: the end of year 9999. Dates past it have no four-digit ISO
 * form (`+275760-09-13T…`), and ECMAScript dates end at ±8.64e15 ms: a clock moved there could not be
 * written into a record, a header or the world list, so a move past it is refused before anything moves.
 */
export const LATEST_INSTANT = Date.UTC(9999, 11, 31, 23, 59, 59, 999)

/** Why a move to `ms` from `now` cannot be made, or undefined when it can. */
export function clockMoveProblem(now: number, ms: number): string | undefined {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return 'a clock moves by a finite number of milliseconds'
  if (ms < 0) return `the clock is at ${new Date(now).toISOString()} and cannot go back`
  if (now + ms > LATEST_INSTANT) return `the clock is at ${new Date(now).toISOString()} and cannot move past ${new Date(LATEST_INSTANT).toISOString()}`
  return undefined
}

export class Clock {
  readonly mode: ClockMode
  private readonly wall: () => number
  private base: number
  private offset = 0

  constructor(options: ClockOptions = {}) {
    this.mode = options.mode ?? 'manual'
    this.wall = options.wall ?? Date.now
    this.base = options.start ?? this.wall()
    if (this.mode === 'real') this.offset = this.base - this.wall()
  }

  /** Epoch milliseconds. */
  now(): number {
    return this.mode === 'real' ? this.wall() + this.offset : this.base + this.offset
  }

  advance(ms: number): number {
    const problem = clockMoveProblem(this.now(), ms)
    if (problem) throw new RangeError(problem)
    this.offset += ms
    return this.now()
  }

  /** Moves the clock to an instant; only forward, since state already moved past earlier ones. */
  set(epochMs: number): number {
    return this.advance(epochMs - this.now())
  }
}
