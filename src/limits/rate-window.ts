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

export class RateWindows {
  private readonly logs = new Map<string, number[]>()

  /** Checks and, when admitted, takes a slot; `release` gives it back. */
  take(key: string, now: number, limit: number, windowMs: number): { admitted: boolean; state: WindowState; release: () => void } {
    let log = this.logs.get(key)
    if (!log) this.logs.set(key, (log = []))
    while (log.length > 0 && log[0]! <= now - windowMs) log.shift()
    if (log.length >= limit) {
      const freeAt = log[log.length - limit]! + windowMs
      const retryAfter = Math.max(1, Math.ceil((freeAt - now) / 1000))
      return { admitted: false, state: { limit, remaining: 0, retryAfter, reset: Math.ceil(freeAt / 1000) }, release: () => {} }
    }
    log.push(now)
    const entry = log
    const remaining = limit - log.length
    const reset = Math.ceil(((log.length >= limit ? log[log.length - limit]! : log[0]!) + windowMs) / 1000)
    return {
      admitted: true,
      state: { limit, remaining, retryAfter: 0, reset },
      release: () => {
        const i = entry.lastIndexOf(now)
        if (i >= 0) entry.splice(i, 1)
      },
    }
  }

  clear(): void {
    this.logs.clear()
  }
}
