/**
 * Stage 6, limits: rate limits (sliding windows per tenant, key, record or any request value), count
 * and concurrency caps (records of a resource in given states, per tenant), the request body's size
 * (an upload by tier), and charges against a tenant's balance. Every number may depend on the
 * tenant's tier. Admitted rate slots are released when a limit counts only successful requests and
 * this one fails.
 */
import { ApiError } from '../errors.ts'
import type { Context } from '../core/context.ts'
import { varsOf } from '../core/context.ts'

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
    if (balance <= 0 || balance < amount) throw new ApiError(charge.error, { balance, amount })
    ctx.onSuccess.push(() => { tenant.balances[charge.balance] = (tenant.balances[charge.balance] ?? 0) - amount })
  }
}
