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

/** How many distinct paths that match no operation are counted by name; the rest under OTHER_PATHS. */
export const UNMATCHED_PATHS = 1000
export const OTHER_PATHS = '(other paths that match no operation)'

export class RunTally {
  /** By operation (or method and path, for requests that matched none), then status, then code. */
  private readonly outcomes = new Map<string, Map<number, Map<string, Outcome>>>()
  private readonly found: RunViolation[] = []
  /**
   * Findings (statuses forced that the operation does not declare), by operation and status: for the
   * client team's review, never counted as violations.
   */
  readonly findings = new Map<string, { operation?: string; method: string; status: number; kind: string; count: number }>()
  requests = 0
  /** Violations not kept because the list was full; counted, never silent. */
  droppedViolations = 0
  private readonly capacity: number
  /** Distinct paths that matched no operation, kept by name. */
  private unmatchedPaths = 0

  constructor(capacity = 10_000) {
    this.capacity = capacity
  }

  record(entry: JournalEntry, world: string): void {
    this.requests++
    let path = entry.operation === undefined ? entry.path : undefined
    // Nested maps on strings the model already holds: no key is built per request.
    let first = entry.operation ?? `\u0000${entry.method}\u0000${path}`
    let byStatus = this.outcomes.get(first)
    if (!byStatus && path !== undefined && this.unmatchedPaths >= UNMATCHED_PATHS) {
      // A client (or a scanner) that calls endless paths of its own: the first ones are kept by
      // name, the rest counted together, so the tally does not grow with every path ever sent.
      path = OTHER_PATHS
      first = `\u0000${entry.method}\u0000${OTHER_PATHS}`
      byStatus = this.outcomes.get(first)
    }
    if (!byStatus) {
      this.outcomes.set(first, (byStatus = new Map()))
      if (path !== undefined && path !== OTHER_PATHS) this.unmatchedPaths++
    }
    let byCode = byStatus.get(entry.status)
    if (!byCode) byStatus.set(entry.status, (byCode = new Map()))
    const outcome = byCode.get(entry.code ?? '')
    if (outcome) outcome.count++
    else byCode.set(entry.code ?? '', { operation: entry.operation, method: entry.method, ...(path !== undefined ? { path } : {}), status: entry.status, ...(entry.code ? { code: entry.code } : {}), count: 1 })
    for (const v of entry.violations) this.addViolation(entry, world, v)
    if (entry.finding) {
      const key = `${entry.finding.kind} ${entry.operation ?? entry.method} ${entry.status}`
      const seen = this.findings.get(key)
      if (seen) seen.count++
      else if (this.findings.size < this.capacity) this.findings.set(key, { operation: entry.operation, method: entry.method, status: entry.status, kind: entry.finding.kind, count: 1 })
    }
  }

  /**
   * An entry counted before its stream ended, whose code the stream set since (a client that left:
   * STREAM_ABORTED; an error event): counted again under its code, as the journal has it.
   */
  recode(entry: JournalEntry, counted: string | undefined): void {
    if (entry.operation === undefined || entry.code === counted) return
    const byCode = this.outcomes.get(entry.operation)?.get(entry.status)
    const before = byCode?.get(counted ?? '')
    if (!byCode || !before) return
    if (--before.count === 0) byCode.delete(counted ?? '')
    const after = byCode.get(entry.code ?? '')
    if (after) after.count++
    else byCode.set(entry.code ?? '', { operation: entry.operation, method: entry.method, status: entry.status, ...(entry.code ? { code: entry.code } : {}), count: 1 })
  }

  /** A violation of an entry already counted (found after its answer went out). */
  addViolation(entry: JournalEntry, world: string, v: Violation): void {
    if (this.found.length >= this.capacity) { this.droppedViolations++; return }
    this.found.push({ ...v, world, requestId: entry.requestId, operation: entry.operation, method: entry.method, path: entry.path, status: entry.status })
  }

  all(): Outcome[] {
    const all: Outcome[] = []
    for (const byStatus of this.outcomes.values()) for (const byCode of byStatus.values()) for (const o of byCode.values()) all.push({ ...o })
    return all
  }

  violations(side?: Violation['side']): RunViolation[] {
    return this.found.filter((v) => !side || v.side === side)
  }

  clear(): void {
    this.outcomes.clear()
    this.unmatchedPaths = 0
    this.found.length = 0
    this.findings.clear()
    this.requests = 0
    this.droppedViolations = 0
  }
}
