/**
 * Rendering "the API says no": a catalogue code becomes the API's own envelope, status, message and
 * headers. Every API gets its own shape from its spec; nothing here knows any one API.
 */
import type { Api } from '../api.ts'
import { ApiError } from '../errors.ts'
import type { Context } from '../core/context.ts'
import { varsOf } from '../core/context.ts'
import { isPlainObject } from '../util/match.ts'

export interface RenderedError {
  status: number
  code: string
  body: unknown
  headers: Array<[string, string]>
  /** The message as rendered into the envelope. */
  message: unknown
}

/** `status` overrides the catalogue's (strict mode answers a broken request with a status no client retries). */
export function renderError(api: Api, ctx: Context | undefined, error: ApiError, status?: number): RenderedError {
  const errors = api.behaviour.errors
  const entry = errors.catalogue.get(error.code) ?? errors.catalogue.get(errors.internal)!
  const base: Record<string, unknown> = ctx ? varsOf(ctx) : {}
  const vars: Record<string, unknown> = { ...base, ...error.vars, code: entry.code, status: status ?? entry.status }
  vars.message = typeof error.vars.message === 'string' ? error.vars.message : entry.message(vars)
  let body = errors.envelope(vars)
  if (entry.body) body = merge(body, entry.body(vars))
  const headers: Array<[string, string]> = []
  for (const [name, render] of entry.headers) {
    const value = render(vars)
    if (value !== undefined && value !== '') headers.push([name, String(value)])
  }
  for (const [name, value] of Object.entries(error.headers)) headers.push([name, value])
  return { status: status ?? entry.status, code: entry.code, body, headers, message: vars.message }
}

function merge(a: unknown, b: unknown): unknown {
  if (!isPlainObject(a) || !isPlainObject(b)) return b ?? a
  const out: Record<string, unknown> = { ...a }
  for (const [k, v] of Object.entries(b)) out[k] = k in out ? merge(out[k], v) : v
  return out
}
