/**
 * The last requests as they went over the wire — headers and bodies both ways — and a feed of every
 * journal entry as it is made: what the dashboard shows when a journal row is opened, and what its
 * live journal listens to. Off (capacity 0) unless the door asks for it (`standin serve` does): the
 * journal keeps what a test asserts on, this keeps what a person reads, and only the last few.
 */
import type { JournalEntry } from './journal.ts'

export interface ExchangeSide {
  headers: Record<string, string>
  /** The body as text, cut at BODY_LIMIT characters; absent when there was none. */
  body?: string
  /** The body was longer than BODY_LIMIT and is cut. */
  truncated?: boolean
}

export interface Exchange {
  world: string
  requestId: string
  seq: number
  request: ExchangeSide & { method: string; path: string; search: string }
  /** Absent when the connection was dropped (a fault). A streamed body is not kept (`stream: true`). */
  response?: ExchangeSide & { status: number; stream?: boolean }
}

/** A journal entry as the feed gives it: with its world. */
export type FeedEntry = JournalEntry & { world: string }

/** What a listener of the feed hears: a new entry, or a world made, changed or deleted. */
export type FeedEvent = { kind: 'entry'; entry: FeedEntry } | { kind: 'world'; world: string; change: 'changed' | 'deleted' }

export const BODY_LIMIT = 64 * 1024

export class Exchanges {
  /** How many exchanges are kept (0: none; the feed still runs for its listeners). */
  capacity: number
  private readonly kept = new Map<string, Exchange>()
  /** The same requests' journal entries, in the order they were answered. */
  private readonly entries = new Map<string, FeedEntry>()
  private readonly listeners = new Set<(event: FeedEvent) => void>()

  constructor(capacity = 0) {
    this.capacity = capacity
  }

  /** Anything to do for a request: an exchange to keep or someone listening. */
  get wanted(): boolean {
    return this.capacity > 0 || this.listeners.size > 0
  }

  add(exchange: Exchange, entry: JournalEntry): void {
    const key = keyOf(exchange.world, exchange.requestId)
    const fed: FeedEntry = { world: exchange.world, ...entry }
    if (this.capacity > 0) {
      this.kept.set(key, exchange)
      this.entries.set(key, fed)
      // A Map iterates in insertion order: the first key is the oldest.
      while (this.kept.size > this.capacity) {
        const oldest = this.kept.keys().next().value!
        this.kept.delete(oldest)
        this.entries.delete(oldest)
      }
    }
    if (this.listeners.size > 0) this.emit({ kind: 'entry', entry: fed })
  }

  /** The kept requests' journal entries, oldest first. */
  recent(): FeedEntry[] {
    return [...this.entries.values()]
  }

  get(world: string, requestId: string): Exchange | undefined {
    return this.kept.get(keyOf(world, requestId))
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

/** A body as text for an exchange, cut at BODY_LIMIT. */
export function bodyText(body: unknown): Pick<ExchangeSide, 'body' | 'truncated'> {
  if (body === undefined || body === null) return {}
  let text: string
  if (typeof body === 'string') text = body
  else if (body instanceof Uint8Array) text = `(${body.byteLength} bytes)`
  else {
    try { text = JSON.stringify(body) ?? '' } catch { text = String(body) }
  }
  return text.length > BODY_LIMIT ? { body: text.slice(0, BODY_LIMIT), truncated: true } : { body: text }
}
