/**
 * Stage 7, validate: the request against the spec — path, query and header parameters, content type,
 * and body — with validators compiled at start-up. Every problem is journalled as a request-side
 * violation with its JSON pointer; the first becomes the API's own error (which code each kind gets is
 * set in `x-standin.errors.validation`).
 *
 * A request that an earlier stage already answered (a rule, a limit, auth) is still checked, so the
 * journal holds every violation; in strict mode the check runs before those stages can answer.
 */
import { ApiError } from '../errors.ts'
import type { Context } from '../core/context.ts'
import { describeAjvError, type ErrorObject } from '../spec/schemas.ts'
import type { ValidationCause } from '../spec/model.ts'
import type { Violation } from '../journal/journal.ts'

/** Why the request is refused, as the API's validation error names it. */
export interface Refusal {
  cause: ValidationCause
  vars: Record<string, unknown>
  /** The format a body field failed, when the API gives that format a code of its own (`validation.formats`). */
  format?: string
}

/** Validates the request and refuses it in the API's own envelope when it breaks the spec. */
export function validateRequest(ctx: Context): void {
  const refusal = checkRequest(ctx)
  if (refusal) throw refusalError(ctx, refusal)
}

/** The API's own error for a refusal. */
export function refusalError(ctx: Context, refusal: Refusal): ApiError {
  const errors = ctx.world.api.behaviour.errors
  const rule = (refusal.format !== undefined ? errors.formats.get(refusal.format) : undefined) ?? errors.validation[refusal.cause]
  const message = rule.message ? rule.message({ ...refusal.vars, requestId: ctx.requestId }) : undefined
  return new ApiError(rule.code, { ...refusal.vars, cause: refusal.cause, ...(message !== undefined ? { message } : {}) })
}

/**
 * Checks the request against the spec once: journals every problem as a violation and returns the
 * refusal for the first, or nothing when the request keeps the spec. Coerced parameter values (numbers,
 * booleans, defaults) replace the raw strings for later stages.
 */
export function checkRequest(ctx: Context): Refusal | undefined {
  if (ctx.checked) return ctx.refusal
  ctx.checked = true
  ctx.refusal = findRefusal(ctx)
  return ctx.refusal
}

function findRefusal(ctx: Context): Refusal | undefined {
  const op = ctx.op!
  const refuse = (cause: ValidationCause, vars: Record<string, unknown>, violation: Omit<Violation, 'side'>): Refusal => {
    ctx.violations.push({ side: 'request', ...violation })
    return { cause, vars }
  }

  if (op.validateParams) {
    const declared = op.parameterNames
    const headers: Record<string, string> = {}
    for (const name of declared.header) if (ctx.headers[name] !== undefined) headers[name] = ctx.headers[name]
    const cookies: Record<string, string> = {}
    if (declared.cookie) {
      for (const part of (ctx.headers.cookie ?? '').split(';')) {
        const [name, ...value] = part.trim().split('=')
        if (name) cookies[name] = value.join('=')
      }
    }
    const query: Record<string, unknown> = {}
    for (const name of declared.query) if (ctx.query[name] !== undefined) query[name] = ctx.query[name]
    const input = { path: { ...ctx.params }, query, header: headers, cookie: cookies }
    if (!op.validateParams(input)) {
      const errors = op.validateParams.errors ?? []
      const first = errors[0]!
      const [location, ...rest] = first.instancePath.split('/').filter(Boolean)
      const described = describeAjvError({ ...first, instancePath: rest.length ? '/' + rest.join('/') : '' })
      const name = described.field || (first.params as any).missingProperty
      for (const e of errors.slice(1)) ctx.violations.push(toViolation(e, 'parameter'))
      return refuse('parameter', { field: name, pointer: described.pointer, detail: described.detail, location: location ?? 'query' }, {
        location: location ?? 'query', pointer: described.pointer, message: described.detail,
      })
    }
    // Coerced query values (numbers, booleans) replace the raw strings for later stages; path values
    // stay strings, as record ids are keyed.
    Object.assign(ctx.query, input.query)
  }

  const body = op.body
  if (ctx.bodyProblem === 'tooLarge') {
    return refuse('tooLarge', { field: 'body', pointer: '', detail: `the body is larger than ${ctx.world.api.behaviour.maxBodyBytes} bytes`, location: 'body' }, {
      location: 'body', pointer: '', message: 'body too large',
    })
  }
  if (!body) return undefined
  const hasBody = ctx.bodyText !== undefined && ctx.bodyText !== ''
  if (!hasBody && ctx.bodyProblem === undefined) {
    if (body.required) return refuse('required', { field: 'body', pointer: '', detail: 'a request body is required', location: 'body' }, { location: 'body', pointer: '', message: 'request body is required' })
    // No body where one is optional is the empty object with the schema's defaults, as the API would
    // read it (`ttl` defaults to 1800): validating `{}` fills them in.
    const json = matchMedia(body.contentTypes, 'application/json')
    if (ctx.body === undefined && json?.validate) {
      const empty = {}
      if (json.validate(empty)) ctx.body = empty
    }
    return undefined
  }
  const media = matchMedia(body.contentTypes, ctx.contentType)
  if (!media) {
    return refuse('contentType', { field: 'Content-Type', pointer: '', detail: `content type ${ctx.contentType ?? '(none)'} is not one of ${[...body.contentTypes.keys()].join(', ')}`, location: 'header' }, {
      location: 'header', pointer: '/content-type', message: `unsupported content type ${ctx.contentType ?? '(none)'}`,
    })
  }
  if (ctx.bodyProblem === 'malformed') {
    return refuse('malformed', { field: 'body', pointer: '', detail: 'the body is not valid JSON', location: 'body' }, { location: 'body', pointer: '', message: 'malformed body' })
  }
  const validate = media.validate
  if (validate && !validate(ctx.body)) {
    const errors = validate.errors ?? []
    const first = pickMostSpecific(errors)
    const described = describeAjvError(first)
    for (const e of errors) if (e !== first) ctx.violations.push(toViolation(e, 'body'))
    // A body that is the wrong thing as a whole (an array for an object, say) is malformed, not a bad field.
    const cause: ValidationCause = described.missing ? 'required' : described.pointer === '' ? 'malformed'
      : first.keyword === 'enum' || first.keyword === 'const' ? 'enum' : 'field'
    const refusal = refuse(cause, { field: described.field, pointer: described.pointer, detail: described.detail, location: 'body', errors: everyField(errors) }, {
      location: 'body', pointer: described.pointer, message: described.detail,
    })
    const format = first.keyword === 'format' ? String((first.params as { format?: unknown }).format) : undefined
    if (format !== undefined && ctx.world.api.behaviour.errors.formats.has(format)) refusal.format = format
    return refusal
  }
  return undefined
}

function matchMedia<T>(types: Map<string, T>, contentType: string | undefined): T | undefined {
  if (types.size === 0) return undefined
  if (!contentType) return types.get('application/json') ?? (types.size === 1 ? [...types.values()][0] : undefined)
  const exact = types.get(contentType)
  if (exact) return exact
  const [major] = contentType.split('/')
  return types.get(`${major}/*`) ?? types.get('*/*')
}

/**
 * Every place a body breaks its schema, once each (`{errors}` in the error's templates: "check the
 * error details for which fields are invalid"): `{pointer, field, message, detail}`.
 */
function everyField(errors: ErrorObject[]): Array<{ pointer: string; field: string; message: string; detail: string }> {
  const seen = new Set<string>()
  const out: Array<{ pointer: string; field: string; message: string; detail: string }> = []
  for (const e of errors) {
    const d = describeAjvError(e)
    const key = `${d.pointer}\u0000${d.detail}`
    if (seen.has(key)) continue
    seen.add(key)
    out.push({ pointer: d.pointer, field: d.field, message: e.message ?? 'is invalid', detail: d.detail })
  }
  return out
}

/** Ajv lists anyOf/oneOf branches; the deepest error says most about what to fix. */
function pickMostSpecific(errors: ErrorObject[]): ErrorObject {
  return [...errors].sort((a, b) => b.instancePath.length - a.instancePath.length)[0]!
}

function toViolation(error: ErrorObject, location: string): Violation {
  const d = describeAjvError(error)
  return { side: 'request', location, pointer: d.pointer, message: d.detail }
}
