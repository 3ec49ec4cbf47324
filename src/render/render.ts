/**
 * Stage 9, render: the response from the outcome and the declared response — status, body shaped
 * from state and schema, the headers the API puts on every response — and a self-check of what is
 * about to be sent against the spec. A self-check failure is a standin bug: it is journalled.
 */
import { ApiError } from '../errors.ts'
import type { Context } from '../core/context.ts'
import { varsOf } from '../core/context.ts'
import type { Outcome } from '../act/act.ts'
import type { ResponseModel } from '../spec/model.ts'
import type { Render } from '../util/template.ts'
import type { StoredRecord } from '../world/store.ts'
import { shapeBody } from './body.ts'
import { isJson, mediaTypeOf } from '../validate/body.ts'
import { declaredResponse } from '../spec/declared.ts'
import { responseViolations, type ResponseFacts } from '../validate/response.ts'
import type { Forced } from '../rules/rules.ts'

export interface Prepared {
  status: number
  headers: Array<[string, string]>
  /** A JSON value, a ready string, or nothing. */
  body?: unknown
  contentType?: string
  code?: string
  /** A streaming body (text/event-stream and the like). */
  stream?: ReadableStream<Uint8Array>
  /** No answer at all: the connection is dropped (or held, then dropped). */
  fault?: 'drop' | 'timeout'
  /** The stored record `body` is, read back as stored (its JSON text may be reused while it is unchanged). */
  record?: StoredRecord
}

export { declaredResponse }

export function renderSuccess(ctx: Context, outcome: Outcome): Prepared {
  const op = ctx.op!
  const declared = declaredResponse(op.responses, outcome.status)
  const respond = ctx.variant?.response ?? op.response
  const headerList = ctx.variant?.headers ?? op.headers
  const vars = respond || headerList.length > 0 ? varsOf(ctx, { record: outcome.record?.data, records: outcome.records?.map((r) => r.data), ...outcome.list }) : undefined
  const headers = headerList.length > 0 ? renderHeaders(headerList, vars!) : []
  if (outcome.empty || !declared || declared.contentTypes.size === 0 || outcome.status === 204) {
    return { status: outcome.status, headers }
  }
  const [contentType, media] = pickMedia(declared, ctx.headers.accept)
  const overrides = respond ? (respond(vars!) as Record<string, unknown>) : undefined
  const model = op.resource ? ctx.world.api.behaviour.resources.get(op.resource) : undefined
  const body = media.schemaPointer
    ? shapeBody(ctx.world.api, media.schemaPointer, { outcome, resourcePointer: model?.schemaPointer, overrides, example: media.example, random: ctx.world.random })
    : overrides ?? media.example ?? outcome.record?.data
  // A record read back as it is stored: its JSON can be kept until it changes (not for a record just
  // created, which may never be read again).
  const record = outcome.record && body === outcome.record.data && op.action !== 'create' ? outcome.record : undefined
  return { status: outcome.status, headers, body, contentType, record }
}

/** Header templates rendered; one that renders to nothing (an absent field) is not sent. */
function renderHeaders(list: Array<[string, Render]>, vars: Record<string, unknown>): Array<[string, string]> {
  const headers: Array<[string, string]> = []
  for (const [name, render] of list) {
    const value = render(vars)
    if (value !== undefined && value !== null) headers.push([name, String(value)])
  }
  return headers
}

/**
 * A status asked for by `Prefer: code=NNN` or forced by a rule. An error status is the API's error
 * (a code of its catalogue for that status, in its shape, with Retry-After and its rate-limit
 * headers); any other is the declared response's example or a body made from its schema. A status
 * the operation does not declare is answered all the same: the finding is journalled (selfCheck, below).
 */
export function renderForced(ctx: Context, forced: Extract<Forced, { kind: 'status' }>): Prepared {
  const op = ctx.op!
  const api = ctx.world.api
  if (forced.body !== undefined) return { status: forced.status, headers: forced.headers, body: forced.body, contentType: api.behaviour.errors.contentType ?? 'application/json' }
  if (forced.status >= 400) {
    const code = preferredCode(ctx, forced.status)
    throw new ApiError(code ?? '', ctx.forced?.retryAfter !== undefined ? { retryAfter: ctx.forced.retryAfter } : {}, Object.fromEntries(forced.headers), forced.status)
  }
  const declared = declaredResponse(op.responses, forced.status)
  if (!declared) return { status: forced.status, headers: forced.headers }
  const headers = withRequiredHeaders(ctx, declared, forced.headers)
  if (declared.contentTypes.size === 0) return { status: forced.status, headers }
  const [contentType, media] = pickMedia(declared, ctx.headers.accept)
  const body = media.example ?? (media.schemaPointer ? shapeBody(api, media.schemaPointer, { outcome: { status: forced.status }, random: ctx.world.random }) : undefined)
  return { status: forced.status, headers, body, contentType }
}

/**
 * A forced answer with the headers its declared response requires: the operation's own (rendered
 * from the record the request names), else the header's example, else a value made from its schema
 * — a forced 302 has a Location, as the contract says it must.
 */
function withRequiredHeaders(ctx: Context, declared: ResponseModel, given: Array<[string, string]>): Array<[string, string]> {
  let headers = given
  for (const [name, header] of declared.headers) {
    if (!header.required || headers.some(([n]) => n.toLowerCase() === name)) continue
    const api = ctx.world.api
    const op = ctx.op!
    // The operation's own header, from the record the request names, when it is the caller's.
    const template = op.headers.find(([n]) => n.toLowerCase() === name)?.[1]
    const named = template && op.resource && op.idParam && !op.lookup ? ctx.world.store.get(op.resource, ctx.params[op.idParam] ?? '') : undefined
    const own = template && named && named.tenant === ctx.tenant?.id ? template(varsOf(ctx, { record: named.data })) : undefined
    const schema = header.schemaPointer ? api.schemaAt(header.schemaPointer) as { example?: unknown } | undefined : undefined
    const value = own ?? schema?.example ?? (schema ? api.fake(schema, ctx.world.random) : undefined)
    if (value === undefined || value === null) continue
    if (headers === given) headers = [...given]
    headers.push([name, String(value)])
  }
  return headers
}

/**
 * The catalogue code for a status: one this operation produces itself first, then any; for an API
 * with a catalogue of its own, else its code closest by status (only its codes are answered).
 */
function preferredCode(ctx: Context, status: number): string | undefined {
  const op = ctx.op!
  const { catalogue, validation, declared } = ctx.world.api.behaviour.errors
  const auth = ctx.world.api.behaviour.auth.errors
  const resource = op.resource ? ctx.world.api.behaviour.resources.get(op.resource) : undefined
  const own = [
    ...op.limits.map((l) => l.error), ...op.states.values(), ...op.gates.map((g) => g.error),
    op.charge?.error, op.idempotency?.conflict, resource?.notFound, resource?.gone,
    op.stream?.concurrency?.error, op.stream?.budget?.error, ...[...op.parentStates.values()].flatMap((m) => [...m.values()]),
    auth.unknown, auth.forbidden, validation.field.code, validation.malformed.code,
  ]
  for (const code of own) if (code && catalogue.get(code)?.status === status) return code
  for (const entry of catalogue.values()) if (entry.status === status) return entry.code
  if (!declared) return undefined
  let closest: string | undefined
  let distance = Infinity
  for (const entry of catalogue.values()) {
    // Within the status's class first (a 418 is a 4xx), then any.
    const d = Math.abs(entry.status - status) + (Math.floor(entry.status / 100) === Math.floor(status / 100) ? 0 : 1000)
    if (d < distance) { distance = d; closest = entry.code }
  }
  return closest
}

/** The media type to answer in: the first the Accept header names, else JSON, else the first declared. */
function pickMedia(declared: ResponseModel, accept: string | undefined) {
  if (accept) {
    for (const entry of declared.media.entries) if (accept.includes(entry[0])) return entry
  }
  return declared.media.fallback!
}

/**
 * The self-check: what standin is about to send, against the operation's declared responses. A
 * failure is a standin bug (or a scenario rule's own body or headers breaking the spec): it is
 * journalled as a response-side violation. A status a rule or trigger forced that the operation
 * does not declare is not one: it is a finding (forced-undeclared).
 */
export function selfCheck(ctx: Context, prepared: Prepared): void {
  const op = ctx.op
  if (!op) return
  const hasBody = prepared.stream !== undefined || prepared.body !== undefined
  const contentType = hasBody ? prepared.contentType ?? 'application/json' : undefined
  const body: ResponseFacts['body'] = prepared.stream ? { kind: 'stream' }
    : prepared.body === undefined ? { kind: 'none' }
    : isJson(mediaTypeOf(contentType) ?? '') ? { kind: 'json', value: prepared.body }
    : { kind: 'text', value: String(prepared.body) }
  const facts: ResponseFacts = {
    status: prepared.status, headers: new SentHeaders(prepared.headers, contentType), contentType, body,
    bodiless: ctx.method === 'HEAD' || prepared.status === 204 || prepared.status === 304,
  }
  let requestBroke = false
  for (let i = 0; i < ctx.violations.length; i++) if (ctx.violations[i]!.side === 'request') requestBroke = true
  // A status a rule or trigger forced, though the operation does not declare it, is a finding of
  // its own (journalled as forced-undeclared), never standin's violation.
  if (ctx.forced && !declaredResponse(op.responses, prepared.status, false)) {
    ctx.finding = { kind: 'forced-undeclared', message: `${op.id} does not declare ${prepared.status}; it was forced (${ctx.cause === 'rule' ? `scenario rule ${(ctx.rule ?? 0) + 1}` : 'a trigger on the request'}) and answered in the API's shape` }
    requestBroke = true
  }
  // A record not there, answered 404 by an operation that declares no 404: the API's answer all
  // the same (src/act/lookup.ts), a finding rather than standin's violation.
  if (ctx.finding?.kind === 'undeclared-not-found' && prepared.status === 404) requestBroke = true
  const found = responseViolations(op, facts, { requestBroke, knownValid: new KnownRecords(ctx) })
  for (let i = 0; i < found.length; i++) ctx.violations.push(found[i]!)
}

/** The headers about to be sent, looked up by lower-cased name (a few: a scan, no map built). */
class SentHeaders {
  private readonly list: Array<[string, string]>
  private readonly contentType: string | undefined

  constructor(list: Array<[string, string]>, contentType: string | undefined) {
    this.list = list
    this.contentType = contentType
  }

  get(name: string): string | undefined {
    if (name === 'content-type' && this.contentType !== undefined) return this.contentType
    let value: string | undefined
    // The last of a name wins, as a Map built from the list in order would keep it.
    for (let i = 0; i < this.list.length; i++) if (this.list[i]![0].toLowerCase() === name) value = this.list[i]![1]
    return value
  }
}

/**
 * Records sent as they are stored, already found valid at this version by the same validator: a
 * record read again and again need not be checked again. Store.update bumps a record's version on
 * every change, so a changed record is checked anew.
 */
const validRecords = new WeakMap<object, { version: number; validate: unknown }>()

class KnownRecords {
  private readonly ctx: Context

  constructor(ctx: Context) {
    this.ctx = ctx
  }

  has(body: unknown, validate: unknown): boolean {
    const record = this.ctx.record
    if (!record || body !== record.data) return false
    const seen = validRecords.get(record.data)
    return seen !== undefined && seen.version === record.version && seen.validate === validate
  }

  add(body: unknown, validate: unknown): void {
    const record = this.ctx.record
    // Only records read back: remembering every record created would cost memory for records never read.
    if (record && body === record.data && this.ctx.op?.action !== 'create') validRecords.set(record.data, { version: record.version, validate })
  }
}
