/**
 * The compiled `x-standin.stream` of an operation: a script of events sent over time on the world's
 * clock, what each event costs, the budget that stops a stream part-way, how many streams may be open
 * at once per key, and what the addressed record becomes when the stream ends, fails or is dropped.
 */
import type { Evaluate } from '../util/expression.ts'
import type { Render } from '../util/template.ts'
import type { Predicate } from '../util/match.ts'

export interface StreamEventModel {
  /** The SSE `event:` name; none for data-only events. */
  event?: string
  /** Milliseconds to wait before this event (before each item, with `each`), on the world's clock. */
  after: Evaluate
  /** A list: the event is sent once per item, with `{item}` and `{index}`. */
  each?: Render
  /** What sending this event costs (a number or an expression); checked against the budget first. */
  cost?: Evaluate
  /** The event's data: JSON, or a string sent as it is. */
  data?: Render
  /** Record fields updated as the event is sent. */
  set: Array<[string, Render]>
  /** Conditions that end the stream with an error when this event comes up (a model the scenario marks as failing). */
  fail: Array<{ when: Predicate; error: string }>
  /** A document-level rate limit this event takes a slot of (an outgoing call per destination); refused, the stream ends with its error. */
  take?: string
  pointer: string
}

/** What happens when a stream ends one way or another. */
export interface StreamOutcomeModel {
  /** The lifecycle state the record moves to. */
  state?: string
  /** Record fields set (after the state). */
  set: Array<[string, Render]>
  /** A last event to send (`end` only; an error always sends `errorEvent` with the API's envelope). */
  event?: string
  data?: Render
  /** `abort`: the code the stream's journal entry gets when the client leaves (`STREAM_ABORTED`, a 499). */
  code?: string
  /** The addressed record is removed (a partial answer is not kept). */
  remove?: boolean
  pointer: string
}

export interface StreamConcurrencyModel {
  id: string
  /** Open streams allowed per key; a scenario may override it by id. */
  limit: number
  /** The key streams are counted by (`{ancestors.project.id}`). */
  per: Evaluate
  error: string
  pointer: string
}

export interface StreamModel {
  /** The response media type that carries the stream (`text/event-stream`). */
  mediaType: string
  /** `sse` frames events as server-sent events; `ndjson` sends one JSON document per line. */
  format: 'sse' | 'ndjson'
  /** The declared status whose response has `mediaType`. */
  status: number
  /** Stream when this holds (`{body.stream}`), or when the client's Accept names `mediaType`; without it, always. */
  when?: Evaluate
  concurrency?: StreamConcurrencyModel
  budget?: { limit: Evaluate; error: string; pointer: string }
  /** The most a stream may take on the world's clock (ms): past it, it ends with `error`. */
  timeout?: { after: Evaluate; error: string; pointer: string }
  /** The record field that carries the cost so far. */
  costField?: string
  events: StreamEventModel[]
  /** The SSE event name errors are sent as; the data is the API's own error envelope. */
  errorEvent: string
  end: StreamOutcomeModel
  error: StreamOutcomeModel
  /** The client went away, or the world was reset. */
  abort: StreamOutcomeModel
  pointer: string
}

/** A rule's cut: the stream is answered as usual, then cut after `afterEvents` events. */
export interface StreamCut {
  kind: 'cut'
  afterEvents: number
  error?: string
  /** `drop` closes the connection mid-way; `timeout` stops sending but keeps it open. */
  fault?: 'drop' | 'timeout'
  vars: Record<string, unknown>
}
