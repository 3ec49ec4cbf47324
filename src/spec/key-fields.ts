/**
 * Which record fields a group of path parameters names a record by, read from the record's schema:
 * `{issue_number}` is an issue's `number`, `{gist_id}` a gist's `id`, `{customer}` a customer's
 * `id`, `{owner}/{repo}` a repository's `owner.login` and `name`. Matched by name first (the
 * parameter's own, then without the resource's name in it), then — for the parameter that names
 * the record itself — by the usual identifying fields whose type is the parameter's.
 */
import { isPlainObject } from '../util/match.ts'
import type { SchemaRegistry } from './schemas.ts'

export interface KeyParam {
  name: string
  /** The parameter schema's type (`integer`, `string`), when it says. */
  type?: string
}

/** Fields that identify a record, in the order they are tried; `login` before `name` (a user's display name). */
const IDENTITY = ['id', 'slug', 'login', 'name', 'key', 'number', 'uuid']
/** The same inside a nested object (a repository's `owner`): a handle before a number. */
const NESTED_IDENTITY = ['login', 'slug', 'name', 'key', 'id', 'uuid']
/** Words parameters use for a field of another name. */
const SYNONYMS: Record<string, string[]> = { username: ['login', 'username'], user: ['login'] }

/**
 * The field paths, one per parameter, or undefined where a parameter matches nothing (that step
 * of the address then falls back to the record's id).
 */
export function keyFields(params: KeyParam[], schema: unknown, resourceName: string, registry: SchemaRegistry): string[][] | undefined {
  const props = propertiesOf(schema, registry)
  const resourceWords = words(resourceName)
  const out: string[][] = []
  for (const [i, param] of params.entries()) {
    const field = matchParam(param, props, resourceWords, i === params.length - 1, registry)
    if (!field) return undefined
    out.push(field)
  }
  // Two parameters on one field would make a key no record can have.
  return new Set(out.map((f) => f.join('.'))).size === out.length ? out : undefined
}

function matchParam(param: KeyParam, props: Map<string, any>, resourceWords: string[], last: boolean, registry: SchemaRegistry): string[] | undefined {
  const byName = (name: string): string[] | undefined => {
    const found = [...props.keys()].find((k) => norm(k) === norm(name))
    if (found === undefined) return undefined
    const prop = props.get(found)
    if (isObject(prop)) {
      const inner = identity(propertiesOf(prop, registry), param.type, NESTED_IDENTITY)
      return inner ? [found, inner] : undefined
    }
    return typeMatches(prop, param.type) ? [found] : undefined
  }
  const direct = byName(param.name)
  if (direct) return direct
  // Without the resource's own name: `issue_number` of an issue is its `number`.
  const own = words(param.name)
  let rest = own
  while (rest.length > 0 && resourceWords.some((w) => sameWord(w, rest[0]!))) rest = rest.slice(1)
  for (let i = 0; i < rest.length; i++) {
    const found = byName(rest.slice(i).join('_'))
    if (found) return found
  }
  for (const synonym of SYNONYMS[norm(param.name)] ?? []) {
    const found = byName(synonym)
    if (found) return found
  }
  // The parameter naming the record itself (`{customer}`, `{repo}`): its identifying field.
  if (last || rest.length === 0) {
    const field = identity(props, param.type, IDENTITY)
    if (field) return [field]
  }
  return undefined
}

function identity(props: Map<string, any>, type: string | undefined, order: string[]): string | undefined {
  return order.find((name) => props.has(name) && !isObject(props.get(name)) && typeMatches(props.get(name), type))
}

/** An object schema's properties, resolved, through `allOf` (and the first object branch of a `oneOf`/`anyOf`). */
export function propertiesOf(schema: unknown, registry: SchemaRegistry, depth = 0): Map<string, any> {
  const out = new Map<string, any>()
  const s = registry.resolve(schema).schema
  if (!isPlainObject(s) || depth > 8) return out
  if (isPlainObject(s.properties)) for (const [k, v] of Object.entries(s.properties)) out.set(k, registry.resolve(v).schema)
  for (const part of Array.isArray(s.allOf) ? s.allOf : []) for (const [k, v] of propertiesOf(part, registry, depth + 1)) if (!out.has(k)) out.set(k, v)
  if (out.size === 0) {
    for (const branch of [...(Array.isArray(s.oneOf) ? s.oneOf : []), ...(Array.isArray(s.anyOf) ? s.anyOf : [])]) {
      const inner = propertiesOf(branch, registry, depth + 1)
      if (inner.size > 0) return inner
    }
  }
  return out
}

function isObject(schema: unknown): boolean {
  if (!isPlainObject(schema)) return false
  if (typeOf(schema) === 'object' || isPlainObject(schema.properties)) return true
  return [schema.allOf, schema.oneOf, schema.anyOf].some((list) => Array.isArray(list) && list.some((b) => isPlainObject(b) && (b.$ref !== undefined || isPlainObject(b.properties))))
}

/** The schema's type, the first that is not null (`[string, null]`, 3.0 `nullable`). */
export function typeOf(schema: unknown): string | undefined {
  if (!isPlainObject(schema)) return undefined
  const t = Array.isArray(schema.type) ? schema.type.find((x) => x !== 'null') : schema.type
  return typeof t === 'string' ? t : undefined
}

function typeMatches(prop: unknown, type: string | undefined): boolean {
  const own = typeOf(prop)
  if (!type || !own) return true
  const numeric = (t: string) => t === 'integer' || t === 'number'
  return numeric(type) ? numeric(own) : !numeric(own) && own !== 'boolean' && own !== 'array' && own !== 'object'
}

/** `issue_number`, `issueNumber`, `issue-number` → issue, number. */
export function words(name: string): string[] {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase().split(/[^a-z0-9]+/).filter(Boolean)
}

function norm(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '')
}

/** `repo` and `repository`, `org` and `organization`: one a prefix (of three letters or more) of the other. */
function sameWord(a: string, b: string): boolean {
  if (a === b) return true
  const [short, long] = a.length <= b.length ? [a, b] : [b, a]
  return short.length >= 3 && long.startsWith(short)
}
