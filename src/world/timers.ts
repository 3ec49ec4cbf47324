/**
 * Due-time queue (a binary min-heap) for what happens on a world's clock: lifecycle timers,
 * retention. Work is done when the clock is read by a request or moved by a test, never by polling.
 */
/** What runs when a timer is due: a function, or an object with a `run` method (cheaper to keep by the thousand than a closure). */
export type Runnable = (() => void) | { run(): void }

export interface Due {
  at: number
  seq: number
  run: Runnable
}

export class TimerQueue {
  private heap: Due[] = []
  private seq = 0

  get size(): number {
    return this.heap.length
  }

  schedule(at: number, run: Runnable): void {
    const item = { at, seq: this.seq++, run }
    const h = this.heap
    h.push(item)
    let i = h.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(h[i]!, h[parent]!)) break
      ;[h[i], h[parent]] = [h[parent]!, h[i]!]
      i = parent
    }
  }

  /** Runs everything due at or before `now`, in time order. */
  runDue(now: number): number {
    let ran = 0
    while (this.heap.length > 0 && this.heap[0]!.at <= now) {
      const { run } = this.pop()
      if (typeof run === 'function') run()
      else run.run()
      ran++
    }
    return ran
  }

  clear(): void {
    this.heap = []
  }

  /** The next due time, if any. */
  peek(): number | undefined {
    return this.heap[0]?.at
  }

  private pop(): Due {
    const h = this.heap
    const top = h[0]!
    const last = h.pop()!
    if (h.length > 0) {
      h[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < h.length && before(h[l]!, h[m]!)) m = l
        if (r < h.length && before(h[r]!, h[m]!)) m = r
        if (m === i) break
        ;[h[i], h[m]] = [h[m]!, h[i]!]
        i = m
      }
    }
    return top
  }
}

function before(a: Due, b: Due): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq)
}
