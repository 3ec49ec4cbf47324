/**
 * The one request the corpus run sends to each document's servers, chosen from the document alone
 * (OpenAPI 3.x or Swagger 2.0) so standin and Prism get the same one: the first GET whose path has
 * no parameters; else the first GET, else the first operation, with its path parameters filled.
 * Required query, header and cookie parameters are filled too, credentials are sent when the
 * operation requires them, and a body when it takes one — values from the document's examples,
 * defaults and enums, else placeholders by type and format. The server's base path is left out
 * (both accept requests without it).
 */
import type { Probe } from './first-answer.ts'

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']

export interface Chosen extends Probe {
  /** Method and path template, e.g. `GET /pets/{petId}`. */
  operation: string
}

type Obj = Record<string, any>

/** Follows a local `$ref` (`#/components/...`), a few levels at most; anything else is returned as it is. */
function deref(doc: Obj, node: any, depth = 0): any {
  if (!node || typeof node !== 'object' || typeof node.$ref !== 'string' || depth > 16) return node
  const ref: string = node.$ref
  if (!ref.startsWith('#/')) return node
  let target: any = doc
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~')
    target = target?.[key]
    if (target === undefined) return undefined
  }
  return deref(doc, target, depth + 1)
}

export function chooseRequest(doc: Obj): Chosen | undefined {
  const ops: Array<{ path: string; method: string; item: Obj; op: Obj }> = []
  for (const [path, rawItem] of Object.entries<any>(doc.paths ?? {})) {
    const item = deref(doc, rawItem)
    if (!item || typeof item !== 'object') continue
    for (const method of Object.keys(item)) {
      if (METHODS.includes(method) && item[method] && typeof item[method] === 'object') ops.push({ path, method, item, op: item[method] })
    }
  }
  const pick = ops.find((o) => o.method === 'get' && !o.path.includes('{')) ?? ops.find((o) => o.method === 'get') ?? ops[0]
  if (!pick) return undefined
  return build(doc, pick.path, pick.method, pick.item, pick.op)
}

function build(doc: Obj, template: string, method: string, item: Obj, op: Obj): Chosen {
  const params = new Map<string, Obj>()
  for (const raw of [...(item.parameters ?? []), ...(op.parameters ?? [])]) {
    const p = deref(doc, raw)
    if (p && typeof p.name === 'string') params.set(`${p.in}:${p.name}`, p)
  }
  const headers: Record<string, string> = {}
  const query = new URLSearchParams()
  const cookies: string[] = []
  let path = template
  let body: string | undefined
  for (const p of params.values()) {
    if (p.in === 'body') {
      body = JSON.stringify(sample(doc, p.schema))
      headers['content-type'] = 'application/json'
      continue
    }
    if (p.in !== 'path' && p.required !== true) continue
    const value = paramValue(doc, p)
    if (p.in === 'path') path = path.replaceAll(`{${p.name}}`, encodeURIComponent(value))
    else if (p.in === 'query') query.append(p.name, value)
    else if (p.in === 'header') headers[p.name.toLowerCase()] = value
    else if (p.in === 'cookie') cookies.push(`${p.name}=${encodeURIComponent(value)}`)
    else if (p.in === 'formData' && !body) {
      body = new URLSearchParams({ [p.name]: value }).toString()
      headers['content-type'] = 'application/x-www-form-urlencoded'
    }
  }
  // A path parameter the operation does not declare (the document is wrong) still gets a value.
  path = path.replace(/\{[^}]+\}/g, '1')
  credentials(doc, op, headers, query, cookies)
  const requestBody = deref(doc, op.requestBody)
  // fetch sends no body with a GET or HEAD (some documents declare one anyway).
  if (method === 'get' || method === 'head') {
    body = undefined
    delete headers['content-type']
  } else if (requestBody?.content && body === undefined) {
    const types = Object.keys(requestBody.content)
    const json = types.find((t) => /[/+]json\b/i.test(t))
    const form = types.find((t) => /x-www-form-urlencoded/i.test(t))
    const media = requestBody.content[json ?? form ?? '']
    if (media) {
      const value = media.example ?? deref(doc, Object.values<any>(media.examples ?? {})[0])?.value ?? sample(doc, media.schema)
      headers['content-type'] = (json ?? form)!
      body = json ? JSON.stringify(value) : new URLSearchParams(flat(value)).toString()
    }
  }
  if (cookies.length > 0) headers.cookie = cookies.join('; ')
  const search = query.toString()
  return { operation: `${method.toUpperCase()} ${template}`, method: method.toUpperCase(), path: path + (search ? `?${search}` : ''), headers, body }
}

/** The first alternative of the operation's (or the document's) security, unless one alternative needs nothing. */
function credentials(doc: Obj, op: Obj, headers: Record<string, string>, query: URLSearchParams, cookies: string[]): void {
  const requirements: Obj[] = Array.isArray(op.security) ? op.security : Array.isArray(doc.security) ? doc.security : []
  if (requirements.length === 0 || requirements.some((r) => r && Object.keys(r).length === 0)) return
  const schemes: Obj = doc.components?.securitySchemes ?? doc.securityDefinitions ?? {}
  for (const name of Object.keys(requirements[0] ?? {})) {
    const s = deref(doc, schemes[name])
    if (!s) continue
    const type = String(s.type ?? '').toLowerCase()
    if (type === 'apikey') {
      if (s.in === 'query') query.append(s.name, 'key_example')
      else if (s.in === 'cookie') cookies.push(`${s.name}=key_example`)
      else headers[String(s.name).toLowerCase()] = 'key_example'
    } else if (type === 'basic' || (type === 'http' && String(s.scheme).toLowerCase() === 'basic')) {
      headers.authorization = `Basic ${btoa('user:password')}`
    } else if (type === 'http' && String(s.scheme).toLowerCase() !== 'bearer') {
      headers.authorization = `${s.scheme} token_example`
    } else {
      // http bearer, oauth2, openIdConnect: a bearer token.
      headers.authorization = 'Bearer token_example'
    }
  }
}

function paramValue(doc: Obj, p: Obj): string {
  const example = p.example ?? deref(doc, Object.values<any>(p.examples ?? {})[0])?.value ?? p['x-example']
  const value = example !== undefined ? example : sample(doc, p.schema ?? p)
  if (Array.isArray(value)) return value.map(String).join(',')
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value)
}

/** A small value the schema accepts, as far as examples, defaults, enums and types tell. */
export function sample(doc: Obj, raw: any, depth = 0): unknown {
  const s = deref(doc, raw)
  if (!s || typeof s !== 'object' || depth > 8) return null
  if (s.example !== undefined) return s.example
  if (Array.isArray(s.examples) && s.examples.length > 0) return s.examples[0]
  if (s.default !== undefined) return s.default
  if (s.const !== undefined) return s.const
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0]
  if (Array.isArray(s.allOf)) {
    const parts = s.allOf.map((x: any) => sample(doc, x, depth + 1))
    return parts.every((x: unknown) => x && typeof x === 'object' && !Array.isArray(x)) ? Object.assign({}, ...parts) : parts[0]
  }
  const alternatives = s.oneOf ?? s.anyOf
  if (Array.isArray(alternatives) && alternatives.length > 0) return sample(doc, alternatives[0], depth + 1)
  const type = Array.isArray(s.type) ? s.type.find((t: string) => t !== 'null') : s.type
  if (type === 'object' || (type === undefined && s.properties)) {
    const out: Obj = {}
    for (const name of Array.isArray(s.required) ? s.required : []) out[name] = sample(doc, s.properties?.[name] ?? {}, depth + 1)
    return out
  }
  if (type === 'array') return (s.minItems ?? 0) > 0 ? [sample(doc, s.items, depth + 1)] : []
  if (type === 'integer' || type === 'number') return typeof s.minimum === 'number' ? s.minimum : 1
  if (type === 'boolean') return true
  if (type === 'string' || type === undefined) return placeholder(s)
  return null
}

function placeholder(s: Obj): string {
  switch (s.format) {
    case 'uuid': return '3fa85f64-5717-4562-b3fc-2c963f66afa6'
    case 'date': return '2024-01-01'
    case 'date-time': return '2024-01-01T00:00:00Z'
    case 'email': return 'user@example.com'
    case 'uri': case 'url': return 'https://example.com/'
    case 'ipv4': return '192.0.2.1'
    default: return typeof s.minLength === 'number' && s.minLength > 7 ? 'x'.repeat(s.minLength) : 'example'
  }
}

/** A form body's fields: nested values as JSON. */
function flat(value: unknown): Record<string, string> {
  if (!value || typeof value !== 'object') return {}
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : String(v)]))
}
