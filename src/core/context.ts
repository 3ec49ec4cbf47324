/**
 * What the stages of the pipeline share about one request.
 */
import type { RouteMatch } from '../route/router.ts'
import type { OperationModel, VariantModel } from '../spec/model.ts'
import type { Tenant, World } from '../world/world.ts'
import type { StoredRecord } from '../world/store.ts'
import type { KeyDef } from '../scenario/model.ts'
import type { JournalEntry, Violation } from '../journal/journal.ts'
import type { StreamCut } from '../stream/model.ts'
import type { Refusal } from '../validate/validate.ts'
import type { Incoming } from './incoming.ts'
import { RECORDS } from '../util/expression.ts'

export type { RequestInfo } from './incoming.ts'

export type BodyProblem = 'malformed' | 'tooLarge' | 'contentType'

export interface Context {
  incoming: Incoming
  /** The URL's path, as routed. */
  path: string
  /** Upper-case. */
  method: string
  requestId: string
  started: number
  world: World
  route?: RouteMatch
  op?: OperationModel
  params: Record<string, string>
  query: Record<string, string | string[]>
  headers: Record<string, string>
  body: unknown
  bodyText?: string
  /** The body's length in bytes, as read. */
  bodyBytes?: number
  contentType?: string
  bodyProblem?: BodyProblem
  tenant?: Tenant
  key?: KeyDef
  record?: StoredRecord
  parent?: StoredRecord
  /** The records the addressed one lives in, by resource name (`ancestors.project`), as found. */
  ancestors?: Record<string, Record<string, unknown>>
  /** The operation's variant this request's successful answer takes (x-standin.variants), if any. */
  variant?: VariantModel
  /** A scenario rule's cut of this request's stream. */
  cut?: StreamCut
  /** This request's journal entry, once written (a stream notes its outcome on it later). */
  journalEntry?: JournalEntry
  /** Journals a violation found after the answer went out (a stream failing mid-way). */
  lateViolation?: (violation: Violation) => void
  /** Counts the entry again in the run's tally once a stream has set its code (a client that left). */
  lateCode?: () => void
  /** Headers every response of this request carries (rate-limit headers). */
  responseHeaders: Array<[string, string]>
  /** Run once the outcome is known: commit on success, release on failure. */
  onSuccess: Array<() => void>
  onFailure: Array<() => void>
  /** The operation created a record (a limit that `counts: created` keeps its slot, whatever the answer). */
  created?: boolean
  violations: Violation[]
  /** The request has been checked against the spec (stage 7); `refusal` is what it found. */
  checked?: boolean
  refusal?: Refusal
  cause: 'state' | 'rule' | 'trigger' | 'control' | 'proxy'
  rule?: number
  /**
   * A rule or trigger forces this answer (an error or a status): it carries Retry-After and the
   * declared rate-limit headers; `retryAfter` is the rule's or the request's (`Prefer: retry-after=7`).
   */
  forced?: { retryAfter?: number }
  /** A finding for the client team's review, not a violation: a forced status the operation does not declare. */
  finding?: Finding
  /** A signed token the operation minted (`x-standin.mint`), for its response: `{minted.token}`. */
  minted?: { token: string; expiresAt?: number; jti?: unknown; user?: string; role?: string }
}

export interface Finding {
  /**
   * `forced-undeclared`: a status a rule or trigger forced; `undeclared-not-found`: a record an
   * inferred path names is not there, and the operation declares no 404 (the API answers 404 all the same).
   */
  kind: 'forced-undeclared' | 'undeclared-not-found'
  message: string
}

/** The variables templates and matchers see. */
export function varsOf(ctx: Context, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    now: ctx.world.clock.now(),
    requestId: ctx.requestId,
    operation: ctx.op?.id,
    method: ctx.method,
    path: ctx.params,
    params: ctx.params,
    query: ctx.query,
    headers: ctx.headers,
    body: ctx.body,
    tenant: ctx.tenant,
    key: ctx.key,
    record: ctx.record?.data,
    parent: ctx.parent?.data,
    ancestors: ctx.ancestors,
    minted: ctx.minted,
    // For lookup(…): the world's records (a symbol key, out of every template's reach).
    [RECORDS]: ctx.world.store,
    ...extra,
  }
}
