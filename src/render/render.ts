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
import { shapeBody } from './body.ts'
import { describeAjvError } from '../spec/schemas.ts'
import { isJson } from '../validate/body.ts'
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
}

export function declaredResponse(responses: ResponseModel[], status: number): ResponseModel | undefined {
  return responses.find((r) => r.status === status)
    ?? responses.find((r) => r.status === Math.floor(status / 100) * 100 && r.status !== status)
    ?? responses.find((r) => r.status === 'default')
}

export function renderSuccess(ctx: Context, outcome: Outcome): Prepared {
  const op = ctx.op!
  const declared = declaredResponse(op.responses, outcome.status)
  if (outcome.empty || !declared || declared.contentTypes.size === 0 || outcome.status === 204) {
    return { status: outcome.status, headers: [] }
  }
  const [contentType, media] = pickMedia(declared, ctx.headers.accept)
  const overrides = op.response ? (op.response(varsOf(ctx, { record: outcome.record?.data, records: outcome.records?.map((r) => r.data), ...outcome.list })) as Record<string, unknown>) : undefined
  const model = op.resource ? ctx.world.api.behaviour.resources.get(op.resource) : undefined
  const body = media.schemaPointer
    ? shapeBody(ctx.world.api, media.schemaPointer, { outcome, resourcePointer: model?.schemaPointer, overrides, example: media.example, random: ctx.world.random })
    : overrides ?? media.example ?? outcome.record?.data
  return { status: outcome.status, headers: [], body, contentType }
}

/** A status asked for by `Prefer: code=NNN` or forced by a rule. Error statuses use the catalogue. */
export function renderForced(ctx: Context, forced: Extract<Forced, { kind: 'status' }>): Prepared {
  const op = ctx.op!
  const api = ctx.world.api
  if (forced.body !== undefined) return { status: forced.status, headers: forced.headers, body: forced.body, contentType: api.behaviour.errors.contentType }
  if (forced.status >= 400) {
    const code = preferredCode(ctx, forced.status)
    if (code) throw new ApiError(code, {}, Object.fromEntries(forced.headers))
  }
  const declared = op.responses.find((r) => r.status === forced.status)
  if (!declared) {
    throw new ApiError(api.behaviour.errors.notFound, { message: `Requested status code ${forced.status} is not defined for operation ${op.id}.` })
  }
  if (declared.contentTypes.size === 0) return { status: forced.status, headers: forced.headers }
  const [contentType, media] = pickMedia(declared, ctx.headers.accept)
  const body = media.example ?? (media.schemaPointer ? shapeBody(api, media.schemaPointer, { outcome: { status: forced.status }, random: ctx.world.random }) : undefined)
  return { status: forced.status, headers: forced.headers, body, contentType }
}

/** The catalogue code for a status: one this operation produces itself first, then any. */
function preferredCode(ctx: Context, status: number): string | undefined {
  const op = ctx.op!
  const { catalogue, validation } = ctx.world.api.behaviour.errors
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
  return undefined
}

function pickMedia(declared: ResponseModel, accept: string | undefined) {
  const entries = [...declared.contentTypes.entries()]
  if (accept) {
    for (const [type, media] of entries) if (accept.includes(type)) return [type, media] as const
  }
  return (entries.find(([type]) => isJson(type)) ?? entries[0]!) as readonly [string, (typeof entries)[number][1]]
}

/** Checks a response standin is about to send against the operation's declared responses. */
export function selfCheck(ctx: Context, prepared: Prepared): void {
  const op = ctx.op
  if (!op) return
  const declared = declaredResponse(op.responses, prepared.status)
  if (!declared) {
    if (prepared.status < 400) ctx.violations.push({ side: 'response', location: 'status', pointer: '', message: `status ${prepared.status} is not declared for ${op.id}` })
    return
  }
  if (prepared.body === undefined && !prepared.stream) {
    if (declared.contentTypes.size > 0 && prepared.status !== 204 && prepared.status < 400) {
      ctx.violations.push({ side: 'response', location: 'body', pointer: '', message: `${op.id} ${prepared.status} declares a body but none was sent` })
    }
    return
  }
  const media = prepared.contentType ? declared.contentTypes.get(prepared.contentType) : undefined
  if (!media) {
    if (declared.contentTypes.size > 0) ctx.violations.push({ side: 'response', location: 'content-type', pointer: '', message: `content type ${prepared.contentType} is not declared for ${op.id} ${prepared.status}` })
    return
  }
  if (media.validate && !prepared.stream && !alreadyValid(ctx, prepared.body, media.validate)) {
    if (!media.validate(prepared.body)) {
      for (const e of media.validate.errors ?? []) {
        const d = describeAjvError(e)
        ctx.violations.push({ side: 'response', location: 'body', pointer: d.pointer, message: d.detail })
      }
    } else rememberValid(ctx, prepared.body, media.validate)
  }
  const sent = new Set(prepared.headers.map(([n]) => n.toLowerCase()))
  for (const [name, h] of declared.headers) {
    if (h.required && !sent.has(name) && name !== 'content-type') ctx.violations.push({ side: 'response', location: 'header', pointer: `/${name}`, message: `required header ${name} is missing` })
  }
}

/**
 * Records sent as they are stored, already found valid at this version by the same validator: a
 * record read again and again need not be checked again. Store.update bumps a record's version on
 * every change, so a changed record is checked anew.
 */
const validRecords = new WeakMap<object, { version: number; validate: unknown }>()

function alreadyValid(ctx: Context, body: unknown, validate: unknown): boolean {
  const record = ctx.record
  if (!record || body !== record.data) return false
  const seen = validRecords.get(record.data)
  return seen !== undefined && seen.version === record.version && seen.validate === validate
}

function rememberValid(ctx: Context, body: unknown, validate: unknown): void {
  const record = ctx.record
  // Only records read back: remembering every record created would cost memory for records never read.
  if (record && body === record.data && ctx.op?.action !== 'create') validRecords.set(record.data, { version: record.version, validate })
}
