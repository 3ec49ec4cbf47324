/**
 * A world's journal: one entry per request — what was asked, which operation, what came of it — so a
 * test can assert on traffic and coverage can tell which error paths a client reached.
 */
export interface Violation {
  /** `request`: the client broke the contract; `response`: standin did (a bug). */
  side: 'request' | 'response'
  /** Where: `body`, `query`, `path`, `header`, `status`, `content-type`. */
  location: string
  pointer: string
  message: string
}

export interface JournalEntry {
  seq: number
  /** World clock, epoch ms. */
  at: number
  requestId: string
  method: string
  path: string
  operation?: string
  tenant?: string
  status: number
  /** The catalogue error code, for errors. */
  code?: string
  /** How the outcome came about: natural state, a scenario rule, a one-off trigger. */
  cause: 'state' | 'rule' | 'trigger' | 'control'
  rule?: number
  violations: Violation[]
  durationMs: number
  /** For a streamed answer: how many events went out and how it ended (noted when it ends). */
  stream?: { events: number; outcome: string; code?: string }
}

export type JournalQuery = Partial<Pick<JournalEntry, 'operation' | 'status' | 'code' | 'tenant' | 'method' | 'cause'>>

export class Journal {
  private entries: JournalEntry[] = []
  private seq = 0
  /** Entries dropped because the journal was full; reported, never silent. */
  dropped = 0

  private readonly capacity: number
  constructor(capacity = 100_000) {
    this.capacity = capacity
  }

  add(entry: Omit<JournalEntry, 'seq'>): JournalEntry {
    const full = { seq: ++this.seq, ...entry }
    this.entries.push(full)
    if (this.entries.length > this.capacity) {
      const excess = this.entries.length - this.capacity
      this.entries.splice(0, excess)
      this.dropped += excess
    }
    return full
  }

  query(filter: JournalQuery = {}, since = 0): JournalEntry[] {
    const keys = Object.entries(filter).filter(([, v]) => v !== undefined)
    return this.entries.filter((e) => e.seq > since && keys.every(([k, v]) => String((e as any)[k]) === String(v)))
  }

  count(filter: JournalQuery = {}): number {
    return this.query(filter).length
  }

  all(): readonly JournalEntry[] {
    return this.entries
  }

  clear(): void {
    this.entries = []
    this.dropped = 0
  }
}
