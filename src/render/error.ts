/**
 * Rendering "the API says no": a catalogue code becomes the API's own status, message, headers and
 * body — in the envelope `x-standin.errors` gives, else in the error schema the spec declares for
 * that answer (error-shape.ts), else in `{"error": {"code", "message"}}`. Every API gets its own
 * shape from its spec; nothing here knows any one API.
 */
import type { Api } from '../api.ts'
import { ApiError } from '../errors.ts'
import type { Context } from '../core/context.ts'
import { varsOf } from '../core/context.ts'
import { isPlainObject } from '../util/match.ts'
import { get } from '../util/pointer.ts'
import { entryOf } from '../spec/behaviour.ts'
import { reasonPhrase } from '../spec/builtin-errors.ts'
import type { CatalogueEntry } from '../spec/model.ts'
import { declaredResponse } from '../spec/declared.ts'
import { isJson } from '../validate/body.ts'
import { errorTarget, shapeError } from './error-shape.ts'
import { DEFAULT_RETRY_AFTER, forcedHeaders } from './forced-headers.ts'

export interface RenderedError {
  status: number
  code: string
  body: unknown
  headers: Array<[string, string]>
  contentType: string
  /** The message as rendered into the envelope. */
  message: unknown
}

/** `status` overrides the catalogue's (strict mode answers a broken request with a status no client retries). */
export function renderError(api: Api, ctx: Context | undefined, error: ApiError, status?: number): RenderedError {
  const errors = api.behaviour.errors
  const found = entryOf(errors, error.code)
  // A forced status no code of a built-in catalogue has (a 418): answered with its reason phrase.
  const entry: CatalogueEntry = found?.entry ?? (error.status !== undefined && !errors.declared ? statusEntry(error.status) : entryOf(errors, errors.internal)!.entry)
  let answered = status ?? error.status ?? found?.status ?? entry.status
  // A bad request where the operation declares 422 and not 400 (as some APIs answer validation
  // failures): answered 422, with standin's own catalogue; a catalogue of the API's says its own.
  if (answered === 400 && status === undefined && error.status === undefined && !errors.declared && ctx?.op && !declaredResponse(ctx.op.responses, 400, false) && declaredResponse(ctx.op.responses, 422, false)) answered = 422
  const base: Record<string, unknown> = ctx ? varsOf(ctx) : {}
  const vars: Record<string, unknown> = { ...base, ...error.vars, code: entry.code, status: answered }
  const forced = ctx?.forced
  const retrying = forced !== undefined && (answered === 429 || answered === 503)
  if (retrying && vars.retryAfter === undefined) vars.retryAfter = forced.retryAfter ?? catalogueRetryAfter(entry, vars) ?? DEFAULT_RETRY_AFTER[answered]
  vars.message = typeof error.vars.message === 'string' ? error.vars.message : entry.message(vars)
  let body: unknown
  let contentType = errors.contentType
  if (errors.envelope) {
    body = errors.envelope(vars)
    contentType ??= declaredJsonType(ctx, answered)
  } else {
    const text = declaredTextType(ctx, answered)
    const target = text ? undefined : errorTarget(api, ctx?.op, answered)
    if (text) {
      // The operation declares this answer as text only (text/html, text/plain): the message is the body.
      body = String(vars.message ?? '')
      contentType ??= text
    } else if (target) {
      body = shapeError(api, target, {
        status: answered, code: entry.code, message: String(vars.message ?? ''), reason: reasonPhrase(answered), requestId: ctx?.requestId,
        path: ctx?.path, field: typeof vars.field === 'string' ? vars.field : undefined, pointer: typeof vars.pointer === 'string' ? vars.pointer : undefined,
        docs: docsUrl(api, ctx?.op?.pointer),
      }, ctx?.world.random ?? Math.random)
      contentType ??= target.contentType
    } else body = { error: { code: entry.code, message: vars.message } }
  }
  if (entry.body) body = merge(body, entry.body(vars))
  const headers: Array<[string, string]> = []
  for (const [name, render] of entry.headers) {
    const value = render(vars)
    if (value !== undefined && value !== '') headers.push([name, String(value)])
  }
  for (const [name, value] of Object.entries(error.headers)) headers.push([name, value])
  if (forced !== undefined && ctx) {
    const response = ctx.op ? declaredResponse(ctx.op.responses, answered) : undefined
    const retryAfter = retrying ? Number(vars.retryAfter) : undefined
    headers.push(...forcedHeaders(api, response, answered, Number.isFinite(retryAfter) ? retryAfter : undefined, ctx.world.clock.now(), ctx.world.random, headers))
  }
  return { status: answered, code: entry.code, body, headers, contentType: contentType ?? 'application/json', message: vars.message }
}

/**
 * The wait the catalogue's entry gives when no one says otherwise: its Retry-After header
 * (`'{retryAfter ?? 2}'`) or a retry-after field of its body (`retryAfter: '{retryAfter ?? 60}'`).
 */
function catalogueRetryAfter(entry: CatalogueEntry, vars: Record<string, unknown>): number | undefined {
  const header = entry.headers.find(([name]) => name.toLowerCase() === 'retry-after')
  const value = header ? Number(header[1](vars)) : entry.body ? retryField(entry.body(vars), 0) : NaN
  return Number.isFinite(value) && value >= 0 ? value : undefined
}

function retryField(node: unknown, depth: number): number {
  if (!isPlainObject(node) || depth > 3) return NaN
  for (const [key, value] of Object.entries(node)) {
    if (/^retry_?after$/i.test(key) && value !== '' && value !== null) return Number(value)
    const inner = retryField(value, depth + 1)
    if (!Number.isNaN(inner)) return inner
  }
  return NaN
}

/** The JSON media type the operation declares for this status (application/problem+json …), if any. */
function declaredJsonType(ctx: Context | undefined, status: number): string | undefined {
  const declared = ctx?.op ? declaredResponse(ctx.op.responses, status) : undefined
  if (!declared) return undefined
  for (const [type] of declared.media.entries) if (isJson(type)) return type
  return undefined
}

/** The media type the operation declares for this status when it declares no JSON one (text/html …). */
function declaredTextType(ctx: Context | undefined, status: number): string | undefined {
  const declared = ctx?.op ? declaredResponse(ctx.op.responses, status) : undefined
  if (!declared || declared.media.entries.length === 0) return undefined
  for (const [type] of declared.media.entries) if (isJson(type)) return undefined
  const first = declared.media.entries[0]![0]
  return first.startsWith('text/') ? first : undefined
}

const statusEntries = new Map<number, CatalogueEntry>()

function statusEntry(status: number): CatalogueEntry {
  let entry = statusEntries.get(status)
  if (!entry) {
    const reason = reasonPhrase(status)
    statusEntries.set(status, (entry = { code: reason.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, ''), status, message: () => `${reason}.`, headers: [] }))
  }
  return entry
}

function merge(a: unknown, b: unknown): unknown {
  if (!isPlainObject(a) || !isPlainObject(b)) return b ?? a
  const out: Record<string, unknown> = { ...a }
  for (const [k, v] of Object.entries(b)) out[k] = k in out ? merge(out[k], v) : v
  return out
}

const docsUrls = new WeakMap<Api, Map<string, string | undefined>>()

/** The operation's `externalDocs.url`, else the document's: where an error's documentation link points. */
function docsUrl(api: Api, pointer: string | undefined): string | undefined {
  let known = docsUrls.get(api)
  if (!known) docsUrls.set(api, (known = new Map()))
  const key = pointer ?? ''
  if (known.has(key)) return known.get(key)
  const doc = api.spec.document
  const url = (node: unknown) => (isPlainObject(node) && isPlainObject(node.externalDocs) && typeof node.externalDocs.url === 'string' ? node.externalDocs.url : undefined)
  const found = (pointer ? url(get(doc, pointer)) : undefined) ?? url(doc)
  known.set(key, found)
  return found
}
