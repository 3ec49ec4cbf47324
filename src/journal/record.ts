/** Stage 10, journal: what one request was and what came of it. */
import type { Context } from '../core/context.ts'
import type { Prepared } from '../render/render.ts'
import type { JournalEntry, Violation } from './journal.ts'

const NO_VIOLATIONS: Violation[] = Object.freeze([]) as unknown as Violation[]

export function recordInJournal(ctx: Context, prepared: Pick<Prepared, 'status' | 'code' | 'headers'>, durationMs: number): JournalEntry {
  const entry = ctx.world.journal.add({
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
    // Most requests break nothing: one shared empty list rather than one kept per entry. A stream's
    // entry keeps its own, as violations found later are added to it.
    violations: ctx.violations.length > 0 || ctx.op?.stream ? ctx.violations : NO_VIOLATIONS,
    durationMs,
  })
  // Set apart from the literal: the rare entry with a finding costs the common one nothing.
  if (ctx.finding) entry.finding = ctx.finding
  const version = ctx.world.api.version
  if (version !== undefined) entry.version = version
  return entry
}
