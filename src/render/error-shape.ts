/**
 * An error answer in the shape the API declares, for a spec that gives no envelope of its own (a
 * provider's published spec): the schema the operation declares for the status (else its range,
 * else `default`, else its other error responses', else the error schema the document uses most for
 * that status, its class, or any error),
 * filled from the spec's example, with the message written into the field the schema has for it and
 * a code, a status, a title where the schema has fields for them. Fields are found by their names and
 * types (`message`, `error.message`, `detail`, `error_description`, `errors[0].message` …), never by
 * which API it is. What the schema requires besides comes from its example, else from its schema.
 */
import type { Api } from '../api.ts'
import type { OperationModel, ResponseMedia, ResponseModel } from '../spec/model.ts'
import { declaredResponse } from '../spec/declared.ts'
import { isJson } from '../validate/body.ts'
import { isPlainObject } from '../util/match.ts'

export interface ErrorTarget {
  contentType: string
  media: ResponseMedia
}

/** What the answer says, for the fields the schema has. */
export interface ErrorFacts {
  status: number
  code: string
  message: string
  /** The status's reason phrase (`Not Found`): a problem's `title`. */
  reason: string
  requestId?: string
  /** The request's path: a problem's `instance`. */
  path?: string
  field?: string
  pointer?: string
  /** Where the API documents this operation (its `externalDocs`, else the document's): a `documentation_url`. */
  docs?: string
}

/** The declared (or the document's usual) error response for a status, if the spec declares any. */
export function errorTarget(api: Api, op: OperationModel | undefined, status: number): ErrorTarget | undefined {
  if (op) {
    const declared = declaredResponse(op.responses, status)
    const own = declared && jsonMedia(declared)
    if (own) return own
    // A status the operation does not declare: the shape of its other errors, of the same class first.
    let other: ErrorTarget | undefined
    for (const response of op.responses) {
      const s = response.status
      if (s !== 'default' && s < 400) continue
      const target = jsonMedia(response)
      if (!target) continue
      if (s !== 'default' && Math.floor(s / 100) === Math.floor(status / 100)) return target
      other ??= target
    }
    if (other) return other
  }
  const usual = usualErrors(api)
  return usual.byStatus.get(status) ?? usual.byClass.get(Math.floor(status / 100)) ?? usual.any
}

/** The media an error is answered in: a JSON one with a schema (application/json, problem+json …). */
function jsonMedia(response: ResponseModel): ErrorTarget | undefined {
  for (const [contentType, media] of response.media.entries) if (media.schemaPointer && isJson(contentType)) return { contentType, media }
  return undefined
}

interface Usual { byStatus: Map<number, ErrorTarget>; byClass: Map<number, ErrorTarget>; any?: ErrorTarget }
const usualByApi = new WeakMap<Api, Usual>()

/** The error schemas the document's operations declare, the most used first: per status, per class, overall. */
function usualErrors(api: Api): Usual {
  let usual = usualByApi.get(api)
  if (usual) return usual
  const counts = new Map<string, Map<string, { target: ErrorTarget; n: number }>>()
  const count = (key: string, target: ErrorTarget, schema: string) => {
    let byKey = counts.get(key)
    if (!byKey) counts.set(key, (byKey = new Map()))
    const seen = byKey.get(schema)
    if (seen) seen.n++
    else byKey.set(schema, { target, n: 1 })
  }
  for (const op of api.operations) {
    for (const response of op.responses) {
      const status = response.status
      if (typeof status === 'number' && status < 400) continue
      const target = jsonMedia(response)
      if (!target) continue
      const schema = api.registry.resolve({ $ref: `#${target.media.schemaPointer}` }).pointer
      if (typeof status === 'number' && !response.range) count(`s${status}`, target, schema)
      if (typeof status === 'number') count(`c${Math.floor(status / 100)}`, target, schema)
      count('any', target, schema)
    }
  }
  const best = (key: string) => {
    let top: { target: ErrorTarget; n: number } | undefined
    for (const c of counts.get(key)?.values() ?? []) if (!top || c.n > top.n) top = c
    return top?.target
  }
  usual = { byStatus: new Map(), byClass: new Map(), any: best('any') }
  for (const key of counts.keys()) {
    if (key.startsWith('s')) usual.byStatus.set(Number(key.slice(1)), best(key)!)
    else if (key.startsWith('c')) usual.byClass.set(Number(key.slice(1)), best(key)!)
  }
  usualByApi.set(api, usual)
  return usual
}

type Role = 'message' | 'title' | 'code' | 'status' | 'requestId' | 'instance' | 'field' | 'pointer' | 'type' | 'docs'
interface Slot { path: Array<string | number>; role: Role; schema: any }
/** Which fields get what, and the schemas of the objects and list items on the way to them (by path, as JSON). */
interface Plan { schema: any; slots: Slot[]; containers: Map<string, any> }

const plans = new WeakMap<Api, Map<string, Plan>>()

/** The body of an error answer, shaped by the schema at `target`. */
export function shapeError(api: Api, target: ErrorTarget, facts: ErrorFacts, random: () => number): unknown {
  const pointer = target.media.schemaPointer!
  const raw = api.schemaAt(pointer)
  const schema = merged(raw)
  const example = target.media.example ?? raw?.example
  // A list of errors as the whole body (`[{code, message}]`): one, shaped as its items say.
  if (!objectish(schema) && typeOf(schema) === 'array' && objectish(merged(schema.items))) {
    return [shapeObject(api, planFor(api, `${pointer} items`, schema.items), Array.isArray(example) ? example[0] : undefined, facts, random)]
  }
  if (!objectish(schema)) {
    // A schema that is not an object (a bare string): the message is the body.
    return typeOf(schema) === 'string' || schema === undefined ? facts.message : example ?? api.fake(raw, random)
  }
  const body = shapeObject(api, planFor(api, pointer, raw), example, facts, random)
  const validate = target.media.validate
  const branches = isPlainObject(raw) ? (raw.oneOf ?? raw.anyOf) : undefined
  if (!validate || !Array.isArray(branches) || validate(body)) return body
  // One of several shapes (GitHub's 422: validation-error or validation-error-simple), and the body
  // fits none or more than one: each shape in turn, with all it may hold, until one fits alone.
  for (const [i, branch] of branches.entries()) {
    if (!objectish(merged(branch))) continue
    const candidate = shapeObject(api, planFor(api, `${pointer} branch ${i}`, whole(branch, 0)), undefined, facts, random)
    if (validate(candidate)) return candidate
  }
  return body
}

/** A schema asking for everything it allows (every property, a list item at least): the most distinctive instance. */
function whole(schema: unknown, depth: number): unknown {
  const merged_ = merged(schema)
  if (!isPlainObject(merged_) || depth > 3) return merged_
  // Without its example, which data generators would answer with as it is (leaving out what it leaves out).
  const { example: _example, examples: _examples, ...s } = merged_ as Record<string, any>
  if (objectish(s) && isPlainObject(s.properties)) {
    const properties = Object.fromEntries(Object.entries<any>(s.properties).map(([k, v]) => [k, whole(v, depth + 1)]))
    return { ...s, properties, required: Object.keys(properties) }
  }
  if (typeOf(s) === 'array' && s.items !== undefined) return { ...s, items: whole(s.items, depth + 1), minItems: Math.max(1, Number(s.minItems ?? 0)) }
  return s
}

function planFor(api: Api, key: string, schema: unknown): Plan {
  let byKey = plans.get(api)
  if (!byKey) plans.set(api, (byKey = new Map()))
  let plan = byKey.get(key)
  if (!plan) byKey.set(key, (plan = planOf(schema)))
  return plan
}

function shapeObject(api: Api, plan: Plan, example: unknown, facts: ErrorFacts, random: () => number): Record<string, unknown> {
  const schema = merged(plan.schema)
  let body: Record<string, unknown>
  const fromExample = isPlainObject(example)
  if (fromExample) {
    body = structuredClone(example)
    // An example that leaves out a required field (examples often show only the interesting ones).
    const required: string[] = Array.isArray(schema.required) ? schema.required : []
    if (required.some((name) => !(name in body))) {
      const faked = api.fake(plan.schema, random)
      if (isPlainObject(faked)) for (const name of required) if (!(name in body) && faked[name] !== undefined) body[name] = faked[name]
    }
  } else {
    const faked = api.fake(plan.schema, random)
    body = isPlainObject(faked) ? faked : {}
  }
  // An object or list item made on the way to a field: what its schema requires, from the schema.
  const make = (path: Array<string | number>) => {
    const sub = plan.containers.get(JSON.stringify(path))
    const faked = sub === undefined ? undefined : api.fake(sub, random)
    return isPlainObject(faked) ? faked : {}
  }
  for (const slot of plan.slots) {
    // A problem's `type` with no example to take it from: RFC 9457's default, not a made-up URI.
    if (slot.role === 'type') { if (!fromExample) setAt(body, slot.path, 'about:blank', make); continue }
    const value = valueFor(slot, facts)
    if (value !== undefined) setAt(body, slot.path, value, make)
  }
  return body
}

function valueFor(slot: Slot, facts: ErrorFacts): unknown {
  const s = slot.schema
  const enumerated = Array.isArray(s?.enum) ? s.enum as unknown[] : undefined
  const integer = typeOf(s) === 'integer' || typeOf(s) === 'number'
  switch (slot.role) {
    case 'message': return facts.message
    case 'title': return facts.reason
    case 'requestId': return facts.requestId
    case 'instance': return facts.path
    case 'field': return facts.field
    case 'type': return undefined
    case 'pointer': return facts.pointer
    case 'docs': return facts.docs
    case 'code':
      if (enumerated) return closestValue(enumerated, facts)
      return integer ? facts.status : facts.code
    case 'status':
      if (enumerated) return closestValue(enumerated, facts)
      return integer ? facts.status : String(facts.status)
  }
}

const MESSAGE = ['message', 'detail', 'errordescription', 'errormessage', 'description', 'msg', 'reason', 'details', 'title', 'error']
const CODE = new Set(['code', 'errorcode', 'error', 'type', 'errortype', 'status', 'reason'])
const STATUS = new Set(['status', 'statuscode', 'httpstatus', 'httpstatuscode', 'httpcode'])
const REQUEST_ID = new Set(['requestid', 'traceid', 'correlationid'])
/** A link to the API's documentation (`documentation_url`, `doc_url`, `help_url`, `more_info`). */
const DOCS = /^(documentation|docs?)(url|uri|link)?$|^(help|moreinfo|info)(url|uri|link)$|^moreinfo$/

/** Which fields of the schema get what: the message in the best-named string field nearest the top, and its neighbours. */
function planOf(schema: any): Plan {
  const root = merged(schema)
  const candidates: Array<{ path: Array<string | number>; name: string; schema: any; depth: number }> = []
  const containers = new Map<string, any>()
  const visit = (node: any, path: Array<string | number>, depth: number) => {
    const props = isPlainObject(node?.properties) ? node.properties : {}
    for (const [name, raw] of Object.entries<any>(props)) {
      const prop = merged(raw)
      candidates.push({ path: [...path, name], name: name.toLowerCase().replace(/[^a-z0-9]/g, ''), schema: prop, depth })
      if (depth >= 2) continue
      if (objectish(prop)) {
        containers.set(JSON.stringify([...path, name]), raw)
        visit(prop, [...path, name], depth + 1)
      } else if (typeOf(prop) === 'array' && objectish(merged(prop.items))) {
        containers.set(JSON.stringify([...path, name, 0]), prop.items)
        visit(merged(prop.items), [...path, name, 0], depth + 1)
      }
    }
  }
  visit(root, [], 0)
  const isString = (s: any) => { const t = typeOf(s); return (t === 'string' || t === undefined) && !objectish(s) && s?.items === undefined && !(Array.isArray(s?.enum)) }
  let message: (typeof candidates)[number] | undefined
  let rank = Infinity
  for (const c of candidates) {
    const r = MESSAGE.indexOf(c.name)
    if (r === -1 || !isString(c.schema)) continue
    const score = c.depth * 100 + r
    if (score < rank) { rank = score; message = c }
  }
  const slots: Slot[] = []
  if (message) slots.push({ path: message.path, role: 'message', schema: message.schema })
  // The message's object and those it lives in: their own fields say the rest.
  const home = message ? message.path.slice(0, -1) : []
  const near = candidates.filter((c) => c !== message && isPrefix(c.path.slice(0, -1), home) && !objectish(c.schema))
  for (const c of near) {
    const t = typeOf(c.schema)
    const enumerated = Array.isArray(c.schema?.enum)
    if (c.name === 'title' && message) slots.push({ path: c.path, role: 'title', schema: c.schema })
    else if (STATUS.has(c.name) && (t === 'integer' || t === 'number' || (c.name === 'status' && t === 'string'))) slots.push({ path: c.path, role: 'status', schema: c.schema })
    // A problem's `type` is a URI the API chose (kept from its example) unless it is enumerated.
    else if (CODE.has(c.name) && (enumerated || t === 'integer' || (t === 'string' && !c.schema.format && c.name !== 'reason' && c.name !== 'type'))) slots.push({ path: c.path, role: 'code', schema: c.schema })
    else if (REQUEST_ID.has(c.name) && t === 'string') slots.push({ path: c.path, role: 'requestId', schema: c.schema })
    else if (c.name === 'instance' && t === 'string') slots.push({ path: c.path, role: 'instance', schema: c.schema })
    else if ((c.name === 'param' || c.name === 'parameter' || c.name === 'field') && t === 'string') slots.push({ path: c.path, role: 'field', schema: c.schema })
    else if (c.name === 'pointer' && t === 'string') slots.push({ path: c.path, role: 'pointer', schema: c.schema })
    else if (DOCS.test(c.name) && t === 'string' && !enumerated) slots.push({ path: c.path, role: 'docs', schema: c.schema })
    else if (c.name === 'type' && t === 'string' && !enumerated && /^uri/.test(String(c.schema.format ?? ''))) slots.push({ path: c.path, role: 'type', schema: c.schema })
  }
  return { schema, slots, containers }
}

function isPrefix(prefix: Array<string | number>, of: Array<string | number>): boolean {
  return prefix.length <= of.length && prefix.every((p, i) => p === of[i])
}

/** A schema with its allOf parts merged, or its first object-like oneOf/anyOf branch. */
function merged(schema: any): any {
  if (!isPlainObject(schema)) return schema
  let out: any = schema
  const s: any = schema
  if (Array.isArray(s.allOf)) {
    out = { ...s, properties: { ...(s.properties ?? {}) }, required: [...(Array.isArray(s.required) ? s.required : [])] }
    for (const part of s.allOf.map(merged) as any[]) {
      if (!isPlainObject(part)) continue
      Object.assign(out.properties, part.properties ?? {})
      if (Array.isArray(part.required)) out.required.push(...part.required)
      out.type ??= part.type
    }
  }
  const branches = out.oneOf ?? out.anyOf
  if (!isPlainObject(out.properties) && Array.isArray(branches)) {
    const branch = branches.map(merged).find(objectish)
    if (branch) out = branch
  }
  return out
}

function objectish(schema: any): boolean {
  return isPlainObject(schema) && (typeOf(schema) === 'object' || isPlainObject(schema.properties))
}

function typeOf(schema: any): string | undefined {
  if (!isPlainObject(schema)) return undefined
  const t: unknown = (schema as any).type
  return Array.isArray(t) ? t.find((x) => x !== 'null') : typeof t === 'string' ? t : undefined
}

/** Sets a value at a path, making the objects and list items on the way (`make` gives a new one for a path). */
function setAt(body: Record<string, unknown>, path: Array<string | number>, value: unknown, make: (path: Array<string | number>) => Record<string, unknown>): void {
  let node: any = body
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i]!
    const next = path[i + 1]
    if (typeof next === 'number') {
      if (!Array.isArray(node[key])) node[key] = []
      node = node[key]
      if (!isPlainObject(node[next])) node[next] = make(path.slice(0, i + 2))
      node = node[next]
      i++
    } else {
      if (!isPlainObject(node[key])) node[key] = make(path.slice(0, i + 1))
      node = node[key]
    }
  }
  node[path[path.length - 1]!] = value
}

/** The enumerated value nearest what happened: the code itself, else the one sharing most words with it and the status. */
function closestValue(values: unknown[], facts: ErrorFacts): unknown {
  const words = new Set([...tokens(facts.code), ...tokens(facts.reason), ...(SYNONYMS[facts.status] ?? [])])
  let best: unknown = values[0]
  let bestScore = -1
  for (const v of values) {
    let score = 0
    if (v === facts.code || v === facts.status || v === String(facts.status)) score = 1000
    else for (const t of tokens(String(v))) if (words.has(t)) score++
    if (score > bestScore) { best = v; bestScore = score }
  }
  return best
}

function tokens(text: string): string[] {
  return text.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase().split(/[^a-z0-9]+/).filter(Boolean)
}

const SYNONYMS: Record<number, string[]> = {
  400: ['invalid', 'bad', 'request', 'validation', 'argument', 'malformed'],
  401: ['unauthorized', 'unauthenticated', 'authentication', 'credentials', 'token', 'key'],
  403: ['forbidden', 'permission', 'denied', 'access'],
  404: ['not', 'found', 'missing', 'unknown'],
  405: ['method', 'allowed'],
  409: ['conflict', 'exists', 'already'],
  413: ['large', 'payload', 'size'],
  422: ['invalid', 'validation', 'unprocessable'],
  429: ['rate', 'limit', 'limited', 'too', 'many', 'requests', 'throttled', 'exhausted'],
  500: ['internal', 'server', 'error'],
  502: ['upstream', 'gateway', 'bad'],
  503: ['unavailable', 'service', 'overloaded'],
  504: ['timeout', 'gateway', 'deadline'],
}
