/**
 * Carrying worlds from one compiled version of the files to the next (`standin serve --watch`):
 * each world goes over through its snapshot (src/world/snapshot.ts) under its own id and keys, with
 * its journal; what the new version cannot take is reported, never dropped silently — a world whose
 * scenario is gone, records of a resource the spec no longer has, records that no longer fit their
 * resource's schema (those are kept: the client still finds them, and the report says which).
 */
import type { Worlds } from '../world/worlds.ts'
import { restoreWorld, snapshotWorld, SnapshotError } from '../world/snapshot.ts'
import { describeAjvError } from '../spec/schemas.ts'
import type { RuleModel } from '../scenario/model.ts'

/** What a rule says, as far as it can be compared (`match`, `headers` and `body` are compiled to functions: left out). */
function signature(rule: RuleModel): string {
  return JSON.stringify([[...(rule.operations ?? [])], rule.method, rule.path?.source, rule.nth, rule.times, rule.error, rule.status, rule.vars, rule.delayMs, rule.retryAfter, rule.fault, rule.afterEvents])
}

/** What carrying the worlds over left behind or found wrong. */
export interface CarryReport {
  /** Worlds carried over. */
  worlds: number
  records: number
  /** Worlds left behind: their scenario is gone from the files (or cannot take the snapshot). */
  droppedWorlds: Array<{ world: string; scenario: string; reason: string }>
  /** Records left behind: their resource is gone from the spec. */
  droppedRecords: Array<{ world: string; resource: string; count: number }>
  /** Rules whose definition changed: their counts (for `nth` and `times`) start afresh, by world. */
  restartedRules: Array<{ world: string; rule: number }>
  /** Records kept that do not fit their resource's schema as it is now: the first problem of each. */
  misfits: Array<{ world: string; resource: string; id: string; pointer: string; message: string }>
}

/** At most this many misfits are listed (the rest counted in `moreMisfits`). */
const MAX_MISFITS = 100

/**
 * Puts every world of `from` into `to` (made from the new version, with the scenarios' home worlds
 * already in it). Synchronous: no request runs between the first world and the last.
 */
export function carryWorlds(from: Worlds, to: Worlds): CarryReport & { moreMisfits: number } {
  const report: CarryReport & { moreMisfits: number } = { worlds: 0, records: 0, droppedWorlds: [], droppedRecords: [], restartedRules: [], misfits: [], moreMisfits: 0 }
  // Fresh world ids and keys go on from where the old generator stood: none repeats an old one.
  to.randomState = from.randomState
  const resources = to.api.behaviour.resources
  for (const world of from.list()) {
    const snapshot = snapshotWorld(world)
    const gone = new Map<string, number>()
    for (const r of snapshot.records) if (!resources.has(r.resource)) gone.set(r.resource, (gone.get(r.resource) ?? 0) + 1)
    let carried
    try {
      carried = restoreWorld(to, snapshot, { asSaved: true })
    } catch (error) {
      if (!(error instanceof SnapshotError)) throw error
      report.droppedWorlds.push({ world: world.id, scenario: world.scenario.name, reason: error.message })
      continue
    }
    carried.journal.continueFrom(world.journal)
    carried.rates.continueFrom(world.rates)
    // A rule's counts are kept by its place in the file: a rule that is no longer the same starts afresh.
    for (const index of [...carried.ruleHits.keys()]) {
      const before = world.scenario.rules[index]
      const now = carried.scenario.rules[index]
      if (before && now && signature(before) === signature(now)) continue
      carried.ruleHits.delete(index)
      report.restartedRules.push({ world: carried.id, rule: index })
    }
    report.worlds++
    for (const [resource, count] of gone) report.droppedRecords.push({ world: world.id, resource, count })
    for (const resource of carried.store.resources()) {
      const model = resources.get(resource)
      if (!model) continue
      const validate = to.api.registry.compileAt('response', model.schemaPointer)
      for (const record of carried.store.records(resource)) {
        report.records++
        if (validate(record.data)) continue
        if (report.misfits.length >= MAX_MISFITS) { report.moreMisfits++; continue }
        const first = validate.errors?.[0]
        const described = first ? describeAjvError(first) : undefined
        report.misfits.push({ world: carried.id, resource, id: record.id, pointer: described?.pointer ?? '', message: described?.detail ?? 'does not fit the schema' })
      }
    }
  }
  return report
}
