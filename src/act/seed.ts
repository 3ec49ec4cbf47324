/**
 * A world starts with the records the spec's examples show, for resources inferred from REST shape
 * (declared resources start as their scenario says): the repository the spec's example describes
 * exists, and so does its example issue, in it. A record whose resource lives in a parent is put in
 * the parent's first example record — a parent that appears in a seeded record exists — and in none
 * when the parent has no example. Every tenant of the world gets its own copy.
 */
import type { World } from '../world/world.ts'
import { buildRecord } from './record.ts'

export function seedFromExamples(world: World, now: number): void {
  const firstOf = new Map<string, Map<string, string>>()
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
        let first = firstOf.get(model.name)
        if (!first) firstOf.set(model.name, (first = new Map()))
        if (!first.has(tenant.id)) first.set(tenant.id, record.id)
      }
    }
  }
}
