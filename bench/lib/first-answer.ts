/**
 * Start-up as a client sees it: from spawning a server to the first answer of a real request, with
 * the process watched meanwhile — a server that exits or never answers is a result ("exited with
 * code 1", "did not answer within 180 s"), not a hang. Also one timed request, for operations asked
 * for the first time.
 */
import type { Child } from './processes.ts'

/** One request, as the benchmarks send it. */
export interface Probe {
  method: string
  path: string
  headers?: Record<string, string>
  body?: string
}

export interface Answer {
  status: number
  /** From sending the request to the last byte of the answer. */
  ms: number
  /** The answer's first bytes, for reports of 5xx. */
  snippet: string
}

/** Sends `probe` once and reads the whole answer; rejects when there is none (refused, reset, timed out). */
export async function send(base: string, probe: Probe, timeoutMs: number): Promise<Answer> {
  const t0 = performance.now()
  const res = await fetch(base + probe.path, {
    method: probe.method,
    headers: probe.headers,
    body: probe.body,
    signal: AbortSignal.timeout(Math.max(1, Math.ceil(timeoutMs))),
  })
  const text = await res.text()
  return { status: res.status, ms: performance.now() - t0, snippet: text.slice(0, 300) }
}

export type Started =
  | { ok: true; ms: number; answer: Answer }
  | { ok: false; ms: number; failure: string; output: string }

/**
 * Sends `probe` to `base` until an answer (any status) arrives, while `child` runs; `t0` is when
 * the child was spawned. A connection refused is retried every `everyMs`; once the server accepts,
 * the request waits as long as the time left.
 */
export async function firstAnswer(child: Child, base: string, probe: Probe, t0: number, timeoutMs: number, everyMs = 10): Promise<Started> {
  const deadline = t0 + timeoutMs
  let exit: string | undefined
  const onExit = (code: number | null, signal: string | null) => { exit = signal ? `exited on ${signal}` : `exited with code ${code}` }
  if (child.process.exitCode !== null || child.process.signalCode !== null) onExit(child.process.exitCode, child.process.signalCode)
  child.process.once('exit', onExit)
  try {
    for (;;) {
      if (exit) return { ok: false, ms: performance.now() - t0, failure: exit, output: child.output() }
      const left = deadline - performance.now()
      if (left <= 0) return { ok: false, ms: performance.now() - t0, failure: `did not answer within ${Math.round(timeoutMs / 1000)} s`, output: child.output() }
      try {
        const answer = await send(base, probe, left)
        return { ok: true, ms: performance.now() - t0, answer }
      } catch (error) {
        // fetch says "fetch failed" for the network (refused, reset) and names a timeout; anything
        // else is a request that cannot be sent at all, which no waiting will change.
        const message = (error as Error).message
        if (error instanceof TypeError && message !== 'fetch failed') {
          return { ok: false, ms: performance.now() - t0, failure: `request not sent: ${message}`, output: child.output() }
        }
        await new Promise((r) => setTimeout(r, everyMs))
      }
    }
  } finally {
    child.process.off('exit', onExit)
  }
}
