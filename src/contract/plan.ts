/**
 * A request plan built from the spec alone: for every operation, valid requests (examples or
 * generated data, with each known credential), and requests that break the spec on purpose (a body or
 * parameter the schema refuses, malformed JSON, no credentials, an id nothing has). Operations run in
 * REST order — creates first, deletes last — and ids that creates return feed the requests after them,
 * so a plan works against any server that keeps the spec, standin or the provider itself.
 *
 * Ids are found by REST shape, not by standin's behaviour model: a 2xx answer to `POST /things` whose
 * body has an id gives `/things/{id}` its value. Records verify did not create are never deleted.
 */
import type { Api } from '../api.ts'
import type { OperationModel } from '../spec/model.ts'
import { seededRandom } from '../util/random.ts'
import { isPlainObject } from '../util/match.ts'
import { invalidBodies, invalidParamValues, paramValue, validBody } from './samples.ts'

/** A credential as the request carries it. */
export interface Credential {
  label: string
  headers: Record<string, string>
  query: Record<string, string>
}

export interface Fixtures {
  /** Credentials to send; the first is the main one. */
  credentials: Credential[]
  /** Ids of records the target already holds, by collection path (`/v1/projects`). Never deleted. */
  records: Map<string, string[]>
}

export interface PlanOptions {
  /** Also ask for every declared status with `Prefer: code=NNN` (standin and Prism read it). */
  preferEveryStatus?: boolean
  /** Send a malformed JSON body to operations that take JSON (Prism never answers those: the referee leaves them out). */
  malformed?: boolean
  seed?: number
}

export type CaseKind = 'valid' | 'streamed' | 'other-credential' | 'invalid-body' | 'invalid-param' | 'malformed' | 'no-credentials' | 'unknown-id' | 'prefer'

/** Media types whose answer is a stream of events. */
export const EVENT_STREAM = 'text/event-stream'

export interface BuiltRequest {
  method: string
  /** Path and query string, under the target's base URL. */
  path: string
  headers: Record<string, string>
  body?: string
}

export interface Case {
  op: OperationModel
  /** The credential the request carries, if any. */
  credential?: Credential
  kind: CaseKind
  name: string
  /** The request breaks the spec (or lacks credentials the spec asks for): the answer must be a 4xx. */
  broken: boolean
  /** The exact status the case asks for (`Prefer: code=NNN`). */
  status?: number
  /** The request, from what the run has learned so far; or why it cannot be made. */
  build(state: PlanState): BuiltRequest | { skip: string }
}

/**
 * What a run learns: ids of the records its own requests created, by collection path and by the
 * credential that created them (a record of one tenant is another tenant's 404).
 */
export class PlanState {
  readonly created = new Map<string, string[]>()
  readonly fixtures: Fixtures
  constructor(fixtures: Fixtures) {
    this.fixtures = fixtures
  }

  /** Remembers the id a 2xx create answered with. */
  learn(op: OperationModel, credential: Credential | undefined, status: number, body: unknown, idField: string): void {
    if (op.method !== 'POST' || status < 200 || status >= 300 || !isCollection(op.path) || !isPlainObject(body)) return
    const id = body[idField] ?? body.id
    if (typeof id !== 'string' && typeof id !== 'number') return
    const key = `${credential?.label ?? ''}\u0000${op.path}`
    const list = this.created.get(key) ?? []
    list.push(String(id))
    this.created.set(key, list)
  }

  /**
   * Ids for a path parameter naming a record of `collection`, as `credential` sees them: the newest and
   * the oldest it (else the main credential) created, then a fixture. Destructive requests get only
   * what the run created.
   */
  idsFor(collection: string, destructive: boolean, credential: Credential | undefined): string[] {
    // A credential that created nothing (a read-only key) addresses what the main credential created.
    const own = this.created.get(`${credential?.label ?? ''}\u0000${collection}`)
    const created = [...(own ?? this.created.get(`${this.fixtures.credentials[0]?.label ?? ''}\u0000${collection}`) ?? [])].reverse()
    if (destructive) return created.slice(0, 1)
    const ids = [created[0], created[created.length - 1], this.fixtures.records.get(collection)?.[0]]
    return [...new Set(ids.filter((id): id is string => id !== undefined))]
  }
}

/** An id no server holds (unless it names its records so). */
export const UNKNOWN_ID = 'standin-verify-no-such-id'

const ORDER: Record<string, number> = { create: 0, list: 1, read: 2, none: 3, custom: 3, update: 4, transition: 5, delete: 6 }

export function planCases(api: Api, fixtures: Fixtures, options: PlanOptions = {}): Case[] {
  const random = seededRandom(options.seed ?? 1)
  // An operation that revokes credentials (a logout) comes last, after every delete: the plan's later
  // requests still need the key it revokes. Revoking one's own token before revoking all of them.
  const revokes: Record<string, number> = { self: 7, others: 8, user: 9 }
  const rank = (op: OperationModel) => (op.account?.revoke ? revokes[op.account.revoke]! : op.method === 'DELETE' ? 6 : isCollection(op.path) && op.method === 'POST' ? 0 : ORDER[op.action] ?? 3)
  const operations = [...api.operations].sort((a, b) => rank(a) - rank(b))
  const cases: Case[] = []
  for (const op of operations) cases.push(...casesFor(api, op, fixtures, options, random))
  return cases
}

function casesFor(api: Api, op: OperationModel, fixtures: Fixtures, options: PlanOptions, random: () => number): Case[] {
  const cases: Case[] = []
  const secured = op.security.length > 0 && !op.security.some((r) => r.size === 0)
  const main = fixtures.credentials[0]
  const body = validBody(api, op, random)
  const destructive = op.method === 'DELETE' || op.action === 'delete' || op.action === 'transition'
  const itemParam = lastPathParam(op.path)

  // Valid values for every parameter but the ids, which come from the run.
  const values = new Map<string, string>()
  for (const p of op.parameters) {
    if (p.in === 'path' && collectionOf(op.path, p.name)) continue
    if (!p.required) continue
    const v = paramValue(api, p, random)
    if (v !== undefined) values.set(`${p.in}:${p.name}`, v)
  }

  const make = (state: PlanState, credential: Credential | undefined, change: {
    id?: string; body?: string | null; contentType?: string; param?: { in: string; name: string; value: string | undefined }; headers?: Record<string, string>
  } = {}): BuiltRequest | { skip: string } => {
    let path = op.path
    for (const p of op.parameters.filter((x) => x.in === 'path')) {
      let value: string | undefined
      const collection = collectionOf(op.path, p.name)
      if (change.param?.in === 'path' && change.param.name === p.name) value = change.param.value
      else if (collection && p.name === itemParam && change.id !== undefined) value = change.id
      else if (collection) {
        // With no id known (nothing created one, no fixture), an id nothing has: the answer is still judged.
        value = state.idsFor(collection, destructive && p.name === itemParam, credential ?? main)[0] ?? UNKNOWN_ID
      } else value = values.get(`path:${p.name}`)
      if (value === undefined) return { skip: `no value for path parameter ${p.name}` }
      path = path.replace(`{${p.name}}`, encodeURIComponent(value))
    }
    const query = new URLSearchParams()
    const headers: Record<string, string> = {}
    for (const p of op.parameters) {
      if (p.in === 'path') continue
      const key = `${p.in}:${p.name}`
      const value = change.param?.in === p.in && change.param.name === p.name ? change.param.value : values.get(key)
      if (value === undefined) continue
      if (p.in === 'query') query.set(p.name, value)
      else if (p.in === 'header') headers[p.name.toLowerCase()] = value
      else if (p.in === 'cookie') headers.cookie = [headers.cookie, `${p.name}=${encodeURIComponent(value)}`].filter(Boolean).join('; ')
    }
    if (credential) {
      for (const [name, value] of Object.entries(credential.headers)) headers[name.toLowerCase()] = value
      for (const [name, value] of Object.entries(credential.query)) query.set(name, value)
    }
    Object.assign(headers, change.headers)
    let text: string | undefined
    if (change.body !== null) {
      if (change.body !== undefined) text = change.body
      else if (body) text = body.text ?? JSON.stringify(body.value)
    }
    if (text !== undefined) headers['content-type'] = change.contentType ?? body?.contentType ?? 'application/json'
    const qs = query.toString()
    return { method: op.method, path: qs ? `${path}?${qs}` : path, headers, ...(text !== undefined ? { body: text } : {}) }
  }

  const add = (kind: CaseKind, name: string, broken: boolean, build: Case['build'], status?: number, credential: Credential | undefined = main) => cases.push({ op, kind, name, broken, build, ...(credential ? { credential } : {}), ...(status !== undefined ? { status } : {}) })
  const bodyNote = body ? ` (${body.source} body)` : ''

  // Valid requests: one per known id of the addressed record (newest created, oldest, a fixture).
  const idCount = itemParam && collectionOf(op.path, itemParam) && !destructive ? 3 : 1
  for (let i = 0; i < idCount; i++) {
    add('valid', `valid request${bodyNote}${idCount > 1 ? ` #${i + 1}` : ''}`, false, (state) => {
      if (i === 0) return make(state, main)
      const collection = collectionOf(op.path, itemParam!)!
      const id = state.idsFor(collection, false, main)[i]
      return id === undefined ? { skip: 'no further known id' } : make(state, main, { id })
    })
  }
  // An operation that can answer with a stream of events is asked for one too.
  if (op.responses.some((r) => [...r.contentTypes.keys()].some((t) => t === EVENT_STREAM))) {
    add('streamed', `valid request, streamed (Accept: ${EVENT_STREAM})${bodyNote}`, false, (state) => make(state, main, { headers: { accept: EVENT_STREAM } }))
  }
  if (secured) {
    for (const credential of fixtures.credentials.slice(1, 4)) add('other-credential', `valid request with ${credential.label}`, false, (state) => make(state, credential), undefined, credential)
  }
  for (const invalid of invalidBodies(api, op, body?.value)) {
    add('invalid-body', `body breaks the schema: ${invalid.what}`, true, (state) => make(state, main, { body: JSON.stringify(invalid.value), contentType: invalid.contentType }))
  }
  if (options.malformed !== false && body && body.text === undefined) add('malformed', 'malformed JSON body', true, (state) => make(state, main, { body: '{"unterminated": ', contentType: body.contentType }))
  for (const p of op.parameters) {
    if (p.in === 'path' && collectionOf(op.path, p.name)) continue
    const invalid = invalidParamValues(api, p).find((c) => breaksParams(op, values, p, c.value))
    if (invalid) add('invalid-param', `parameter breaks the schema: ${invalid.what}`, true, (state) => make(state, main, { param: { in: p.in, name: p.name, value: invalid.value } }))
  }
  if (secured) add('no-credentials', 'no credentials', true, (state) => make(state, undefined), undefined, undefined)
  if (itemParam && collectionOf(op.path, itemParam)) add('unknown-id', 'an id nothing has', true, (state) => make(state, main, { id: UNKNOWN_ID }))
  if (options.preferEveryStatus) {
    for (const r of op.responses) {
      if (typeof r.status !== 'number' || r.range) continue
      const status = r.status
      add('prefer', `Prefer: code=${status}`, false, (state) => make(state, main, { headers: { prefer: `code=${status}` } }), status)
    }
  }
  return cases
}

/** Does this value for one parameter make the operation's parameters break the spec? */
function breaksParams(op: OperationModel, values: Map<string, string>, param: { in: string; name: string }, value: string | undefined): boolean {
  if (!op.validateParams) return false
  const input: Record<string, Record<string, unknown>> = { path: {}, query: {}, header: {}, cookie: {} }
  for (const p of op.parameters) {
    const key = `${p.in}:${p.name}`
    const name = p.in === 'header' ? p.name.toLowerCase() : p.name
    const v = p.in === param.in && p.name === param.name ? value : values.get(key) ?? (p.in === 'path' ? 'x' : undefined)
    if (v !== undefined) input[p.in]![name] = v
  }
  return op.validateParams(input) === false
}

/** `/v1/projects` is a collection; `/v1/projects/{id}` is not. */
function isCollection(path: string): boolean {
  return !/\}$/.test(path)
}

function lastPathParam(path: string): string | undefined {
  return /\{([^}]+)\}$/.exec(path)?.[1]
}

/** The collection a path parameter names a record of: `/v1/projects` for `id` in `/v1/projects/{id}/tasks`. */
function collectionOf(path: string, param: string): string | undefined {
  const segments = path.split('/')
  const i = segments.indexOf(`{${param}}`)
  if (i <= 1) return undefined
  const before = segments.slice(0, i).join('/')
  return /\}$/.test(before) ? undefined : before
}
