/**
 * standin's own error codes: the catalogue of an API that declares none (a provider's published spec),
 * and the situations every API has (a path it does not serve, a method a path does not take, a
 * standin bug). Their messages say what was wrong — the parameter, the JSON pointer, the rule, the
 * record not found — from the variables the stage that refused the request gives.
 *
 * An API that declares its own catalogue answers only its own codes: these then stand in only where
 * the document names them, and are otherwise mapped to the catalogue's closest code (behaviour.ts).
 */
import type { Render } from '../util/template.ts'

export interface BuiltinError {
  status: number
  message: Render
}

type Vars = Record<string, unknown>

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined)

/** Where a bad value was: `query parameter "api-version"`, `the request body at /name`. */
function where(vars: Vars): string {
  const location = text(vars.location)
  const field = text(vars.field)
  const pointer = text(vars.pointer)
  if (location === 'body') return pointer ? `the request body at ${pointer}` : 'the request body'
  if (location && field) return `${location} parameter "${field}"`
  return field ? `"${field}"` : 'the request'
}

/** Why a request is refused, from what validation found (`cause`, `field`, `pointer`, `detail`). */
export function explainInvalid(vars: Vars): string {
  const detail = text(vars.detail)
  switch (vars.cause) {
    case 'malformed': return 'The request body is not valid JSON.'
    case 'tooLarge': return `The request body is too large${detail ? `: ${detail}` : ''}.`
    case 'contentType': return `Unsupported content type: ${detail ?? 'the body\'s content type is not accepted'}.`
    case 'required': return vars.location === 'body' && text(vars.pointer) ? `Missing required field ${text(vars.pointer)} in the request body.` : 'A request body is required.'
    case 'parameter':
      if (detail && /is required$/.test(detail)) return `Missing required ${where(vars)}.`
      return `Invalid ${where(vars)}${detail ? `: ${detail}` : ''}.`
    case 'field': case 'enum': return `Invalid value in ${where(vars)}${detail ? `: ${detail}` : ''}.`
    default: return detail ? `The request is not valid: ${detail}.` : 'The request is not valid.'
  }
}

function explainNotFound(vars: Vars): string {
  const resource = text(vars.resource)
  const id = text(vars.id)
  if (resource && id) return `No ${resource} with id "${id}".`
  const path = text(vars.path)
  if (path) return `No operation matches ${text(vars.method) ?? 'a request to'} ${path}.`
  return 'Not found.'
}

function explainAuth(vars: Vars): string {
  switch (vars.failure) {
    case 'missing': return 'Missing credentials: this operation needs an API key.'
    case 'malformed': return 'The credential is malformed.'
    case 'revoked': return 'The credential has been revoked.'
    case 'expired': return 'The credential has expired.'
    case 'unknown': return 'Invalid credentials: the key is not known.'
    default: return 'Missing or invalid credentials.'
  }
}

const retry = (vars: Vars) => (vars.retryAfter === undefined ? '' : ` Retry after ${text(vars.retryAfter)} second${Number(vars.retryAfter) === 1 ? '' : 's'}.`)

const fixed = (message: string): Render => () => message

export const BUILTIN_ERRORS: Record<string, BuiltinError> = {
  invalid_request: { status: 400, message: (v) => (typeof v.detail === 'string' || v.cause !== undefined ? explainInvalid(v) : 'The request is not valid.') },
  unauthorized: { status: 401, message: explainAuth },
  payment_required: { status: 402, message: fixed('Payment required.') },
  forbidden: {
    status: 403,
    message: (v) => (Array.isArray(v.scopes) && v.scopes.length > 0 ? `Access denied: the key lacks a scope this operation needs (${v.scopes.join(', ')}).` : 'Access denied.'),
  },
  not_found: { status: 404, message: explainNotFound },
  method_not_allowed: { status: 405, message: (v) => `Method ${text(v.method) ?? ''} is not allowed${text(v.path) ? ` on ${text(v.path)}` : ''}${text(v.allowed) ? ` (allowed: ${text(v.allowed)})` : ''}.` },
  not_acceptable: { status: 406, message: fixed('None of the accepted media types can be produced.') },
  request_timeout: { status: 408, message: fixed('The request timed out.') },
  conflict: { status: 409, message: fixed('The request conflicts with the current state of the resource.') },
  gone: { status: 410, message: fixed('The resource is gone.') },
  payload_too_large: { status: 413, message: (v) => explainInvalid({ ...v, cause: 'tooLarge' }) },
  unsupported_media_type: { status: 415, message: (v) => explainInvalid({ ...v, cause: 'contentType' }) },
  unprocessable_entity: { status: 422, message: (v) => (typeof v.detail === 'string' ? explainInvalid(v) : 'The request could not be processed.') },
  rate_limited: { status: 429, message: (v) => `Too many requests.${retry(v)}` },
  internal_error: { status: 500, message: fixed('Internal server error.') },
  not_implemented: { status: 501, message: fixed('Not implemented.') },
  bad_gateway: { status: 502, message: fixed('Bad gateway: an upstream service failed.') },
  service_unavailable: { status: 503, message: (v) => `The service is temporarily unavailable.${retry(v)}` },
  gateway_timeout: { status: 504, message: fixed('Gateway timeout: an upstream service did not answer in time.') },
}

/** HTTP reason phrases (RFC 9110), for a problem's `title` and a status no code of the catalogue has. */
const REASONS: Record<number, string> = {
  200: 'OK', 201: 'Created', 202: 'Accepted', 203: 'Non-Authoritative Information', 204: 'No Content', 205: 'Reset Content', 206: 'Partial Content',
  300: 'Multiple Choices', 301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 304: 'Not Modified', 307: 'Temporary Redirect', 308: 'Permanent Redirect',
  400: 'Bad Request', 401: 'Unauthorized', 402: 'Payment Required', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 406: 'Not Acceptable',
  407: 'Proxy Authentication Required', 408: 'Request Timeout', 409: 'Conflict', 410: 'Gone', 411: 'Length Required', 412: 'Precondition Failed',
  413: 'Content Too Large', 414: 'URI Too Long', 415: 'Unsupported Media Type', 416: 'Range Not Satisfiable', 417: 'Expectation Failed', 418: "I'm a teapot",
  421: 'Misdirected Request', 422: 'Unprocessable Content', 423: 'Locked', 424: 'Failed Dependency', 425: 'Too Early', 426: 'Upgrade Required',
  428: 'Precondition Required', 429: 'Too Many Requests', 431: 'Request Header Fields Too Large', 451: 'Unavailable For Legal Reasons',
  500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout', 505: 'HTTP Version Not Supported',
  507: 'Insufficient Storage', 508: 'Loop Detected', 511: 'Network Authentication Required',
}

export function reasonPhrase(status: number): string {
  return REASONS[status] ?? (status >= 500 ? 'Server Error' : status >= 400 ? 'Client Error' : status >= 300 ? 'Redirection' : 'Success')
}
