/**
 * Strict mode's answer to a request that breaks the spec. The client has a bug, so retrying cannot
 * help: the status is one no common client retries (ky and got retry 408, 413, 429 and 5xx;
 * axios-retry 5xx and 429; openai-node and other Stainless clients also 409, unless told otherwise),
 * the response says `x-should-retry: false` (which Stainless clients obey before any status rule), and
 * `x-standin-violation` names what was wrong and where.
 */
import type { ApiError } from '../errors.ts'
import type { Context } from '../core/context.ts'
import type { Prepared } from './render.ts'
import { declaredResponse } from '../spec/declared.ts'
import { entryOf } from '../spec/behaviour.ts'

export const VIOLATION_HEADER = 'x-standin-violation'
const RETRIED = new Set([408, 409, 413, 425, 429])

export function isRetriedStatus(status: number): boolean {
  return status >= 500 || RETRIED.has(status)
}

/** The status for a refused request in strict mode, when the catalogue's would be retried. */
export function strictStatus(ctx: Context, error: ApiError): number | undefined {
  if (!ctx.violations.some((v) => v.side === 'request')) return undefined
  const catalogued = error.status ?? entryOf(ctx.world.api.behaviour.errors, error.code)?.status
  if (catalogued === undefined || !isRetriedStatus(catalogued)) return undefined
  const responses = ctx.op?.responses ?? []
  return [400, 422].find((s) => declaredResponse(responses, s, false)) ?? 400
}

/** Marks the answer to a request that broke the spec: do not retry, and what broke it. */
export function markViolation(ctx: Context, prepared: Prepared): void {
  const first = ctx.violations.find((v) => v.side === 'request')
  if (!first) return
  const drop = new Set(['x-should-retry', VIOLATION_HEADER, 'retry-after'])
  prepared.headers = prepared.headers.filter(([name]) => !drop.has(name.toLowerCase()))
  prepared.headers.push(['x-should-retry', 'false'], [VIOLATION_HEADER, headerSafe(`${first.location}${first.pointer}: ${first.message}`)])
}

/** Header values are visible ASCII and spaces, one line, kept short. */
function headerSafe(text: string): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?')
  return clean.length > 300 ? `${clean.slice(0, 297)}...` : clean
}
