/**
 * Stage 5, rules: outcomes a scenario forces — an error code, a status, headers, a delay or a fault —
 * for requests that match (operation, method, path, tenant, headers, body), on the Nth matching call,
 * for N times. One-off triggers ride on a single request: `Prefer: code=429` (as Prism reads it) and
 * a header naming an error code of the catalogue (`X-Standin-Error: rate_limited`; a generic name the
 * catalogue calls otherwise, its code of that status: generic-code.ts). A forced 429 or
 * 503 says when to retry: the rule's `retryAfter`, the request's `Prefer: retry-after=7`, else the
 * catalogue's or a default (render/forced-headers.ts).
 *
 * A rule with `afterEvents` cuts a stream instead: the request is answered as usual, and its stream
 * ends after that many events with the rule's error (sent as an error event) or fault (`drop`: the
 * connection closes mid-way; `timeout`: events stop, the connection stays open).
 */
import { ApiError } from '../errors.ts'
import type { Context } from '../core/context.ts'
import { varsOf } from '../core/context.ts'
import type { RuleModel } from '../scenario/model.ts'
import type { StreamCut } from '../stream/model.ts'
import { applyAddedRules } from './added.ts'
import { ownCodeFor } from './generic-code.ts'

/** What a rule or trigger asks of the rest of the pipeline. */
export type Forced =
  | { kind: 'status'; status: number; headers: Array<[string, string]>; body?: unknown }
  | { kind: 'fault'; fault: 'drop' | 'timeout' }
  | StreamCut

/**
 * The outcome a trigger or a rule forces, if any. Synchronous unless the rule that fires holds the
 * request first (`delay`): then a promise of it.
 */
export function applyRules(ctx: Context): Forced | undefined | Promise<Forced | undefined> {
  const forced = applyTriggers(ctx)
  if (forced) return forced
  // Rules added through the control API (the dashboard's "force the next answer"), before the scenario's.
  const added = ctx.world.addedRules.length > 0 ? applyAddedRules(ctx) : undefined
  if (added) return added
  const rules = ctx.world.scenario.rules
  if (rules.length === 0) return undefined
  const vars = varsOf(ctx)
  // Every matching rule counts the request, whichever of them fires: `nth: 2` is the 2nd matching
  // call even when another rule answered the 1st. The first rule that is due fires.
  let due: RuleModel | undefined
  for (const rule of rules) {
    if (!matches(rule, ctx, vars)) continue
    const hits = ctx.world.ruleHits.get(rule.index) ?? { matched: 0, fired: 0 }
    ctx.world.ruleHits.set(rule.index, hits)
    hits.matched++
    if (!due && hits.matched >= rule.nth && hits.fired < rule.times) due = rule
  }
  if (!due) return undefined
  const rule = due
  ctx.world.ruleHits.get(rule.index)!.fired++
  ctx.cause = 'rule'
  ctx.rule = rule.index
  if (rule.delayMs) return sleep(rule.delayMs, ctx.incoming.signal).then(() => fire(ctx, rule, vars))
  return fire(ctx, rule, vars)
}

function fire(ctx: Context, rule: RuleModel, vars: Record<string, unknown>): Forced | undefined {
  if (rule.afterEvents !== undefined) return { kind: 'cut', afterEvents: rule.afterEvents, error: rule.error, fault: rule.fault, vars: { ...rule.vars } }
  if (rule.fault) return { kind: 'fault', fault: rule.fault }
  const headers = rule.headers.map(([name, render]) => [name, String(render(vars) ?? '')] as [string, string])
  if (rule.error || rule.status !== undefined) ctx.forced = { retryAfter: rule.retryAfter }
  if (rule.error) throw new ApiError(rule.error, { ...rule.vars, ...(rule.retryAfter !== undefined ? { retryAfter: rule.retryAfter } : {}) }, Object.fromEntries(headers))
  if (rule.status !== undefined) return { kind: 'status', status: rule.status, headers, body: rule.body?.(vars) }
  // A delay alone: the request goes on as usual, only later.
  ctx.cause = 'state'
  ctx.rule = undefined
  return undefined
}

function matches(rule: RuleModel, ctx: Context, vars: Record<string, unknown>): boolean {
  if (rule.operations && !rule.operations.has(ctx.op!.id)) return false
  // A stream cut only ever applies to an operation that has a stream.
  if (rule.afterEvents !== undefined && !ctx.op!.stream) return false
  if (rule.method && rule.method !== ctx.method) return false
  if (rule.path && !rule.path.test(ctx.path)) return false
  if (rule.match && !rule.match(vars)) return false
  return true
}

/** The answer to a trigger naming a code the API does not have: standin's consumer, not the API, erred. */
export const REFUSED_HEADER = 'x-standin-refused'

function applyTriggers(ctx: Context): Forced | undefined {
  const { triggers, errors } = ctx.world.api.behaviour
  const named = ctx.headers[triggers.header]
  const prefer = triggers.prefer ? ctx.headers.prefer : undefined
  // `Prefer: code=429, retry-after=7`: how long a forced 429 or 503 says to wait.
  const wait = prefer ? /(?:^|[,;\s])retry-after=(\d+)/i.exec(prefer)?.[1] : undefined
  const retryAfter = wait === undefined ? undefined : Number(wait)
  if (named) {
    ctx.cause = 'trigger'
    // A generic name (`rate_limited`) on an API that calls it something else: the API's own code.
    const code = errors.catalogue.has(named) ? named : ownCodeFor(ctx.world.api.behaviour, named)
    if (code === undefined) {
      // Not an answer of the API's: refused as a mistake in the test's use of standin, clearly marked
      // as such, in the API's own shape (its bad-request code) so that no client chokes on it.
      const codes = [...errors.catalogue.keys()].join(', ')
      ctx.violations.push({ side: 'request', location: 'trigger', pointer: `/${triggers.header}`, message: `"${named}" is not an error code of this API` })
      throw new ApiError(errors.validation.parameter.code, { field: triggers.header, message: `${triggers.header}: "${named}" is not an error code of this API (${codes})` }, {
        [REFUSED_HEADER]: `"${named}" is not in this API's error catalogue`, 'x-should-retry': 'false',
      })
    }
    // Any code of the catalogue is sent as asked; one whose status the operation does not declare is
    // journalled as a finding (forced-undeclared), not as anyone's violation.
    ctx.forced = { retryAfter }
    throw new ApiError(code, retryAfter !== undefined ? { retryAfter } : {})
  }
  if (!triggers.prefer) return undefined
  const code = (prefer ? /(?:^|[,;\s])code=([2-5]\d\d)(?!\d)/.exec(prefer)?.[1] : undefined) ?? first(ctx.query.__code)
  if (!code || !/^[2-5]\d\d$/.test(code)) return undefined
  ctx.cause = 'trigger'
  ctx.forced = { retryAfter }
  return { kind: 'status', status: Number(code), headers: [] }
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve()
    const timer = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => { clearTimeout(timer); resolve() }, { once: true })
  })
}
