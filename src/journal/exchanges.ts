/**
 * The last requests as they went over the wire — headers and bodies both ways — and a feed of every
 * journal entry as it is made: what the dashboard shows when a journal row is opened, and what its
 * live journal listens to. Off (capacity 0) unless the door asks for it (`standin serve` does): the
 * journal keeps what a test asserts on, this keeps what a person reads, and only the last few.
 *
 * Keeping one costs a request little: what the request path already made is kept as it is (the
 * headers object, the body's text, the answer's header list and text) and shaped for reading only
 * when someone asks. A body over BODY_LIMIT is cut, into a string of its own, so 500 large answers
 * cannot hold their whole text.
 */
import type { JournalEntry } from './journal.ts'

export interface ExchangeSide {
  headers: Record<string, string>
  /** The body as text, cut at BODY_LIMIT characters; absent when there was none. */
  body?: string
  /** The body was longer than BODY_LIMIT and is cut. */
  truncated?: boolean
}

/** One request and its answer, as the control API gives them. */
export interface Exchange {
  world: string
  requestId: string
  seq: number
  request: ExchangeSide & { method: string; path: string; search: string }
  /** Absent when the connection was dropped (a fault). A streamed body is not kept (`stream: true`). */
  response?: ExchangeSide & { status: number; stream?: boolean }
}

/** What the request path hands over: its own objects, not copies. */
export interface RawExchange {
  world: string
  entry: JournalEntry
  method: string
  path: string
  search: string
  headers: Record<string, string | undefined>
  body?: string
  /** Absent when the connection was dropped. */
  response?: { status: number; headers: ReadonlyArray<readonly [string, string]>; body: string | null; stream?: boolean }
}

/** A journal entry as the feed gives it: with its world. */
export type FeedEntry = JournalEntry & { world: string }

/** What a listener of the feed hears: a new entry, or a world made, changed or deleted. */
export type FeedEvent = { kind: 'entry'; entry: FeedEntry } | { kind: 'world'; world: string; change: 'changed' | 'deleted' }

export const BODY_LIMIT = 64 * 1024

export class Exchanges {
  /** How many exchanges are kept (0: none; the feed still runs for its listeners). */
  capacity: number
  /** By world and request id, oldest first (a Map iterates in insertion order). */
  private readonly kept = new Map<string, RawExchange>()
  private readonly listeners = new Set<(event: FeedEvent) => void>()

  constructor(capacity = 0) {
    this.capacity = capacity
  }

  /** Anything to do for a request: an exchange to keep or someone listening. */
  get wanted(): boolean {
    return this.capacity > 0 || this.listeners.size > 0
  }

  add(raw: RawExchange): void {
    if (this.capacity > 0) {
      if (raw.body !== undefined && raw.body.length > BODY_LIMIT) raw.body = cut(raw.body)
      if (raw.response?.body && raw.response.body.length > BODY_LIMIT) raw.response.body = cut(raw.response.body)
      this.kept.set(keyOf(raw.world, raw.entry.requestId), raw)
      while (this.kept.size > this.capacity) this.kept.delete(this.kept.keys().next().value!)
    }
    if (this.listeners.size > 0) this.emit({ kind: 'entry', entry: { world: raw.world, ...raw.entry } })
  }

  get(world: string, requestId: string): Exchange | undefined {
    const raw = this.kept.get(keyOf(world, requestId))
    if (!raw) return undefined
    const headers: Record<string, string> = {}
    for (const [name, value] of Object.entries(raw.headers)) if (value !== undefined) headers[name] = value
    const response = raw.response
    return {
      world, requestId, seq: raw.entry.seq,
      request: { method: raw.method, path: raw.path, search: raw.search, headers, ...bodyOf(raw.body) },
      ...(response ? {
        response: {
          status: response.status,
          headers: Object.fromEntries(response.headers.map(([name, value]) => [name.toLowerCase(), value])),
          ...(response.stream ? { stream: true } : bodyOf(response.body ?? undefined)),
        },
      } : {}),
    }
  }

  /** The kept requests' journal entries, oldest first. */
  recent(): FeedEntry[] {
    return [...this.kept.values()].map((raw) => ({ world: raw.world, ...raw.entry }))
  }

  /** Hears every event from now on; returns what stops it. */
  listen(listener: (event: FeedEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  emit(event: FeedEvent): void {
    for (const listener of this.listeners) listener(event)
  }
}

function keyOf(world: string, requestId: string): string {
  return `${world}\u0000${requestId}`
}

/** Marks a body cut at BODY_LIMIT (a NUL cannot end a body's text as JSON or a form sends it). */
const CUT = '\u0000cut'

/**
 * The first BODY_LIMIT characters, as a string of their own: a slice of a long string may keep the
 * whole of it alive (V8's sliced strings), a string decoded afresh does not.
 */
function cut(text: string): string {
  return new TextDecoder().decode(new TextEncoder().encode(text.slice(0, BODY_LIMIT))) + CUT
}

function bodyOf(text: string | undefined): Pick<ExchangeSide, 'body' | 'truncated'> {
  if (text === undefined || text === '') return {}
  return text.endsWith(CUT) ? { body: text.slice(0, -CUT.length), truncated: true } : { body: text }
}
