/**
 * Matchers: the conditions that rules and gates put on a request's context. A matcher is an object of
 * paths to conditions; nested objects go deeper (`body: { model: 'x' }` is `body.model == 'x'`), an
 * object whose keys are all operators is a condition, and a scalar is equality.
 *
 * Operators: equals, not, in, notIn, contains, exists, gt, gte, lt, lte, matches (a regex).
 *
 * @example
 * compileMatcher({ tenant: { id: 'ws_b' }, body: { ttl: { gte: 3000 } } })
 */
import { readPath } from './expression.ts'

export type Predicate = (ctx: Record<string, unknown>) => boolean

const OPERATORS = new Set(['equals', 'not', 'in', 'notIn', 'contains', 'exists', 'gt', 'gte', 'lt', 'lte', 'matches'])

export function isOperatorObject(value: unknown): value is Record<string, unknown> {
  return isPlainObject(value) && Object.keys(value).length > 0 && Object.keys(value).every((k) => OPERATORS.has(k))
}

/** Throws Error naming the bad operator or regex. */
export function compileMatcher(matcher: unknown, base: string[] = []): Predicate {
  if (!isPlainObject(matcher)) throw new Error('a matcher must be an object of paths to conditions')
  const checks: Predicate[] = []
  for (const [key, condition] of Object.entries(matcher)) {
    const path = [...base, ...key.split('.')]
    if (isPlainObject(condition) && !isOperatorObject(condition)) {
      checks.push(compileMatcher(condition, path))
    } else {
      const test = compileCondition(condition, path.join('.'))
      checks.push((ctx) => test(readPath(ctx, path)))
    }
  }
  return (ctx) => checks.every((check) => check(ctx))
}

function compileCondition(condition: unknown, where: string): (value: unknown) => boolean {
  if (!isOperatorObject(condition)) return (value) => looseEquals(value, condition)
  const tests: Array<(value: unknown) => boolean> = []
  for (const [op, arg] of Object.entries(condition)) {
    switch (op) {
      case 'equals': tests.push((v) => looseEquals(v, arg)); break
      case 'not': { const inner = compileCondition(arg, where); tests.push((v) => !inner(v)); break }
      case 'in': tests.push((v) => asArray(arg, where, op).some((a) => looseEquals(v, a))); break
      case 'notIn': tests.push((v) => !asArray(arg, where, op).some((a) => looseEquals(v, a))); break
      case 'contains': tests.push((v) => (Array.isArray(v) ? v.some((x) => looseEquals(x, arg)) : typeof v === 'string' && v.includes(String(arg)))); break
      case 'exists': tests.push((v) => (v !== undefined && v !== null) === Boolean(arg)); break
      case 'gt': tests.push((v) => Number(v) > Number(arg)); break
      case 'gte': tests.push((v) => Number(v) >= Number(arg)); break
      case 'lt': tests.push((v) => Number(v) < Number(arg)); break
      case 'lte': tests.push((v) => Number(v) <= Number(arg)); break
      case 'matches': {
        let re: RegExp
        try { re = new RegExp(String(arg)) } catch { throw new Error(`"${where}": matches takes a regular expression, got ${JSON.stringify(arg)}`) }
        tests.push((v) => typeof v === 'string' && re.test(v))
        break
      }
    }
  }
  return (value) => tests.every((t) => t(value))
}

function asArray(arg: unknown, where: string, op: string): unknown[] {
  if (!Array.isArray(arg)) throw new Error(`"${where}": ${op} takes a list`)
  return arg
}

function looseEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (a === undefined || a === null || b === undefined || b === null) return false
  if (typeof a === 'object' || typeof b === 'object') return JSON.stringify(a) === JSON.stringify(b)
  // Headers and query values arrive as strings; a scenario says `count: 3`.
  return String(a) === String(b)
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** Keys that would reach an object's prototype rather than the object when assigned. */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

/**
 * `Object.assign` for values a client sent: `JSON.parse` makes `"__proto__"` an own key, and
 * assigning it replaces the target's prototype (a flag then inherited, never shown). Such keys are
 * skipped.
 */
export function assignOwn<T extends Record<string, unknown>>(target: T, source: Record<string, unknown>): T {
  for (const key of Object.keys(source)) if (!UNSAFE_KEYS.has(key)) (target as Record<string, unknown>)[key] = source[key]
  return target
}
