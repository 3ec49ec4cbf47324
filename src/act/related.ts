/**
 * Records of other resources than the one an operation acts on: the ones its body names (`refs`),
 * which must be the caller's — a session for an agent that is not there is refused as the agent's
 * own 404 — and the ones a create makes beside its own (`also`: the owner's membership of a new
 * workspace).
 */
import { ApiError } from '../errors.ts'
import type { Context } from '../core/context.ts'
import { varsOf } from '../core/context.ts'
import type { ResourceModel } from '../spec/model.ts'
import type { StoredRecord } from '../world/store.ts'
import { readPath } from '../util/expression.ts'
import { isPlainObject } from '../util/match.ts'
import { buildRecord } from './record.ts'

/** Refuses a body whose ref fields name no record of the caller's (absent or null: nothing to check). */
export function checkRefs(ctx: Context): void {
  const refs = ctx.op!.refs
  const resources = ctx.world.api.behaviour.resources
  for (let i = 0; i < refs.length; i++) {
    const ref = refs[i]!
    const value = readPath(ctx.body, ref.path)
    if (value === undefined || value === null) continue
    const model = resources.get(ref.resource)!
    // An object or a list names no record (validation refuses it first where the body's schema says so).
    const id = typeof value === 'string' || typeof value === 'number' ? String(value) : undefined
    const record = id === undefined ? undefined : ctx.world.store.get(model.name, id)
    if (!record || record.tenant !== ctx.tenant?.id) throw new ApiError(ref.error ?? model.notFound, { id: id ?? JSON.stringify(value), resource: model.name, field: ref.path.join('.') })
  }
}

/**
 * The records a create makes beside `created` (not yet stored): built from their `data` templates,
 * which see the request and the created record as `record`, in the caller's tenant.
 */
export function buildAlso(ctx: Context, created: StoredRecord, now: number): Array<[ResourceModel, StoredRecord]> {
  const resources = ctx.world.api.behaviour.resources
  const made: Array<[ResourceModel, StoredRecord]> = []
  for (const also of ctx.op!.also) {
    const model = resources.get(also.resource)!
    const data = also.data(varsOf(ctx, { record: created.data }))
    const parentId = also.parent === 'record' ? created.id : also.parent === 'parent' ? ctx.parent?.id : undefined
    const record = buildRecord(ctx.world, model, ctx.tenant!, isPlainObject(data) ? data : {}, { now, parentId, vars: varsOf(ctx, { parent: also.parent === 'record' ? created.data : ctx.parent?.data }), fromRequest: true, state: also.state })
    made.push([model, record])
  }
  return made
}
