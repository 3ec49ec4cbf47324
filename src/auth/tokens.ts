/**
 * Signed tokens of a world: minted for a tenant's user (by the scenario, the control API, or an
 * operation's `mint`), revoked by an operation's `revoke` (logout, "sign out everywhere"). A minted
 * token is a JWT (src/auth/jwt.ts) and one of the world's keys, so it selects its world and passes
 * auth until it expires on the world's clock or is revoked.
 */
import type { BehaviourModel } from '../spec/model.ts'
import type { JwtModel } from '../spec/account-model.ts'
import type { KeyDef } from '../scenario/model.ts'
import type { World } from '../world/world.ts'
import { signJwt, verifyJwt } from './jwt.ts'

export type Key = KeyDef & { tenant: string }

/** The signed tokens the API takes: the document's `auth.jwt`, else the first scheme's own. */
export function signingOf(behaviour: BehaviourModel): JwtModel | undefined {
  if (behaviour.auth.jwt) return behaviour.auth.jwt
  for (const scheme of behaviour.schemeList) if (scheme.auth?.jwt) return scheme.auth.jwt
  return undefined
}

export interface MintOptions {
  tenant: string
  user?: string
  role?: string
  scopes?: string[]
  /** Lifetime from now (ms); else `expiresAt`; else the API's `jwt.ttl`. */
  ttlMs?: number
  /** Epoch ms. */
  expiresAt?: number
  revoked?: boolean
  /** What a scenario calls the key (its `token` there), to find the JWT by. */
  name?: string
  /** Other fields of the key (a scenario's), kept on it. */
  extra?: Record<string, unknown>
  /** A scenario's own key: it stays through a reset (a minted one goes). */
  scenario?: boolean
}

/** The claims of a token for `options`, as the world mints it now. */
function claimsOf(world: World, jwt: JwtModel, options: MintOptions, jti: string): { claims: Record<string, unknown>; expiresAt: number } {
  const now = world.clock.now()
  const expiresAt = options.ttlMs !== undefined ? now + options.ttlMs : options.expiresAt ?? now + jwt.ttlMs
  const claims: Record<string, unknown> = {
    ...(jwt.issuer ? { iss: jwt.issuer } : {}),
    sub: options.user ?? options.tenant,
    tid: options.tenant,
    ...(options.role !== undefined ? { role: options.role } : {}),
    ...(options.scopes ? { scope: options.scopes.join(' ') } : {}),
    iat: Math.floor(now / 1000),
    exp: Math.floor(expiresAt / 1000),
    jti,
  }
  if (jwt.claims.length > 0) {
    const vars = { tenant: world.tenants.get(options.tenant), key: { user: options.user, role: options.role, scopes: options.scopes }, now }
    for (const [name, render] of jwt.claims) {
      const value = render(vars)
      if (value !== undefined && !Object.hasOwn(claims, name)) claims[name] = value
    }
  }
  // A token expires on a whole second (its `exp`): the key says the same, so both agree.
  return { claims, expiresAt: Math.floor(expiresAt / 1000) * 1000 }
}

/**
 * A new signed token for a tenant's user, added to the world's keys. Throws when the API takes no
 * signed tokens or the tenant is not in the world.
 */
export function mintToken(world: World, options: MintOptions): Key {
  const jwt = signingOf(world.api.behaviour)
  if (!jwt) throw new Error('this API takes no signed tokens (x-standin.auth.jwt)')
  if (!world.tenants.has(options.tenant)) throw new Error(`no tenant "${options.tenant}" in world ${world.id} (it has: ${[...world.tenants.keys()].join(', ')})`)
  // The world's id in the token id: two worlds never mint the same token, so a token selects one.
  // (A world read back from a snapshot numbers from 1 again: past the ids its keys already hold.)
  let jti: string
  let minted: { claims: Record<string, unknown>; expiresAt: number }
  let token: string
  do {
    jti = `${world.id}.${++world.tokenSeq}`
    minted = claimsOf(world, jwt, options, jti)
    token = signJwt(minted.claims, jwt.secret)
  } while (world.keys.has(token))
  const expiresAt = minted.expiresAt
  const key: Key = {
    ...options.extra,
    token,
    tenant: options.tenant,
    jwt: true,
    jti,
    expiresAt,
    ...(options.user !== undefined ? { user: options.user } : {}),
    ...(options.role !== undefined ? { role: options.role } : {}),
    ...(options.scopes ? { scopes: options.scopes } : {}),
    ...(options.name !== undefined ? { name: options.name } : {}),
    ...(options.revoked ? { revoked: true } : {}),
  }
  world.addKey(key, !options.scenario)
  return key
}

/**
 * The scenario's keys marked `jwt: true` made signed tokens when the world starts: the key's
 * `token` is its name, its JWT the credential (iat the world's start, exp its `expiresAt`, else the
 * start plus the API's ttl). A key already minted (a world read back from a snapshot) stays.
 */
export function mintScenarioTokens(world: World): void {
  const jwt = signingOf(world.api.behaviour)
  if (!jwt) return
  for (const key of [...world.keys.values()]) {
    if (key.jwt !== true || verifyJwt(key.token, jwt.secret)) continue
    const { token, tenant, user, role, scopes, expiresAt, revoked, jwt: _jwt, expiresAfter: _after, ...extra } = key
    if (!world.tenants.has(tenant)) continue
    world.keys.delete(token)
    mintToken(world, { tenant, user, role, scopes, expiresAt, revoked, name: String(key.name ?? token), extra, scenario: true })
  }
}

/**
 * Revokes tokens as an operation's `revoke` says: `self`, the request's own; `others`, every other
 * key of the same tenant and user; `user`, all of them. Keys of other users are untouched.
 */
export function revokeTokens(world: World, key: Key | undefined, how: 'self' | 'others' | 'user'): void {
  if (!key) return
  if (how === 'self') { key.revoked = true; return }
  for (const other of world.keys.values()) {
    if (other.tenant !== key.tenant || other.user !== key.user) continue
    if (how === 'others' && other === key) continue
    other.revoked = true
  }
}
