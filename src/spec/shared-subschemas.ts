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

class GiveUp extends Error {}

/**
 * A copy of `schema` with its repeated sub-schemas under `$defs`, its local `$ref`s (`#/...`)
 * written as `${docId}#/...`; undefined when nothing repeats (or the schema is one this does not
 * rewrite), so the caller compiles the schema as it is.
 */
export function shareRepeats(schema: unknown, docId: string): object | undefined {
  if (!isPlainObject(schema)) return undefined
  const ids = new Map<string, number>() // a sub-schema's structure -> its id
  const counts: number[] = []
  const weights: number[] = []
  const idOf = new Map<object, number>()

  // Bottom up, each schema node gets an id that is the same for every node of the same text (its
  // keys in the same order), built from its children's ids: one pass, not a text per node.
  const identify = (node: unknown, depth: number): string => {
    if (!isPlainObject(node)) return JSON.stringify(node) ?? 'undefined'
    if (depth > MAX_DEPTH) throw new GiveUp()
    for (const keyword of PLACE_BOUND) if (keyword in node) throw new GiveUp()
    let text = '{'
    let weight = 1
    const child = (value: unknown): string => {
      const id = identify(value, depth + 1)
      if (isPlainObject(value)) weight += weights[idOf.get(value)!]!
      return id
    }
    for (const key in node) {
      const value = node[key]
      text += JSON.stringify(key) + ':'
      if (ONE.has(key) && Array.isArray(value)) text += '[' + value.map(child).join(',') + ']'
      else if (ONE.has(key)) text += child(value)
      else if (MANY.has(key) && Array.isArray(value)) text += '[' + value.map(child).join(',') + ']'
      else if (NAMED.has(key) && isPlainObject(value)) {
        text += '{'
        for (const name in value) text += JSON.stringify(name) + ':' + child(value[name]) + ','
        text += '}'
      } else text += JSON.stringify(value) ?? 'undefined'
      text += ','
    }
    text += '}'
    let id = ids.get(text)
    if (id === undefined) {
      id = counts.length
      ids.set(text, id)
      counts.push(0)
      weights.push(weight)
    }
    counts[id]!++
    idOf.set(node, id)
    return `#${id}`
  }
  try {
    identify(schema, 0)
  } catch (error) {
    if (error instanceof GiveUp) return undefined
    throw error
  }
  const shareable = (node: Record<string, unknown>): boolean => {
    const id = idOf.get(node)!
    // A node that is a `$ref` (with siblings) stays: readOnly/writeOnly are looked up through it.
    return counts[id]! > 1 && weights[id]! >= MIN_WEIGHT && typeof node.$ref !== 'string'
  }
  let any = false
  for (let id = 0; id < counts.length && !any; id++) if (counts[id]! > 1 && weights[id]! >= MIN_WEIGHT) any = true
  if (!any) return undefined

  const shared: Record<string, unknown> = {}
  const names = new Map<number, string>()
  const copy = (node: unknown, top: boolean): unknown => {
    if (!isPlainObject(node)) return node
    if (!top && shareable(node)) {
      const id = idOf.get(node)!
      let name = names.get(id)
      if (name === undefined) {
        name = `s${names.size}`
        names.set(id, name)
        shared[name] = copy(node, true)
      }
      const ref: Record<string, unknown> = { $ref: `#/${SHARED_KEY}/${name}` }
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
  const root = copy(schema, true) as Record<string, unknown>
  // The root's own `$defs` (if any) were copied with it; the shared ones go beside them.
  const own = isPlainObject(root[SHARED_KEY]) ? root[SHARED_KEY] : {}
  for (const name in shared) if (name in own) return undefined
  root[SHARED_KEY] = { ...own, ...shared }
  return root
}

/** `out[key] = value`, as an own property even for `__proto__`. */
function put(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
  else out[key] = value
}
