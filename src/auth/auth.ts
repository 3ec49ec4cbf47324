/**
 * Stage 4, auth: check the request's credentials against the operation's security, resolve the
 * principal (tenant and key), and apply the operation's gates (role, tier, flags). 401s and 403s come
 * out in the API's own envelope with the codes `x-standin.auth` names.
 */
import { ApiError } from '../errors.ts'
import type { Context } from '../core/context.ts'
import { varsOf } from '../core/context.ts'
import { anyCredential, credentialFor } from './credentials.ts'
import { verifyJwt } from './jwt.ts'
import type { AuthFailure, AuthModel } from '../spec/model.ts'
import type { KeyDef } from '../scenario/model.ts'

export function authenticate(ctx: Context): void {
  const op = ctx.op!
  const { behaviour } = ctx.world.api
  if (op.auth.open) {
    // No auth needed; a valid credential still names the tenant.
    resolveOptional(ctx)
    return applyGates(ctx)
  }
  let worst: AuthFailure | undefined
  // Whose codes the worst failure is told in: the scheme it came from, if the scheme has its own.
  let told: AuthModel = behaviour.auth
  const requirements = op.auth.requirements
  for (let r = 0; r < requirements.length; r++) {
    const requirement = requirements[r]!
    let failure: AuthFailure | undefined
    let auth: AuthModel = behaviour.auth
    let key: (KeyDef & { tenant: string }) | undefined
    for (let s = 0; s < requirement.length; s++) {
      const scheme = behaviour.schemes.get(requirement[s]![0])!
      auth = scheme.auth ?? behaviour.auth
      const token = credentialFor(scheme, ctx.headers, ctx.query)
      if (!token) { failure = 'missing'; break }
      // Not of this scheme's form: malformed, even if it is a key of another scheme's.
      if (auth.keyPattern && !auth.keyPattern.test(token)) { failure = 'malformed'; break }
      // A signed token: its signature first (a byte changed is malformed), then the world's key for it.
      // (One the world minted is signed: no need to check again.)
      const known = ctx.world.keys.get(token)
      if (auth.jwt && known?.jwt !== true && !verifyJwt(token, auth.jwt.secret)) { failure = 'malformed'; break }
      const found = known ?? (auth.jwt ? undefined : anyKey(ctx, token))
      if (!found) { failure = 'unknown'; break }
      if (found.revoked) { failure = 'revoked'; break }
      if (found.expiresAt !== undefined && found.expiresAt <= ctx.world.clock.now()) { failure = 'expired'; break }
      key = found
    }
    if (!failure && key) {
      // Every scope the requirement names, against the key that met it.
      const granted = key.scopes as string[] | undefined
      ctx.key = key
      ctx.tenant = ctx.world.tenants.get(key.tenant)
      if (!granted || !lacksScope(requirement, granted)) return applyGates(ctx)
      failure = 'forbidden'
    }
    if (failure && (worst === undefined || worse(worst, failure) !== worst)) {
      worst = failure
      told = auth
    }
  }
  worst ??= 'missing'
  throw new ApiError(told.errors[worst], { failure: worst, ...(worst === 'forbidden' ? { scopes: op.security.flatMap((r) => [...r.values()].flat()) } : {}) })
}

function lacksScope(requirement: Array<[string, string[]]>, granted: string[]): boolean {
  for (let s = 0; s < requirement.length; s++) for (const scope of requirement[s]![1]) if (!granted.includes(scope)) return true
  return false
}

function worse(a: AuthFailure, b: AuthFailure): AuthFailure {
  return RANK.indexOf(b) > RANK.indexOf(a) ? b : a
}

/** Which failure a request is told of when its credentials fail in several ways: the last here. */
const RANK: AuthFailure[] = ['missing', 'unknown', 'malformed', 'revoked', 'expired', 'forbidden']

function resolveOptional(ctx: Context): void {
  const { behaviour } = ctx.world.api
  for (const scheme of behaviour.schemes.values()) {
    const token = credentialFor(scheme, ctx.headers, ctx.query)
    const key = token ? (ctx.world.keys.get(token) ?? anyKey(ctx, token)) : undefined
    if (key) {
      ctx.key = key
      ctx.tenant = ctx.world.tenants.get(key.tenant)
      return
    }
  }
  // A key of the world sent some other way (the spec declares no scheme, or not this one).
  const token = anyCredential(ctx.headers, ctx.query, (t) => ctx.world.keys.has(t))
  const key = token ? ctx.world.keys.get(token) : undefined
  if (key && !key.revoked) {
    ctx.key = key
    ctx.tenant = ctx.world.tenants.get(key.tenant)
    return
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

/** A credential no tenant holds, taken as the built-in scenario's tenant's (see Scenario.anyKeyTenant). */
function anyKey(ctx: Context, token: string): (KeyDef & { tenant: string }) | undefined {
  const tenant = ctx.world.scenario.anyKeyTenant
  return tenant !== undefined && ctx.world.tenants.has(tenant) ? { token, tenant } : undefined
}
