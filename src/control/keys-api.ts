/**
 * `PATCH /__standin/worlds/:id/keys/:token {expiresAt?, revoked?}` → 200 `{token, tenant, expiresAt,
 * revoked}`: a key of the world made to expire or be revoked, as a test needs one mid-run — the API
 * then answers it with its `expired` or `revoked` failure. `expiresAt` is a date-time, a duration
 * from the world's now (`0s`: expired at once; `10m`), or null (never); `revoked: false` restores it.
 */
import type { World } from '../world/world.ts'
import { parseDuration } from '../util/duration.ts'
import { isPlainObject } from '../util/match.ts'

export function answerKeyPatch(world: World, method: string, token: string, body: unknown): { status: number; body: unknown } {
  if (method !== 'PATCH') return refuse(405, 'method_not_allowed', 'PATCH {"expiresAt": "0s" | "<date-time>" | null, "revoked": true}')
  const key = world.keys.get(token)
  if (!key) return refuse(404, 'unknown_key', `No key "${token}" in world ${world.id}.`)
  const b: Record<string, unknown> = isPlainObject(body) ? body : {}
  for (const field of Object.keys(b)) if (field !== 'expiresAt' && field !== 'revoked') return refuse(400, 'invalid_patch', `Unknown field "${field}"; a key patch takes expiresAt and revoked.`)
  if (b.revoked !== undefined && typeof b.revoked !== 'boolean') return refuse(400, 'invalid_patch', '"revoked" must be true or false.')
  let expiresAt: number | null | undefined
  if (b.expiresAt === null) expiresAt = null
  else if (b.expiresAt !== undefined) {
    const after = parseDuration(b.expiresAt)
    const at = typeof b.expiresAt === 'string' ? Date.parse(b.expiresAt) : NaN
    if (after !== undefined) expiresAt = world.clock.now() + after
    else if (!Number.isNaN(at)) expiresAt = at
    else return refuse(400, 'invalid_patch', '"expiresAt" is a date-time, a duration from the world\'s now (0s, 10m), or null.')
  }
  if (expiresAt !== undefined) {
    // Set here, the key's time no longer follows the world's start (a scenario's `expiresAt: 10m`).
    delete key.expiresAfter
    if (expiresAt === null) delete key.expiresAt
    else key.expiresAt = expiresAt
  }
  if (typeof b.revoked === 'boolean') key.revoked = b.revoked
  return {
    status: 200,
    body: { token: key.token, tenant: key.tenant, expiresAt: key.expiresAt === undefined ? null : new Date(key.expiresAt).toISOString(), revoked: key.revoked === true },
  }
}

function refuse(status: number, code: string, message: string): { status: number; body: unknown } {
  return { status, body: { error: { code, message } } }
}
