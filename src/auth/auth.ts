/**
 * Stage 4, auth: check the request's credentials against the operation's security, resolve the
 * principal (tenant and key), and apply the operation's gates (role, tier, flags). 401s and 403s come
 * out in the API's own envelope with the codes `x-standin.auth` names.
 */
import { ApiError } from '../errors.ts'
import type { Context } from '../core/context.ts'
import { varsOf } from '../core/context.ts'
import { credentialFor } from './credentials.ts'
import type { AuthFailure } from '../spec/model.ts'

export function authenticate(ctx: Context): void {
  const op = ctx.op!
  const { behaviour } = ctx.world.api
  if (op.security.length === 0 || op.security.some((req) => req.size === 0)) {
    // No auth needed; a valid credential still names the tenant.
    resolveOptional(ctx)
    return applyGates(ctx)
  }
  let worst: AuthFailure = 'missing'
  const note = (f: AuthFailure) => { if (RANK.indexOf(f) > RANK.indexOf(worst)) worst = f }
  for (const requirement of op.security) {
    let ok = true
    let resolved: { tenant: string; key: any } | undefined
    let scopesNeeded: string[] = []
    for (const [schemeName, scopes] of requirement) {
      const scheme = behaviour.schemes.get(schemeName)!
      const token = credentialFor(scheme, ctx.headers, ctx.query)
      if (!token) { ok = false; note('missing'); break }
      const key = ctx.world.keys.get(token)
      if (!key) {
        ok = false
        note(behaviour.auth.keyPattern && !behaviour.auth.keyPattern.test(token) ? 'malformed' : 'unknown')
        break
      }
      if (key.revoked) { ok = false; note('revoked'); break }
      if (key.expiresAt !== undefined && key.expiresAt <= ctx.world.clock.now()) { ok = false; note('expired'); break }
      resolved = { tenant: key.tenant, key }
      scopesNeeded = scopesNeeded.concat(scopes)
    }
    if (!ok || !resolved) continue
    const granted = resolved.key.scopes as string[] | undefined
    if (granted && scopesNeeded.some((s) => !granted.includes(s))) {
      note('forbidden')
      ctx.key = resolved.key
      ctx.tenant = ctx.world.tenants.get(resolved.tenant)
      continue
    }
    ctx.key = resolved.key
    ctx.tenant = ctx.world.tenants.get(resolved.tenant)
    return applyGates(ctx)
  }
  const failure = worst as AuthFailure
  throw new ApiError(behaviour.auth.errors[failure], { failure, ...(failure === 'forbidden' ? { scopes: op.security.flatMap((r) => [...r.values()].flat()) } : {}) })
}

/** Which failure a request is told of when its credentials fail in several ways: the last here. */
const RANK: AuthFailure[] = ['missing', 'unknown', 'malformed', 'revoked', 'expired', 'forbidden']

function resolveOptional(ctx: Context): void {
  const { behaviour } = ctx.world.api
  for (const scheme of behaviour.schemes.values()) {
    const token = credentialFor(scheme, ctx.headers, ctx.query)
    const key = token ? ctx.world.keys.get(token) : undefined
    if (key) {
      ctx.key = key
      ctx.tenant = ctx.world.tenants.get(key.tenant)
      return
    }
  }
  // An operation open to all still acts in a tenant: the world's first, so that what an anonymous
  // client creates it can read back.
  ctx.tenant = ctx.world.tenants.values().next().value
}

function applyGates(ctx: Context): void {
  const gates = ctx.op!.gates
  if (gates.length === 0) return
  const vars = varsOf(ctx)
  for (const gate of gates) if (!gate.require(vars)) throw new ApiError(gate.error)
}
