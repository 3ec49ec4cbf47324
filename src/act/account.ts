/**
 * What an operation does to the caller's account: purchases on the caller's card (`pay`, and a
 * charge's auto `topUp`), tenant fields written on success (`setTenant`), and signed tokens minted
 * for the caller (`mint`) or revoked (`revoke`). A purchase is refused before anything changes — no
 * card, or a card that declines — and what it buys is added only when the request succeeds.
 */
import { ApiError } from '../errors.ts'
import type { Context } from '../core/context.ts'
import { varsOf } from '../core/context.ts'
import type { Evaluate } from '../util/expression.ts'
import type { Tenant } from '../world/world.ts'
import { mintToken, revokeTokens } from '../auth/tokens.ts'
import { isPlainObject } from '../util/match.ts'

/** The card a purchase is made on: `card` if the operation names one, else `payments.card` (the tenant's). */
function cardOf(ctx: Context, card: Evaluate | undefined, vars: Record<string, unknown>): unknown {
  const found = (card ?? ctx.world.api.behaviour.payments.card)(vars)
  return found === undefined || found === null || found === '' || found === false ? undefined : found
}

/** A card declines when its number (or token) is among `payments.declines`, or it says `declines: true`. */
function declines(ctx: Context, card: unknown): boolean {
  const { declines } = ctx.world.api.behaviour.payments
  if (typeof card === 'string' || typeof card === 'number') return declines.has(String(card).replace(/[\s-]/g, ''))
  if (!isPlainObject(card)) return false
  if (card.declines === true) return true
  for (const field of ['number', 'token', 'id']) {
    const value = card[field]
    if ((typeof value === 'string' || typeof value === 'number') && declines.has(String(value).replace(/[\s-]/g, ''))) return true
  }
  return false
}

/** Charges the card or refuses: `noCard` without one, `declined` when it declines. */
export function chargeCard(ctx: Context, purchase: { card?: Evaluate; noCard: string; declined: string }, vars: Record<string, unknown>, extra: Record<string, unknown> = {}): void {
  const card = cardOf(ctx, purchase.card, vars)
  if (card === undefined) throw new ApiError(purchase.noCard, extra)
  if (declines(ctx, card)) throw new ApiError(purchase.declined, extra)
}

/** An operation's `pay`: before it acts, the purchase on the card; its credit once it succeeds. */
export function pay(ctx: Context): void {
  const purchase = ctx.op!.account?.pay
  if (!purchase || !ctx.tenant) return
  const vars = varsOf(ctx)
  if (purchase.when && !purchase.when(vars)) return
  const amount = purchase.amount?.(vars)
  // Only a caller's own card: an anonymous request (an operation open to all) has none.
  if (!ctx.key) throw new ApiError(purchase.noCard, { amount })
  chargeCard(ctx, purchase, vars, { amount })
  const credit = purchase.credit
  if (!credit) return
  const tenant = ctx.tenant
  const n = Number(credit.amount(vars) ?? 0)
  if (Number.isFinite(n)) ctx.onSuccess.push(() => { tenant.balances[credit.balance] = (tenant.balances[credit.balance] ?? 0) + n })
}

/**
 * What an operation does to the account once it has acted: tenant fields written and tokens revoked
 * when it succeeds; a token minted now (the response shows it), revoked again if the request fails.
 */
export function settleAccount(ctx: Context): void {
  const account = ctx.op!.account
  if (!account) return
  const tenant = ctx.tenant
  if (account.mint && tenant) {
    const vars = varsOf(ctx)
    const user = account.mint.user ? account.mint.user(vars) : ctx.key?.user
    const role = account.mint.role ? account.mint.role(vars) : ctx.key?.role
    const key = mintToken(ctx.world, {
      tenant: tenant.id,
      ...(user !== undefined && user !== null ? { user: String(user) } : {}),
      ...(role !== undefined && role !== null ? { role: String(role) } : {}),
      ...(ctx.key?.scopes ? { scopes: ctx.key.scopes } : {}),
      ...(account.mint.ttlMs !== undefined ? { ttlMs: account.mint.ttlMs } : {}),
    })
    ctx.minted = { token: key.token, expiresAt: key.expiresAt, jti: key.jti, user: key.user, role: key.role }
    ctx.onFailure.push(() => { key.revoked = true })
  }
  // Only the caller's own account: an anonymous request (acting in the world's first tenant) writes none.
  if (account.setTenant.length > 0 && tenant && ctx.key) {
    ctx.onSuccess.push(() => {
      const vars = varsOf(ctx)
      for (const [path, render] of account.setTenant) {
        const value = render(vars)
        if (value !== undefined) writePath(tenant, path, value)
      }
    })
  }
  const revoke = account.revoke
  if (revoke) ctx.onSuccess.push(() => revokeTokens(ctx.world, ctx.key as Parameters<typeof revokeTokens>[1], revoke))
}

function writePath(tenant: Tenant, path: string[], value: unknown): void {
  let node: Record<string, unknown> = tenant
  for (let i = 0; i < path.length - 1; i++) {
    const next = node[path[i]!]
    node = (isPlainObject(next) ? next : (node[path[i]!] = {})) as Record<string, unknown>
  }
  node[path.at(-1)!] = value
}
