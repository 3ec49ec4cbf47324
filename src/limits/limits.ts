/**
 * Stage 6, limits: rate limits (sliding windows per tenant, key, record or any request value), count
 * and concurrency caps (records of a resource in given states, per tenant), the request body's size
 * (an upload by tier), and charges against a tenant's balance. Every number may depend on the
 * tenant's tier. Admitted rate slots are released when a limit counts only successful requests and
 * this one fails, or only what created a record and this one created none.
 */
import { ApiError } from '../errors.ts'
import type { Context } from '../core/context.ts'
import { varsOf } from '../core/context.ts'
import type { LimitModel } from '../spec/model.ts'
import { anyCredential } from '../auth/credentials.ts'
import { chargeCard } from '../act/account.ts'

export function applyLimits(ctx: Context): void {
  const op = ctx.op!
  if (op.limits.length === 0 && !op.charge) return
  const world = ctx.world
  const now = world.clock.now()
  const target = op.idParam ? ctx.params[op.idParam] : undefined
  const vars = varsOf(ctx)
  vars.target = target
  // An index loop: a refusal is thrown from inside it, and leaving a for-of by a throw closes the
  // iterator by catching and rethrowing — doubling the cost of every 429.
  for (let i = 0; i < op.limits.length; i++) {
    const limit = op.limits[i]!
    const n = world.scenario.limits.get(limit.id) ?? limit.limit(vars)
    if (n === undefined) continue
    if (limit.kind === 'size') {
      // A body cut off at the spec's maxBodyBytes is over every size limit (`check` keeps them within it).
      const size = ctx.bodyBytes ?? 0
      if (ctx.bodyProblem === 'tooLarge' || size > n) throw new ApiError(limit.error, { limit: n, size: ctx.bodyProblem === 'tooLarge' ? undefined : size, limitId: limit.id })
      continue
    }
    const key = limit.per(vars)
    if (key === undefined || key === null) continue
    if (limit.kind === 'rate') {
      const taken = world.rates.take(limit.id, typeof key === 'string' ? key : String(key), now, n, limit.windowMs)
      const window = Math.round(limit.windowMs / 1000)
      if (limit.headers.length > 0) {
        const lvars = { ...vars, ...taken.state, window }
        for (const [name, render] of limit.headers) {
          const value = render(lvars)
          if (value !== undefined) ctx.responseHeaders.push([name, String(value)])
        }
      }
      if (!taken.admitted) throw new ApiError(limit.error, { ...taken.state, window, limitId: limit.id })
      if (limit.counts === 'successes') ctx.onFailure.push(() => taken.release())
      // A request that made a record (a run that started, then failed) keeps its slot.
      else if (limit.counts === 'created') ctx.onFailure.push(() => { if (!ctx.created) taken.release() })
    } else {
      const tenant = ctx.tenant?.id
      if (tenant === undefined) continue
      const count = world.store.count(limit.resource!, tenant, limit.states)
      if (count >= n) throw new ApiError(limit.error, { limit: n, count, limitId: limit.id })
    }
  }
  const charge = op.charge
  if (charge && ctx.tenant) {
    const amount = Number(charge.amount(vars) ?? 0)
    const tenant = ctx.tenant
    const balance = tenant.balances[charge.balance] ?? 0
    let bought = 0
    // Short of credit with auto top-up on: buy more on the card first (refused without one, or declined).
    if ((balance <= 0 || balance < amount) && charge.topUp && (!charge.topUp.when || charge.topUp.when(vars))) {
      const credits = Number(charge.topUp.credits(vars) ?? 0)
      chargeCard(ctx, charge.topUp, vars, { balance, amount, credits })
      if (Number.isFinite(credits) && credits > 0) bought = credits
    }
    if (balance + bought <= 0 || balance + bought < amount) throw new ApiError(charge.error, { balance, amount })
    ctx.onSuccess.push(() => { tenant.balances[charge.balance] = (tenant.balances[charge.balance] ?? 0) + bought - amount })
  }
}

/**
 * The rate-limit headers of the API's own limits (those of the whole document) on an answer that
 * did not pass through them — refused before (a 401, a 403, an unknown path), or forced by a rule or
 * a trigger — so that every answer carries them, as APIs that send them do. The caller's window as
 * it stands, nothing taken: the key's or tenant's, else (no usable credential) an anonymous one per
 * client address, at the limit's lowest number where it depends on a tier the caller does not have.
 */
export function addRateHeaders(ctx: Context): void {
  const limits = ctx.world.api.behaviour.limits
  if (limits.length === 0) return
  let vars: Record<string, unknown> | undefined
  for (let i = 0; i < limits.length; i++) {
    const limit = limits[i]!
    if (limit.kind !== 'rate' || limit.headers.length === 0) continue
    if (limit.operations && (!ctx.op || !limit.operations.has(ctx.op.id))) continue
    if (limit.except && ctx.op && limit.except.has(ctx.op.id)) continue
    if (ctx.responseHeaders.some(([name]) => limit.headers.some(([own]) => own.toLowerCase() === name.toLowerCase()))) continue
    const world = ctx.world
    if (!vars) {
      vars = varsOf(ctx)
      // Refused before auth (an unknown path, a wrong method): the window of the key it carries.
      if (!ctx.tenant) {
        const token = anyCredential(ctx.headers, ctx.query, (t) => world.keys.has(t))
        const key = token === undefined ? undefined : world.keys.get(token)
        const tenant = key && !key.revoked ? world.tenants.get(key.tenant) : undefined
        if (key && tenant) vars = { ...vars, key, tenant }
      }
    }
    const per = vars.tenant ? limit.per(vars) : undefined
    const key = per === undefined || per === null ? `anonymous ${ctx.incoming.remoteAddress ?? 'in-process'}` : String(per)
    const n = world.scenario.limits.get(limit.id) ?? limit.limit(vars) ?? lowest(limit, vars)
    if (n === undefined) continue
    const window = Math.round(limit.windowMs / 1000)
    const lvars = { ...vars, ...world.rates.peek(limit.id, key, world.clock.now(), n, limit.windowMs), window }
    for (const [name, render] of limit.headers) {
      const value = render(lvars)
      if (value !== undefined) ctx.responseHeaders.push([name, String(value)])
    }
  }
}

/** A limit given per tier, for a caller of none of its tiers: the lowest of them. */
function lowest(limit: LimitModel, vars: Record<string, unknown>): number | undefined {
  let found: number | undefined
  for (const tier of limit.tiersOnly ?? []) {
    const n = limit.limit({ ...vars, tenant: { ...(vars.tenant as object | undefined), tier } })
    if (n !== undefined && (found === undefined || n < found)) found = n
  }
  return found
}
