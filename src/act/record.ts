/**
 * Building a record: what the client sent, the schema's defaults, computed fields (`onCreate`), an id
 * in the resource's format, the lifecycle's initial state, and seeded fake data for required fields
 * nothing else gave — so a record reads back whole and the same every time.
 */
import type { ResourceModel } from '../spec/model.ts'
import type { StoredRecord } from '../world/store.ts'
import type { Tenant, World } from '../world/world.ts'

export interface BuildOptions {
  now: number
  parentId?: string
  /** Extra template variables (path params, query, headers). */
  vars?: Record<string, unknown>
  /** Seeded records keep the values they were given; created ones get computed fields. */
  fromRequest?: boolean
}

export function buildRecord(world: World, model: ResourceModel, tenant: Tenant, input: Record<string, unknown>, options: BuildOptions): StoredRecord {
  const shape = world.api.resourceShape(model.name)
  // The id first, then the schema's own order: records read back the way the API documents them.
  const data: Record<string, unknown> = { [model.idField]: undefined }
  for (const name of shape.names) data[name] = undefined
  for (const [name, value] of shape.defaults) data[name] = typeof value === 'object' && value !== null ? structuredClone(value) : value
  for (const name of Object.keys(input)) {
    if (acceptsField(shape, name)) data[name] = input[name]
  }
  const given = input[model.idField]
  const id = (typeof given === 'string' && given !== '') || typeof given === 'number' ? (options.fromRequest ? model.newId(world.random) : String(given)) : model.newId(world.random)
  data[model.idField] = model.idType === 'integer' ? Number(id) : id
  let state: string | undefined
  if (model.lifecycle) {
    const given = input[model.lifecycle.field]
    state = !options.fromRequest && typeof given === 'string' && model.lifecycle.states.has(given) ? given : model.lifecycle.initial
    data[model.lifecycle.field] = state
  }
  if (model.parent?.field && options.parentId !== undefined) {
    const parentModel = world.api.behaviour.resources.get(model.parent.resource)
    data[model.parent.field] = parentModel?.idType === 'integer' ? Number(options.parentId) : options.parentId
  }
  const vars = { ...options.vars, body: input, record: data, tenant, now: options.now, id }
  for (const [field, render] of model.onCreate) {
    if (options.fromRequest || data[field] === undefined) {
      const value = render(vars)
      if (value !== undefined) data[field] = value
    }
  }
  const missing = shape.required.filter((name) => data[name] === undefined)
  if (missing.length > 0) {
    const fake = world.api.fake(shape.schema, world.random) as Record<string, unknown> | undefined
    for (const name of missing) if (fake && fake[name] !== undefined) data[name] = fake[name]
  }
  return {
    id, resource: model.name, tenant: tenant.id, parentId: options.parentId, data: compact(data), state,
    createdAt: options.now, enteredAt: options.now, transitions: 0, version: 0,
  }
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

/** A field a record takes from a client: one its schema names (own, not inherited: no `__proto__`). */
export function acceptsField(shape: { open: boolean; properties: Record<string, unknown> }, name: string): boolean {
  if (name === '__proto__') return false
  return shape.open || Object.hasOwn(shape.properties, name)
}
