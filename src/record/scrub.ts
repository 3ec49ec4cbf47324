/**
 * Secrets taken out of what `standin record` writes down: values of fields whose names say they are
 * secret (authorization, cookies, passwords, tokens, keys, emails, …), every email address, and
 * strings that look like credentials wherever they are (JWTs, bearer tokens, `sk_live_…` keys).
 * A scrubbed value keeps its shape — a prefix such as `sk_live_`, letters as letters, digits as
 * digits, an email as an email — so it still fits the schema's pattern and format, and the same
 * secret is always the same stand-in (records that referred to each other still do).
 */
import { isPlainObject } from '../util/match.ts'

/** Field names scrubbed by default; a name matches when, lower-cased without `_`/`-`, it contains one. */
export const DEFAULT_SCRUB = ['authorization', 'cookie', 'password', 'passwd', 'secret', 'token', 'apikey', 'accesskey', 'privatekey', 'clientsecret', 'credential', 'email', 'signature', 'ssn', 'cardnumber', 'cvc', 'iban', 'phone']

export interface ScrubOptions {
  /** Field names to scrub besides the defaults. */
  also?: string[]
  /** Field names to leave alone, though a default would scrub them (a pagination `nextToken`). */
  keep?: string[]
  /** Leave out the defaults: only `also` (and the value patterns) apply. */
  noDefaults?: boolean
}

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g
/** A JWT, a bearer credential, or a key with a well-known secret prefix. */
const CREDENTIAL = /^(?:eyJ[\w-]+\.[\w-]+\.[\w-]*|(?:Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{8,}|(?:sk|rk|pk)_(?:live|test)_\w+|gh[pousr]_\w{20,}|xox[abprs]-[\w-]+|AKIA[0-9A-Z]{16}|AIza[\w-]{30,})$/

const normal = (name: string) => name.toLowerCase().replace(/[-_\s]/g, '')

export class Scrubber {
  private readonly names: string[]
  private readonly keep: Set<string>
  private readonly emails = new Map<string, string>()
  /** Scrubbed so far: the number written down, by field name. */
  readonly counts = new Map<string, number>()

  constructor(options: ScrubOptions = {}) {
    this.names = [...(options.noDefaults ? [] : DEFAULT_SCRUB), ...(options.also ?? [])].map(normal)
    this.keep = new Set((options.keep ?? []).map(normal))
  }

  /** Whether a field of this name is scrubbed whole. */
  secretName(name: string): boolean {
    const n = normal(name)
    if (this.keep.has(n)) return false
    return n === 'key' || this.names.some((s) => n.includes(s))
  }

  /** A copy of `value` with its secrets replaced. */
  scrub(value: unknown, name = ''): unknown {
    if (typeof value === 'string') {
      if (name && this.secretName(name)) return this.count(name, this.standIn(value))
      if (CREDENTIAL.test(value.trim())) return this.count(name || '(value)', this.standIn(value))
      return value.replace(EMAIL, (email) => this.count('(email)', this.email(email)))
    }
    if (Array.isArray(value)) return value.map((v) => this.scrub(v, name))
    if (isPlainObject(value)) {
      const secret = name !== '' && this.secretName(name)
      const out: Record<string, unknown> = {}
      // Inside a secret field, every string is scrubbed (as if its own name were secret).
      for (const [k, v] of Object.entries(value)) out[k] = this.scrub(v, secret ? name : k)
      return out
    }
    return value
  }

  private count(name: string, value: string): string {
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1)
    return value
  }

  /** The same email, the same stand-in: user1@example.com, user2@example.com, … */
  private email(email: string): string {
    let made = this.emails.get(email.toLowerCase())
    if (!made) this.emails.set(email.toLowerCase(), (made = `user${this.emails.size + 1}@example.com`))
    return made
  }

  /** A string of the same shape: an email stays an email, a short word prefix stays, letters and digits masked (a, A, 0: still valid hex, still of its pattern). */
  private standIn(value: string): string {
    if (/^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$/.test(value)) return this.email(value)
    const scheme = /^(Bearer|Basic|Token)\s+/i.exec(value)?.[0] ?? ''
    const rest = value.slice(scheme.length)
    const cut = Math.max(rest.lastIndexOf('_'), rest.lastIndexOf('-'))
    const prefix = cut > 0 && cut <= 12 && /^[A-Za-z_-]+$/.test(rest.slice(0, cut + 1)) ? rest.slice(0, cut + 1) : ''
    return scheme + prefix + rest.slice(prefix.length).replace(/[a-z]/g, 'a').replace(/[A-Z]/g, 'A').replace(/[0-9]/g, '0')
  }
}
