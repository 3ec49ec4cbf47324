/**
 * The compiled forms of the behaviour that acts on a caller's account rather than on one record:
 * conditions on the addressed record (`checks`), writes to the tenant (`setTenant`), purchases on a
 * card (`pay`, a charge's `topUp`), and signed tokens (`jwt`, `mint`, `revoke`).
 */
import type { Evaluate } from '../util/expression.ts'
import type { Render } from '../util/template.ts'
import type { Predicate } from '../util/match.ts'

/**
 * A condition checked once the addressed record and its parents are found, before anything changes:
 * `require` (an expression or a matcher) holds, or `value` matches the JSON Schema `schema` gives
 * (a record's own schema, which a user configured, or one of the spec's by `$ref`).
 */
export interface CheckModel {
  require?: Predicate
  value?: Evaluate
  /** The schema from data (an expression), or the spec's at a pointer. */
  schema?: { data: Evaluate } | { pointer: string }
  error: string
  pointer: string
}

/** Where a caller's card is, and which cards decline (`x-standin.payments`). */
export interface PaymentsModel {
  card: Evaluate
  declines: Set<string>
}

/** A purchase on a card: refused with `noCard` without one, `declined` when the card declines. */
export interface PurchaseModel {
  when?: Evaluate
  card?: Evaluate
  amount?: Evaluate
  noCard: string
  declined: string
  /** Credit added to a balance when the purchase goes through. */
  credit?: { balance: string; amount: Evaluate }
  pointer: string
}

/** A charge short of credit buys more on the card first, when `when` holds (auto top-up). */
export interface TopUpModel {
  when?: Evaluate
  credits: Evaluate
  card?: Evaluate
  noCard: string
  declined: string
}

/** Signed tokens: credentials that are JWTs (HS256) the world signs, with `exp` on the world clock. */
export interface JwtModel {
  secret: string
  ttlMs: number
  issuer?: string
  claims: Array<[string, Render]>
}

/** What a successful operation does to the caller's account. */
export interface AccountModel {
  /** Tenant fields written on success: dotted paths (`flags.termsAccepted`) and templates. */
  setTenant: Array<[string[], Render]>
  pay?: PurchaseModel
  /** A signed token made for the caller (`minted` in the response's templates). */
  mint?: { user?: Evaluate; role?: Evaluate; ttlMs?: number }
  /** Tokens revoked on success: this request's, the caller's user's others, or all of the user's. */
  revoke?: 'self' | 'others' | 'user'
}
