/**
 * Sliding-log rate windows: the times of the requests admitted in the last window, per key. A request
 * is admitted while fewer than `limit` fall inside the window; otherwise `Retry-After` is the whole
 * seconds until enough have left it — so a retry at exactly that time succeeds.
 *
 * A log keeps each time once, with how many requests were admitted at it (a burst in one millisecond
 * is one entry), so a key's log holds at most one entry per millisecond of its window, and never more
 * than `limit` requests' worth. A log past `MAX_ENTRIES` — only a limit lifted far out of reach,
 * under heavy traffic — is coarsened: neighbouring entries are merged into the later one's time. A
 * merged time leaves the window a little late (by at most the gap it closed), never early: a window
 * so coarsened may refuse a request for a moment longer than an exact one would, and never admits one
 * more than its limit. Below that size every answer is exact.
 */
export interface WindowState {
  limit: number
  remaining: number
  /** Seconds until a request would be admitted again (0 when admitted now). */
  retryAfter: number
  /** Epoch seconds when the window has room again. */
  reset: number
}

/** Entries a key's log keeps before it is coarsened (16 bytes each). */
export const MAX_ENTRIES = 16_384

/**
 * One key's admitted times, oldest first, from `head` on (expiring them moves `head`, not the
 * times), each with how many requests were admitted at it; `total` is their sum.
 */
interface Log {
  times: number[]
  counts: number[]
  head: number
  total: number
  /** Entries have been merged: a time may stand for requests admitted a little before it. */
  coarse: boolean
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
  private log: Log | undefined
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
    this.log = undefined
    // The entry holding this request: its own time, or (merged) the first time after it.
    const { times, counts } = log
    let i = times.length - 1
    while (i > log.head && times[i - 1]! >= this.time) i--
    if (i < log.head || times[i]! < this.time || (!log.coarse && times[i] !== this.time)) return
    log.total--
    if (--counts[i]! === 0) {
      times.splice(i, 1)
      counts.splice(i, 1)
    }
  }
}

/** Below this many keys a limit's logs are never swept. */
const SWEEP_FROM = 1024

export class RateWindows {
  /** Per limit, then per key (tenant, credential, record…): no key string built per request. */
  private readonly logs = new Map<string, Map<string, Log>>()

  /** Checks and, when admitted, takes a slot in the window of `key` under the limit `scope`. */
  take(scope: string, key: string, now: number, limit: number, windowMs: number): Taken {
    let logs = this.logs.get(scope)
    if (!logs) this.logs.set(scope, (logs = new Map()))
    let log = logs.get(key)
    if (!log) {
      if (logs.size >= (this.sweepAt.get(scope) ?? SWEEP_FROM)) this.sweep(scope, logs, now - windowMs)
      logs.set(key, (log = { times: [], counts: [], head: 0, total: 0, coarse: false }))
    }
    expire(log, now - windowMs)
    const count = log.total
    if (count >= limit) {
      // A limit of 0 (a scenario shutting a door) never frees a slot: ask again after a window.
      const freeAt = limit >= 1 ? timeOf(log, limit) + windowMs : now + windowMs
      const retryAfter = Math.max(1, Math.ceil((freeAt - now) / 1000))
      return new Slot(false, { limit, remaining: 0, retryAfter, reset: Math.ceil(freeAt / 1000) }, undefined, now)
    }
    const { times, counts } = log
    const last = times.length - 1
    if (last >= log.head && times[last] === now) counts[last]!++
    else {
      times.push(now)
      counts.push(1)
      if (times.length - log.head > MAX_ENTRIES) coarsen(log)
    }
    log.total++
    const remaining = limit - (count + 1)
    // When the window has room again: now, unless this request filled it.
    const reset = Math.ceil(((count + 1 >= limit ? timeOf(log, limit) : times[log.head]!) + windowMs) / 1000)
    return new Slot(true, { limit, remaining, retryAfter: 0, reset }, log, now)
  }

  /**
   * The window of `key` as it stands, taking nothing: for the headers of an answer that never
   * reached the limit (refused earlier, or forced).
   */
  peek(scope: string, key: string, now: number, limit: number, windowMs: number): WindowState {
    const log = this.logs.get(scope)?.get(key)
    if (log) expire(log, now - windowMs)
    const count = log?.total ?? 0
    if (count >= limit) {
      const freeAt = limit >= 1 ? timeOf(log!, limit) + windowMs : now + windowMs
      return { limit, remaining: 0, retryAfter: Math.max(1, Math.ceil((freeAt - now) / 1000)), reset: Math.ceil(freeAt / 1000) }
    }
    const oldest = log && count > 0 ? log.times[log.head]! : now
    return { limit, remaining: limit - count, retryAfter: 0, reset: Math.ceil((oldest + windowMs) / 1000) }
  }

  /** Per limit, the number of keys at which its logs are next swept. */
  private readonly sweepAt = new Map<string, number>()

  /**
   * Forgets the keys with nothing left in their window: a key is kept only while it has requests
   * to count (a client calling endless ids of its own, each once, leaves nothing behind). Run when
   * the number of keys has doubled since the last sweep, so its cost per request stays constant.
   */
  private sweep(scope: string, logs: Map<string, Log>, cutoff: number): void {
    for (const [key, log] of logs) {
      expire(log, cutoff)
      if (log.total === 0) logs.delete(key)
    }
    this.sweepAt.set(scope, Math.max(SWEEP_FROM, logs.size * 2))
  }

  /** How many keys the logs of a limit hold (for tests: the memory they take). */
  keys(scope: string): number {
    return this.logs.get(scope)?.size ?? 0
  }

  /** How many entries the log of `key` under `scope` keeps (for tests: the memory it takes). */
  entries(scope: string, key: string): number {
    const log = this.logs.get(scope)?.get(key)
    return log ? log.times.length - log.head : 0
  }

  /**
   * Takes over another's windows (a world carried over to a reloaded spec, `--watch`): each take
   * still counts with the limit and window it is given then, so a changed limit applies at once.
   */
  continueFrom(other: RateWindows): void {
    this.clear()
    for (const [scope, logs] of other.logs) this.logs.set(scope, logs)
    for (const [scope, at] of other.sweepAt) this.sweepAt.set(scope, at)
  }

  clear(): void {
    this.logs.clear()
    this.sweepAt.clear()
  }
}

/**
 * The time of the `n`-th newest admitted request: once it leaves the window, fewer than `n` are in
 * it. Found from the oldest end: `n` is the limit, and the log's total is at least `n` when this is
 * asked and, but for a limit lowered since, no more — so it is the oldest entry, or one just after.
 */
function timeOf(log: Log, n: number): number {
  const { times, counts } = log
  let drop = log.total - n + 1
  let i = log.head
  while ((drop -= counts[i]!) > 0) i++
  return times[i]!
}

/**
 * Drops the times at or before `cutoff`. Moving `head` costs nothing per request; the dropped times
 * are cut off in one go once they are half the array. (`shift()` on a large array moves every other
 * element: 24 µs a request at 100,000 times in the window, 108 µs at 600,000.)
 */
function expire(log: Log, cutoff: number): void {
  const { times, counts } = log
  let head = log.head
  while (head < times.length && times[head]! <= cutoff) log.total -= counts[head++]!
  if (head === times.length) {
    log.times = []
    log.counts = []
    log.head = 0
    log.total = 0
    log.coarse = false
  } else if (head > 1024 && head * 2 > times.length) {
    log.times = times.slice(head)
    log.counts = counts.slice(head)
    log.head = 0
  } else log.head = head
}

/** Halves the log: each pair of neighbouring entries becomes one, at the later time. */
function coarsen(log: Log): void {
  const { times, counts, head } = log
  const merged: number[] = []
  const mergedCounts: number[] = []
  let i = head
  for (; i + 1 < times.length; i += 2) {
    merged.push(times[i + 1]!)
    mergedCounts.push(counts[i]! + counts[i + 1]!)
  }
  if (i < times.length) {
    merged.push(times[i]!)
    mergedCounts.push(counts[i]!)
  }
  log.times = merged
  log.counts = mergedCounts
  log.head = 0
  log.coarse = true
}
