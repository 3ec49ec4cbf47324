/**
 * Driving a server with autocannon: a fixed number of connections for a fixed time, one request
 * shape. Latency percentiles are computed here from every response time autocannon reports (in
 * fractional milliseconds, whatever the status), not from its whole-millisecond histogram, which
 * also skips non-2xx responses — and the 429 workload is all non-2xx.
 */
import autocannon from 'autocannon'
import { readFileSync } from 'node:fs'
import { percentiles, Samples } from './stats.ts'

export interface RequestShape {
  method: 'GET' | 'POST'
  path: string
  headers: Record<string, string>
  body?: string
  /** The status every response should have; others are counted as unexpected. */
  expect: number
}

export interface LoadResult {
  requests: number
  seconds: number
  rps: number
  /** Milliseconds. */
  p50: number
  p99: number
  /** Mean bytes per response (headers and body), to compare what each server sends. */
  bytesPerResponse: number
  statuses: Record<string, number>
  /** Responses with another status than expected, plus connection errors and timeouts. */
  unexpected: number
  errors: number
  /** CPU time the server process spent per request (user + system), where /proc tells; less noisy than requests/s on a shared machine. */
  serverCpuUs?: number
}

const TICK_US = 1e6 / 100 // USER_HZ is 100 on Linux

/** User + system CPU of a process so far, in µs, from /proc/<pid>/stat (Linux); undefined elsewhere. */
export function cpuOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) * TICK_US
  } catch {
    return undefined
  }
}

export function drive(base: string, shape: RequestShape, options: { connections: number; seconds: number; pid?: number }): Promise<LoadResult> {
  const cpuBefore = cpuOf(options.pid)
  return new Promise((resolve, reject) => {
    const times = new Samples()
    const statuses: Record<string, number> = {}
    let bytes = 0
    const instance = autocannon({
      url: base + shape.path,
      method: shape.method,
      headers: shape.headers,
      body: shape.body,
      connections: options.connections,
      duration: options.seconds,
      timeout: 10,
    }, (error, result) => {
      if (error) return reject(error)
      const requests = times.length
      const [p50, p99] = percentiles(times.values(), [50, 99])
      const unexpected = requests - (statuses[String(shape.expect)] ?? 0) + result.errors + result.timeouts
      resolve({
        requests,
        seconds: result.duration,
        rps: requests / result.duration,
        p50: p50!,
        p99: p99!,
        bytesPerResponse: requests > 0 ? bytes / requests : 0,
        statuses,
        unexpected,
        errors: result.errors + result.timeouts,
        serverCpuUs: cpuBefore === undefined || requests === 0 ? undefined : ((cpuOf(options.pid) ?? NaN) - cpuBefore) / requests,
      })
    })
    instance.on('response', (_client: unknown, status: number, size: number, ms: number) => {
      times.push(ms)
      statuses[status] = (statuses[status] ?? 0) + 1
      bytes += size
    })
  })
}
