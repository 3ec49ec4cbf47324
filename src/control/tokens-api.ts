/**
 * `POST /__standin/worlds/:id/tokens {tenant, user?, role?, scopes?, ttl?, expiresAt?}` → 201
 * `{token, tenant, user, role, scopes, expiresAt}`: a signed token (x-standin.auth.jwt) minted in the
 * world for a tenant's user, as a sign-in would give one — for a browser app under development or a
 * test that needs a user of its own.
 */
import type { World } from '../world/world.ts'
import { mintToken, signingOf } from '../auth/tokens.ts'
import { parseDuration } from '../util/duration.ts'
import { isPlainObject } from '../util/match.ts'

export function answerTokens(world: World, method: string, body: unknown): { status: number; body: unknown } {
  if (method !== 'POST') return refuse(405, 'method_not_allowed', 'POST {"tenant": "<id>", "user": "<name>", "role": "<role>", "ttl": "1h"}')
  if (!signingOf(world.api.behaviour)) return refuse(404, 'no_signed_tokens', 'This API takes no signed tokens: its spec has no x-standin.auth.jwt.')
  const b: Record<string, unknown> = isPlainObject(body) ? body : {}
  const tenant = b.tenant ?? world.tenants.keys().next().value
  if (typeof tenant !== 'string' || !world.tenants.has(tenant)) return refuse(400, 'invalid_request', `tenant is one of the world's tenants (${[...world.tenants.keys()].join(', ')})`)
  for (const field of ['user', 'role'] as const) if (b[field] !== undefined && typeof b[field] !== 'string') return refuse(400, 'invalid_request', `${field} is a string`)
  if (b.scopes !== undefined && !(Array.isArray(b.scopes) && b.scopes.every((s) => typeof s === 'string'))) return refuse(400, 'invalid_request', 'scopes is a list of strings')
  let ttlMs: number | undefined
  if (b.ttl !== undefined && ((ttlMs = parseDuration(b.ttl)) === undefined || ttlMs < 0)) return refuse(400, 'invalid_request', 'ttl is a duration: 90s, 30m, 1h (0s: expired at once)')
  let expiresAt: number | undefined
  if (b.expiresAt !== undefined && (typeof b.expiresAt !== 'string' || Number.isNaN(expiresAt = Date.parse(b.expiresAt)))) return refuse(400, 'invalid_request', 'expiresAt is an ISO 8601 date-time')
  const key = mintToken(world, {
    tenant,
    ...(typeof b.user === 'string' ? { user: b.user } : {}),
    ...(typeof b.role === 'string' ? { role: b.role } : {}),
    ...(Array.isArray(b.scopes) ? { scopes: b.scopes as string[] } : {}),
    ...(ttlMs !== undefined ? { ttlMs } : {}),
    ...(expiresAt !== undefined ? { expiresAt } : {}),
  })
  return {
    status: 201,
    body: { token: key.token, tenant, user: key.user, role: key.role, scopes: key.scopes, expiresAt: new Date(key.expiresAt!).toISOString() },
  }
}

function refuse(status: number, code: string, message: string): { status: number; body: unknown } {
  return { status, body: { error: { code, message } } }
}
