/**
 * How long standin held a request, without the test waiting that long. A scenario's `delay` rule
 * holds a request on a real timer (setTimeout); here setTimeout and clearTimeout are faked while the
 * request is under way, and the fake time is moved on in steps until the answer comes. The test takes
 * no real time for the delay, and does not depend on the machine's speed; it learns the delay instead
 * (a lower bound: time moved on before the request reached the rule counts too).
 *
 * Real I/O goes on between steps (the fake clock yields to the real event loop), so the node:http
 * door works as the in-process ones do. Fake time moves only while a fake timer is pending.
 *
 * @example
 * const { answer, heldMs } = await held(() => fetch(`${base}/v1/sessions`, { method: 'POST' }))
 * expect(heldMs).toBeGreaterThanOrEqual(1500)
 */
import { vi } from 'vitest'
import { setImmediate } from 'node:timers/promises'

export async function held<T>(send: () => Promise<T>, { stepMs = 100, limitMs = 60_000 } = {}): Promise<{ answer: T; heldMs: number }> {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
  try {
    let settled = false
    const pending = send().finally(() => { settled = true })
    let heldMs = 0
    while (!settled) {
      if (heldMs > limitMs) throw new Error(`no answer within ${limitMs} ms of fake time`)
      if (vi.getTimerCount() === 0) {
        // Nothing to move on yet: the request is still on its way (a real turn of the event loop).
        await setImmediate()
        continue
      }
      await vi.advanceTimersByTimeAsync(stepMs)
      heldMs += stepMs
    }
    return { answer: await pending, heldMs }
  } finally {
    vi.useRealTimers()
  }
}
