/**
 * Resources a spec implies without saying so. A spec with no `x-standin` is still a stateful API:
 * where a collection path (`/pets`, created by POST or listed by GET) has an item path under it
 * (`/pets/{petId}`, read by GET), the records behind them are a resource — named after the item's
 * schema (or the collection's last segment), keyed by the schema's `id` (or the path parameter's
 * name), nested under the resource its path sits under (`/owners/{ownerId}/pets`). Declared
 * resources always win: a collection whose item schema is declared in `x-standin.resources` is left
 * alone.
 */
import type { Problems } from '../errors.ts'
import { isPlainObject } from '../util/match.ts'
import { compileResource } from './behaviour.ts'
import type { BehaviourModel, OperationModel } from './model.ts'
import type { SchemaRegistry } from './schemas.ts'

export function inferImplicitResources(operations: OperationModel[], behaviour: BehaviourModel, registry: SchemaRegistry, problems: Problems): void {
  const declared = new Set([...behaviour.resources.values()].map((r) => r.schemaPointer))
  const byPath = new Map<string, OperationModel[]>()
  for (const op of operations) byPath.set(op.path, [...(byPath.get(op.path) ?? []), op])
  // Shallow paths first, so a parent is known before what nests under it.
  const paths = [...byPath.keys()].filter((p) => !p.endsWith('}')).sort((a, b) => depth(a) - depth(b))
  const collectionOf = new Map<string, string>()
  for (const path of paths) {
    const ops = byPath.get(path)!
    if (!ops.some((o) => o.method === 'POST' || o.method === 'GET')) continue
    const itemPath = [...byPath.keys()].find((p) => p.startsWith(path + '/{') && p.indexOf('/', path.length + 1) === -1 && p.endsWith('}'))
    if (!itemPath) continue
    const itemOps = byPath.get(itemPath)!
    if ([...ops, ...itemOps].some((o) => o.resource)) continue
    const read = itemOps.find((o) => o.method === 'GET')
    const found = read && itemSchema(read, registry)
    if (!found || declared.has(found.pointer)) continue
    const param = itemPath.slice(path.length + 2, -1)
    const properties: Record<string, any> = isPlainObject(found.schema.properties) ? found.schema.properties : {}
    const idField = ['id', param, `${found.name}Id`, `${found.name}_id`].find((f) => f in properties) ?? 'id'
    const idSchema = registry.resolve(properties[idField]).schema
    const id: Record<string, unknown> = { field: idField }
    if (isPlainObject(idSchema) && idSchema.format === 'uuid') id.format = 'uuid'
    if (isPlainObject(idSchema) && (idSchema.type === 'integer' || idSchema.type === 'number')) id.type = 'integer'
    const parent = parentOf(path, collectionOf)
    let name = found.name
    for (let n = 2; behaviour.resources.has(name); n++) name = `${found.name}${n}`
    const def = { schema: `#${found.pointer}`, id, ...(parent ? { parent: { ...parent, ...(parent.param in properties ? { field: parent.param } : {}) } } : {}) }
    const model = compileResource(name, def, read!.pointer, registry, problems)
    model.implicit = true
    behaviour.resources.set(name, model)
    collectionOf.set(path, name)
  }
}

const depth = (path: string) => path.split('/').length

/** The 2xx JSON object schema a GET on the item returns, and a name for its resource. */
function itemSchema(op: OperationModel, registry: SchemaRegistry): { pointer: string; schema: any; name: string } | undefined {
  for (const res of op.responses) {
    if (typeof res.status !== 'number' || res.status < 200 || res.status >= 300) continue
    for (const media of res.contentTypes.values()) {
      if (!media.schemaPointer) continue
      const raw = registry.resolve({ $ref: `#${media.schemaPointer}` }, media.schemaPointer)
      const { schema, pointer } = raw
      if (!isPlainObject(schema) || (schema.type !== 'object' && !isPlainObject(schema.properties))) continue
      // Named after the component (`#/components/schemas/Pet` → pet), else after the path.
      const component = /\/(?:schemas|x-standin-bundled)\/(?:.*\/)?([^/]+)$/.exec(pointer)?.[1]
      const fromPath = op.path.split('/').filter((s) => s && !s.startsWith('{')).pop() ?? 'record'
      const base = component && /^[A-Za-z][\w-]*$/.test(component) ? component : singular(fromPath)
      return { pointer, schema, name: base.charAt(0).toLowerCase() + base.slice(1) }
    }
  }
  return undefined
}

function parentOf(path: string, collectionOf: Map<string, string>): { resource: string; param: string } | undefined {
  const segments = path.split('/')
  for (let i = segments.length - 1; i >= 1; i--) {
    const param = /^\{(.+)\}$/.exec(segments[i]!)?.[1]
    if (!param) continue
    const resource = collectionOf.get(segments.slice(0, i).join('/'))
    return resource ? { resource, param } : undefined
  }
  return undefined
}

function singular(word: string): string {
  if (/ies$/.test(word)) return word.slice(0, -3) + 'y'
  if (/(ss|x|ch|sh)es$/.test(word)) return word.slice(0, -2)
  if (/s$/.test(word) && !/ss$/.test(word)) return word.slice(0, -1)
  return word
}
