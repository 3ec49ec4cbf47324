/**
 * Shaping a success body from the declared response schema: the record where the schema is the
 * resource's, the list where it is an array of them, state's own values for properties state holds,
 * the operation's `response` template, and seeded fake data (or the spec's example) for the rest.
 */
import type { Api } from '../api.ts'
import type { Outcome } from '../act/act.ts'
import { isPlainObject } from '../util/match.ts'
import { refToPointer } from '../spec/schemas.ts'
import { seededRandom } from '../util/random.ts'

export interface ShapeInput {
  outcome: Outcome
  resourcePointer?: string
  overrides?: Record<string, unknown>
  example?: unknown
  random: () => number
}

const TOTAL = new Set(['total', 'count', 'total_count', 'totalCount'])
const HAS_MORE = new Set(['has_more', 'hasMore'])
const CURSOR = new Set(['next_cursor', 'nextCursor', 'cursor', 'next'])

export function shapeBody(api: Api, schemaPointer: string, input: ShapeInput): unknown {
  // The common case, decided once per pair of schemas: the response is the record itself.
  if (input.outcome.record && !input.overrides && input.resourcePointer !== undefined && isResourceSchema(api, schemaPointer, input.resourcePointer)) {
    return input.outcome.record.data
  }
  // Examples first: an answer that is not made of records (state holds nothing it shows) is the
  // spec's example where it has one. So is an answer about an inferred resource's record that is
  // not the record (a repository's topics), where the spec has an example of it; without one, the
  // fields it shares with the record (a deleted customer's id) are the record's.
  const { outcome } = input
  const aboutRecord = outcome.record !== undefined && !(input.resourcePointer !== undefined && isImplicit(api, input.resourcePointer) && !holdsResource(api, schemaPointer, input.resourcePointer))
  if (input.example !== undefined && !input.overrides && !aboutRecord && !outcome.records && !outcome.list) return input.example
  // Faked values are the same for the same schema every time: seeded by where the schema is.
  return shape(api, { $ref: `#${schemaPointer}` }, { ...input, random: stableRandom(schemaPointer) }, 0)
}

/** A random source seeded by a string: the same fake for the same schema on every request. */
function stableRandom(key: string): () => number {
  let hash = 2166136261
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 16777619)
  return seededRandom(hash >>> 0)
}

const implicitPointers = new WeakMap<Api, Set<string>>()

function isImplicit(api: Api, resourcePointer: string): boolean {
  let pointers = implicitPointers.get(api)
  if (!pointers) implicitPointers.set(api, (pointers = new Set([...api.behaviour.resources.values()].filter((r) => r.implicit).map((r) => r.schemaPointer))))
  return pointers.has(resourcePointer)
}

/** Whether a response schema is the resource's, holds it (allOf, oneOf), or lists it. */
function holdsResource(api: Api, schemaPointer: string, resourcePointer: string, depth = 0): boolean {
  if (depth > 3) return false
  if (isResourceSchema(api, schemaPointer, resourcePointer)) return true
  const s = api.registry.resolve({ $ref: `#${schemaPointer}` }).schema
  if (!isPlainObject(s)) return false
  const parts = [...(Array.isArray(s.allOf) ? s.allOf : []), ...(Array.isArray(s.oneOf) ? s.oneOf : []), ...(Array.isArray(s.anyOf) ? s.anyOf : [])]
  return parts.some((p) => isPlainObject(p) && typeof p.$ref === 'string' && holdsResource(api, refToPointer(p.$ref), resourcePointer, depth + 1))
}

/** Per api, response schema pointer, resource schema pointer: the model's own strings, no key built per request. */
const resourceSchemas = new WeakMap<Api, Map<string, Map<string, boolean>>>()

function isResourceSchema(api: Api, schemaPointer: string, resourcePointer: string): boolean {
  let known = resourceSchemas.get(api)
  if (!known) resourceSchemas.set(api, (known = new Map()))
  let forSchema = known.get(schemaPointer)
  if (!forSchema) known.set(schemaPointer, (forSchema = new Map()))
  let same = forSchema.get(resourcePointer)
  if (same === undefined) forSchema.set(resourcePointer, (same = sameSchema(api, refToPointer(`#${schemaPointer}`), resourcePointer)))
  return same
}

function shape(api: Api, schema: unknown, input: ShapeInput, depth: number): unknown {
  const { outcome, resourcePointer } = input
  const resolved = api.registry.resolve(schema)
  const s = resolved.schema
  const isResource = (x: unknown) => resourcePointer !== undefined && isPlainObject(x) && typeof x.$ref === 'string' && sameSchema(api, refToPointer(x.$ref), resourcePointer)
  if (isResource(schema) && outcome.record) return withOverrides(outcome.record.data, depth === 0 ? input.overrides : undefined)
  // The record with more beside it (`allOf: [issue, {…}]`), or one of several (`oneOf: [customer, deleted_customer]`).
  if (outcome.record && isPlainObject(s) && !isPlainObject(s.properties)) {
    const parts = [...(Array.isArray(s.allOf) ? s.allOf : []), ...(Array.isArray(s.oneOf) ? s.oneOf : []), ...(Array.isArray(s.anyOf) ? s.anyOf : [])]
    if (parts.some(isResource)) return withOverrides(outcome.record.data, depth === 0 ? input.overrides : undefined)
  }
  if (depth === 0 && input.overrides && !isPlainObject(s?.properties)) return input.overrides
  if (isPlainObject(s) && (s.type === 'array' || s.items) && isResource(s.items) && outcome.records) return outcome.records.map((r) => r.data)
  if (isPlainObject(s) && isPlainObject(s.properties)) {
    const out: Record<string, unknown> = {}
    const required = new Set<string>(Array.isArray(s.required) ? s.required : [])
    const record = outcome.record?.data
    let faked: Record<string, unknown> | undefined
    for (const [name, prop] of Object.entries<any>(s.properties)) {
      const propResolved = api.registry.resolve(prop).schema
      if (depth === 0 && input.overrides && name in input.overrides) out[name] = input.overrides[name]
      else if (isResource(prop) && outcome.record) out[name] = outcome.record.data
      else if (isPlainObject(propResolved) && (propResolved.type === 'array' || propResolved.items) && isResource(propResolved.items) && outcome.records) out[name] = outcome.records.map((r) => r.data)
      else if (outcome.list && TOTAL.has(name)) out[name] = outcome.list.total
      else if (outcome.list && HAS_MORE.has(name)) out[name] = outcome.list.hasMore
      else if (outcome.list && CURSOR.has(name)) { if (outcome.list.nextCursor !== undefined || !required.has(name)) out[name] = outcome.list.nextCursor ?? null }
      else if (record && name in record) out[name] = record[name]
      else if (required.has(name)) {
        // The example's value, else a fake of this one property (not of the whole object: a list's
        // envelope would fake every record schema inside it, on every request).
        faked ??= exampleObject(input.example) ?? {}
        const value = faked[name] !== undefined ? faked[name] : api.fake(api.registry.dereference(prop), input.random)
        if (value !== undefined) out[name] = value
      }
    }
    for (const [k, v] of Object.entries(out)) if (v === undefined) delete out[k]
    return out
  }
  if (input.example !== undefined) return input.example
  return api.fake(api.registry.dereference(schema), input.random)
}

function withOverrides(data: Record<string, unknown>, overrides?: Record<string, unknown>): Record<string, unknown> {
  return overrides ? { ...data, ...overrides } : data
}

function exampleObject(example: unknown): Record<string, unknown> | undefined {
  return isPlainObject(example) ? example : undefined
}

function sameSchema(api: Api, a: string, b: string): boolean {
  return a === b || api.registry.resolve({ $ref: `#${a}` }).pointer === api.registry.resolve({ $ref: `#${b}` }).pointer
}
