/**
 * The run's tally: what every request of every world came to since start-up — counts by operation,
 * status and error code, and every violation — kept when a world is reset or deleted, so coverage and
 * the strict-mode report cover the whole run however a test suite makes and drops its worlds.
 */
import type { JournalEntry, Violation } from './journal.ts'

/** One outcome, counted: an operation (or none: the path matched nothing), a status, a code. */
export interface Outcome {
  operation?: string
  method: string
  /** The request path, for requests that matched no operation; absent otherwise. */
  path?: string
  status: number
  code?: string
  count: number
}

export interface RunViolation extends Violation {
  world: string
  requestId: string
  operation?: string
  method: string
  path: string
  status: number
}

export class RunTally {
  private readonly outcomes = new Map<string, Outcome>()
  private readonly found: RunViolation[] = []
  requests = 0
  /** Violations not kept because the list was full; counted, never silent. */
  droppedViolations = 0
  private readonly capacity: number

  constructor(capacity = 10_000) {
    this.capacity = capacity
  }

  record(entry: JournalEntry, world: string): void {
    this.requests++
    const path = entry.operation === undefined ? entry.path : undefined
    const key = `${entry.operation ?? ''}\u0000${entry.method}\u0000${path ?? ''}\u0000${entry.status}\u0000${entry.code ?? ''}`
    const outcome = this.outcomes.get(key)
    if (outcome) outcome.count++
    else this.outcomes.set(key, { operation: entry.operation, method: entry.method, ...(path !== undefined ? { path } : {}), status: entry.status, ...(entry.code ? { code: entry.code } : {}), count: 1 })
    for (const v of entry.violations) this.addViolation(entry, world, v)
  }

  /** A violation of an entry already counted (found after its answer went out). */
  addViolation(entry: JournalEntry, world: string, v: Violation): void {
    if (this.found.length >= this.capacity) { this.droppedViolations++; return }
    this.found.push({ ...v, world, requestId: entry.requestId, operation: entry.operation, method: entry.method, path: entry.path, status: entry.status })
  }

  all(): Outcome[] {
    return [...this.outcomes.values()].map((o) => ({ ...o }))
  }

  violations(side?: Violation['side']): RunViolation[] {
    return this.found.filter((v) => !side || v.side === side)
  }

  clear(): void {
    this.outcomes.clear()
    this.found.length = 0
    this.requests = 0
    this.droppedViolations = 0
  }
}
