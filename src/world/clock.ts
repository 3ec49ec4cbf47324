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
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('a clock only moves forward')
    this.offset += ms
    return this.now()
  }

  /** Moves the clock to an instant; only forward, since state already moved past earlier ones. */
  set(epochMs: number): number {
    const delta = epochMs - this.now()
    if (delta < 0) throw new RangeError(`the clock is at ${new Date(this.now()).toISOString()} and cannot go back`)
    return this.advance(delta)
  }
}
