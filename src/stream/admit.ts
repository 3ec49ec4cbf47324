/**
 * Admitting a stream, before the operation acts: is the request to be answered as a stream (the
 * client's Accept names the stream's media type, or `when` holds), and is there room for one more
 * open stream on its key (one stream per parent record, say)? The addressed record's parents are
 * looked up first, so an unknown parent is 404 before a busy one is 409. The slot is taken here and given
 * back if the request fails after all, or when the stream ends.
 */
import { ApiError } from '../errors.ts'
import type { Context } from '../core/context.ts'
import { varsOf } from '../core/context.ts'
import { findParent } from '../act/lookup.ts'
import type { StreamModel } from './model.ts'
import type { StreamSlot } from '../world/world.ts'

export interface StreamPlan {
  model: StreamModel
  /** Answered as a stream; otherwise the same script runs at once and the answer is JSON. */
  streamed: boolean
  slot?: StreamSlot
}

export function admitStream(ctx: Context): StreamPlan | undefined {
  const op = ctx.op!
  const model = op.stream
  if (!model) return undefined
  const resource = op.resource ? ctx.world.api.behaviour.resources.get(op.resource) : undefined
  if (resource) findParent(ctx, resource)
  const streamed = wantsStream(ctx, model)
  if (!streamed) return { model, streamed }
  const world = ctx.world
  let key = ''
  const concurrency = model.concurrency
  if (concurrency) {
    const per = concurrency.per(varsOf(ctx))
    if (per !== undefined && per !== null && per !== '') {
      key = `${concurrency.id}\u0000${String(per)}`
      const limit = world.scenario.limits.get(concurrency.id) ?? concurrency.limit
      const open = world.streams.get(key)?.size ?? 0
      if (open >= limit) throw new ApiError(concurrency.error, { limit, open, limitId: concurrency.id })
    }
  }
  const slot = world.openStream(key)
  ctx.onFailure.push(slot.release)
  return { model, streamed, slot }
}

function wantsStream(ctx: Context, model: StreamModel): boolean {
  const accept = ctx.headers.accept?.toLowerCase()
  if (accept && accept.split(',').some((part) => part.split(';')[0]!.trim() === model.mediaType)) return true
  // Without `when`, the operation always streams.
  if (!model.when) return true
  const value = model.when(varsOf(ctx))
  return value === true || value === 'true' || value === 1
}
