/**
 * What the spec's examples say about an inferred resource's records: one record to start a created
 * record from (the schema's own `example`, else the example its read, create or update answers),
 * and the records a world starts with (that one and every record of a list's example, once each).
 */
import { isPlainObject } from '../util/match.ts'
import type { OperationModel, ResourceModel } from './model.ts'
import type { SchemaRegistry } from './schemas.ts'
import { propertiesOf } from './key-fields.ts'

export function resourceExamples(model: ResourceModel, operations: OperationModel[], registry: SchemaRegistry): { example?: Record<string, unknown>; examples: Array<Record<string, unknown>> } {
  const mine = operations.filter((o) => o.resource === model.name)
  const answered = (action: string) => mine.filter((o) => o.action === action).map(exampleOf).filter((e) => e !== undefined)
  const schema = registry.resolve({ $ref: `#${model.schemaPointer}` }).schema
  const own = isPlainObject(schema) && isPlainObject(schema.example) ? schema.example : undefined
  const items = [own, ...answered('read'), ...answered('create'), ...answered('update')].filter(isPlainObject)
  const listed = answered('list').flatMap((e) => (Array.isArray(e) ? e : isPlainObject(e) ? Object.values(e).find(Array.isArray) ?? [] : [])).filter(isPlainObject)
  const seen = new Set<string>()
  const examples: Array<Record<string, unknown>> = []
  for (const record of [...items, ...listed]) {
    const key = JSON.stringify((model.key?.fields ?? [[model.idField]]).map((path) => path.reduce<unknown>((v, name) => (isPlainObject(v) ? v[name] : undefined), record)))
    if (seen.has(key)) continue
    seen.add(key)
    examples.push(record)
  }
  // A field one example leaves out is taken from another example of the same schema (a read's
  // example without `language`, a create's with it) before anything would be faked.
  const pool = [...items, ...listed]
  const complete = (record: Record<string, unknown>) => {
    const out = { ...record }
    for (const other of pool) for (const [name, value] of Object.entries(other)) if (!Object.hasOwn(out, name)) out[name] = value
    return out
  }
  // No example of a whole record: the one its properties' own examples make (not a record a world starts with).
  const first = items[0] ?? listed[0] ?? fromProperties(schema, registry)
  return { example: first && complete(first), examples: examples.map(complete) }
}

function fromProperties(schema: unknown, registry: SchemaRegistry): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {}
  for (const [name, prop] of propertiesOf(schema, registry)) {
    if (!isPlainObject(prop)) continue
    const example = prop.example !== undefined ? prop.example : Array.isArray(prop.examples) ? prop.examples[0] : undefined
    if (example !== undefined) out[name] = example
  }
  return Object.keys(out).length > 0 ? out : undefined
}

function exampleOf(op: OperationModel): unknown {
  for (const res of op.responses) {
    if (typeof res.status !== 'number' || res.status < 200 || res.status >= 300) continue
    for (const media of res.contentTypes.values()) if (media.example !== undefined) return media.example
  }
  return undefined
}
