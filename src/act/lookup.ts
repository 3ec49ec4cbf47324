/**
 * Finding the record an operation addresses (and its parent, for nested resources), within the
 * caller's tenant: another tenant's record is not found, as real multi-tenant APIs answer.
 *
 * A parent is named by its `param`: a path parameter (`/projects/{projectId}/tasks`), else — on a
 * list — a query parameter (`/tasks?projectId=`), else — on a create — a body field
 * (`POST /tasks {"projectId": …}`). The records the parent itself lives in are found from it, so
 * `ancestors.project` is known for a task's comments, and an operation's `parentStates` can refuse
 * it by an ancestor's lifecycle state (no new tasks while the project is archived).
 */
import { ApiError } from '../errors.ts'
import type { Context } from '../core/context.ts'
import type { ResourceModel } from '../spec/model.ts'
import type { StoredRecord } from '../world/store.ts'
import { lookupTombstone } from '../world/world.ts'
import { isPlainObject } from '../util/match.ts'
import { declaredResponse } from '../spec/declared.ts'

/**
 * The record `id` of a resource in the caller's tenant, or 404. `parentId`, when the request names
 * one, must be the record's own parent: a pet of another owner is not found.
 */
export function findRecord(ctx: Context, model: ResourceModel, id: string | undefined, parentId?: string): StoredRecord {
  const record = id === undefined ? undefined : ctx.world.store.get(model.name, id)
  return checkFound(ctx, model, record, id, parentId)
}

/**
 * The record the operation addresses: by the id its `idParam` gives, or — with `lookupBy` — by that
 * field's value, found in the store's index of it (the tenant's first record with that value).
 */
export function findAddressed(ctx: Context, model: ResourceModel, parentId?: string): StoredRecord {
  const op = ctx.op!
  const value = op.idParam ? ctx.params[op.idParam] : undefined
  if (!op.lookup) return findRecord(ctx, model, value, parentId)
  let record: StoredRecord | undefined
  if (value !== undefined && ctx.tenant) {
    for (const r of ctx.world.store.keyed(model.name, op.lookup.index, `${ctx.tenant.id}\u0000${value}`)) {
      if (parentId === undefined || r.parentId === parentId) { record = r; break }
    }
  }
  if (!record) {
    // Its record was removed (retention, a delete): gone, as the record is by its id.
    if (model.gone && value !== undefined && ctx.world.goneAt(model.name, lookupTombstone(op.lookup.field, String(value)), ctx.tenant?.id) !== undefined) {
      throw new ApiError(model.gone, { id: value, resource: model.name })
    }
    throw new ApiError(model.notFound, { id: value, resource: model.name })
  }
  return record
}

function checkFound(ctx: Context, model: ResourceModel, record: StoredRecord | undefined, id: string | undefined, parentId: string | undefined): StoredRecord {
  if (!record || record.tenant !== ctx.tenant?.id || (parentId !== undefined && record.parentId !== parentId)) {
    const tomb = id === undefined || !model.gone ? undefined : ctx.world.goneAt(model.name, id, ctx.tenant?.id)
    if (tomb !== undefined && model.gone) throw new ApiError(model.gone, { id, resource: model.name })
    throw new ApiError(model.notFound, { id, resource: model.name })
  }
  return record
}

/** Resolves the parent chain the request names; returns the immediate parent's id. */
export function findParent(ctx: Context, model: ResourceModel): string | undefined {
  if (!model.parent) return undefined
  const resources = ctx.world.api.behaviour.resources
  const parentModel = resources.get(model.parent.resource)!
  const id = parentIdOf(ctx, model.parent.param)
  if (id === undefined) return undefined
  // Outer records named by the request come first: an unknown project is reported before its task.
  const grandparentId = findParent(ctx, parentModel)
  const parent = findRecord(ctx, parentModel, id, grandparentId)
  ctx.parent = parent
  const ancestors: Record<string, Record<string, unknown>> = {}
  let record: StoredRecord | undefined = parent
  let recordModel: ResourceModel | undefined = parentModel
  for (let depth = 0; record && recordModel && depth < 16; depth++) {
    ancestors[recordModel.name] ??= record.data
    const refused = record.state !== undefined ? ctx.op?.parentStates.get(recordModel.name)?.get(record.state) : undefined
    if (refused) throw new ApiError(refused, { state: record.state, id: record.id, resource: recordModel.name })
    const outer: ResourceModel | undefined = recordModel.parent ? resources.get(recordModel.parent.resource) : undefined
    record = outer && record.parentId !== undefined ? ctx.world.store.get(outer.name, record.parentId) : undefined
    recordModel = outer
  }
  ctx.ancestors = ancestors
  return id
}

function parentIdOf(ctx: Context, param: string): string | undefined {
  const fromPath = ctx.params[param]
  if (fromPath !== undefined) return fromPath
  const action = ctx.op?.action
  if (action === 'list') {
    const q = ctx.query[param]
    if (typeof q === 'string') return q
  }
  if (action === 'create' && isPlainObject(ctx.body)) {
    const b = ctx.body[param]
    if (typeof b === 'string') return b
  }
  return undefined
}

/**
 * An inferred address (src/spec/implicit.ts): each record the path names, found by its key fields'
 * values under the record before it (an issue by its number in its repository), 404 for the first
 * that is not there. Returns the record an item operation acts on, and the parent a create or list
 * puts its records in (the step `parentAt` names: a record's id, or a scope's values).
 */
export function findByAddress(ctx: Context): { record?: StoredRecord; parentId?: string; absent?: true; via?: string } {
  const op = ctx.op!
  const { steps, parentAt, via: viaAt } = op.address!
  let via: string | undefined
  const resources = ctx.world.api.behaviour.resources
  const tenant = ctx.tenant?.id
  let scope: string | undefined
  let parentId: string | undefined
  let record: StoredRecord | undefined
  const ancestors: Record<string, Record<string, unknown>> = {}
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!
    let values = ''
    for (let j = 0; j < step.params.length; j++) values += `\u0000${ctx.params[step.params[j]!] ?? ''}`
    if (step.resource === undefined || !step.index) {
      // A scope: records under it are kept apart by its values.
      scope = `${scope ?? ''}\u0001${values}`
    } else {
      const model = resources.get(step.resource)!
      record = undefined
      if (tenant !== undefined) for (const r of ctx.world.store.keyed(step.resource, step.index, `${tenant}\u0000${scope ?? ''}${values}`)) { record = r; break }
      if (!record) {
        // PUT names the record it puts: where it is not there yet, it is made there (in its parent).
        if (i === steps.length - 1 && op.method === 'PUT' && op.action === 'update') return { parentId: scope, absent: true }
        const id = step.params.map((p) => ctx.params[p]).join('/')
        // Real APIs answer 404 whether or not the spec says so: where it does not, a finding for the
        // client team's review, not a violation of standin's.
        if (!declaredResponse(op.responses, 404)) ctx.finding = { kind: 'undeclared-not-found', message: `${op.id} does not declare 404; ${model.name} ${id} is not there, so it is answered 404 all the same` }
        throw new ApiError(model.notFound, { id, resource: model.name })
      }
      if (i < steps.length - 1) ancestors[step.resource] ??= record.data
      if (i === viaAt) via = `${step.resource}\u0000${record.id}`
      scope = record.id
    }
    if (i === parentAt) {
      parentId = scope
      if (record && step.resource !== undefined) ctx.parent = record
    }
  }
  ctx.ancestors = ancestors
  const item = op.action !== 'create' && op.action !== 'list'
  return item ? { record } : { parentId, ...(via !== undefined ? { via } : {}) }
}
