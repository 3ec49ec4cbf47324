/**
 * Compiling the `x-standin` behaviour on a caller's account: an operation's `checks`, `setTenant`,
 * `pay`, `mint` and `revoke`, a charge's `topUp`, the document's `payments`, and `auth.jwt`. Every
 * problem is reported with its JSON pointer.
 */
import type { Problems } from '../errors.ts'
import { compileMatcher, isPlainObject } from '../util/match.ts'
import { parseDuration } from '../util/duration.ts'
import { asList, compileHeaders, expression } from './behaviour.ts'
import type { AccountModel, CheckModel, JwtModel, PaymentsModel, PurchaseModel, TopUpModel } from './account-model.ts'
import type { Evaluate } from '../util/expression.ts'
import type { Predicate } from '../util/match.ts'

/** A condition: an expression (`'{eq(a, b)}'`, truthy passes) or a matcher object, as gates take. */
export function condition(value: unknown, at: string, problems: Problems): Predicate {
  if (typeof value === 'string' || typeof value === 'boolean') {
    const evaluate = expression(value, at, problems)
    return (vars) => Boolean(evaluate(vars))
  }
  try {
    return compileMatcher(value)
  } catch (error) {
    problems.add(at, (error as Error).message)
    return () => true
  }
}

const CHECK_FIELDS = ['require', 'value', 'schema', 'error']

export function compileChecks(def: unknown, at: string, problems: Problems): CheckModel[] {
  return asList(def, at, problems).map(([c, p]) => {
    if (!isPlainObject(c)) {
      problems.add(p, 'a check is {require, error} or {value, schema, error}')
      return { error: '', pointer: p }
    }
    for (const key of Object.keys(c)) if (!CHECK_FIELDS.includes(key)) problems.add(`${p}/${key}`, `"${key}" is not a field of a check (${CHECK_FIELDS.join(', ')})`)
    if (typeof c.error !== 'string') problems.add(`${p}/error`, 'a check names the error code it answers with')
    const check: CheckModel = { error: String(c.error ?? ''), pointer: p }
    if (c.require !== undefined) check.require = condition(c.require, `${p}/require`, problems)
    if (c.schema !== undefined) {
      // A `$ref` (or a plain pointer) is one of the spec's schemas; anything else an expression giving one.
      const ref = isPlainObject(c.schema) && typeof c.schema.$ref === 'string' ? c.schema.$ref : typeof c.schema === 'string' && c.schema.startsWith('#/') ? c.schema : undefined
      check.schema = ref !== undefined ? { pointer: ref.slice(1) } : { data: expression(c.schema, `${p}/schema`, problems) }
      check.value = expression(c.value ?? '{body}', `${p}/value`, problems)
    } else if (c.value !== undefined) problems.add(`${p}/schema`, 'a check with a value needs the schema it must match')
    if (check.require === undefined && check.schema === undefined) problems.add(p, 'a check needs `require` (a condition) or `schema` (with `value`)')
    return check
  })
}

export function compileAccount(x: any, at: string, problems: Problems): AccountModel | undefined {
  if (x.setTenant === undefined && x.pay === undefined && x.mint === undefined && x.revoke === undefined) return undefined
  const account: AccountModel = { setTenant: [] }
  if (x.setTenant !== undefined) {
    if (!isPlainObject(x.setTenant)) problems.add(`${at}/setTenant`, 'setTenant maps tenant paths (flags.termsAccepted) to values or templates')
    else {
      const rendered = compileHeaders(x.setTenant, `${at}/setTenant`, problems)
      for (const [path, render] of rendered) {
        const parts = path.split('.')
        if (parts.some((p) => p === '' || p === '__proto__' || p === 'constructor' || p === 'prototype') || parts[0] === 'id') problems.add(`${at}/setTenant/${path}`, `"${path}" is not a tenant path that can be written (flags.x, balances.x, tier, card …; not id)`)
        else account.setTenant.push([parts, render])
      }
    }
  }
  if (x.pay !== undefined) account.pay = compilePurchase(x.pay, `${at}/pay`, problems)
  if (x.mint !== undefined) {
    const m = isPlainObject(x.mint) ? x.mint : {}
    if (!isPlainObject(x.mint) && x.mint !== true) problems.add(`${at}/mint`, 'mint is true or {user, role, ttl}')
    let ttlMs: number | undefined
    if (m.ttl !== undefined && (ttlMs = parseDuration(m.ttl)) === undefined) problems.add(`${at}/mint/ttl`, 'ttl is a duration such as 1h')
    account.mint = {
      ...(m.user !== undefined ? { user: expression(m.user, `${at}/mint/user`, problems) } : {}),
      ...(m.role !== undefined ? { role: expression(m.role, `${at}/mint/role`, problems) } : {}),
      ...(ttlMs !== undefined ? { ttlMs } : {}),
    }
  }
  if (x.revoke !== undefined) {
    if (x.revoke === 'self' || x.revoke === 'others' || x.revoke === 'user') account.revoke = x.revoke
    else problems.add(`${at}/revoke`, 'revoke is self (this request\'s token), others (the user\'s other tokens) or user (all of the user\'s tokens)')
  }
  return account
}

function optional(value: unknown, at: string, problems: Problems): Evaluate | undefined {
  return value === undefined ? undefined : expression(value, at, problems)
}

function compilePurchase(def: unknown, at: string, problems: Problems): PurchaseModel {
  const d: any = isPlainObject(def) ? def : {}
  if (!isPlainObject(def)) problems.add(at, 'pay is {noCard, declined, when?, card?, amount?, credit?}')
  for (const field of ['noCard', 'declined'] as const) if (typeof d[field] !== 'string') problems.add(`${at}/${field}`, `pay names the error code for ${field === 'noCard' ? 'a caller without a card' : 'a card that declines'}`)
  let credit: PurchaseModel['credit']
  if (d.credit !== undefined) {
    if (!isPlainObject(d.credit) || typeof (d.credit as any).balance !== 'string') problems.add(`${at}/credit`, 'credit is {balance, amount}: the balance a purchase adds to')
    else credit = { balance: (d.credit as any).balance, amount: expression((d.credit as any).amount ?? 0, `${at}/credit/amount`, problems) }
  }
  return {
    when: optional(d.when, `${at}/when`, problems),
    card: optional(d.card, `${at}/card`, problems),
    amount: optional(d.amount, `${at}/amount`, problems),
    noCard: String(d.noCard ?? ''), declined: String(d.declined ?? ''), credit, pointer: at,
  }
}

export function compileTopUp(def: unknown, at: string, problems: Problems): TopUpModel | undefined {
  if (def === undefined) return undefined
  const d: any = isPlainObject(def) ? def : {}
  if (!isPlainObject(def)) problems.add(at, 'topUp is {when?, credits, noCard, declined}')
  for (const field of ['noCard', 'declined'] as const) if (typeof d[field] !== 'string') problems.add(`${at}/${field}`, `topUp names the error code for ${field === 'noCard' ? 'a caller without a card' : 'a card that declines'}`)
  if (d.credits === undefined) problems.add(`${at}/credits`, 'topUp says how many credits one top-up buys')
  return {
    when: optional(d.when, `${at}/when`, problems),
    credits: expression(d.credits ?? 0, `${at}/credits`, problems),
    card: optional(d.card, `${at}/card`, problems),
    noCard: String(d.noCard ?? ''), declined: String(d.declined ?? ''),
  }
}

/**
 * Card numbers payment providers document as test cards that decline (generic decline, insufficient
 * funds, lost, expired, incorrect CVC, processing error), used when `payments.declines` is not given.
 */
const TEST_DECLINES = ['4000000000000002', '4000000000009995', '4000000000009987', '4000000000000069', '4000000000000127', '4000000000000119']

export function compilePayments(def: unknown, at: string, problems: Problems): PaymentsModel {
  const d: any = isPlainObject(def) ? def : {}
  if (def !== undefined && !isPlainObject(def)) problems.add(at, 'payments is {card, declines}')
  if (d.declines !== undefined && !Array.isArray(d.declines)) problems.add(`${at}/declines`, 'declines is a list of card numbers (or tokens) that decline')
  return {
    card: expression(d.card ?? '{tenant.card}', `${at}/card`, problems),
    declines: new Set((Array.isArray(d.declines) ? d.declines : TEST_DECLINES).map(String)),
  }
}

const JWT_FIELDS = ['ttl', 'secret', 'issuer', 'claims']

/** `auth.jwt`: true, or {ttl, secret, issuer, claims}. `false` turns an inherited one off. */
export function compileJwt(def: unknown, at: string, problems: Problems): JwtModel | false | undefined {
  if (def === undefined) return undefined
  if (def === false) return false
  const d: any = isPlainObject(def) ? def : {}
  if (def !== true && !isPlainObject(def)) problems.add(at, 'jwt is true, false, or {ttl, secret, issuer, claims}')
  for (const key of Object.keys(d)) if (!JWT_FIELDS.includes(key)) problems.add(`${at}/${key}`, `"${key}" is not a field of jwt (${JWT_FIELDS.join(', ')})`)
  let ttlMs = 3_600_000
  if (d.ttl !== undefined) {
    const parsed = parseDuration(d.ttl)
    if (parsed === undefined || parsed <= 0) problems.add(`${at}/ttl`, 'ttl is a duration such as 1h')
    else ttlMs = parsed
  }
  if (d.secret !== undefined && (typeof d.secret !== 'string' || d.secret === '')) problems.add(`${at}/secret`, 'secret is a non-empty string')
  if (d.claims !== undefined && !isPlainObject(d.claims)) problems.add(`${at}/claims`, 'claims maps claim names to values or templates')
  return {
    secret: typeof d.secret === 'string' && d.secret !== '' ? d.secret : 'standin-jwt-secret',
    ttlMs,
    ...(typeof d.issuer === 'string' ? { issuer: d.issuer } : {}),
    claims: compileHeaders(isPlainObject(d.claims) ? d.claims : undefined, `${at}/claims`, problems),
  }
}
