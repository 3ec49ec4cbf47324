/**
 * Rules added to a live world through the control API (`POST /__standin/worlds/:id/rules`): "force
 * the next answer" — an error code of the catalogue, a status, a delay or a fault — for one operation
 * (or any), once or N times, then gone. The dashboard's force panel adds them; a test may too.
 *
 * They are checked after a request's own trigger (`X-Standin-Error`, `Prefer: code=`) and before the
 * scenario's rules; the journal says `cause: "control"` and `rule: <id>`. A world's reset keeps them
 * (they are not part of its scenario); deleting the world, or `DELETE …/rules/:id`, drops them.
 */
import { ApiError } from '../errors.ts'
import type { Context } from '../core/context.ts'
import type { Api } from '../api.ts'
import { parseDuration } from '../util/duration.ts'
import type { Forced } from './rules.ts'

export interface AddedRule {
  id: number
  /** The operation it applies to; any operation when absent. */
  operation?: string
  error?: string
  status?: number
  delayMs?: number
  fault?: 'drop' | 'timeout'
  /** Seconds a forced 429 / 503 says to wait. */
  retryAfter?: number
  /** How many requests it answers before it is gone (Infinity: until removed). */
  times: number
  fired: number
}

const FIELDS = ['operation', 'error', 'status', 'delay', 'fault', 'times', 'retryAfter']

/**
 * A rule from a control request's JSON body, or what is wrong with it (naming the field).
 * @example
 * addedRuleOf(api, { operation: 'createSession', error: 'rate_limited', times: 2 }, 1)
 */
export function addedRuleOf(api: Api, body: Record<string, unknown>, id: number): AddedRule | string {
  const unknown = Object.keys(body).find((k) => !FIELDS.includes(k))
  if (unknown) return `Unknown field "${unknown}"; a rule takes ${FIELDS.join(', ')}.`
  const rule: AddedRule = { id, times: 1, fired: 0 }
  if (body.operation !== undefined && body.operation !== null && body.operation !== '') {
    if (typeof body.operation !== 'string' || !api.operationsById.has(body.operation)) return `/operation: "${String(body.operation)}" is not an operation of this spec.`
    rule.operation = body.operation
  }
  if (body.error !== undefined && body.error !== '') {
    if (typeof body.error !== 'string' || !api.behaviour.errors.catalogue.has(body.error)) {
      return `/error: "${String(body.error)}" is not an error code of this API (${[...api.behaviour.errors.catalogue.keys()].join(', ')}).`
    }
    rule.error = body.error
  }
  if (body.status !== undefined && body.status !== '') {
    const status = Number(body.status)
    if (!Number.isInteger(status) || status < 200 || status > 599) return '/status: a status from 200 to 599.'
    if (rule.error) return 'Give an error code or a status, not both.'
    rule.status = status
  }
  if (body.fault !== undefined && body.fault !== '') {
    if (body.fault !== 'drop' && body.fault !== 'timeout') return '/fault: drop or timeout.'
    if (rule.error || rule.status !== undefined) return 'A fault is the whole answer: give it without an error or a status.'
    rule.fault = body.fault
  }
  if (body.delay !== undefined && body.delay !== '') {
    const ms = parseDuration(body.delay as string | number)
    if (ms === undefined || ms > 600_000) return '/delay: a duration up to 10m, such as 250ms or 2s.'
    rule.delayMs = ms
  }
  if (body.retryAfter !== undefined && body.retryAfter !== '') {
    const seconds = Number(body.retryAfter)
    if (!Number.isInteger(seconds) || seconds < 0) return '/retryAfter: a whole number of seconds.'
    rule.retryAfter = seconds
  }
  if (body.times !== undefined && body.times !== null) {
    const times = Number(body.times)
    if (!(times === Infinity || (Number.isInteger(times) && times >= 1)) || typeof body.times === 'boolean') return '/times: how many requests it answers, 1 or more (null: until removed).'
    rule.times = times
  } else if (body.times === null) rule.times = Infinity
  if (!rule.error && rule.status === undefined && !rule.fault && rule.delayMs === undefined) return 'The rule forces nothing: give it an error, a status, a delay or a fault.'
  return rule
}

/** A rule as the control API lists it (JSON has no Infinity: `times: null` is "until removed"). */
export function describeAddedRule(rule: AddedRule): object {
  const { delayMs, times, ...rest } = rule
  return { ...rest, ...(delayMs !== undefined ? { delay: `${delayMs}ms` } : {}), times: times === Infinity ? null : times, left: times === Infinity ? null : times - rule.fired }
}

/** The outcome the world's first matching added rule forces, if any; the rule is gone once used up. */
export function applyAddedRules(ctx: Context): Forced | undefined | Promise<Forced | undefined> {
  const rules = ctx.world.addedRules
  const rule = rules.find((r) => r.operation === undefined || r.operation === ctx.op?.id)
  if (!rule) return undefined
  rule.fired++
  if (rule.fired >= rule.times) rules.splice(rules.indexOf(rule), 1)
  ctx.cause = 'control'
  ctx.rule = rule.id
  if (rule.delayMs === undefined) return fire(ctx, rule)
  return new Promise<void>((resolve) => {
    if (ctx.incoming.signal?.aborted) return resolve()
    const timer = setTimeout(resolve, rule.delayMs)
    ctx.incoming.signal?.addEventListener('abort', () => { clearTimeout(timer); resolve() }, { once: true })
  }).then(() => fire(ctx, rule))
}

function fire(ctx: Context, rule: AddedRule): Forced | undefined {
  if (rule.fault) return { kind: 'fault', fault: rule.fault }
  if (rule.error || rule.status !== undefined) ctx.forced = { retryAfter: rule.retryAfter }
  if (rule.error) throw new ApiError(rule.error, rule.retryAfter !== undefined ? { retryAfter: rule.retryAfter } : {})
  if (rule.status !== undefined) return { kind: 'status', status: rule.status, headers: [] }
  // A delay alone: the request goes on as its state has it, only later.
  ctx.cause = 'state'
  ctx.rule = undefined
  return undefined
}
