/**
 * Stage 7, validate: the request against the spec — path, query and header parameters, content type,
 * and body — with validators compiled at start-up. The first problem becomes the API's own error
 * (which code each kind gets is set in `x-standin.errors.validation`); every problem is journalled
 * as a violation with its JSON pointer.
 */
import { ApiError } from '../errors.ts'
import type { Context } from '../core/context.ts'
import { describeAjvError, type ErrorObject } from '../spec/schemas.ts'
import type { ValidationCause } from '../spec/model.ts'
import type { Violation } from '../journal/journal.ts'

export function validateRequest(ctx: Context): void {
  const op = ctx.op!
  const v = ctx.world.api.behaviour.errors.validation
  const refuse = (cause: ValidationCause, vars: Record<string, unknown>, violation: Omit<Violation, 'side'>): never => {
    ctx.violations.push({ side: 'request', ...violation })
    const rule = v[cause]
    const message = rule.message ? rule.message({ ...vars, requestId: ctx.requestId }) : undefined
    throw new ApiError(rule.code, { ...vars, cause, ...(message !== undefined ? { message } : {}) })
  }

  if (op.validateParams) {
    const headers: Record<string, string> = {}
    for (const p of op.parameters) if (p.in === 'header' && ctx.headers[p.name.toLowerCase()] !== undefined) headers[p.name.toLowerCase()] = ctx.headers[p.name.toLowerCase()]!
    const cookies: Record<string, string> = {}
    for (const part of (ctx.headers.cookie ?? '').split(';')) {
      const [name, ...value] = part.trim().split('=')
      if (name) cookies[name] = value.join('=')
    }
    const query: Record<string, unknown> = {}
    for (const p of op.parameters) if (p.in === 'query' && ctx.query[p.name] !== undefined) query[p.name] = ctx.query[p.name]
    const input = { path: { ...ctx.params }, query, header: headers, cookie: cookies }
    if (!op.validateParams(input)) {
      const errors = op.validateParams.errors ?? []
      const first = errors[0]!
      const [location, ...rest] = first.instancePath.split('/').filter(Boolean)
      const described = describeAjvError({ ...first, instancePath: rest.length ? '/' + rest.join('/') : '' })
      const name = described.field || (first.params as any).missingProperty
      for (const e of errors.slice(1)) ctx.violations.push(toViolation(e, 'parameter'))
      refuse('parameter', { field: name, pointer: described.pointer, detail: described.detail, location: location ?? 'query' }, {
        location: location ?? 'query', pointer: described.pointer, message: described.detail,
      })
    }
    // Coerced query values (numbers, booleans) replace the raw strings for later stages; path values
    // stay strings, as record ids are keyed.
    Object.assign(ctx.query, input.query)
  }

  const body = op.body
  if (ctx.bodyProblem === 'tooLarge') {
    refuse('tooLarge', { field: 'body', pointer: '', detail: `the body is larger than ${ctx.world.api.behaviour.maxBodyBytes} bytes`, location: 'body' }, {
      location: 'body', pointer: '', message: 'body too large',
    })
  }
  if (!body) return
  const hasBody = ctx.bodyText !== undefined && ctx.bodyText !== ''
  if (!hasBody && ctx.bodyProblem === undefined) {
    if (body.required) refuse('required', { field: 'body', pointer: '', detail: 'a request body is required', location: 'body' }, { location: 'body', pointer: '', message: 'request body is required' })
    return
  }
  const media = matchMedia(body.contentTypes, ctx.contentType)
  if (!media) {
    refuse('contentType', { field: 'Content-Type', pointer: '', detail: `content type ${ctx.contentType ?? '(none)'} is not one of ${[...body.contentTypes.keys()].join(', ')}`, location: 'header' }, {
      location: 'header', pointer: '/content-type', message: `unsupported content type ${ctx.contentType ?? '(none)'}`,
    })
  }
  if (ctx.bodyProblem === 'malformed') {
    refuse('malformed', { field: 'body', pointer: '', detail: 'the body is not valid JSON', location: 'body' }, { location: 'body', pointer: '', message: 'malformed body' })
  }
  const validate = media!.validate
  if (validate && !validate(ctx.body)) {
    const errors = validate.errors ?? []
    const first = pickMostSpecific(errors)
    const described = describeAjvError(first)
    for (const e of errors) if (e !== first) ctx.violations.push(toViolation(e, 'body'))
    // A body that is the wrong thing as a whole (an array for an object, say) is malformed, not a bad field.
    const cause: ValidationCause = described.missing ? 'required' : described.pointer === '' ? 'malformed' : 'field'
    refuse(cause, { field: described.field, pointer: described.pointer, detail: described.detail, location: 'body' }, {
      location: 'body', pointer: described.pointer, message: described.detail,
    })
  }
}

function matchMedia<T>(types: Map<string, T>, contentType: string | undefined): T | undefined {
  if (types.size === 0) return undefined
  if (!contentType) return types.get('application/json') ?? (types.size === 1 ? [...types.values()][0] : undefined)
  const exact = types.get(contentType)
  if (exact) return exact
  const [major] = contentType.split('/')
  return types.get(`${major}/*`) ?? types.get('*/*')
}

/** Ajv lists anyOf/oneOf branches; the deepest error says most about what to fix. */
function pickMostSpecific(errors: ErrorObject[]): ErrorObject {
  return [...errors].sort((a, b) => b.instancePath.length - a.instancePath.length)[0]!
}

function toViolation(error: ErrorObject, location: string): Violation {
  const d = describeAjvError(error)
  return { side: 'request', location, pointer: d.pointer, message: d.detail }
}
