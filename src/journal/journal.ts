/**
 * A world's journal: one entry per request — what was asked, which operation, what came of it — so a
 * test can assert on traffic and coverage can tell which error paths a client reached.
 */
export interface Violation {
  /**
   * `request`: the client broke the contract; `response`: standin did (a bug); `provider`: a
   * proxied answer of the real API broke its own spec (`--proxy`).
   */
  side: 'request' | 'response' | 'provider'
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
  cause: 'state' | 'rule' | 'trigger' | 'control' | 'proxy'
  rule?: number
  violations: Violation[]
  /**
   * A finding for the client team's review, not a violation (not standin's bug, not the client's):
   * `forced-undeclared`, a status a rule or trigger forced that the operation does not declare.
   */
  finding?: { kind: 'forced-undeclared' | 'undeclared-not-found'; message: string }
  durationMs: number
  /** For a streamed answer: how many events went out and how it ended (noted when it ends). */
  stream?: { events: number; outcome: string; code?: string; status?: number }
  /** Which version of the spec, overlays and scenarios answered (`standin serve --watch` numbers each reload). */
  version?: number
}

export type JournalQuery = Partial<Pick<JournalEntry, 'operation' | 'status' | 'code' | 'tenant' | 'method' | 'cause'>>

export class Journal {
  /** Entries before `start` are dropped; they are cut off in batches, so adding stays O(1). */
  private entries: JournalEntry[] = []
  private start = 0
  private seq = 0
  /** Entries dropped because the journal was full; reported, never silent. */
  dropped = 0

  private readonly capacity: number
  constructor(capacity = 100_000) {
    this.capacity = capacity
  }

  /** Adds an entry, numbering it: its `seq` is set here, on the object given. */
  add(entry: Omit<JournalEntry, 'seq'> & { seq?: number }): JournalEntry {
    const full = entry as JournalEntry
    full.seq = ++this.seq
    this.entries.push(full)
    if (this.entries.length - this.start > this.capacity) {
      this.start++
      this.dropped++
      // Cutting one entry off the front of a full journal would move all the others on every request.
      if (this.start >= this.capacity) this.compact()
    }
    return full
  }

  query(filter: JournalQuery = {}, since = 0): JournalEntry[] {
    const keys = Object.entries(filter).filter(([, v]) => v !== undefined)
    const out: JournalEntry[] = []
    for (let i = this.start; i < this.entries.length; i++) {
      const e = this.entries[i]!
      if (e.seq > since && keys.every(([k, v]) => String((e as any)[k]) === String(v))) out.push(e)
    }
    return out
  }

  count(filter: JournalQuery = {}): number {
    return this.query(filter).length
  }

  all(): readonly JournalEntry[] {
    this.compact()
    return this.entries
  }

  /**
   * Takes over another journal's entries and numbering (a world carried over to a reloaded spec):
   * entries keep their `seq`, and new ones follow on.
   */
  continueFrom(other: Journal): void {
    this.entries = other.all().slice()
    this.start = 0
    this.seq = other.seq
    this.dropped = other.dropped
  }

  clear(): void {
    this.entries = []
    this.start = 0
    this.dropped = 0
  }

  private compact(): void {
    if (this.start === 0) return
    this.entries = this.entries.slice(this.start)
    this.start = 0
  }
}
