/**
 * Finding the record an operation addresses (and its parent, for nested resources), within the
 * caller's tenant: another tenant's record is not found, as real multi-tenant APIs answer.
 */
import { ApiError } from '../errors.ts'
import type { Context } from '../core/context.ts'
import type { ResourceModel } from '../spec/model.ts'
import type { StoredRecord } from '../world/store.ts'

/** `parentId`, when the path names one, must be the record's own parent: a pet of another owner is not found. */
export function findRecord(ctx: Context, model: ResourceModel, id: string | undefined, parentId?: string): StoredRecord {
  const record = id === undefined ? undefined : ctx.world.store.get(model.name, id)
  if (!record || record.tenant !== ctx.tenant?.id || (parentId !== undefined && record.parentId !== parentId)) {
    const tomb = id === undefined ? undefined : ctx.world.tombstones.get(`${model.name}\u0000${id}`)
    if (tomb !== undefined && model.gone) throw new ApiError(model.gone, { id, resource: model.name })
    throw new ApiError(model.notFound, { id, resource: model.name })
  }
  return record
}

/** Resolves the parent chain named by path parameters; returns the immediate parent's id. */
export function findParent(ctx: Context, model: ResourceModel): string | undefined {
  if (!model.parent) return undefined
  const parentModel = ctx.world.api.behaviour.resources.get(model.parent.resource)!
  const id = ctx.params[model.parent.param]
  if (id === undefined) return undefined
  findParent(ctx, parentModel)
  ctx.parent = findRecord(ctx, parentModel, id)
  return id
}
