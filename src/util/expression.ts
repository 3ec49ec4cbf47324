/**
 * The small expression language inside `{…}` placeholders of templates: paths into the request
 * context (`body.ttl`, `record.id`, `tenant.tier`), numbers and 'strings', `+ - * /`, `??`, and a
 * few functions (`pick` maps a value to another: a price by format, a word by a flag). Expressions
 * are parsed once at start-up into closures.
 *
 * @example
 * compileExpression('iso(now + (body.ttl ?? 1800) * 1000)')({ now: 0, body: {} })
 * // '1970-01-01T00:30:00.000Z'
 */
import { isoString } from './iso.ts'

export type Vars = Record<string, unknown>
export type Evaluate = (vars: Vars) => unknown

const FUNCTIONS: Record<string, (...args: any[]) => unknown> = {
  iso: (ms: unknown) => (typeof ms === 'number' && Number.isFinite(ms) ? isoString(ms) : undefined),
  epoch: (ms: unknown) => (typeof ms === 'number' ? Math.floor(ms / 1000) : undefined),
  ceil: (n: number) => Math.ceil(n),
  floor: (n: number) => Math.floor(n),
  round: (n: number) => Math.round(n),
  min: (...n: number[]) => Math.min(...n),
  max: (...n: number[]) => Math.max(...n),
  lower: (s: unknown) => String(s ?? '').toLowerCase(),
  upper: (s: unknown) => String(s ?? '').toUpperCase(),
  string: (s: unknown) => (s === undefined ? undefined : String(s)),
  number: (s: unknown) => (s === undefined || s === null || s === '' ? undefined : Number(s)),
  json: (s: unknown) => JSON.stringify(s),
  len: (s: unknown) => (Array.isArray(s) || typeof s === 'string' ? s.length : undefined),
  /**
   * `pick(body.format, 'image', 1, 'video', 10, 2)`: the value after the first key equal to the
   * first argument; the last argument, when it has no pair, is the fallback (else undefined).
   */
  pick: (value: unknown, ...pairs: unknown[]) => {
    for (let i = 0; i + 1 < pairs.length; i += 2) if (pairs[i] === value) return pairs[i + 1]
    return pairs.length % 2 === 1 ? pairs[pairs.length - 1] : undefined
  },
  /** Comparisons, loose as a matcher's (`'3'` equals `3`: headers and query values arrive as strings). */
  eq: (a: unknown, b: unknown) => looseEquals(a, b),
  ne: (a: unknown, b: unknown) => !looseEquals(a, b),
  gt: (a: unknown, b: unknown) => Number(a) > Number(b),
  gte: (a: unknown, b: unknown) => Number(a) >= Number(b),
  lt: (a: unknown, b: unknown) => Number(a) < Number(b),
  lte: (a: unknown, b: unknown) => Number(a) <= Number(b),
  not: (a: unknown) => !a,
  and: (...a: unknown[]) => a.every(Boolean),
  or: (...a: unknown[]) => a.some(Boolean),
  /** `includes(tenant.flags.failingModels, body.model)`: a list holds the value, or a string the text. */
  includes: (list: unknown, value: unknown) => (Array.isArray(list) ? list.some((x) => looseEquals(x, value)) : typeof list === 'string' && value !== undefined && value !== null && list.includes(String(value))),
  /** `get(record.roles, key.user)`: an object's field named by a value (a path names it only literally). */
  get: (object: unknown, key: unknown) => (object !== null && typeof object === 'object' && (typeof key === 'string' || typeof key === 'number') && Object.hasOwn(object, key) ? (object as Record<string, unknown>)[key] : undefined),
  /** `find(record.members, 'userId', key.user)`: the first item of a list whose field equals the value. */
  find: (list: unknown, field: unknown, value: unknown) => (Array.isArray(list) ? list.find((x) => x !== null && typeof x === 'object' && looseEquals((x as Record<string, unknown>)[String(field)], value)) : undefined),
  /** `host(body.url)`: the lower-case host name of an absolute URL (one with a protocol); else undefined. */
  host: (url: unknown) => hostOf(url),
  /** `domain(body.url)`: the host without a leading `www.`, so a site's pages count as one destination. */
  domain: (url: unknown) => hostOf(url)?.replace(/^www\./, ''),
  /** `slice(id, 4)`: part of a string (as String.prototype.slice). */
  slice: (s: unknown, start: unknown, end?: unknown) => (typeof s === 'string' && typeof start === 'number' ? s.slice(start, typeof end === 'number' ? end : undefined) : undefined),
}

/**
 * Where `lookup` finds records: the world's store, which the request's variables carry under this
 * key (a symbol: no template path reaches it). Without it (a timer's or an event's variables), a
 * lookup finds nothing.
 */
export const RECORDS: unique symbol = Symbol('standin.records')

export interface RecordSource {
  list(resource: string, tenant: string): Iterable<{ data: Record<string, unknown> }>
}

/** Functions that read the world through the variables, not only their arguments. */
const WORLD_FUNCTIONS: Record<string, { arity: (n: number) => string | undefined; fn: (vars: Vars, ...args: any[]) => unknown }> = {
  /**
   * `lookup('member', 'workspaceId', path.workspaceId, 'userId', key.user)`: the first record of a
   * resource in the caller's tenant whose fields equal the values (loose, as `eq`), or undefined —
   * the caller's own membership, whose role a check reads: `lookup(…).role`. A value that is
   * undefined or null matches nothing.
   */
  lookup: {
    arity: (n) => (n >= 3 && n % 2 === 1 ? undefined : "lookup takes a resource and field, value pairs: lookup('member', 'userId', key.user)"),
    fn: (vars, resource: unknown, ...pairs: unknown[]) => {
      const source = vars[RECORDS as unknown as string] as RecordSource | undefined
      const tenant = (vars.tenant as { id?: unknown } | undefined)?.id
      if (!source || typeof resource !== 'string' || typeof tenant !== 'string') return undefined
      for (let i = 1; i < pairs.length; i += 2) if (pairs[i] === undefined || pairs[i] === null) return undefined
      for (const r of source.list(resource, tenant)) {
        let all = true
        for (let i = 0; all && i + 1 < pairs.length; i += 2) all = looseEquals(r.data[String(pairs[i])], pairs[i + 1])
        if (all) return r.data
      }
      return undefined
    },
  },
}

function looseEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (a === undefined || a === null || b === undefined || b === null) return false
  if (typeof a === 'object' || typeof b === 'object') return JSON.stringify(a) === JSON.stringify(b)
  return String(a) === String(b)
}

function hostOf(url: unknown): string | undefined {
  if (typeof url !== 'string' || !/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return undefined
  try {
    return new URL(url).hostname.toLowerCase() || undefined
  } catch {
    return undefined
  }
}

type Token = { kind: 'num' | 'str' | 'id' | 'op'; value: string }

function tokenize(src: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < src.length) {
    const c = src[i]!
    if (/\s/.test(c)) { i++; continue }
    if (/[0-9]/.test(c)) {
      const m = /^\d+(\.\d+)?/.exec(src.slice(i))!
      tokens.push({ kind: 'num', value: m[0] })
      i += m[0].length
    } else if (c === "'") {
      const end = src.indexOf("'", i + 1)
      if (end < 0) throw new SyntaxError('unterminated string')
      tokens.push({ kind: 'str', value: src.slice(i + 1, end) })
      i = end + 1
    } else if (/[A-Za-z_$]/.test(c)) {
      const m = /^[A-Za-z_$][\w$-]*/.exec(src.slice(i))!
      tokens.push({ kind: 'id', value: m[0] })
      i += m[0].length
    } else if (src.startsWith('??', i)) {
      tokens.push({ kind: 'op', value: '??' })
      i += 2
    } else if ('+-*/().,[]'.includes(c)) {
      tokens.push({ kind: 'op', value: c })
      i++
    } else {
      throw new SyntaxError(`unexpected "${c}"`)
    }
  }
  return tokens
}

/** Parses an expression; throws SyntaxError with a readable message when it is not one. */
export function compileExpression(src: string): Evaluate {
  const tokens = tokenize(src)
  let pos = 0
  const peek = () => tokens[pos]
  const take = (value?: string): Token => {
    const t = tokens[pos]
    if (!t || (value !== undefined && t.value !== value)) {
      throw new SyntaxError(`expected ${value ?? 'a value'} at token ${pos + 1}`)
    }
    pos++
    return t
  }
  const binary = (next: () => Evaluate, ops: string[]): Evaluate => {
    let left = next()
    while (peek()?.kind === 'op' && ops.includes(peek()!.value)) {
      const op = take().value
      const l = left
      const r = next()
      // Only ?? leaves its right side unevaluated; the others take both values (no closure per evaluation).
      left = op === '??' ? (v) => l(v) ?? r(v) : (v) => applyOp(op, l(v), r(v))
    }
    return left
  }
  const coalesce = (): Evaluate => binary(additive, ['??'])
  const additive = (): Evaluate => binary(multiplicative, ['+', '-'])
  const multiplicative = (): Evaluate => binary(unary, ['*', '/'])
  const unary = (): Evaluate => {
    if (peek()?.value === '-' && peek()?.kind === 'op') {
      take()
      const inner = unary()
      return (v) => -(inner(v) as number)
    }
    return primary()
  }
  const primary = (): Evaluate => {
    const t = take()
    if (t.kind === 'num') { const n = Number(t.value); return () => n }
    if (t.kind === 'str') { const s = t.value; return () => s }
    if (t.kind === 'op' && t.value === '(') { const e = coalesce(); take(')'); return e }
    if (t.kind !== 'id') throw new SyntaxError(`unexpected "${t.value}"`)
    if (t.value === 'true') return () => true
    if (t.value === 'false') return () => false
    if (t.value === 'null') return () => null
    if (peek()?.value === '(') {
      const fn = FUNCTIONS[t.value]
      const world = WORLD_FUNCTIONS[t.value]
      if (!fn && !world) throw new SyntaxError(`unknown function "${t.value}" (known: ${[...Object.keys(FUNCTIONS), ...Object.keys(WORLD_FUNCTIONS)].join(', ')})`)
      take('(')
      const args: Evaluate[] = []
      if (peek()?.value !== ')') {
        args.push(coalesce())
        while (peek()?.value === ',') { take(','); args.push(coalesce()) }
      }
      take(')')
      let call: Evaluate
      if (world) {
        const wrong = world.arity(args.length)
        if (wrong) throw new SyntaxError(wrong)
        call = (v) => world.fn(v, ...args.map((a) => a(v)))
      } else if (args.length === 1) {
        // Most calls take one argument (iso(now)): no argument array to build on every evaluation.
        const [a] = args as [Evaluate]
        call = (v) => fn!(a(v))
      } else call = (v) => fn!(...args.map((a) => a(v)))
      // A field of what the call gives: lookup(…).role.
      const fields = pathAfter()
      return fields.length === 0 ? call : (v) => readPath(call(v), fields)
    }
    const path: string[] = [t.value, ...pathAfter()]
    return (v) => readPath(v, path)
  }
  /** `.field` and `[field]` steps after a name or a call. */
  const pathAfter = (): string[] => {
    const path: string[] = []
    while (peek()?.value === '.' || peek()?.value === '[') {
      if (take().value === '.') path.push(take().value)
      else { path.push(take().value); take(']') }
    }
    return path
  }
  const result = coalesce()
  if (pos < tokens.length) throw new SyntaxError(`unexpected "${tokens[pos]!.value}"`)
  return result
}

function applyOp(op: string, left: unknown, r: unknown): unknown {
  if (op === '+') {
    if (typeof left === 'string' || typeof r === 'string') return `${left ?? ''}${r ?? ''}`
    return (left as number) + (r as number)
  }
  if (left === undefined || r === undefined) return undefined
  if (op === '-') return (left as number) - (r as number)
  if (op === '*') return (left as number) * (r as number)
  return (left as number) / (r as number)
}

export function readPath(vars: unknown, path: readonly string[]): unknown {
  let node: any = vars
  for (const key of path) {
    if (node == null) return undefined
    node = node[key]
  }
  return node
}
