/**
 * Stage 5, rules: outcomes a scenario forces — an error code, a status, headers, a delay or a fault —
 * for requests that match (operation, method, path, tenant, headers, body), on the Nth matching call,
 * for N times. One-off triggers ride on a single request: `Prefer: code=429` (as Prism reads it) and
 * a header naming an error code of the catalogue (`X-Standin-Error: concurrency_limit`).
 */
import { ApiError } from '../errors.ts'
import type { Context } from '../core/context.ts'
import { varsOf } from '../core/context.ts'
import type { RuleModel } from '../scenario/model.ts'
import { declaredResponse } from '../spec/declared.ts'

/** What a rule or trigger asks of the rest of the pipeline. */
export type Forced =
  | { kind: 'status'; status: number; headers: Array<[string, string]>; body?: unknown }
  | { kind: 'fault'; fault: 'drop' | 'timeout' }

export async function applyRules(ctx: Context): Promise<Forced | undefined> {
  const forced = applyTriggers(ctx)
  if (forced) return forced
  const rules = ctx.world.scenario.rules
  if (rules.length === 0) return undefined
  const vars = varsOf(ctx)
  for (const rule of rules) {
    if (!matches(rule, ctx, vars)) continue
    const hits = ctx.world.ruleHits.get(rule.index) ?? { matched: 0, fired: 0 }
    ctx.world.ruleHits.set(rule.index, hits)
    hits.matched++
    if (hits.matched < rule.nth || hits.fired >= rule.times) continue
    hits.fired++
    ctx.cause = 'rule'
    ctx.rule = rule.index
    if (rule.delayMs) await sleep(rule.delayMs, ctx.info.signal)
    if (rule.fault) return { kind: 'fault', fault: rule.fault }
    const headers = rule.headers.map(([name, render]) => [name, String(render(vars) ?? '')] as [string, string])
    if (rule.error) throw new ApiError(rule.error, { ...rule.vars }, Object.fromEntries(headers))
    if (rule.status !== undefined) return { kind: 'status', status: rule.status, headers, body: rule.body?.(vars) }
    // A delay alone: the request goes on as usual, only later.
    ctx.cause = 'state'
    ctx.rule = undefined
    return undefined
  }
  return undefined
}

function matches(rule: RuleModel, ctx: Context, vars: Record<string, unknown>): boolean {
  if (rule.operations && !rule.operations.has(ctx.op!.id)) return false
  if (rule.method && rule.method !== ctx.method) return false
  if (rule.path && !rule.path.test(ctx.url.pathname)) return false
  if (rule.match && !rule.match(vars)) return false
  return true
}

function applyTriggers(ctx: Context): Forced | undefined {
  const { triggers, errors } = ctx.world.api.behaviour
  const named = ctx.headers[triggers.header]
  if (named) {
    ctx.cause = 'trigger'
    if (!errors.catalogue.has(named)) {
      ctx.violations.push({ side: 'request', location: 'trigger', pointer: `/${triggers.header}`, message: `"${named}" is not an error code of this API` })
      throw new ApiError(errors.validation.parameter.code, { field: triggers.header, message: `${triggers.header}: "${named}" is not an error code of this API (${[...errors.catalogue.keys()].join(', ')})` })
    }
    const status = errors.catalogue.get(named)!.status
    if (!declaredResponse(ctx.op!.responses, status, false)) {
      ctx.violations.push({ side: 'request', location: 'trigger', pointer: `/${triggers.header}`, message: `asked for ${named} (${status}), a status ${ctx.op!.id} does not declare` })
      throw new ApiError(errors.notFound, { message: `Requested error ${named} (status ${status}) is not defined for operation ${ctx.op!.id}.` })
    }
    throw new ApiError(named)
  }
  if (!triggers.prefer) return undefined
  const prefer = /(?:^|[,;\s])code=(\d{3})/.exec(ctx.headers.prefer ?? '')?.[1] ?? ctx.url.searchParams.get('__code') ?? undefined
  if (!prefer) return undefined
  ctx.cause = 'trigger'
  return { kind: 'status', status: Number(prefer), headers: [] }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve()
    const timer = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => { clearTimeout(timer); resolve() }, { once: true })
  })
}
