/**
 * OpenAPI as providers publish it, made into schemas Ajv compiles under the document's own version —
 * once, on the loaded document, before any schema is registered. What a keyword means is kept:
 * 3.0's `nullable` and boolean `exclusiveMinimum`/`exclusiveMaximum` become their JSON Schema forms,
 * a pattern written for a non-unicode engine is rewritten into the same expression (./pattern.ts).
 * What cannot be kept — a keyword of the wrong type, a pattern no engine here compiles, a `$ref` to
 * nowhere — is dropped from that one schema, with a warning at the keyword's JSON pointer: that one
 * check is off, the rest of the document works.
 */
import { isPlainObject } from '../util/match.ts'
import { escapeToken, get } from '../util/pointer.ts'
import { unicodePattern } from './pattern.ts'

export type Warn = (pointer: string, message: string) => void

export interface Normalized {
  /** Every `format` the schemas name: the validators know the ones they cannot check, and pass them. */
  formats: string[]
}

/** Keywords whose value is a schema. */
export const ONE = ['additionalProperties', 'additionalItems', 'not', 'contains', 'propertyNames', 'if', 'then', 'else', 'unevaluatedProperties', 'unevaluatedItems', 'items']
/** Keywords whose value is a list of schemas. */
export const LIST = ['allOf', 'anyOf', 'oneOf', 'prefixItems']
/** Keywords whose value maps names to schemas. */
export const MAP = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']
const SCHEMA_KEYWORDS = new Set([...ONE, ...LIST, ...MAP])
/** OpenAPI objects that map names (which may start with `x-`) to objects. */
const NAMES = new Set(['paths', 'webhooks', 'pathItems', 'headers', 'content', 'responses', 'callbacks', 'links', 'securitySchemes', 'requestBodies', 'parameters', 'encoding', 'variables'])
const NUMBERS = ['minimum', 'maximum', 'multipleOf']
const COUNTS = ['minLength', 'maxLength', 'minItems', 'maxItems', 'minProperties', 'maxProperties']
const TYPES = new Set(['string', 'number', 'integer', 'boolean', 'array', 'object', 'null'])
/** Keywords whose value is a number (a string that reads as one is taken as it). */
const NUMERIC_KEYWORDS = [...NUMBERS, ...COUNTS, 'exclusiveMinimum', 'exclusiveMaximum']
const NUMERIC_KEYWORD_SET = new Set(NUMERIC_KEYWORDS)
const EXCLUSIVE_BOUNDS = [['exclusiveMinimum', 'minimum'], ['exclusiveMaximum', 'maximum']] as const
/** What a schema says about itself rather than about its values: stays beside a `$ref` made nullable. */
const ANNOTATIONS = new Set(['title', 'description', 'default', 'example', 'examples', 'deprecated', 'readOnly', 'writeOnly', 'externalDocs', 'xml'])

/**
 * Normalises `doc` in place. `warn` is told of every change a user should know of, at the pointer
 * of the keyword changed.
 *
 * @example
 * normalizeDocument(doc, '3.0', (pointer, message) => warnings.push({ pointer, message }))
 */
export function normalizeDocument(doc: any, version: '3.0' | '3.1', warn: Warn): Normalized {
  const visited = new WeakSet<object>()
  const formats = new Set<string>()
  /** `$ref` targets met on the way, walked after the tree (not recursively: a chain of refs can be long). */
  const pending: Array<{ ref: string; schema: boolean }> = []

  const refer = (ref: unknown, schema: boolean) => {
    if (typeof ref === 'string' && ref.startsWith('#')) pending.push({ ref, schema })
  }

  /**
   * Anything that is not a schema: follows the document down to the schemas in it. `names`: the
   * node maps names to objects (headers, media types, paths …), where `x-…` is a name, not an extension.
   */
  const other = (node: unknown, at: string, names = false): void => {
    if (Array.isArray(node)) return node.forEach((item, i) => other(item, `${at}/${i}`))
    if (!isPlainObject(node) || visited.has(node)) return
    visited.add(node)
    refer(node.$ref, false)
    for (const [key, value] of Object.entries(node)) {
      // Examples are values, not descriptions; extensions are their tools' business.
      if (!names && (key === 'example' || key === 'examples' || key.startsWith('x-'))) continue
      const here = `${at}/${escapeToken(key)}`
      if (!names && key === 'schema' && (isPlainObject(value) || typeof value === 'boolean')) schemaAt(node, key, here)
      else if (key === 'schemas' && at === '/components' && isPlainObject(value)) {
        for (const name of Object.keys(value)) schemaAt(value, name, `${here}/${escapeToken(name)}`)
      } else other(value, here, !names && NAMES.has(key) && isPlainObject(value))
    }
  }

  /** The schema at `parent[key]`: one that is not a schema at all is dropped. */
  const schemaAt = (parent: any, key: string | number, at: string): void => {
    const node = parent[key]
    if (typeof node === 'boolean') return
    if (!isPlainObject(node)) {
      warn(at, `a schema is an object, not ${describe(node)}: ignored (anything is accepted here)`)
      parent[key] = {}
      return
    }
    schema(node, at)
  }

  const schema = (node: Record<string, any>, at: string): void => {
    if (visited.has(node)) return
    visited.add(node)
    refer(node.$ref, true)
    // Most schemas of a big document are leaves (`{type: 'string'}`): one pass over their own few
    // keys says so, where looking up each of the twenty keywords that hold schemas took most of the
    // normalisation of GitHub's dereferenced spec.
    let holds = false
    for (const key in node) if (SCHEMA_KEYWORDS.has(key)) { holds = true; break }
    if (holds) inner(node, at)
    keywords(node, at)
  }

  /** The schemas inside first: their warnings name where they are written, before this one changes shape. */
  const inner = (node: Record<string, any>, at: string): void => {
    for (const key of MAP) {
      const map = node[key]
      if (map === undefined) continue
      if (!isPlainObject(map)) { drop(node, key, at, `maps names to schemas; got ${describe(map)}`); continue }
      for (const name of Object.keys(map)) {
        if (key === 'patternProperties' && unicodePattern(name) === undefined) {
          warn(`${at}/${key}/${escapeToken(name)}`, `pattern ${JSON.stringify(name)} does not compile as a regular expression: ignored`)
          delete map[name]
          continue
        }
        schemaAt(map, name, `${at}/${key}/${escapeToken(name)}`)
      }
    }
    for (const key of LIST) {
      const list = node[key]
      if (list === undefined) continue
      if (!Array.isArray(list) || list.length === 0) { drop(node, key, at, `is a non-empty list of schemas; got ${describe(list)}`); continue }
      list.forEach((_, i) => schemaAt(list, i, `${at}/${key}/${i}`))
    }
    for (const key of ONE) {
      const value = node[key]
      if (value === undefined) continue
      if (key === 'items' && Array.isArray(value)) {
        value.forEach((_, i) => schemaAt(value, i, `${at}/items/${i}`))
        // A list of `items` is draft-04's tuple; 2020-12 (OpenAPI 3.1) says it with prefixItems.
        if (version === '3.1') {
          node.prefixItems = value
          if (node.additionalItems !== undefined) node.items = node.additionalItems
          else delete node.items
          delete node.additionalItems
        }
        continue
      }
      if (key === 'additionalProperties' && typeof value === 'string' && (value === 'true' || value === 'false')) {
        warn(`${at}/${key}`, `additionalProperties is a boolean or a schema; the string ${JSON.stringify(value)} is read as ${value}`)
        node[key] = value === 'true'
        continue
      }
      schemaAt(node, key, `${at}/${escapeToken(key)}`)
    }
  }

  const drop = (node: Record<string, any>, key: string, at: string, why: string) => {
    warn(`${at}/${escapeToken(key)}`, `${key} ${why}: ignored`)
    delete node[key]
  }

  /** This schema's own keywords. */
  const keywords = (node: Record<string, any>, at: string): void => {
    if (typeof node.$ref === 'string' && node.$ref.startsWith('#') && get(doc, pointerOf(node.$ref)) === undefined) {
      drop(node, '$ref', at, `leads nowhere (${node.$ref} is not in the document)`)
    }
    let numeric = false
    for (const key in node) if (NUMERIC_KEYWORD_SET.has(key)) { numeric = true; break }
    for (const key of numeric ? NUMERIC_KEYWORDS : []) {
      const value = node[key]
      if (value === undefined || typeof value === 'number' || (typeof value === 'boolean' && key.startsWith('exclusive'))) continue
      const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN
      if (Number.isFinite(number)) {
        warn(`${at}/${key}`, `${key} is a number; the string ${JSON.stringify(value)} is read as ${number}`)
        node[key] = number
      } else drop(node, key, at, `is a number; got ${describe(value)}`)
    }
    if (typeof node.multipleOf === 'number' && !(node.multipleOf > 0)) drop(node, 'multipleOf', at, 'is a number above 0')
    if (node.uniqueItems !== undefined && typeof node.uniqueItems !== 'boolean') drop(node, 'uniqueItems', at, `is true or false; got ${describe(node.uniqueItems)}`)
    bounds(node, at)
    types(node, at)
    if (node.required !== undefined) {
      if (!Array.isArray(node.required)) drop(node, 'required', at, `lists the names of required properties (a property is made required in its object's list); got ${describe(node.required)}`)
      else if (node.required.some((name: unknown) => typeof name !== 'string')) {
        warn(`${at}/required`, 'required lists property names: what is not a string is ignored')
        node.required = node.required.filter((name: unknown) => typeof name === 'string')
      }
    }
    if (node.enum !== undefined && !Array.isArray(node.enum)) drop(node, 'enum', at, `is a list of values; got ${describe(node.enum)}`)
    else if (Array.isArray(node.enum) && node.enum.length === 0) drop(node, 'enum', at, 'is empty (no value would be valid; JSON Schema asks for at least one)')
    if (node.format !== undefined) {
      // An empty format names nothing to check (Ajv would call it unknown).
      if (node.format === '') delete node.format
      else if (typeof node.format === 'string') formats.add(node.format)
      else drop(node, 'format', at, `is a name; got ${describe(node.format)}`)
    }
    if (node.pattern !== undefined) {
      const fixed = typeof node.pattern === 'string' ? unicodePattern(node.pattern) : undefined
      if (typeof node.pattern !== 'string') drop(node, 'pattern', at, `is a regular expression in a string; got ${describe(node.pattern)}`)
      else if (!fixed) {
        warn(`${at}/pattern`, `pattern ${JSON.stringify(node.pattern)} does not compile as a JSON Schema (ECMA-262, unicode) regular expression, nor once rewritten from other engines' syntax: ignored (values are not checked against it)`)
        delete node.pattern
      }
      else if (fixed.rewritten) node.pattern = fixed.pattern
    }
    nullable(node, at)
  }

  /** 3.0's boolean exclusive bounds, as the numbers JSON Schema (draft 6 on, and 3.1) writes. */
  const bounds = (node: Record<string, any>, at: string): void => {
    if (node.exclusiveMinimum === undefined && node.exclusiveMaximum === undefined) return
    for (const [exclusive, bound] of EXCLUSIVE_BOUNDS) {
      const value = node[exclusive]
      if (typeof value !== 'boolean') continue
      if (value && typeof node[bound] === 'number') {
        node[exclusive] = node[bound]
        delete node[bound]
      } else {
        delete node[exclusive]
        if (value) warn(`${at}/${exclusive}`, `${exclusive}: true makes ${bound} exclusive, and there is no ${bound}: ignored`)
      }
    }
  }

  const types = (node: Record<string, any>, at: string): void => {
    // Most schemas: one type, written right.
    if (node.type === undefined || (typeof node.type === 'string' && TYPES.has(node.type))) return
    const list: unknown[] = Array.isArray(node.type) ? node.type : [node.type]
    const kept: string[] = []
    for (const type of list) {
      const lower = typeof type === 'string' ? type.toLowerCase() : undefined
      if (typeof type === 'string' && TYPES.has(type)) kept.push(type)
      else if (lower !== undefined && TYPES.has(lower)) {
        warn(`${at}/type`, `type ${JSON.stringify(type)} is read as "${lower}"`)
        kept.push(lower)
      } else if (lower === 'file') {
        // Swagger 2.0's file: OpenAPI 3 says a binary string.
        kept.push('string')
        if (node.format === undefined) node.format = 'binary'
      } else warn(`${at}/type`, `type ${JSON.stringify(type)} is not a JSON Schema type (${[...TYPES].join(', ')}): ignored`)
    }
    if (kept.length === 0) delete node.type
    else node.type = Array.isArray(node.type) || kept.length > 1 ? [...new Set(kept)] : kept[0]
  }

  /**
   * 3.0's `nullable: true` admits null besides what the schema admits. With a `type`, Ajv reads it
   * itself (the type plus null). Without one, the schema restricts no type, so nothing is added —
   * unless the schema's values come from a `$ref` or from allOf/anyOf/oneOf/not (a `$ref` sibling
   * the provider wrote to say "this one may be null"): then the schema becomes "null, or what it
   * said". An `enum` admits null too, as a provider writing `nullable` means. 3.1 has no `nullable`
   * (a type list says it): there it is ignored, with a warning.
   */
  const nullable = (node: Record<string, any>, at: string): void => {
    if (node.nullable === undefined) return
    const value = node.nullable
    delete node.nullable
    if (version === '3.1') {
      if (value === true) warn(`${at}/nullable`, 'nullable is not an OpenAPI 3.1 keyword (3.1 writes type: [<type>, "null"]): ignored')
      return
    }
    if (value !== true) {
      if (value !== false) warn(`${at}/nullable`, `nullable is true or false; got ${describe(value)}: ignored`)
      return
    }
    if (Array.isArray(node.enum) && !node.enum.includes(null)) node.enum = [...node.enum, null]
    const composed = node.$ref !== undefined || node.allOf !== undefined || node.anyOf !== undefined || node.oneOf !== undefined || node.not !== undefined
    if (composed) {
      const inner: Record<string, unknown> = {}
      for (const key of Object.keys(node)) {
        if (ANNOTATIONS.has(key) || key.startsWith('x-')) continue
        inner[key] = node[key]
        delete node[key]
      }
      node.anyOf = [inner, { type: 'null' }]
    } else if (node.type !== undefined) {
      if (Array.isArray(node.type)) { if (!node.type.includes('null')) node.type = [...node.type, 'null'] }
      else if (node.type !== 'null') node.nullable = true
    }
  }

  other(doc, '')
  while (pending.length > 0) {
    const { ref, schema: isSchema } = pending.pop()!
    const pointer = pointerOf(ref)
    const target = get(doc, pointer)
    if (!isPlainObject(target)) continue
    if (isSchema) schema(target, pointer)
    else other(target, pointer)
  }
  return { formats: [...formats] }
}

function pointerOf(ref: string): string {
  const hash = ref.indexOf('#')
  const fragment = ref.slice(hash + 1)
  try {
    return decodeURIComponent(fragment)
  } catch {
    return decodeURIComponent(fragment.replace(/%(?![0-9A-Fa-f]{2})/g, '%25'))
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`
  if (typeof value === 'object') return 'an object'
  return `${typeof value} ${String(value)}`
}
