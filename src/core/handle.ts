/**
 * The core: `(Request) => Promise<Response>` on Web-standard Request/Response. The msw handlers, the
 * node:http server and the CLI are thin adapters around it; nothing here knows which door a request
 * came through, and nothing here imports `node:`. Inside, a request is an Incoming (plain method,
 * path, query and headers) and an answer an Outgoing, so the node:http door needs no Web objects.
 *
 * A request's way through, each stage a module of its own:
 * 1 route → 2 control → 3 world → 4 auth → 5 rules → 6 limits → 7 validate → 8 act → 9 render → 10 journal
 */
import { ApiError } from '../errors.ts'
import type { Worlds } from '../world/worlds.ts'
import type { World } from '../world/world.ts'
import type { Context } from './context.ts'
import { incomingOf, queryOf, type Incoming, type RequestInfo } from './incoming.ts'
import { handleControl, isControlPath, type ControlOptions } from '../control/control.ts'
import { selectWorld } from '../world/select.ts'
import { authenticate } from '../auth/auth.ts'
import { applyRules, sleep } from '../rules/rules.ts'
import { addRateHeaders, applyLimits } from '../limits/limits.ts'
import { mediaTypeOf, parseBody, readBody } from '../validate/body.ts'
import { checkRequest, validateRequest } from '../validate/validate.ts'
import { act } from '../act/act.ts'
import { admitStream } from '../stream/admit.ts'
import { respondWithStream } from '../stream/stream.ts'
import { rememberIdempotent, replayIdempotent } from '../act/idempotency.ts'
import { renderForced, renderSuccess, selfCheck, type Prepared } from '../render/render.ts'
import { renderError } from '../render/error.ts'
import { isOutgoing, responseOf, toOutgoing, withCommonHeaders, type Outgoing } from '../render/response.ts'
import { recordInJournal } from '../journal/record.ts'
import type { JournalEntry } from '../journal/journal.ts'
import { markViolation, strictStatus } from '../render/strict.ts'
import { proxySwitch, type ProxyOptions, type ProxySwitch } from '../proxy/proxy-switch.ts'
import type { Exchanges } from '../journal/exchanges.ts'

export type Handler = (request: Request, info?: RequestInfo) => Promise<Response>

/** The same core on an Incoming, answering with an Outgoing where it has one, for doors that write it themselves. */
export type Answer = (incoming: Incoming) => Promise<Response | Outgoing>

const ANSWER = Symbol('standin.answer')

/** The Incoming/Outgoing form of a handler made by createHandler, if `handle` is one. */
export function answerOf(handle: Handler): Answer | undefined {
  return (handle as Handler & { [ANSWER]?: Answer })[ANSWER]
}

const REFUSE = Symbol('standin.refuse')

/**
 * A refusal a door makes below the core (a request node:http could not even parse: headers too
 * large, not HTTP), in the API's own envelope: its bad-request code, at the door's status.
 */
export type Refuse = (status: number, message: string) => Outgoing

/** The refusal renderer of a handler made by createHandler (or wrapped with withRefusal). */
export function refusalOf(handle: Handler): Refuse | undefined {
  return (handle as Handler & { [REFUSE]?: Refuse })[REFUSE]
}

/** `handle`, able to render refusals as `refuse` does: for wrappers around a handler. */
export function withRefusal(handle: Handler, refuse: Refuse | undefined): Handler {
  if (refuse) Object.defineProperty(handle, REFUSE, { value: refuse })
  return handle
}

export interface HandlerOptions extends ControlOptions {
  /** Called with every standin bug (an exception on the request path), besides the 500 it becomes. */
  onInternalError?: (error: unknown) => void
  /**
   * Strict mode: a request that breaks the spec is refused before any rule, limit or fault can answer
   * it, with a status no common client retries, `x-should-retry: false` and `x-standin-violation`.
   */
  strict?: boolean
  /** Called with every journal entry that holds a violation (request or response side), in any world. */
  onViolation?: (entry: JournalEntry, world: string) => void
  /**
   * `--proxy`: the provider answers the operations the switch routes to it (src/proxy/), after
   * rules and triggers had their say; its answers are checked against the spec and journalled.
   */
  proxy?: ProxyOptions | ProxySwitch
}

/** A Handler (Request in, Response out) over an Answer, keeping the Answer for answerOf. */
export function handlerOf(answer: Answer): Handler {
  const handle: Handler = async (request, info) => {
    const out = await answer(incomingOf(request, info))
    return isOutgoing(out) ? responseOf(out) : out
  }
  Object.defineProperty(handle, ANSWER, { value: answer })
  return handle
}

export function createHandler(worlds: Worlds, options: HandlerOptions = {}): Handler {
  const api = worlds.api
  return withRefusal(handlerOf(createAnswer(worlds, options)), (status, message) => {
    const rendered = renderError(api, undefined, new ApiError(api.behaviour.errors.validation.malformed.code, { message }), status)
    const body = typeof rendered.body === 'string' ? rendered.body : JSON.stringify(rendered.body)
    return { status: rendered.status, headers: [...rendered.headers, ['content-type', rendered.contentType]], body }
  })
}

function createAnswer(worlds: Worlds, options: HandlerOptions): Answer {
  const api = worlds.api
  const proxy = options.proxy ? proxySwitch(options.proxy) : undefined
  return async function answer(incoming) {
    const started = performance.now()
    const path = incoming.path

    // 2. control — checked before routing: /__standin/ is not part of the API.
    if (isControlPath(path)) return handleControl(worlds, incoming, options)

    const headers = incoming.headers
    let query: Context['query'] | undefined
    let world: World
    // A standin bug before the request has a world (reading its credential, running a timer that
    // fell due) is answered like any other: the API's internal error, in the default world.
    let early: { error: unknown } | undefined
    try {
      query = queryOf(incoming.search)
      // 3. world — from the credential, or a header naming the world.
      world = selectWorld(worlds, headers, query)
      world.tick()
    } catch (error) {
      query ??= {}
      world = worlds.default
      early = { error }
    }
    const ctx: Context = {
      incoming, path, method: upperCase(incoming.method), requestId: world.nextRequestId(), started, world,
      params: {}, query, headers, body: undefined, contentType: mediaTypeOf(headers['content-type']),
      responseHeaders: [], onSuccess: [], onFailure: [], violations: [], cause: 'state',
    }
    let prepared: Prepared
    try {
      if (early) throw early.error
      // 1. route
      const routed = api.router.match(ctx.method, path)
      if (!routed || 'allowed' in routed) {
        // Calling what the spec does not have is the client breaking the contract.
        ctx.violations.push({ side: 'request', location: 'path', pointer: '', message: routed ? `${ctx.method} is not an operation of ${path} (allowed: ${routed.allowed.join(', ')})` : `no operation of the spec matches ${ctx.method} ${path}` })
        if (!routed) throw new ApiError(api.behaviour.errors.notFound, { path })
        // 405 with Allow, whichever code the API answers a wrong method with (RFC 9110, 15.5.6).
        throw new ApiError(api.behaviour.errors.methodNotAllowed, { allowed: routed.allowed.join(', '), path }, { Allow: routed.allowed.join(', ') }, 405)
      }
      ctx.route = routed.match
      ctx.op = routed.match.operation
      ctx.params = routed.match.params
      // (--proxy) whether the provider answers: known once the operation and the world are
      const proxied = proxy?.chooses(ctx) === true
      const reading = readBody(ctx, api.behaviour.maxBodyBytes)
      if (reading) {
        const read = await reading
        // A forwarded body goes as it came, byte for byte (an upload need not be text).
        if (proxied && read instanceof Uint8Array) proxy!.keepBody(ctx, read)
        parseBody(ctx, read)
      }
      // 7. validate, first in strict mode: nothing else may answer a request that breaks the spec.
      if (options.strict) validateRequest(ctx)
      // 4. auth
      // 4b. (--proxy) an operation the provider answers: a credential only names the tenant here
      if (proxied) proxy!.identify(ctx)
      else authenticate(ctx)
      // 5. rules
      let forced = applyRules(ctx)
      if (forced instanceof Promise) forced = await forced
      // A cut applies mid-stream: the request goes on as usual, and its stream ends early.
      if (forced?.kind === 'cut') ctx.cut = forced
      if (forced?.kind === 'fault') return await dropConnection(worlds, ctx, forced.fault, options, started)
      if (forced && forced.kind === 'status') prepared = renderForced(ctx, forced)
      // 8b. (--proxy) forwarded: no limit, state or idempotency of standin's own is involved
      else if (proxied) prepared = await proxy!.answer(ctx)
      else {
        // 8a. an idempotent replay answers before anything that counts or spends: a retry of a
        // charged request must not charge again, nor be refused for the credit its first try spent.
        // From here to rememberIdempotent nothing awaits, so parallel retries replay too.
        const replayed = replayIdempotent(ctx)
        if (replayed) prepared = replayed
        else {
          // 6. limits
          applyLimits(ctx)
          // 7. validate
          validateRequest(ctx)
          // 8. act — an operation with a stream is admitted first (at most N open streams per key)
          prepared = actAndRender(ctx)
        }
      }
    } catch (error) {
      prepared = failure(ctx, error, options)
    }
    if (prepared.fault) {
      for (const settle of ctx.onFailure) settle()
      return dropConnection(worlds, ctx, prepared.fault, options, started)
    }
    for (const settle of prepared.status < 400 ? ctx.onSuccess : ctx.onFailure) settle()
    // A request answered before stage 7 (by auth, a rule or a limit) is still checked, for the journal.
    if (ctx.op) checkRequest(ctx)
    // 9. render — with the API's rate-limit headers also on answers that never reached stage 6
    // (The provider's answer goes out with the provider's headers, none of standin's own added.)
    if (ctx.cause !== 'proxy') {
      addRateHeaders(ctx)
      withCommonHeaders(ctx, prepared)
    }
    if (options.strict) markViolation(ctx, prepared)
    selfCheck(ctx, prepared)
    // What the provider's answer breaks, the provider broke (its own contract): not standin's bug.
    if (ctx.cause === 'proxy') for (const v of ctx.violations) { if (v.side === 'response') v.side = 'provider' }
    else rememberIdempotent(ctx, prepared)
    // 10. journal
    journal(worlds, ctx, prepared, started, options)
    const out = toOutgoing(prepared, ctx.method === 'HEAD')
    if (options.exchanges?.wanted) keepExchange(options.exchanges, ctx, out)
    return out
  }
}

/** The request and its answer as they went over the wire, for the dashboard (src/journal/exchanges.ts): what is already made, not copies. */
function keepExchange(exchanges: Exchanges, ctx: Context, out: Outgoing | undefined): void {
  const entry = ctx.journalEntry
  if (!entry) return
  exchanges.add({
    world: ctx.world.id, entry, method: ctx.method, path: ctx.path, search: ctx.incoming.search, headers: ctx.headers, body: ctx.bodyText,
    response: out && { status: out.status, headers: out.headers, body: typeof out.body === 'string' ? out.body : null, stream: out.body !== null && typeof out.body !== 'string' },
  })
}

/**
 * Stage 10: the journal entry, counted in the run's tally. A violation found later (a stream that
 * fails mid-way) reaches the entry, the tally and `onViolation` the same way.
 */
function journal(worlds: Worlds, ctx: Context, prepared: Pick<Prepared, 'status' | 'code' | 'headers'>, started: number, options: HandlerOptions): void {
  const entry = recordInJournal(ctx, prepared, performance.now() - started)
  ctx.journalEntry = entry
  worlds.run.record(entry, ctx.world.id)
  // Any request may have changed its world (a record, a balance, a counter, the request numbering):
  // a state file, when there is one, writes the world again soon after.
  worlds.changed(ctx.world)
  if (entry.violations.length > 0) options.onViolation?.(entry, ctx.world.id)
  // Only a stream goes on after its answer, and can break the spec later.
  if (!ctx.op?.stream) return
  let counted = entry.code
  ctx.lateCode = () => {
    worlds.run.recode(entry, counted)
    counted = entry.code
  }
  ctx.lateViolation = (violation) => {
    entry.violations.push(violation)
    worlds.run.addViolation(entry, ctx.world.id, violation)
    options.onViolation?.({ ...entry, violations: [violation] }, ctx.world.id)
  }
}

/** The method upper-cased; as node:http and fetch give it (`GET`, `POST`) without a new string. */
function upperCase(method: string): string {
  for (let i = 0; i < method.length; i++) {
    const c = method.charCodeAt(i)
    if (c >= 97 && c <= 122) return method.toUpperCase()
  }
  return method
}

function actAndRender(ctx: Context): Prepared {
  const plan = admitStream(ctx)
  const outcome = act(ctx)
  const error = ctx.variant?.error
  if (error !== undefined) {
    // A variant that answers an error after acting (a sync job past its ceiling, going on async):
    // what the operation did stands — its charge is spent; a limit that counts what was created
    // keeps its slot, one that counts successes gives it back — and the error's templates see the
    // record (`{record.task_id}`).
    for (const settle of ctx.onSuccess) settle()
    ctx.onSuccess.length = 0
    throw new ApiError(error)
  }
  return plan ? respondWithStream(ctx, outcome, plan) : renderSuccess(ctx, outcome)
}

/** A fault: no answer at all — at once (`drop`) or after holding the request (`timeout`). */
async function dropConnection(worlds: Worlds, ctx: Context, fault: 'drop' | 'timeout', options: HandlerOptions, started: number): Promise<Response> {
  if (fault === 'timeout') await sleep(options.faultTimeoutMs ?? 30_000, ctx.incoming.signal)
  if (ctx.op) checkRequest(ctx)
  journal(worlds, ctx, { status: 0, headers: [] }, started, options)
  if (options.exchanges?.wanted) keepExchange(options.exchanges, ctx, undefined)
  return Response.error()
}

function failure(ctx: Context, error: unknown, options: HandlerOptions): Prepared {
  const api = ctx.world.api
  let apiError: ApiError
  if (error instanceof ApiError) apiError = error
  else {
    // A standin bug: answered as the API's internal error, journalled, never a stack trace.
    options.onInternalError?.(error)
    ctx.violations.push({ side: 'response', location: 'standin', pointer: '', message: `internal error: ${(error as Error)?.message ?? String(error)}` })
    apiError = new ApiError(api.behaviour.errors.internal)
  }
  const rendered = renderError(api, ctx, apiError, options.strict ? strictStatus(ctx, apiError) : undefined)
  return { status: rendered.status, headers: rendered.headers, body: rendered.body, contentType: rendered.contentType, code: rendered.code }
}
