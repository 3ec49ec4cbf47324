/**
 * Sliding-log rate windows: the times of the last `limit` admitted requests per key. A request is
 * admitted while fewer than `limit` fall inside the window; otherwise `Retry-After` is the whole
 * seconds until the oldest leaves it — so a retry at exactly that time succeeds.
 */
export interface WindowState {
  limit: number
  remaining: number
  /** Seconds until a request would be admitted again (0 when admitted now). */
  retryAfter: number
  /** Epoch seconds when the window has room again. */
  reset: number
}

/** One key's admitted times, oldest first, from `head` on: expiring them moves `head`, not the times. */
interface Log {
  times: number[]
  head: number
}

/** The outcome of asking a window for a slot. */
export interface Taken {
  admitted: boolean
  state: WindowState
  /** Gives an admitted slot back (a limit that counts only successes, on a failure). */
  release(): void
}

class Slot implements Taken {
  readonly admitted: boolean
  readonly state: WindowState
  private readonly log: Log | undefined
  private readonly time: number

  constructor(admitted: boolean, state: WindowState, log: Log | undefined, time: number) {
    this.admitted = admitted
    this.state = state
    this.log = log
    this.time = time
  }

  release(): void {
    const log = this.log
    if (!log) return
    const i = log.times.lastIndexOf(this.time)
    if (i >= log.head) log.times.splice(i, 1)
  }
}

export class RateWindows {
  /** Per limit, then per key (tenant, credential, record…): no key string built per request. */
  private readonly logs = new Map<string, Map<string, Log>>()

  /** Checks and, when admitted, takes a slot in the window of `key` under the limit `scope`. */
  take(scope: string, key: string, now: number, limit: number, windowMs: number): Taken {
    let logs = this.logs.get(scope)
    if (!logs) this.logs.set(scope, (logs = new Map()))
    let log = logs.get(key)
    if (!log) logs.set(key, (log = { times: [], head: 0 }))
    expire(log, now - windowMs)
    const times = log.times
    const count = times.length - log.head
    if (count >= limit) {
      const freeAt = times[times.length - limit]! + windowMs
      const retryAfter = Math.max(1, Math.ceil((freeAt - now) / 1000))
      return new Slot(false, { limit, remaining: 0, retryAfter, reset: Math.ceil(freeAt / 1000) }, undefined, now)
    }
    times.push(now)
    const remaining = limit - (count + 1)
    const reset = Math.ceil(((count + 1 >= limit ? times[times.length - limit]! : times[log.head]!) + windowMs) / 1000)
    return new Slot(true, { limit, remaining, retryAfter: 0, reset }, log, now)
  }

  clear(): void {
    this.logs.clear()
  }
}

/**
 * Drops the times at or before `cutoff`. Moving `head` costs nothing per request; the dropped times
 * are cut off in one go once they are half the array. (`shift()` on a large array moves every other
 * element: 24 µs a request at 100,000 times in the window, 108 µs at 600,000.)
 */
function expire(log: Log, cutoff: number): void {
  const times = log.times
  let head = log.head
  while (head < times.length && times[head]! <= cutoff) head++
  if (head === times.length) {
    log.times = []
    log.head = 0
  } else if (head > 1024 && head * 2 > times.length) {
    log.times = times.slice(head)
    log.head = 0
  } else log.head = head
}
