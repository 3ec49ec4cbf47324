/** Stage 10, journal: what one request was and what came of it. */
import type { Context } from '../core/context.ts'
import type { Prepared } from '../render/render.ts'
import type { JournalEntry } from './journal.ts'

export function recordInJournal(ctx: Context, prepared: Pick<Prepared, 'status' | 'code' | 'headers'>, durationMs: number): JournalEntry {
  return ctx.world.journal.add({
    seq: 0,
    at: ctx.world.clock.now(),
    requestId: ctx.requestId,
    method: ctx.method,
    path: ctx.path,
    operation: ctx.op?.id,
    tenant: ctx.tenant?.id,
    status: prepared.status,
    code: prepared.code,
    cause: ctx.cause,
    rule: ctx.rule,
    violations: ctx.violations,
    durationMs,
  })
}
