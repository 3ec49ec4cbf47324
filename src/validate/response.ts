/**
 * Does a response keep the spec? One answer for every side that asks: standin's self-check of what it
 * is about to send, and `standin verify` of what a provider sent. The checks follow the Responses
 * Object of OpenAPI 3.x: the status is declared (exact, range or `default`), a declared body is sent
 * in a declared media type and matches its schema, and declared headers are present (when required)
 * and match theirs.
 */
import type { OperationModel } from '../spec/model.ts'
import type { Violation } from '../journal/journal.ts'
import { declaredResponse, matchMediaType, statusLabel } from '../spec/declared.ts'
import { describeAjvError } from '../spec/schemas.ts'
import { isJson } from './body.ts'

/** What was (or is about to be) sent, as the checks need it. */
export interface ResponseFacts {
  status: number
  /** Header values by lower-cased name. */
  headers: { get(name: string): string | undefined }
  /** The `Content-Type` header as sent, if any. */
  contentType?: string
  body:
    | { kind: 'none' }
    | { kind: 'stream' }
    /** A JSON body: `value` parsed (or about to be serialized); `malformed` when the text is not JSON. */
    | { kind: 'json'; value?: unknown; malformed?: boolean }
    | { kind: 'text'; value: string }
  /** A HEAD request, or a status that never has a body (204, 304). */
  bodiless?: boolean
}

export interface ResponseCheckOptions {
  /**
   * A status the spec does not declare is not held against the response: the request itself broke the
   * contract, and a spec with no error response for it leaves the server nothing declared to answer.
   */
  requestBroke?: boolean
  /**
   * JSON bodies already found valid by a validator, so as not to check them again (standin's
   * self-check: a stored record unchanged since it was last sent); told of each body found valid.
   */
  knownValid?: { has(value: unknown, validate: unknown): boolean; add(value: unknown, validate: unknown): void }
}

type Found = Omit<Violation, 'side'>

export function responseViolations(op: OperationModel, facts: ResponseFacts, options: ResponseCheckOptions = {}): Violation[] {
  const found = checkResponse(op, facts, options)
  return found.length === 0 ? [] : found.map((v) => ({ side: 'response', ...v }))
}

function checkResponse(op: OperationModel, facts: ResponseFacts, options: ResponseCheckOptions): Found[] {
  const found: Found[] = []
  const declared = declaredResponse(op.responses, facts.status)
  if (!declared) {
    if (!options.requestBroke) {
      found.push({ location: 'status', pointer: '', message: `status ${facts.status} is not declared for ${op.id} (declared: ${op.responses.map(statusLabel).join(', ')})` })
    }
    return found
  }
  const label = `${op.id} ${facts.status}`

  // Headers: presence of required ones, and every sent one against its schema. Content-Type is not a
  // header in this sense (OpenAPI: "If a response header is defined with the name Content-Type, it
  // SHALL be ignored").
  for (const [name, header] of declared.headers) {
    if (name === 'content-type') continue
    const value = facts.headers.get(name)
    if (value === undefined) {
      if (header.required) found.push({ location: 'header', pointer: `/${name}`, message: `required header ${name} is missing (${label})` })
    } else if (header.validate && !header.validate(value)) {
      found.push({ location: 'header', pointer: `/${name}`, message: `header ${name}: "${value}" does not match its schema (${label})` })
    }
  }

  const declaresBody = declared.contentTypes.size > 0
  if (facts.body.kind === 'none' || facts.bodiless) {
    if (declaresBody && !facts.bodiless) found.push({ location: 'body', pointer: '', message: `${label} declares a body (${[...declared.contentTypes.keys()].join(', ')}) but none was sent` })
    return found
  }
  if (!declaresBody) {
    // An error envelope on an error response declared without content is the API's usual answer; a
    // body on a success response declared without one is something a client cannot expect.
    if (facts.status < 400) found.push({ location: 'body', pointer: '', message: `${label} declares no body, but one was sent` })
    return found
  }
  const media = matchMediaType(declared.contentTypes, facts.contentType)
  if (!media) {
    found.push({ location: 'content-type', pointer: '', message: `content type ${facts.contentType ?? '(none)'} is not declared for ${label} (declared: ${[...declared.contentTypes.keys()].join(', ')})` })
    return found
  }
  if (facts.body.kind === 'stream' || !media.validate) return found
  if (facts.body.kind === 'json') {
    if (facts.body.malformed) {
      found.push({ location: 'body', pointer: '', message: `${label}: the body is not valid JSON` })
      return found
    }
    if (options.knownValid?.has(facts.body.value, media.validate)) return found
    if (!media.validate(facts.body.value)) {
      for (const e of media.validate.errors ?? []) {
        const d = describeAjvError(e)
        found.push({ location: 'body', pointer: d.pointer, message: d.detail })
      }
    } else options.knownValid?.add(facts.body.value, media.validate)
  } else if (facts.body.kind === 'text' && !isJson(facts.contentType ?? '') && !media.validate(facts.body.value)) {
    // A text body against a string schema (pattern, enum, maxLength).
    for (const e of media.validate.errors ?? []) found.push({ location: 'body', pointer: '', message: describeAjvError(e).detail })
  }
  return found
}

/** Facts about a Web Response whose body has been read as text. */
export function factsOfResponse(response: Response, text: string, head = false): ResponseFacts {
  const headers = new Map<string, string>()
  response.headers.forEach((value, name) => headers.set(name.toLowerCase(), value))
  const contentType = headers.get('content-type')
  const bodiless = head || response.status === 204 || response.status === 304
  let body: ResponseFacts['body'] = { kind: 'none' }
  if (text !== '') {
    const media = contentType?.split(';')[0]!.trim().toLowerCase() ?? ''
    if (isJson(media)) {
      try { body = { kind: 'json', value: JSON.parse(text) } } catch { body = { kind: 'json', malformed: true } }
    } else body = { kind: 'text', value: text }
  }
  return { status: response.status, headers, contentType, body, bodiless }
}
