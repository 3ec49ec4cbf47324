/**
 * Answering an operation that has a stream. Streamed, its events go out over time on the world's
 * clock: a manual clock sends each event when a test advances past its time, a real clock when that
 * time comes. Not streamed, the same script runs at once and the answer is JSON: the finished record,
 * or the error that stopped it part-way. Either way the stream ends one of four ways:
 *
 * - `end`: the script ran out; the record takes `end.state`, `end.event` is sent, the stream closes.
 * - `error`: the budget ran out, the record went away, or a scenario cut it with an error code: the
 *   error is sent as one `errorEvent` whose data is the API's own error envelope, then it closes.
 * - `drop`: a scenario cut it with `fault: drop` — the connection is closed mid-way (`abort` state).
 * - `abort`: the client went away (or the world was reset) — the record takes `abort.state`.
 *
 * A `fault: timeout` cut stops sending but keeps the stream open until the client leaves.
 */
import { ApiError } from '../errors.ts'
import type { Context } from '../core/context.ts'
import type { Outcome } from '../act/act.ts'
import { renderSuccess, type Prepared } from '../render/render.ts'
import { renderError, type RenderedError } from '../render/error.ts'
import type { StreamPlan } from './admit.ts'
import { Script, type Emission, type Step } from './script.ts'
import { frame } from './frame.ts'
import type { StreamModel } from './model.ts'
import { entryOf } from '../spec/behaviour.ts'

type Ending = 'end' | 'error' | 'drop' | 'abort'

/** The response for an operation with a stream: the stream itself, or the script's JSON outcome. */
export function respondWithStream(ctx: Context, outcome: Outcome, plan: StreamPlan): Prepared {
  const resource = ctx.op!.resource ? ctx.world.api.behaviour.resources.get(ctx.op!.resource) : undefined
  const script = new Script(ctx, plan.model, outcome.record, resource)
  return plan.streamed ? openStream(ctx, script, plan) : runAtOnce(ctx, outcome, script, plan)
}

/** The script without the waiting: every step at the request's instant. */
function runAtOnce(ctx: Context, outcome: Outcome, script: Script, plan: StreamPlan): Prepared {
  const limit = timeoutOf(plan.model, script)
  let at = 0
  for (;;) {
    const step = script.next()
    at += step ? script.delayOf(step) : 0
    // The whole script would take longer than the stream may: it ends at its timeout, as streamed.
    const late = limit !== undefined && at > limit.ms
    let emission: Emission = late ? timedOut(plan.model, limit) : script.emit(step)
    if (emission.kind === 'fault' && emission.fault === 'timeout' && limit) emission = timedOut(plan.model, limit)
    if (emission.kind === 'event') continue
    if (emission.kind === 'end') {
      script.finish(plan.model.end)
      return renderSuccess(ctx, outcome)
    }
    if (emission.kind === 'error') {
      const rendered = renderError(ctx.world.api, ctx, new ApiError(emission.code, emission.vars))
      script.finish(plan.model.error, { error: errorFields(rendered) })
      throw new ApiError(emission.code, emission.vars)
    }
    script.finish(plan.model.abort)
    return { status: 0, headers: [], fault: emission.fault }
  }
}

/** A stream's timeout (`timeout.after`, evaluated for this request), if it has one. */
function timeoutOf(model: StreamModel, script: Script): { ms: number } | undefined {
  if (!model.timeout) return undefined
  const ms = model.timeout.after(script.vars())
  return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 ? { ms } : undefined
}

function timedOut(model: StreamModel, limit: { ms: number }): Extract<Emission, { kind: 'error' }> {
  return { kind: 'error', code: model.timeout!.error, vars: { timeout: Math.round(limit.ms / 1000) } }
}

function openStream(ctx: Context, script: Script, plan: StreamPlan): Prepared {
  const world = ctx.world
  const { model } = plan
  const limit = timeoutOf(model, script)
  // The stream's hard deadline on the world clock, from when it began.
  const deadline = limit ? world.clock.now() + limit.ms : undefined
  const encoder = new TextEncoder()
  let controller!: ReadableStreamDefaultController<Uint8Array>
  let ended: Ending | undefined
  let stalled = false
  let seq = 0
  let lastAt = world.clock.now()
  let pending: { step: Step | undefined; at: number } | undefined
  let scheduledAt: number | undefined
  let wake: ReturnType<typeof setTimeout> | undefined

  const write = (event: string | undefined, data: unknown) => {
    try { controller.enqueue(encoder.encode(frame(model.format, event, data, ++seq))) } catch { /* the reader is gone */ }
  }

  const schedule = (at: number) => {
    if (scheduledAt === at) return
    scheduledAt = at
    world.timers.schedule(at, () => {
      if (scheduledAt !== at) return
      scheduledAt = undefined
      pump()
    })
    // A manual clock moves only when a test moves it; a real one needs waking when the time comes.
    if (world.clock.mode === 'real') armWake(at)
  }
  const armWake = (at: number) => {
    if (wake !== undefined) clearTimeout(wake)
    wake = setTimeout(() => {
      wake = undefined
      world.tick()
      if (ended === undefined && scheduledAt === at) armWake(at)
    }, Math.max(1, at - world.clock.now()))
  }

  const pump = () => {
    try {
      advanceScript()
    } catch (error) {
      // A standin bug mid-stream (it runs on a timer, where nothing else would catch it): journalled,
      // and the stream ends with the API's internal error rather than taking the process down.
      const violation = { side: 'response' as const, location: 'standin', pointer: '', message: `internal error in a stream: ${(error as Error)?.message ?? String(error)}` }
      if (ctx.lateViolation) ctx.lateViolation(violation)
      else ctx.journalEntry?.violations.push(violation)
      try {
        finish('error', { kind: 'error', code: world.api.behaviour.errors.internal, vars: {} })
      } catch {
        ended = 'error'
        plan.slot?.release()
        close()
      }
    }
  }
  const advanceScript = () => {
    while (ended === undefined) {
      if (stalled) {
        // Events stopped (a `timeout` cut): the stream still ends at its deadline, if it has one.
        if (deadline === undefined) return
        if (deadline > world.clock.now()) return schedule(deadline)
        return finish('error', timedOut(model, limit!))
      }
      if (!pending) {
        const step = script.next()
        pending = { step, at: lastAt + (step ? script.delayOf(step) : 0) }
      }
      const due = deadline !== undefined && pending.at > deadline ? deadline : pending.at
      if (due > world.clock.now()) return schedule(due)
      if (due !== pending.at) return finish('error', timedOut(model, limit!))
      lastAt = pending.at
      const { step } = pending
      pending = undefined
      const emission: Emission = script.emit(step)
      if (emission.kind === 'event') write(emission.event, emission.data)
      else if (emission.kind === 'end') finish('end')
      else if (emission.kind === 'error') finish('error', emission)
      else if (emission.fault === 'drop') finish('drop')
      else {
        stalled = true
        note('stalled')
      }
    }
  }

  const note = (outcome: string, code?: string) => {
    const entry = ctx.journalEntry
    if (!entry) return
    // A code's status where it is not the answer's (a client gone mid-stream: STREAM_ABORTED, 499).
    const status = code && outcome === 'aborted' ? entryOf(world.api.behaviour.errors, code)?.status : undefined
    entry.stream = { events: seq, outcome, ...(code ? { code } : {}), ...(status !== undefined ? { status } : {}) }
    if (code) {
      entry.code = code
      ctx.lateCode?.()
    }
  }

  // The door's signal: a node:http client that went away, or the request's own (msw, in-process).
  const signal = ctx.incoming.signal
  const onAbort = () => finish('abort')
  const finish = (how: Ending, error?: Extract<Emission, { kind: 'error' }>) => {
    if (ended !== undefined) return
    ended = how
    scheduledAt = undefined
    if (wake !== undefined) clearTimeout(wake)
    signal?.removeEventListener('abort', onAbort)
    plan.slot?.release()
    if (how === 'end') {
      const last = script.finish(model.end)
      if (last) write(last.event, last.data)
      note('completed')
      close()
    } else if (how === 'error') {
      const rendered = renderError(world.api, ctx, new ApiError(error!.code, error!.vars))
      script.finish(model.error, { error: errorFields(rendered) })
      write(model.errorEvent, rendered.body)
      note('error', rendered.code)
      close()
    } else {
      script.finish(model.abort)
      note(how === 'drop' ? 'dropped' : 'aborted', how === 'abort' ? model.abort.code : undefined)
      if (how === 'drop') {
        // Erroring a stream discards what it still holds: the events already sent go out first.
        if ((controller.desiredSize ?? 0) > 0) drop()
        else dropping = true
      } else close()
    }
  }
  const close = () => {
    try { controller.close() } catch { /* cancelled by the reader */ }
  }
  let dropping = false
  const drop = () => {
    try { controller.error(new Error('standin: the stream was dropped mid-way by a scenario rule')) } catch { /* already gone */ }
  }

  if (plan.slot) plan.slot.handle.close = () => finish('abort')
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c
      if (signal?.aborted) return finish('abort')
      signal?.addEventListener('abort', onAbort, { once: true })
      // After the request is journalled, so the stream's outcome can be noted on its entry.
      queueMicrotask(() => { note('open'); pump() })
    },
    pull() {
      if (dropping) drop()
    },
    cancel() {
      finish('abort')
    },
  })
  return {
    status: model.status,
    headers: [['Cache-Control', 'no-cache']],
    contentType: model.mediaType,
    stream,
  }
}

/** `{code, message, status}` of an error, for the record (`set: { error: '{error}' }`). */
function errorFields(rendered: RenderedError): Record<string, unknown> {
  return { code: rendered.code, message: rendered.message, status: rendered.status }
}
