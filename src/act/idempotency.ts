/**
 * Idempotency keys: the same key replays the first response; the same key with another body is the
 * operation's conflict error. Keys are per tenant and operation, and expire after a day of world time.
 */
import { ApiError } from '../errors.ts'
import type { Context } from '../core/context.ts'
import type { Prepared } from '../render/render.ts'

export function replayIdempotent(ctx: Context): Prepared | undefined {
  const rule = ctx.op!.idempotency
  const value = rule ? ctx.headers[rule.header] : undefined
  if (!rule || !value) return undefined
  const id = `${ctx.tenant?.id ?? ''}\u0000${ctx.op!.id}\u0000${value}`
  const stored = ctx.world.idempotency.get(id)
  const now = ctx.world.clock.now()
  if (stored && now - stored.at < rule.ttlMs) {
    if (stored.fingerprint !== fingerprint(ctx)) throw new ApiError(rule.conflict, { idempotencyKey: value })
    return { status: stored.status, headers: [...stored.headers, ['Idempotent-Replayed', 'true']], body: stored.body, contentType: stored.contentType }
  }
  return undefined
}

/** Remembers a successful response under the request's idempotency key. */
export function rememberIdempotent(ctx: Context, prepared: Prepared): void {
  const rule = ctx.op?.idempotency
  const value = rule ? ctx.headers[rule.header] : undefined
  if (!rule || !value || prepared.status >= 400 || prepared.stream) return
  const id = `${ctx.tenant?.id ?? ''}\u0000${ctx.op!.id}\u0000${value}`
  if (ctx.world.idempotency.has(id) && ctx.world.clock.now() - ctx.world.idempotency.get(id)!.at < rule.ttlMs) return
  ctx.world.idempotency.set(id, {
    fingerprint: fingerprint(ctx), status: prepared.status, headers: prepared.headers,
    body: prepared.body, contentType: prepared.contentType, at: ctx.world.clock.now(),
  })
}

function fingerprint(ctx: Context): string {
  return `${ctx.method} ${ctx.path}\n${ctx.bodyText ?? ''}`
}
