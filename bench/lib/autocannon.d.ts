// The part of autocannon's programmatic API the benchmarks use (it ships no types).
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events'
  interface Options {
    url: string
    method?: string
    headers?: Record<string, string>
    body?: string
    connections?: number
    duration?: number
    timeout?: number
    pipelining?: number
  }
  interface Result {
    duration: number
    errors: number
    timeouts: number
    non2xx: number
    requests: { total: number; sent: number; average: number }
    throughput: { total: number }
    statusCodeStats: Record<string, { count: number }>
  }
  interface Instance extends EventEmitter {
    stop(): void
  }
  function autocannon(options: Options, callback: (error: Error | null, result: Result) => void): Instance
  export default autocannon
}
