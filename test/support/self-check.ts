/**
 * The self-check gate of our own suite: every response standin sends is checked against the spec
 * (src/render/render.ts selfCheck), and a failure is a standin bug. Standins made through
 * `selfChecked` (the door helper uses it) report response-side violations here, and the shared
 * afterEach hook in test/support/setup.ts fails the test that produced them.
 */
import type { StandinOptions } from '../../src/index.ts'
import type { JournalEntry, Violation } from '../../src/journal/journal.ts'

export interface ReportedViolation extends Violation {
  world: string
  operation?: string
  request: string
  status: number
}

const reported: ReportedViolation[] = []

/** The options, with response-side violations reported to the gate (an existing onViolation still runs). */
export function selfChecked<T extends StandinOptions>(options: T): T {
  const previous = options.onViolation
  return {
    ...options,
    onViolation(entry: JournalEntry, world: string) {
      previous?.(entry, world)
      for (const v of entry.violations) {
        if (v.side === 'response') reported.push({ ...v, world, operation: entry.operation, request: `${entry.method} ${entry.path}`, status: entry.status })
      }
    },
  }
}

/** Response-side violations reported since the last call; clears them. */
export function takeResponseViolations(): ReportedViolation[] {
  return reported.splice(0, reported.length)
}

export function describeViolations(found: ReportedViolation[]): string {
  return found.map((v) => `- ${v.request} → ${v.status} (${v.operation ?? '?'}, world ${v.world}): ${v.location}${v.pointer} ${v.message}`).join('\n')
}
