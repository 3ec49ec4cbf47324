/**
 * Building a record: what the client sent, the schema's defaults, computed fields (`onCreate`), an id
 * in the resource's format, the lifecycle's initial state, and seeded fake data for required fields
 * nothing else gave — so a record reads back whole and the same every time.
 */
import type { ResourceShape } from '../api.ts'
import type { ResourceModel } from '../spec/model.ts'
import type { StoredRecord } from '../world/store.ts'
import type { Tenant, World } from '../world/world.ts'
import { copyData } from '../util/copy.ts'

export interface BuildOptions {
  now: number
  parentId?: string
  /**
   * Template variables of the request (path params, query, headers): the caller's to give up, as
   * buildRecord sets `body`, `record`, `tenant`, `now` and `id` on it rather than copying it.
   */
  vars?: Record<string, unknown>
  /**
   * A created record (the input is a request's body): it gets a fresh id, the initial state and
   * every computed field. A seeded one (the input is a scenario's record, whose nested values are
   * copied, so the scenario stays as written) keeps the values it was given.
   */
  fromRequest?: boolean
  /** The state a created record starts in, when not the lifecycle's initial one (an operation's variant). */
  state?: string
  /** The record a relation's path named (StoredRecord.via): its key values, too, replace the example's. */
  via?: string
}

export function buildRecord(world: World, model: ResourceModel, tenant: Tenant, input: Record<string, unknown>, options: BuildOptions): StoredRecord {
  const shape = world.api.resourceShape(model.name)
  const layout = layoutOf(shape, model.idField)
  // The id first, then the schema's own order: records read back the way the API documents them.
  const data: Record<string, unknown> = { ...layout.draft }
  // Examples first: a record created from a request starts as the spec's example of one.
  const example = options.fromRequest ? model.example : undefined
  if (example) for (const name of Object.keys(example)) if (acceptsField(shape, name)) data[name] = structuredClone(example[name])
  // Indexed loops: a world is seeded by the 100,000, and for…of over an array allocates as it goes
  // until the optimizing compiler gets to the loop.
  for (let i = 0; i < shape.defaults.length; i++) {
    const [name, value] = shape.defaults[i]!
    if (example && data[name] !== undefined) continue
    data[name] = typeof value === 'object' && value !== null ? structuredClone(value) : value
  }
  const given = Object.keys(input)
  for (let i = 0; i < given.length; i++) {
    const name = given[i]!
    if (!acceptsField(shape, name)) continue
    const value = input[name]
    data[name] = options.fromRequest || typeof value !== 'object' || value === null ? value : copyData(value)
  }
  const givenId = input[model.idField]
  const sequence = model.key?.sequence
  const hasId = (typeof givenId === 'string' && givenId !== '') || typeof givenId === 'number'
  // An integer key numbered in sequence: an id per resource, any other field per parent (issue 1, 2, … of each repository).
  const id = sequence === model.idField
    ? String(world.store.number(model.name, '', hasId && !options.fromRequest && Number.isInteger(Number(givenId)) ? Number(givenId) : undefined))
    : hasId ? (options.fromRequest ? model.newId(world.random) : String(givenId)) : model.newId(world.random)
  data[model.idField] = model.idType === 'integer' ? Number(id) : id
  if (sequence !== undefined && sequence !== model.idField) {
    const taken = input[sequence]
    data[sequence] = world.store.number(model.name, options.parentId ?? '', !options.fromRequest && Number.isInteger(taken) ? (taken as number) : undefined)
  }
  // A key field nothing gave (not the body, nor an example): a new value, or the record could
  // never be found by the path that names it.
  if (model.key) {
    for (const path of model.key.fields) {
      if (path.length === 1 && path[0] !== model.idField && path[0] !== sequence && (data[path[0]!] === undefined || data[path[0]!] === null)) data[path[0]!] = model.newId(world.random)
    }
  }
  if (example) retarget(world, model, data, example, options.parentId, options.via)
  let state: string | undefined
  if (model.lifecycle) {
    const given = input[model.lifecycle.field]
    state = !options.fromRequest && typeof given === 'string' && model.lifecycle.states.has(given) ? given
      : options.state !== undefined && model.lifecycle.states.has(options.state) ? options.state : model.lifecycle.initial
    data[model.lifecycle.field] = state
  }
  if (model.parent?.field && options.parentId !== undefined) {
    const parentModel = world.api.behaviour.resources.get(model.parent.resource)
    data[model.parent.field] = parentModel?.idType === 'integer' ? Number(options.parentId) : options.parentId
  }
  if (model.onCreate.length > 0) {
    const vars = options.vars ?? {}
    vars.body = input
    vars.record = data
    vars.tenant = tenant
    vars.now = options.now
    vars.id = id
    for (let i = 0; i < model.onCreate.length; i++) {
      const [field, render] = model.onCreate[i]!
      if (options.fromRequest || data[field] === undefined) {
        const value = render(vars)
        if (value !== undefined) data[field] = value
      }
    }
  }
  let missing: string[] | undefined
  for (let i = 0; i < shape.required.length; i++) if (data[shape.required[i]!] === undefined) (missing ??= []).push(shape.required[i]!)
  if (missing) {
    // Each missing field faked alone: faking the whole schema of a large resource (a payments API's
    // customer) costs seconds, for the two or three fields it is needed for.
    for (const name of missing) {
      const value = shape.properties[name] === undefined ? undefined : world.api.fake(shape.properties[name], world.random)
      if (value !== undefined) data[name] = value
    }
  }
  return {
    id, resource: model.name, tenant: tenant.id, parentId: options.parentId, ...(options.via !== undefined ? { via: options.via } : {}), data: finish(data, layout), state,
    transitions: 0, version: 0,
  }
}

/**
 * A record made from an example names itself as the example did (`"url": ".../issues/1347"`,
 * `"full_name": "owner/example-name"`): its own key values, and its parent's, are put in place of
 * the example's wherever a string field holds them, and so are those of the record a relation's
 * path named (the issue a comment was made on: `issue_url`). Values under three characters are left
 * alone, too likely to be part of something else, except as a whole path segment of a URL
 * (`.../comments/1`).
 */
function retarget(world: World, model: ResourceModel, data: Record<string, unknown>, example: Record<string, unknown>, parentId: string | undefined, via: string | undefined): void {
  const pairs: Array<[string, string]> = []
  const short: Array<[string, string]> = []
  const add = (fields: string[][], from: Record<string, unknown>, to: Record<string, unknown>) => {
    for (const path of fields) {
      const before = valueAt(from, path)
      const after = valueAt(to, path)
      if ((typeof before === 'string' || typeof before === 'number') && (typeof after === 'string' || typeof after === 'number') && before !== after && String(before) !== '') (String(before).length >= 3 ? pairs : short).push([String(before), String(after)])
    }
  }
  const addRecord = (other: ResourceModel | undefined, record: StoredRecord | undefined) => {
    if (other?.example && record) add([...(other.key?.fields ?? []), [other.idField]], other.example, record.data)
  }
  add([...(model.key?.fields ?? []), [model.idField]], example, data)
  const resources = world.api.behaviour.resources
  const parentModel = model.parent ? resources.get(model.parent.resource) : undefined
  addRecord(parentModel, parentModel && parentId !== undefined ? world.store.get(parentModel.name, parentId) : undefined)
  if (via !== undefined) {
    const [resource, id] = via.split('\u0000') as [string, string]
    addRecord(resources.get(resource), world.store.get(resource, id))
  }
  if (pairs.length === 0 && short.length === 0) return
  // One pass over each string, so a value put in is never replaced again (issue 1347 → 1, then 1 → a comment's id).
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const afterOf = new Map<string, string>()
  for (const [before, after] of [...pairs, ...short]) if (!afterOf.has(before)) afterOf.set(before, after)
  const long = pairs.map(([before]) => `(?<![A-Za-z0-9_-])${escape(before)}(?![A-Za-z0-9_-])`)
  const segment = short.map(([before]) => `(?<=/)${escape(before)}(?=$|[/?#])`)
  const anywhere = long.length > 0 ? new RegExp(long.join('|'), 'g') : undefined
  const inUrl = segment.length > 0 ? new RegExp([...long, ...segment].join('|'), 'g') : anywhere
  const walk = (value: unknown, top: boolean): unknown => {
    if (typeof value === 'string') {
      const re = /^https?:\/\//.test(value) ? inUrl : anywhere
      return re ? value.replace(re, (found) => afterOf.get(found) ?? found) : value
    }
    if (Array.isArray(value)) return value.map((v) => walk(v, false))
    if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) (value as Record<string, unknown>)[k] = walk(v, false)
      return value
    }
    void top
    return value
  }
  // Only what came from the example: the key fields themselves stay as they are.
  const keep = new Set([...(model.key?.fields ?? []).map((p) => p[0]), model.idField])
  for (const name of Object.keys(data)) if (data[name] !== undefined && !keep.has(name) && Object.hasOwn(example, name)) data[name] = walk(data[name], true)
}

function valueAt(data: Record<string, unknown>, path: string[]): unknown {
  let value: unknown = data
  for (const name of path) value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[name] : undefined
  return value
}

/** A field a record takes from a client: one its schema names (own, not inherited: no `__proto__`). */
export function acceptsField(shape: { open: boolean; properties: Record<string, unknown> }, name: string): boolean {
  if (name === '__proto__') return false
  return shape.open || Object.hasOwn(shape.properties, name)
}

/**
 * How a resource's records are laid out: the id, then the schema's properties. A record is
 * drafted in a copy of `draft` (every field there, undefined), and finished as a copy of an empty
 * record of exactly the fields it has (`finals`, by which of `keys` are set). A copied object keeps
 * its fields in itself, where one built up field by field from `{}` keeps all but the first four in
 * a separate array: 16 bytes more per record, and a world may hold 100,000.
 */
interface RecordLayout {
  keys: string[]
  draft: Record<string, unknown>
  finals: Map<number, Record<string, unknown>>
}

/** Field sets remembered per resource; past that, records are built up field by field. */
const MAX_FINALS = 64

const layouts = new WeakMap<ResourceShape, RecordLayout>()

function layoutOf(shape: ResourceShape, idField: string): RecordLayout {
  let layout = layouts.get(shape)
  if (!layout) {
    // `__proto__` would set the prototype rather than a field; the draft never had it as one.
    const names = [idField, ...shape.names.filter((n) => n !== idField && n !== '__proto__')]
    const draft = emptyRecord(names)
    for (const name of names) draft[name] = undefined
    layouts.set(shape, (layout = { keys: Object.keys(draft), draft, finals: new Map() }))
  }
  return layout
}

/** An object of exactly these fields. Parsed, since V8 gives a parsed object room for all its fields in itself. */
function emptyRecord(names: string[]): Record<string, unknown> {
  return JSON.parse(JSON.stringify(Object.fromEntries(names.map((n) => [n, null])))) as Record<string, unknown>
}

/** The draft without its unset fields. */
function finish(draft: Record<string, unknown>, layout: RecordLayout): Record<string, unknown> {
  const keys = layout.keys
  let set = 0
  let i = 0
  for (const name in draft) {
    // A field beyond the schema's (an open schema, a computed field it does not name), or more than fit a mask.
    if (i >= keys.length || i > 30 || name !== keys[i]) return compact(draft)
    if (draft[name] !== undefined) set |= 1 << i
    i++
  }
  let empty = layout.finals.get(set)
  if (!empty) {
    if (layout.finals.size >= MAX_FINALS) return compact(draft)
    layout.finals.set(set, (empty = emptyRecord(keys.filter((_, j) => (set & (1 << j)) !== 0))))
  }
  const data = { ...empty }
  for (let j = 0; j < keys.length; j++) if ((set & (1 << j)) !== 0) data[keys[j]!] = draft[keys[j]!]
  return data
}

/**
 * The draft without its unset fields, built by adding properties rather than deleting them: a
 * deleted property turns an object into a slow hash table, and a world holds many records.
 */
function compact(draft: Record<string, unknown>): Record<string, unknown> {
  const data: Record<string, unknown> = {}
  for (const name in draft) {
    const value = draft[name]
    if (value !== undefined) data[name] = value
  }
  return data
}
