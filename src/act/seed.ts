/**
 * A world starts with the records the spec's examples show, for resources inferred from REST shape
 * (declared resources start as their scenario says): the repository the spec's example describes
 * exists, and so does its example issue, in it. A record whose resource lives in a parent is put in
 * the parent's first example record — a parent that appears in a seeded record exists — and in none
 * when the parent has no example. Every tenant of the world gets its own copy.
 */
import type { World } from '../world/world.ts'
import { buildRecord } from './record.ts'
import type { StoredRecord } from '../world/store.ts'

export function seedFromExamples(world: World, now: number): void {
  const firstOf = new Map<string, Map<string, string>>()
  const related: StoredRecord[] = []
  for (const model of world.api.behaviour.resources.values()) {
    if (!model.implicit || !model.examples) continue
    for (const tenant of world.tenants.values()) {
      let parentId: string | undefined
      if (model.parent) {
        parentId = firstOf.get(model.parent.resource)?.get(tenant.id)
        if (parentId === undefined) continue
      }
      for (const example of model.examples) {
        const record = buildRecord(world, model, tenant, example, { now, parentId })
        if (world.store.get(model.name, record.id)) continue
        world.insert(model, record, now)
        if (model.relations) related.push(record)
        let first = firstOf.get(model.name)
        if (!first) firstOf.set(model.name, (first = new Map()))
        if (!first.has(tenant.id)) first.set(tenant.id, record.id)
      }
    }
  }
  // A seeded record listed by relation (an issue's comments) belongs to the first seeded record of
  // that relation in its parent: the example issue's comments list the example comment.
  for (const record of related) {
    for (const resource of world.api.behaviour.resources.get(record.resource)!.relations!) {
      const id = firstOf.get(resource)?.get(record.tenant)
      if (id === undefined || world.store.get(resource, id)?.parentId !== record.parentId) continue
      record.via = `${resource}\u0000${id}`
      break
    }
  }
}
