/**
 * A schema whose identical sub-schemas are compiled once. A dereferenced document (every `$ref`
 * written out in place) repeats the same schemas many times in one response: GitHub's issue holds
 * its user six times, each a few hundred nodes, and Ajv generates code for every copy (~70 ms for one
 * first answer). Here each sub-schema repeated, and big enough to be worth a function of its own,
 * is written once under `$defs` and referred to from every place it was: Ajv compiles it once
 * (inlineRefs is off). Validation is the same; only an error's schemaPath differs.
 *
 * The document is not changed: the result is a copy of the schema's own nodes (data under `enum`,
 * `example` and other keywords is shared, not copied), its local refs made absolute to the
 * document's id so they still lead into the document.
 */
import { isPlainObject } from '../util/match.ts'

/** Keywords whose value is one schema (or, for `items`, an array of them). */
const ONE = new Set(['items', 'additionalItems', 'additionalProperties', 'contains', 'propertyNames', 'not', 'if', 'then', 'else', 'contentSchema'])
/** Keywords whose value is an array of schemas. */
const MANY = new Set(['allOf', 'anyOf', 'oneOf', 'prefixItems'])
/** Keywords whose value maps names to schemas. */
const NAMED = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas', 'dependencies'])
/** Keywords whose meaning depends on where the schema is, or on what other schemas evaluated: a schema with any is left as it is. */
const PLACE_BOUND = ['$id', '$anchor', '$dynamicAnchor', '$dynamicRef', '$recursiveAnchor', '$recursiveRef', 'unevaluatedProperties', 'unevaluatedItems']
/** Nodes a sub-schema must have to be given a function of its own: smaller ones cost less inline. */
const MIN_WEIGHT = 12
const MAX_DEPTH = 200

const SHARED_KEY = '$defs'
/** Nodes a sub-schema must have to be given to Ajv once for every validator that holds it, repeated in one or not. */
const BIG_WEIGHT = 60

class GiveUp extends Error {}

/**
 * Ids of sub-schemas by their text (their keys in order, their schemas by id): the same id for every
 * node of the same text, whichever schema it is met in. A node's id is remembered, so a node met
 * again (a document whose equal parts are one object, ./shared-nodes.ts) is not read again.
 */
export class SubschemaIds {
  private readonly ids = new Map<string, number>()
  private readonly known = new WeakMap<object, number>()
  /** Each id's weight: its schema nodes, itself included. */
  readonly weights: number[] = []

  /** The id of a node counted before. */
  idOf(node: object): number | undefined {
    return this.known.get(node)
  }

  /**
   * The id of `node`, counting it and every schema node under it into `counts` (as often as each
   * occurs). Throws GiveUp for a schema this does not rewrite.
   */
  count(node: Record<string, unknown>, depth: number, counts: Map<number, number>): number {
    if (depth > MAX_DEPTH) throw new GiveUp()
    let id = this.known.get(node)
    if (id === undefined) id = this.identify(node, depth, counts)
    else forEachSchema(node, (child) => void this.count(child, depth + 1, counts))
    counts.set(id, (counts.get(id) ?? 0) + 1)
    return id
  }

  /** Bottom up: a node's text names its sub-schemas by id, so each node is read once. */
  private identify(node: Record<string, unknown>, depth: number, counts: Map<number, number>): number {
    for (const keyword of PLACE_BOUND) if (keyword in node) throw new GiveUp()
    let text = '{'
    let weight = 1
    const child = (value: unknown): string => {
      if (!isPlainObject(value)) return JSON.stringify(value) ?? 'undefined'
      const id = this.count(value, depth + 1, counts)
      weight += this.weights[id]!
      return `#${id}`
    }
    for (const key in node) {
      const value = node[key]
      text += JSON.stringify(key) + ':'
      if ((ONE.has(key) || MANY.has(key)) && Array.isArray(value)) text += '[' + value.map(child).join(',') + ']'
      else if (ONE.has(key)) text += child(value)
      else if (NAMED.has(key) && isPlainObject(value)) {
        text += '{'
        for (const name in value) text += JSON.stringify(name) + ':' + child(value[name]) + ','
        text += '}'
      } else text += JSON.stringify(value) ?? 'undefined'
      text += ','
    }
    text += '}'
    let id = this.ids.get(text)
    if (id === undefined) {
      id = this.weights.length
      this.ids.set(text, id)
      this.weights.push(weight)
    }
    this.known.set(node, id)
    return id
  }
}

/** Calls `visit` with each schema object directly under `node`. */
function forEachSchema(node: Record<string, unknown>, visit: (child: Record<string, unknown>) => void): void {
  for (const key in node) {
    const value = node[key]
    if ((ONE.has(key) || MANY.has(key)) && Array.isArray(value)) {
      for (const item of value) if (isPlainObject(item)) visit(item)
    } else if (ONE.has(key)) {
      if (isPlainObject(value)) visit(value)
    } else if (NAMED.has(key) && isPlainObject(value)) {
      for (const name in value) if (isPlainObject(value[name])) visit(value[name])
    }
  }
}

/**
 * Sub-schemas given to one Ajv instance once for all the validators it compiles: a sub-schema met
 * in one validator (GitHub's repository, in a repository's answer) is not compiled again for the
 * next (an issue's `repository`).
 */
export interface SharedSubschemas {
  ids: SubschemaIds
  /** The ids given to this Ajv so far. */
  given: Set<number>
  /** Gives Ajv a schema under a name of its own. */
  give(name: string, schema: object): void
}

/** The name a shared sub-schema is given to Ajv under. */
const sharedName = (id: number) => `standin:shared/${id}`

/**
 * A copy of `schema` with its repeated sub-schemas under `$defs`, its local `$ref`s (`#/...`)
 * written as `${docId}#/...`; undefined when nothing repeats (or the schema is one this does not
 * rewrite), so the caller compiles the schema as it is. With `shared`, the sub-schemas are given to
 * its Ajv by name instead, once for every validator: those that repeat, those given before, and the
 * big ones (a reference to what was given, or the whole schema when it was).
 */
export function shareRepeats(schema: unknown, docId: string, shared?: SharedSubschemas): object | undefined {
  if (!isPlainObject(schema)) return undefined
  const ids = shared?.ids ?? new SubschemaIds()
  const weights = ids.weights
  const counts = new Map<number, number>()
  let top: number
  try {
    top = ids.count(schema, 0, counts)
  } catch (error) {
    if (error instanceof GiveUp) return undefined
    throw error
  }
  const idOf = (node: Record<string, unknown>) => ids.idOf(node)!
  const worth = (id: number): boolean => weights[id]! >= MIN_WEIGHT && (counts.get(id)! > 1 || (shared !== undefined && (shared.given.has(id) || weights[id]! >= BIG_WEIGHT)))
  const shareable = (node: Record<string, unknown>): boolean => {
    // A node that is a `$ref` (with siblings) stays: readOnly/writeOnly are looked up through it.
    return typeof node.$ref !== 'string' && worth(idOf(node))
  }
  if (shared?.given.has(top)) return { $ref: sharedName(top) }
  let any = false
  for (const [id] of counts) if (id !== top && worth(id)) { any = true; break }
  if (!any && !(shared && weights[top]! >= BIG_WEIGHT)) return undefined

  const local: Record<string, unknown> = {}
  const names = new Map<number, string>()
  const nameOf = (node: Record<string, unknown>): string => {
    const id = idOf(node)
    if (shared) {
      const name = sharedName(id)
      if (!shared.given.has(id)) {
        shared.give(name, copy(node, true) as object)
        shared.given.add(id)
      }
      return name
    }
    let name = names.get(id)
    if (name === undefined) {
      name = `s${names.size}`
      names.set(id, name)
      local[name] = copy(node, true)
    }
    return `#/${SHARED_KEY}/${name}`
  }
  const copy = (node: unknown, top: boolean): unknown => {
    if (!isPlainObject(node)) return node
    if (!top && shareable(node)) {
      const ref: Record<string, unknown> = { $ref: nameOf(node) }
      // What the required-check of each side looks up on a property schema itself.
      if (node.readOnly !== undefined) ref.readOnly = node.readOnly
      if (node.writeOnly !== undefined) ref.writeOnly = node.writeOnly
      return ref
    }
    const out: Record<string, unknown> = {}
    for (const key in node) {
      const value = node[key]
      let made: unknown
      if (key === '$ref' && typeof value === 'string' && value.startsWith('#')) made = docId + value
      else if ((ONE.has(key) || MANY.has(key)) && Array.isArray(value)) made = value.map((v) => copy(v, false))
      else if (ONE.has(key)) made = copy(value, false)
      else if (NAMED.has(key) && isPlainObject(value)) {
        const map: Record<string, unknown> = {}
        for (const name in value) put(map, name, copy(value[name], false))
        made = map
      } else made = value
      put(out, key, made)
    }
    return out
  }
  if (shared) {
    // The whole schema too, when it is big: the next validator that holds it refers to it.
    if (weights[top]! < BIG_WEIGHT) return copy(schema, true) as object
    return { $ref: nameOf(schema as Record<string, unknown>) }
  }
  const root = copy(schema, true) as Record<string, unknown>
  // The root's own `$defs` (if any) were copied with it; the shared ones go beside them.
  const own = isPlainObject(root[SHARED_KEY]) ? root[SHARED_KEY] : {}
  for (const name in local) if (name in own) return undefined
  root[SHARED_KEY] = { ...own, ...local }
  return root
}

/** `out[key] = value`, as an own property even for `__proto__`. */
function put(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
  else out[key] = value
}
