/**
 * Idempotency keys: the same key replays the first response; the same key with another body is the
 * operation's conflict error. Keys are per tenant and operation, and expire after a day of world time.
 */
import { ApiError } from '../errors.ts'
import type { Context } from '../core/context.ts'
import type { Prepared } from '../render/render.ts'
import type { IdempotentResponse } from '../world/world.ts'

/** Each request's fingerprint as replayIdempotent took it, for rememberIdempotent. */
const fingerprints = new WeakMap<Context, string>()

export function replayIdempotent(ctx: Context): Prepared | undefined {
  const rule = ctx.op!.idempotency
  const value = rule ? ctx.headers[rule.header] : undefined
  if (!rule || !value) return undefined
  const id = `${ctx.tenant?.id ?? ''}\u0000${ctx.op!.id}\u0000${value}`
  const stored = ctx.world.idempotency.get(id)
  const now = ctx.world.clock.now()
  // Taken now, before validation fills in defaults: the body as the client sent it.
  const print = fingerprint(ctx)
  fingerprints.set(ctx, print)
  if (stored && now < stored.expiresAt) {
    if (stored.fingerprint !== print) throw new ApiError(rule.conflict, { idempotencyKey: value })
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
  const remembered = ctx.world.idempotency
  const now = ctx.world.clock.now()
  forgetExpired(remembered, now)
  const stored = remembered.get(id)
  if (stored && now < stored.expiresAt) return
  // Deleted first, so the map stays in the order keys were remembered (see forgetExpired).
  remembered.delete(id)
  // What this answer alone carries: a replay is a request of its own, with its own request id and
  // the API's headers of the moment (withCommonHeaders adds them to the replay afresh).
  const own = new Set([...ctx.world.api.behaviour.headers.map(([name]) => name.toLowerCase()), ...ctx.responseHeaders.map(([name]) => name.toLowerCase())])
  remembered.set(id, {
    fingerprint: fingerprints.get(ctx) ?? fingerprint(ctx), status: prepared.status, headers: prepared.headers.filter(([name]) => !own.has(name.toLowerCase())),
    body: prepared.body === undefined ? undefined : structuredClone(prepared.body), contentType: prepared.contentType, expiresAt: now + rule.ttlMs,
  })
}

/**
 * Drops the keys that have expired, oldest first: a map kept in the order keys were remembered,
 * walked from the front until a key still holds — so a world that sees many keys does not keep
 * them all. (With different lifetimes per operation, a key may outlive its turn here; it is still
 * refused as expired when asked for, and dropped on a later walk.)
 */
function forgetExpired(remembered: Map<string, IdempotentResponse>, now: number): void {
  for (const [id, stored] of remembered) {
    if (now < stored.expiresAt) return
    remembered.delete(id)
  }
}

/**
 * What makes two requests the same: method, path and body. A JSON body is compared as the value it
 * is, so a retry that serialises its keys in another order (or spaces them otherwise) is the same
 * request; any other body byte for byte.
 */
function fingerprint(ctx: Context): string {
  const json = ctx.bodyText !== undefined && ctx.body !== undefined && typeof ctx.body === 'object' && ctx.body !== null
  return `${ctx.method} ${ctx.path}\n${json ? canonical(ctx.body) : ctx.bodyText ?? ''}`
}

/** JSON with every object's keys in sorted order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}
