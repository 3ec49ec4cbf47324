/**
 * Resources a spec implies without saying so. A spec with no `x-standin` is still a stateful API:
 *
 * - An **item path** — one ending in path parameters whose GET answers an object schema
 *   (`/pets/{petId}`, `/repos/{owner}/{repo}`) — names a resource: the records of that schema
 *   (named after its component), keyed by the fields its trailing parameters name (`petId` → `id`,
 *   `issue_number` → `number`, `{owner}/{repo}` → `owner.login` + `name`: src/spec/key-fields.ts).
 * - The path parameters before that are its **parents**: an item path of another resource
 *   (`/repos/{owner}/{repo}` for `/repos/{owner}/{repo}/issues/{issue_number}`) is a parent record that
 *   must exist; any other parameter (`/enterprises/{enterprise}/teams/…`) keeps records apart.
 * - **One resource, many paths**: any other item path answering the same schema under the same
 *   parents addresses the same records; a POST answering the schema creates one (`POST /user/repos`
 *   and `GET /repos/{owner}/{repo}` both answer `full-repository`); a GET answering a list of it
 *   lists them. Under the same parents as the item path, in the parent record; elsewhere, as far as
 *   the parents agree. Under a record it does not live in (an issue's comments, which live in the
 *   repository), a relation: what is made there is tagged with that record, and listed there.
 * - Every other operation under an item path acts on that record (`custom`): 404 when it is absent.
 *
 * Declared resources always win: a schema declared in `x-standin.resources`, and every operation with
 * an `x-standin` resource or action, are left alone.
 */
import type { Problems } from '../errors.ts'
import { isPlainObject } from '../util/match.ts'
import { compileResource } from './behaviour.ts'
import type { AddressStep, BehaviourModel, OperationModel } from './model.ts'
import type { SchemaRegistry } from './schemas.ts'
import type { KeyedIndex, StoredRecord } from '../world/store.ts'
import { keyFields, propertiesOf, typeOf } from './key-fields.ts'
import { resourceExamples } from './examples.ts'

interface Item { resource: string; fields: string[][]; index: KeyedIndex }

export function inferImplicitResources(operations: OperationModel[], behaviour: BehaviourModel, registry: SchemaRegistry, problems: Problems): void {
  const declared = new Set([...behaviour.resources.values()].map((r) => r.schemaPointer))
  const explicit = (op: OperationModel) => op.resource !== undefined || (op as { explicitAction?: boolean }).explicitAction === true
  const byPath = new Map<string, OperationModel[]>()
  for (const op of operations) byPath.set(op.path, [...(byPath.get(op.path) ?? []), op])
  const items = new Map<string, Item>()
  const bySchema = new Map<string, string>()
  /** Each inferred resource's parents, as its own item path names them (a scope: undefined). */
  const chains = new Map<string, Array<string | undefined>>()

  // 1. Item paths, shallow first, so a parent is known before what nests under it.
  const itemPaths = [...byPath.keys()].filter((p) => p.endsWith('}')).sort((a, b) => depth(a) - depth(b) || a.localeCompare(b))
  for (const path of itemPaths) {
    const ops = byPath.get(path)!
    if (ops.some(explicit)) continue
    const read = ops.find((o) => o.method === 'GET')
    const found = read && itemSchema(read, registry)
    if (!found || declared.has(found.pointer)) continue
    const steps = stepsOf(path, items)
    const own = steps.pop()
    if (!own || own.resource !== undefined) continue
    const params = own.params.map((name) => ({ name, type: paramType(read!, name, registry) }))
    const parents = steps.map((s) => s.resource)
    const override = keyOverride(read!, own.params, registry, problems)
    const known = bySchema.get(found.pointer)
    if (known !== undefined) {
      // Another path to a resource already found: the same records only under the same parents.
      const fields = sameChain(chains.get(known)!, parents) ? override ?? keyFields(params, found.schema, known, registry) : undefined
      if (fields) items.set(patternOf(path), { resource: known, fields, index: keyIndex(known, fields) })
      continue
    }
    let name = found.name
    for (let n = 2; behaviour.resources.has(name); n++) name = `${found.name}${n}`
    const props = propertiesOf(found.schema, registry)
    const matched = override ?? keyFields(params, found.schema, name, registry)
    const single = matched?.length === 1 && matched[0]!.length === 1 ? matched[0]![0]! : undefined
    // The id is a plain value: a parameter naming an object property (`{photoId}` → `photoId.id`) is not one.
    const plain = (name: string) => props.has(name) && !['object', 'array'].includes(typeOf(props.get(name)) ?? '') && !isPlainObject(props.get(name)?.properties)
    const idField = props.has('id') ? 'id' : single ?? (plain(own.params.at(-1)!) ? own.params.at(-1)! : 'id')
    // A key no field holds: the last parameter is the record's id, as an explicit resource's is.
    const fields = matched ?? [[idField]]
    const idSchema = props.get(idField)
    const id: Record<string, unknown> = { field: idField }
    if (isPlainObject(idSchema) && idSchema.format === 'uuid') id.format = 'uuid'
    if (typeOf(idSchema) === 'integer' || typeOf(idSchema) === 'number') id.type = 'integer'
    const parentStep = [...steps].reverse().find((s) => s.resource !== undefined)
    const parentParam = parentStep?.params.at(-1)
    const def = {
      schema: `#${found.pointer}`, id,
      ...(parentStep ? { parent: { resource: parentStep.resource, param: parentParam, ...(parentParam && props.has(parentParam) ? { field: parentParam } : {}) } } : {}),
    }
    const model = compileResource(name, def, read!.pointer, registry, problems)
    model.implicit = true
    const keyType = single ? typeOf(props.get(single)) : undefined
    model.key = { fields, ...(keyType === 'integer' ? { sequence: single } : {}) }
    behaviour.resources.set(name, model)
    bySchema.set(found.pointer, name)
    chains.set(name, parents)
    items.set(patternOf(path), { resource: name, fields, index: keyIndex(name, fields) })
  }

  // 2. Every operation not declared: what it acts on, and the records its path names.
  for (const op of operations) {
    if (explicit(op)) continue
    const steps = stepsOf(op.path, items)
    const last = steps.at(-1)
    // What the operation answers, looked at only where it decides something (on a spec of 1,000
    // operations, resolving every answer's schema is a good part of start-up).
    const item = op.path.endsWith('}') && last?.resource !== undefined
    const returned = !item || op.method === 'POST' ? returnsResource(op, registry, bySchema) : undefined
    if (item) {
      op.resource = last!.resource
      op.idParam = last!.params.at(-1)
      op.address = { steps, parentAt: -1 }
      op.action = op.method === 'GET' ? 'read' : op.method === 'DELETE' ? 'delete' : op.method === 'PATCH' || op.method === 'PUT' ? 'update'
        // A POST to the record answering the record with a body (how some payments APIs update) changes it.
        : op.method === 'POST' && op.body && returned !== undefined && returned.resource === last!.resource && !returned.list ? 'update' : 'custom'
      continue
    }
    const lastRecord = steps.findLastIndex((s) => s.resource !== undefined)
    if (returned && !op.path.endsWith('}') && ((op.method === 'GET' && returned.list) || (op.method === 'POST' && !returned.list && steps[lastRecord]?.resource !== returned.resource))) {
      const at = parentAt(chains.get(returned.resource)!, steps)
      // Under a record the resource does not live in (an issue's comments, which live in the
      // repository): a relation. What is created there is tagged with that record, and the list
      // there lists what was created through it.
      const via = lastRecord > at ? lastRecord : undefined
      op.resource = returned.resource
      op.action = op.method === 'POST' ? 'create' : 'list'
      op.address = { steps, parentAt: at, ...(via !== undefined ? { via } : {}) }
      if (via !== undefined && op.method === 'GET') {
        const model = behaviour.resources.get(returned.resource)!
        model.relations = [...new Set([...(model.relations ?? []), steps[via]!.resource!])]
      }
      continue
    }
    if (lastRecord >= 0) {
      // Anything else under a record acts on it: 404 when it is not there.
      const target = steps[lastRecord]!
      op.resource = target.resource
      op.idParam = target.params.at(-1)
      op.action = 'custom'
      op.address = { steps: steps.slice(0, lastRecord + 1), parentAt: -1 }
    }
  }

  for (const model of behaviour.resources.values()) {
    if (!model.implicit) continue
    const { example, examples } = resourceExamples(model, operations, registry)
    if (example) model.example = example
    if (examples.length > 0) model.examples = examples
    // New string ids written like the example's (`cus_9s6XKzkNRiz8i3`: cus_ and 14 letters and digits).
    const sample = example?.[model.idField]
    if (model.idType === 'string' && typeof sample === 'string' && model.key?.sequence === undefined) {
      const style = idStyle(sample)
      if (style) model.newId = compileResource(model.name, { schema: `#${model.schemaPointer}`, id: { field: model.idField, ...style } }, model.schemaPointer, registry, problems).newId
    }
  }
}

/** The prefix, length and alphabet of an example id; none for a uuid (already generated as one) or an id with other characters. */
function idStyle(sample: string): { prefix: string; length: number; alphabet?: 'hex' | 'digits' } | undefined {
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-/i.test(sample)) return undefined
  const prefix = /^[A-Za-z]+[_-]/.exec(sample)?.[0] ?? ''
  const rest = sample.slice(prefix.length)
  if (rest.length < 4 || rest.length > 64 || !/^[A-Za-z0-9]+$/.test(rest)) return undefined
  return { prefix, length: rest.length, ...(/^[0-9]+$/.test(rest) ? { alphabet: 'digits' as const } : /^[0-9a-f]+$/.test(rest) ? { alphabet: 'hex' as const } : {}) }
}

const depth = (path: string) => path.split('/').length

/**
 * `x-standin.key` on an item path's GET: the record fields its trailing path parameters name, one
 * dotted path each (`[owner.login, name]`), where what is inferred is not what the API does.
 */
function keyOverride(read: OperationModel, params: string[], registry: SchemaRegistry, problems: Problems): string[][] | undefined {
  const x = registry.resolve({ $ref: `#${read.pointer}` }).schema?.['x-standin']
  if (!isPlainObject(x) || x.key === undefined) return undefined
  const key = x.key
  if (!Array.isArray(key) || key.length !== params.length || !key.every((f) => typeof f === 'string' && f !== '')) {
    problems.add(`${read.pointer}/x-standin/key`, `key lists the record field each of {${params.join('}, {')}} names, in order (${params.length} dotted path(s), such as [${params.map((p) => `"${p}"`).join(', ')}])`)
    return undefined
  }
  return key.map((f: string) => f.split('.'))
}

/** `/repos/{owner}/{repo}` → `/repos/{}/{}`: paths that differ only in their parameters' names match. */
const patternOf = (path: string) => path.replace(/\{[^}]+\}/g, '{}')

/**
 * The records and scopes a path names, outermost first: each run of parameters that reaches an
 * item path is a record of its resource; a run that reaches none is a scope.
 */
function stepsOf(path: string, items: Map<string, Item>): AddressStep[] {
  const steps: AddressStep[] = []
  let pattern = ''
  let run: string[] = []
  for (const segment of path.split('/').slice(1)) {
    const param = /^\{(.+)\}$/.exec(segment)?.[1]
    if (param === undefined) {
      if (run.length > 0) steps.push({ params: run, fields: [] })
      run = []
      pattern += `/${segment}`
      continue
    }
    pattern += '/{}'
    run.push(param)
    const item = items.get(pattern)
    if (item && item.fields.length <= run.length) {
      const extra = run.length - item.fields.length
      if (extra > 0) steps.push({ params: run.slice(0, extra), fields: [] })
      steps.push({ resource: item.resource, params: run.slice(extra), fields: item.fields, index: item.index })
      run = []
    }
  }
  if (run.length > 0) steps.push({ params: run, fields: [] })
  return steps
}

/**
 * Which step holds the records an operation creates or lists: the resource's parent, when the
 * path's outer steps are the resource's own parents (a comment made under an issue of a repository
 * whose comments live in the repository: the repository). -1: no parent.
 */
function parentAt(chain: Array<string | undefined>, steps: AddressStep[]): number {
  if (chain.length === 0 || steps.length < chain.length) return -1
  return sameChain(chain, steps.slice(0, chain.length).map((s) => s.resource)) ? chain.length - 1 : -1
}

function sameChain(a: Array<string | undefined>, b: Array<string | undefined>): boolean {
  return a.length === b.length && a.every((r, i) => r === b[i])
}

/** One index per resource and key: operations naming a record by the same fields share it. */
const indexes = new Map<string, KeyedIndex>()

function keyIndex(resource: string, fields: string[][]): KeyedIndex {
  const name = `${resource}\u0000${fields.map((f) => f.join('.')).join('\u0000')}`
  let index = indexes.get(name)
  if (!index) indexes.set(name, (index = { keyOf: (record: StoredRecord) => recordKey(record, fields) }))
  return index
}

/** A record's key: tenant, parent, and its key fields' values (what a request's key is compared with). */
export function recordKey(record: StoredRecord, fields: string[][]): string {
  let key = `${record.tenant}\u0000${record.parentId ?? ''}`
  for (const path of fields) {
    let value: unknown = record.data
    for (const name of path) value = isPlainObject(value) ? value[name] : undefined
    if (value === undefined || value === null) return ''
    key += `\u0000${String(value)}`
  }
  return key
}

function paramType(op: OperationModel, name: string, registry: SchemaRegistry): string | undefined {
  const param = op.parameters.find((p) => p.in === 'path' && p.name === name)
  return param?.schemaPointer ? typeOf(registry.resolve({ $ref: `#${param.schemaPointer}` }).schema) : undefined
}

/** The object schema a GET on the item answers (the first object branch of a oneOf), and a name for its resource. */
function itemSchema(op: OperationModel, registry: SchemaRegistry): { pointer: string; schema: any; name: string } | undefined {
  for (const res of op.responses) {
    if (typeof res.status !== 'number' || res.status < 200 || res.status >= 300) continue
    for (const media of res.contentTypes.values()) {
      if (!media.schemaPointer) continue
      let { schema, pointer } = registry.resolve({ $ref: `#${media.schemaPointer}` }, media.schemaPointer)
      const branches = isPlainObject(schema) && !isPlainObject(schema.properties) ? [...(Array.isArray(schema.oneOf) ? schema.oneOf : []), ...(Array.isArray(schema.anyOf) ? schema.anyOf : [])] : []
      const branch = branches.find((b) => isPlainObject(b) && typeof b.$ref === 'string')
      if (branch) ({ schema, pointer } = registry.resolve(branch))
      if (!isPlainObject(schema) || (typeOf(schema) !== 'object' && !isPlainObject(schema.properties))) continue
      // Named after the component (`#/components/schemas/Pet` → pet), else after the path.
      const component = /\/(?:schemas|x-standin-bundled)\/(?:.*\/)?([^/]+)$/.exec(pointer)?.[1]
      const fromPath = op.path.split('/').filter((s) => s && !s.startsWith('{')).pop() ?? 'record'
      const base = component && /^[A-Za-z][\w-]*$/.test(component) ? component : singular(fromPath)
      return { pointer, schema, name: base.charAt(0).toLowerCase() + base.slice(1) }
    }
  }
  return undefined
}

/**
 * The inferred resource a 2xx answer is, or is a list of: the schema itself, an `allOf` or
 * `oneOf` holding it, an array of it, or an object with an array of it (`{data: [...]}`).
 */
function returnsResource(op: OperationModel, registry: SchemaRegistry, bySchema: Map<string, string>): { resource: string; list: boolean } | undefined {
  const named = (schema: unknown): string | undefined => {
    const resolved = registry.resolve(schema)
    const own = bySchema.get(resolved.pointer)
    if (own) return own
    const s = resolved.schema
    if (!isPlainObject(s)) return undefined
    for (const list of [s.allOf, s.oneOf, s.anyOf]) {
      if (!Array.isArray(list)) continue
      for (const part of list) {
        const r = isPlainObject(part) && typeof part.$ref === 'string' ? bySchema.get(registry.resolve(part).pointer) : undefined
        if (r) return r
      }
    }
    return undefined
  }
  const listOf = (schema: unknown): string | undefined => {
    const s = registry.resolve(schema).schema
    return isPlainObject(s) && (typeOf(s) === 'array' || s.items !== undefined) && s.items !== undefined ? named(s.items) : undefined
  }
  for (const res of op.responses) {
    if (typeof res.status !== 'number' || res.status < 200 || res.status >= 300) continue
    for (const media of res.contentTypes.values()) {
      if (!media.schemaPointer) continue
      const ref = { $ref: `#${media.schemaPointer}` }
      const one = named(ref)
      if (one) return { resource: one, list: false }
      const many = listOf(ref)
      if (many) return { resource: many, list: true }
      for (const prop of propertiesOf(ref, registry).values()) {
        const inner = listOf(prop)
        if (inner) return { resource: inner, list: true }
      }
    }
  }
  return undefined
}

function singular(word: string): string {
  if (/ies$/.test(word)) return word.slice(0, -3) + 'y'
  if (/(ss|x|ch|sh)es$/.test(word)) return word.slice(0, -2)
  if (/s$/.test(word) && !/ss$/.test(word)) return word.slice(0, -1)
  return word
}
