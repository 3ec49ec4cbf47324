/**
 * Operations: every method + path of the spec compiled into an OperationModel — parameters and body
 * validators, declared responses, security, auth, and the behaviour (`x-standin` on the operation, or what
 * is inferred from REST shape: POST on a collection creates, GET on an item reads, and so on).
 */
import type { Problems } from '../errors.ts'
import { suggest } from '../errors.ts'
import { compileMatcher, isPlainObject } from '../util/match.ts'
import { escapeToken } from '../util/pointer.ts'
import { X, asList, checkCode, compileGate, compileHeaders, compileLimit, expression, template } from './behaviour.ts'
import type { Action, BehaviourModel, OperationModel, ParameterModel, ResponseModel, VariantModel } from './model.ts'
import { refToPointer, type SchemaRegistry } from './schemas.ts'
import { declaredResponse } from './declared.ts'
import { checkStream, compileStream, streamCodes } from '../stream/compile.ts'
import { inferImplicitResources } from './implicit.ts'
import { isJson } from '../validate/body.ts'
import { faultAt } from './fault.ts'
import { compileAccount, compileChecks, compileTopUp } from './account.ts'
import { checkLookups, checkRelated, compileAlso, compileRefs } from './related.ts'

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const

export function compileOperations(doc: any, registry: SchemaRegistry, behaviour: BehaviourModel, problems: Problems): OperationModel[] {
  const operations: OperationModel[] = []
  const ids = new Set<string>()
  for (const [path, item] of Object.entries<any>(doc.paths ?? {})) {
    if (!isPlainObject(item)) continue
    const itemPointer = `/paths/${escapeToken(path)}`
    for (const method of METHODS) {
      const op = item[method]
      if (!isPlainObject(op)) continue
      const pointer = `${itemPointer}/${method}`
      let id = typeof op.operationId === 'string' ? op.operationId : defaultOperationId(method, path)
      if (ids.has(id)) {
        // Degraded, not refused: the second one gets a name of its own, which the warning tells.
        let n = 2
        while (ids.has(`${id}_${n}`)) n++
        if (typeof op.operationId === 'string') problems.warn(`${pointer}/operationId`, `operationId "${id}" is used twice: standin knows this operation as "${id}_${n}" (in scenario rules and the journal)`)
        id = `${id}_${n}`
      }
      ids.add(id)
      operations.push(compileOperation(doc, registry, behaviour, problems, { id, method, path, pointer, op, item, itemPointer }))
    }
  }
  inferImplicitResources(operations, behaviour, registry, problems)
  inferResources(operations, behaviour, registry)
  for (const op of operations) checkOperation(op, behaviour, problems, registry)
  checkLookups(doc, behaviour, problems)
  return operations
}

interface Raw { id: string; method: string; path: string; pointer: string; op: any; item: any; itemPointer: string }

function compileOperation(doc: any, registry: SchemaRegistry, behaviour: BehaviourModel, problems: Problems, raw: Raw): OperationModel {
  const { id, method, path, pointer, op, item, itemPointer } = raw
  const x: any = isPlainObject(op[X]) ? op[X] : {}
  const at = `${pointer}/${X}`

  // Parameters: path-level ones, overridden by operation-level ones of the same name and place.
  const params = new Map<string, { model: ParameterModel; schemaPointer?: string }>()
  const addParams = (list: unknown, base: string) => {
    for (const [p, i] of (Array.isArray(list) ? list : []).map((p, i) => [p, i] as const)) {
      const { schema: param, pointer: paramPointer } = registry.resolve(p, `${base}/parameters/${i}`)
      if (!isPlainObject(param) || typeof param.name !== 'string') continue
      const location = param.in as ParameterModel['in']
      const schemaPointer = param.schema !== undefined ? `${paramPointer}/schema` : undefined
      const schema = schemaPointer ? registry.resolve(param.schema, schemaPointer).schema : undefined
      const model: ParameterModel = { name: param.name, in: location, required: location === 'path' || param.required === true, pointer: paramPointer, schemaPointer }
      if (isPlainObject(schema) && schema.default !== undefined) model.default = schema.default
      params.set(`${location}:${param.name}`, { model, schemaPointer })
    }
  }
  addParams(item.parameters, itemPointer)
  addParams(op.parameters, pointer)
  for (const name of path.matchAll(/\{([^}]+)\}/g)) {
    if (!params.has(`path:${name[1]}`)) params.set(`path:${name[1]}`, { model: { name: name[1]!, in: 'path', required: true } })
  }
  const parameters = [...params.values()].map((p) => p.model)
  const parameterNames = {
    header: parameters.filter((p) => p.in === 'header').map((p) => p.name.toLowerCase()),
    query: parameters.filter((p) => p.in === 'query').map((p) => p.name),
    cookie: parameters.some((p) => p.in === 'cookie'),
  }
  const validateParams = buildParamsValidator([...params.values()], registry, problems, pointer)

  // Request body.
  let body: OperationModel['body']
  if (op.requestBody !== undefined) {
    const { schema: rb, pointer: rbPointer } = registry.resolve(op.requestBody, `${pointer}/requestBody`)
    const contentTypes = new Map<string, { schemaPointer?: string; validate?: any }>()
    for (const [type, media] of Object.entries<any>(rb?.content ?? {})) {
      const schemaPointer = media?.schema !== undefined ? `${rbPointer}/content/${escapeToken(type)}/schema` : undefined
      let validate
      if (schemaPointer) {
        // A schema Ajv refuses (what normalisation did not mend) leaves that one body unchecked.
        try { validate = registry.compileAt('body', schemaPointer) } catch (error) { refused(registry, 'body', schemaPointer, error, 'request bodies of this type are not validated', problems) }
      }
      contentTypes.set(type.toLowerCase(), { schemaPointer, validate })
    }
    body = { required: rb?.required === true, contentTypes }
  }

  // Responses.
  const responses: ResponseModel[] = []
  for (const [status, r] of Object.entries<any>(op.responses ?? {})) {
    const { schema: resp, pointer: respPointer } = registry.resolve(r, `${pointer}/responses/${escapeToken(status)}`)
    const contentTypes: ResponseModel['contentTypes'] = new Map()
    for (const [type, media] of Object.entries<any>(resp?.content ?? {})) {
      const schemaPointer = media?.schema !== undefined ? `${respPointer}/content/${escapeToken(type)}/schema` : undefined
      let validate
      if (schemaPointer) {
        try { validate = registry.compileAt('response', schemaPointer) } catch (error) { refused(registry, 'response', schemaPointer, error, 'answers of this type are not checked against it', problems) }
      }
      // The first of `examples`, through its $ref (`#/components/examples/issue`).
      const example = media?.example ?? (isPlainObject(media?.examples) ? registry.resolve(Object.values<any>(media.examples)[0]).schema?.value : undefined)
      contentTypes.set(type.toLowerCase(), { schemaPointer, example, validate })
    }
    const headers: ResponseModel['headers'] = new Map()
    for (const [name, h] of Object.entries<any>(resp?.headers ?? {})) {
      const { schema: header, pointer: hp } = registry.resolve(h, `${respPointer}/headers/${escapeToken(name)}`)
      const schemaPointer = header?.schema ? `${hp}/schema` : undefined
      headers.set(name.toLowerCase(), { required: header?.required === true, schemaPointer, validate: schemaPointer ? headerValidator(registry, schemaPointer, problems) : undefined })
    }
    const range = /^[1-5]XX$/i.test(status)
    const code = status === 'default' ? 'default' : Number(status.replace(/XX$/i, '00'))
    const entries = [...contentTypes.entries()]
    const media = { entries, fallback: entries.find(([type]) => isJson(type)) ?? entries[0] }
    responses.push({ status: code, ...(range ? { range } : {}), pointer: respPointer, contentTypes, media, headers })
  }

  // Security: the operation's, else the document's.
  const requirements = Array.isArray(op.security) ? op.security : Array.isArray(doc.security) ? doc.security : []
  const security = requirements.map((req: any) => new Map<string, string[]>(Object.entries(isPlainObject(req) ? req : {}).map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : []])))
  const scopes = Array.isArray(x.scopes) ? x.scopes.map(String) : undefined
  if (scopes) for (const req of security) for (const name of req.keys()) req.set(name, [...req.get(name)!, ...scopes])
  const auth = { open: security.length === 0 || security.some((req: Map<string, string[]>) => req.size === 0), requirements: security.map((req: Map<string, string[]>) => [...req.entries()]) }

  const states = new Map<string, string>()
  if (x.states !== undefined && !isPlainObject(x.states)) problems.add(`${at}/states`, 'states maps lifecycle states to the error an operation gets in them')
  for (const [state, code] of Object.entries(isPlainObject(x.states) ? x.states : {})) states.set(state, String(code))
  const parentStates = new Map<string, Map<string, string>>()
  if (x.parentStates !== undefined && !isPlainObject(x.parentStates)) problems.add(`${at}/parentStates`, 'parentStates maps a parent resource to {state: error code} (project: {archived: project_archived})')
  for (const [resource, map] of Object.entries(isPlainObject(x.parentStates) ? x.parentStates : {})) {
    if (!isPlainObject(map)) { problems.add(`${at}/parentStates/${resource}`, `parentStates.${resource} maps ${resource}'s lifecycle states to error codes`); continue }
    parentStates.set(resource, new Map(Object.entries(map).map(([state, code]) => [state, String(code)])))
  }

  const successes = responses.map((r) => r.status).filter((s): s is number => typeof s === 'number' && s >= 200 && s < 300)
  const action = (typeof x.action === 'string' ? x.action : 'auto') as Action | 'auto'
  if (!['auto', 'create', 'read', 'list', 'update', 'delete', 'transition', 'custom', 'none'].includes(action)) {
    problems.add(`${at}/action`, `action "${action}" is not one of create, read, list, update, delete, transition, custom, none`)
  }
  const limits = asList(x.limits, `${at}/limits`, problems).map(([d, p]) => compileLimit(d, p, problems))
  const gates = asList(x.gates, `${at}/gates`, problems).map(([d, p]) => compileGate(d, p, problems))
  for (const l of behaviour.limits) if ((!l.operations || l.operations.has(id)) && !l.except?.has(id)) limits.push(l)
  for (const g of behaviour.gates) if ((!g.operations || g.operations.has(id)) && !g.except?.has(id)) gates.push(g)
  let charge: OperationModel['charge']
  if (x.charge !== undefined) {
    charge = {
      balance: typeof x.charge?.balance === 'string' ? x.charge.balance : 'balance',
      amount: expression(x.charge?.amount ?? 0, `${at}/charge/amount`, problems),
      error: String(x.charge?.error ?? ''),
      topUp: compileTopUp(x.charge?.topUp, `${at}/charge/topUp`, problems),
    }
  }
  let idempotency: OperationModel['idempotency']
  if (x.idempotency !== undefined) {
    const i = isPlainObject(x.idempotency) ? x.idempotency : {}
    idempotency = { header: String(i.header ?? 'Idempotency-Key').toLowerCase(), conflict: String(i.conflict ?? ''), ttlMs: 24 * 3_600_000 }
  }
  return {
    id, method: method.toUpperCase(), path, pointer, parameters, parameterNames, validateParams, body, responses, security, auth,
    action: action === 'auto' ? 'none' : action,
    resource: typeof x.resource === 'string' ? x.resource : undefined,
    idParam: typeof x.idParam === 'string' ? x.idParam : undefined,
    lookup: typeof x.lookupBy === 'string' ? lookupIndex(x.lookupBy) : undefined,
    transitionTo: typeof x.to === 'string' ? x.to : undefined,
    states,
    set: isPlainObject(x.set) ? Object.entries(x.set).map(([k, v]) => [k, template(v, `${at}/set/${k}`, problems)]) : [],
    limits, gates, charge, idempotency,
    checks: compileChecks(x.checks, `${at}/checks`, problems),
    refs: compileRefs(x.refs, `${at}/refs`, problems),
    also: compileAlso(x.also, `${at}/also`, problems),
    account: compileAccount(x, at, problems),
    response: x.response === undefined ? undefined : template(x.response, `${at}/response`, problems),
    headers: compileHeaders(x.headers, `${at}/headers`, problems),
    variants: asList(x.variants, `${at}/variants`, problems).map(([v, p]) => compileVariant(v, p, problems)),
    stream: x.stream === undefined ? undefined : compileStream(x.stream, `${at}/stream`, responses, problems),
    parentStates,
    successStatus: typeof x.status === 'number' ? x.status : successes[0] ?? 200,
    errorCodes: new Set(),
    // Remembered for inference below.
    ...({ explicitAction: action !== 'auto' } as object),
  }
}

/**
 * The index a lookup by `field` reads: records by tenant and the field's value. One per field, so
 * that the operations finding records by the same field share the store's index of it.
 */
function lookupIndex(field: string): OperationModel['lookup'] {
  let lookup = lookups.get(field)
  // A record without the field is under '' (never a lookup's key, which holds the tenant and a NUL).
  if (!lookup) lookups.set(field, (lookup = { field, index: { keyOf: (record) => (record.data[field] === undefined || record.data[field] === null ? '' : `${record.tenant}\u0000${String(record.data[field])}`) } }))
  return lookup
}

const lookups = new Map<string, NonNullable<OperationModel['lookup']>>()

function compileVariant(def: any, at: string, problems: Problems): VariantModel {
  const fields = ['when', 'status', 'state', 'error', 'response', 'headers']
  if (!isPlainObject(def)) {
    problems.add(at, `a variant is an object: {${fields.join(', ')}}`)
    return { pointer: at }
  }
  for (const key of Object.keys(def)) {
    if (!fields.includes(key)) problems.add(`${at}/${key}`, `"${key}" is not a field of a variant (${fields.join(', ')}).${suggest(key, fields)}`)
  }
  if (def.error !== undefined && typeof def.error !== 'string') problems.add(`${at}/error`, 'a variant\'s error is a code of the catalogue')
  if (def.error !== undefined && (def.status !== undefined || def.response !== undefined || def.headers !== undefined)) {
    problems.add(`${at}/error`, 'a variant with an error answers that error (its status, message and headers are the catalogue\'s): leave out status, response and headers')
  }
  let when: VariantModel['when']
  if (def.when !== undefined) {
    try { when = compileMatcher(def.when) } catch (error) { problems.add(`${at}/when`, (error as Error).message) }
  }
  const status: unknown = def.status
  if (status !== undefined && !(typeof status === 'number' && Number.isInteger(status) && status >= 200 && status < 400)) problems.add(`${at}/status`, 'a variant\'s status is a success (2xx) or a redirect (3xx): errors come from the catalogue')
  return {
    when,
    status: typeof def.status === 'number' ? def.status : undefined,
    state: typeof def.state === 'string' ? def.state : undefined,
    error: typeof def.error === 'string' ? def.error : undefined,
    response: def.response === undefined ? undefined : template(def.response, `${at}/response`, problems),
    headers: def.headers === undefined ? undefined : compileHeaders(def.headers, `${at}/headers`, problems),
    pointer: at,
  }
}

function buildParamsValidator(params: Array<{ model: ParameterModel; schemaPointer?: string }>, registry: SchemaRegistry, problems: Problems, pointer: string, skip = new Set<string>()) {
  const groups: Record<string, { type: 'object'; properties: Record<string, unknown>; required: string[] }> = {}
  for (const { model, schemaPointer } of params) {
    const group = (groups[model.in] ??= { type: 'object', properties: {}, required: [] })
    // Header names are case-insensitive: validate them lower-cased.
    const name = model.in === 'header' ? model.name.toLowerCase() : model.name
    // A default beside the reference: Ajv fills in defaults a property's own schema names, not ones
    // behind its $ref.
    const schema = schemaPointer && !skip.has(schemaPointer) ? registry.ref(schemaPointer) : {}
    group.properties[name] = model.default !== undefined ? { ...schema, default: model.default } : schema
    if (model.required) group.required.push(name)
  }
  if (Object.keys(groups).length === 0) return undefined
  try {
    return registry.compileSchema('params', { type: 'object', properties: groups }, `${pointer}/parameters`)
  } catch (error) {
    if (skip.size === 0) {
      // The parameter whose schema Ajv refuses is left unchecked; the others still are.
      for (const { schemaPointer } of params) {
        if (!schemaPointer) continue
        try {
          registry.compileSchema('params', { type: 'object', properties: { value: registry.ref(schemaPointer) } })
        } catch (one) {
          skip.add(schemaPointer)
          refused(registry, 'params', schemaPointer, one, 'this parameter is not validated', problems)
        }
      }
      if (skip.size > 0) return buildParamsValidator(params, registry, problems, pointer, skip)
    }
    problems.warn(`${pointer}/parameters`, `parameter schemas do not compile (${(error as Error).message}): this operation's parameters are not validated`)
    return undefined
  }
}

/**
 * A schema Ajv refuses (what normalisation did not mend): a warning at the keyword at fault where
 * it can be found (src/spec/fault.ts), else at the schema. Said once for a keyword many schemas share.
 */
function refused(registry: SchemaRegistry, purpose: 'body' | 'response' | 'params', schemaPointer: string, error: unknown, what: string, problems: Problems): void {
  const fault = faultAt(registry, purpose, schemaPointer)
  const why = (error as Error).message
  if (fault === schemaPointer) problems.warn(schemaPointer, `schema does not compile (${why}): ${what}`)
  // One message wherever the keyword is reached from, so that it is said once.
  else problems.warn(fault, `Ajv cannot compile this keyword (${why}): nothing is checked against a schema that holds it`)
}

/** Header validators by schema pointer: a response's headers are shared by every operation using it. */
const headerValidators = new WeakMap<SchemaRegistry, Map<string, (value: string) => boolean>>()

/** Header values arrive as strings: validated with coercion, wrapped so the coerced value is kept. */
function headerValidator(registry: SchemaRegistry, schemaPointer: string, problems: Problems): ((value: string) => boolean) | undefined {
  let known = headerValidators.get(registry)
  if (!known) headerValidators.set(registry, (known = new Map()))
  const found = known.get(schemaPointer)
  if (found) return found
  try {
    const validate = registry.compileSchema('params', { type: 'object', properties: { value: registry.ref(schemaPointer) } }, schemaPointer)
    const check = (value: string) => validate({ value }) as boolean
    known.set(schemaPointer, check)
    return check
  } catch (error) {
    refused(registry, 'params', schemaPointer, error, 'this header is not checked', problems)
    return undefined
  }
}

function defaultOperationId(method: string, path: string): string {
  const words = path.split('/').filter(Boolean).map((s) => s.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string) => (c ? c.toUpperCase() : '')))
  return method + words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('')
}

/**
 * Fills in what an operation's `x-standin` left out: the resource it acts on (from the schemas its
 * responses return) and the action (from REST shape).
 */
function inferResources(operations: OperationModel[], behaviour: BehaviourModel, registry: SchemaRegistry): void {
  const bySchema = new Map<string, string>()
  for (const r of behaviour.resources.values()) bySchema.set(r.schemaPointer, r.name)
  // Asked twice of most operations below: found once each.
  const found = new Map<OperationModel, { resource?: string; list: boolean }>()
  const returns = (op: OperationModel): { resource?: string; list: boolean } => {
    let result = found.get(op)
    if (!result) found.set(op, (result = returned(op)))
    return result
  }
  const returned = (op: OperationModel): { resource?: string; list: boolean } => {
    for (const res of op.responses) {
      if (typeof res.status !== 'number' || res.status < 200 || res.status >= 300) continue
      for (const media of res.contentTypes.values()) {
        if (!media.schemaPointer) continue
        const found = findResourceSchema(registry, media.schemaPointer, bySchema)
        if (found) return found
      }
    }
    return { list: false }
  }
  // Collection paths: where a resource is created or listed. Shallow paths first: a POST under a
  // record of the same resource (`/sessions/{id}/restart` answering a session) acts on that record,
  // it is not a collection; under a record of another resource (`/owners/{id}/pets`) it is.
  const collections = new Map<string, string>()
  const addressedBy = (path: string) => {
    const segments = path.split('/')
    // The longest "<collection>/{param}" prefix names the addressed record.
    for (let i = segments.length; i >= 2; i--) {
      const param = /^\{(.+)\}$/.exec(segments[i - 1]!)?.[1]
      const collection = collections.get(segments.slice(0, i - 1).join('/'))
      if (param && collection) return { resource: collection, param, exact: i === segments.length }
    }
    return undefined
  }
  for (const op of [...operations].sort((a, b) => a.path.split('/').length - b.path.split('/').length)) {
    // What src/spec/implicit.ts inferred from the path is settled.
    if (op.address) continue
    const lastIsParam = /\}$/.test(op.path)
    const r = op.resource ? { resource: op.resource, list: op.action === 'list' } : returns(op)
    if (!r.resource || lastIsParam || !(op.method === 'POST' || (op.method === 'GET' && r.list))) continue
    if (!op.resource && addressedBy(op.path)?.resource === r.resource) continue
    collections.set(op.path, r.resource)
  }
  for (const op of operations) {
    if (op.address) continue
    const explicit = (op as any).explicitAction as boolean
    const addressed = addressedBy(op.path)
    const collectionHere = collections.get(op.path)
    // A collection at this very path wins over the record it is nested in: POST /projects/{id}/tasks creates a task.
    if (!op.resource) op.resource = collectionHere ?? addressed?.resource ?? returns(op).resource
    if (!op.idParam && addressed && addressed.resource === op.resource) op.idParam = addressed.param
    if (explicit) continue
    if (collectionHere && op.resource === collectionHere) {
      op.action = op.method === 'POST' ? 'create' : op.method === 'GET' ? 'list' : 'none'
    } else if (addressed?.exact) {
      op.action = op.method === 'GET' ? 'read' : op.method === 'DELETE' ? 'delete' : op.method === 'PATCH' || op.method === 'PUT' ? 'update' : 'custom'
    } else if (addressed) {
      op.action = 'custom'
    }
    if (op.transitionTo && op.action !== 'create') op.action = 'transition'
  }
  for (const op of operations) {
    if (op.action === 'create') {
      const created = op.responses.find((r) => r.status === 201)
      if (created && !op.responses.some((r) => r.status === op.successStatus && op.successStatus !== 200)) op.successStatus = 201
    }
  }
}

/**
 * The resource the schema at `pointer` is, or lists (within three levels of properties). `node`: the
 * schema at `pointer`, when the caller has it in hand — read from there rather than by walking the
 * pointer from the document's root again (a pointer with a `%`, which a `$ref` would decode, is
 * still looked up as one).
 */
function findResourceSchema(registry: SchemaRegistry, pointer: string, bySchema: Map<string, string>, depth = 0, node?: unknown): { resource?: string; list: boolean } | undefined {
  if (depth > 3) return undefined
  const direct = (s: any) => (isPlainObject(s) && typeof s.$ref === 'string' ? bySchema.get(refToPointer(s.$ref)) : undefined)
  const raw = node !== undefined && !pointer.includes('%') ? registry.resolve(node, pointer) : registry.resolve({ $ref: `#${pointer}` }, pointer)
  const own = bySchema.get(raw.pointer)
  if (own) return { resource: own, list: false }
  const schema = raw.schema
  if (!isPlainObject(schema)) return undefined
  if (schema.type === 'array' || schema.items) {
    const r = direct(schema.items) ?? (isPlainObject(schema.items) ? findResourceSchema(registry, `${raw.pointer}/items`, bySchema, depth + 1, schema.items)?.resource : undefined)
    if (r) return { resource: r, list: true }
  }
  for (const [name, prop] of Object.entries<any>(isPlainObject(schema.properties) ? schema.properties : {})) {
    const r = findResourceSchema(registry, `${raw.pointer}/properties/${escapeToken(name)}`, bySchema, depth + 1, prop)
    if (r?.resource && r.list) return r
  }
  return undefined
}

function checkOperation(op: OperationModel, behaviour: BehaviourModel, problems: Problems, registry: SchemaRegistry): void {
  const at = `${op.pointer}/${X}`
  const errors = behaviour.errors
  if (op.resource && !behaviour.resources.has(op.resource)) {
    problems.add(`${at}/resource`, `resource "${op.resource}" is not defined in x-standin.resources.${suggest(op.resource, behaviour.resources.keys())}`)
  }
  const resource = op.resource ? behaviour.resources.get(op.resource) : undefined
  const lifecycle = resource?.lifecycle
  for (const [state, code] of op.states) {
    if (lifecycle && !lifecycle.states.has(state)) problems.add(`${at}/states/${state}`, `"${state}" is not a state of ${resource!.name}'s lifecycle.${suggest(state, lifecycle.states)}`)
    checkCode(errors, code, `${at}/states/${state}`, problems)
  }
  for (const [name, map] of op.parentStates) {
    const outer = behaviour.resources.get(name)
    if (!outer) { problems.add(`${at}/parentStates/${name}`, `resource "${name}" is not defined in x-standin.resources.${suggest(name, behaviour.resources.keys())}`); continue }
    if (!isAncestor(behaviour, resource, name)) problems.add(`${at}/parentStates/${name}`, `${op.resource ?? 'this operation\'s resource'} does not live inside ${name} (no parent chain leads there)`)
    for (const [state, code] of map) {
      if (!outer.lifecycle?.states.has(state)) problems.add(`${at}/parentStates/${name}/${state}`, `"${state}" is not a state of ${name}'s lifecycle.${outer.lifecycle ? suggest(state, outer.lifecycle.states) : ''}`)
      checkCode(errors, code, `${at}/parentStates/${name}/${state}`, problems)
    }
  }
  if (op.stream) checkStream(op.stream, op.resource, behaviour, problems)
  if (op.transitionTo && lifecycle && !lifecycle.states.has(op.transitionTo)) problems.add(`${at}/to`, `"${op.transitionTo}" is not a state of ${resource!.name}'s lifecycle`)
  if (op.action === 'transition' && !op.transitionTo) problems.add(`${at}/to`, 'a transition names the state it moves the record `to`')
  // (An item operation without idParam is said below, lookupBy or not.)
  if (op.lookup && (op.action === 'create' || op.action === 'list')) problems.add(`${at}/lookupBy`, `a ${op.action} addresses no one record to look up`)
  for (const variant of op.variants) {
    if (variant.state !== undefined) {
      if (op.action !== 'create') problems.add(`${variant.pointer}/state`, `a variant's state is the first state of a record the operation creates; ${op.id} is a ${op.action}`)
      else if (!lifecycle?.states.has(variant.state)) problems.add(`${variant.pointer}/state`, `"${variant.state}" is not a state of ${resource?.name ?? 'the resource'}'s lifecycle.${lifecycle ? suggest(variant.state, lifecycle.states) : ''}`)
    }
    if (variant.status !== undefined && !declaredResponse(op.responses, variant.status, false)) problems.add(`${variant.pointer}/status`, `${op.id} declares no ${variant.status} response`)
    if (variant.error !== undefined) {
      checkCode(behaviour.errors, variant.error, `${variant.pointer}/error`, problems)
      // The stream would be answered instead of the error: say so rather than send neither.
      if (op.stream) problems.add(`${variant.pointer}/error`, `${op.id} has a stream: a variant of it cannot answer an error after acting`)
    }
  }
  // A state is moved by a transition (`to`), which keeps the store's counts and the lifecycle's
  // timers right; a field written by `set` is only data.
  if (lifecycle && op.set.some(([field]) => field === lifecycle.field)) {
    problems.add(`${at}/set/${lifecycle.field}`, `set writes ${resource!.name}'s lifecycle field "${lifecycle.field}": move the record's state with a transition instead (action: transition, to: <state>)`)
  }
  if (['read', 'update', 'delete', 'transition'].includes(op.action) && !op.idParam) {
    problems.add(at, `operation ${op.id} acts on one ${op.resource ?? 'record'} but no path parameter names it: set x-standin.idParam`)
  }
  if (['create', 'read', 'list', 'update', 'delete', 'transition'].includes(op.action) && !resource) {
    problems.add(`${at}/resource`, `operation ${op.id} is a ${op.action} but acts on no resource: set x-standin.resource`)
  }
  for (const limit of op.limits) {
    checkCode(errors, limit.error, `${limit.pointer}/error`, problems)
    if (limit.resource && !behaviour.resources.has(limit.resource)) problems.add(`${limit.pointer}/resource`, `resource "${limit.resource}" is not defined.${suggest(limit.resource, behaviour.resources.keys())}`)
    if (limit.kind === 'size' && (limit.largest ?? 0) > behaviour.maxBodyBytes) {
      problems.add(`${limit.pointer}/limit`, `a size limit of ${limit.largest} bytes is more than x-standin.maxBodyBytes (${behaviour.maxBodyBytes}): a body that large is refused before any limit sees it. Raise maxBodyBytes.`)
    }
  }
  for (const [i, gate] of op.gates.entries()) checkCode(errors, gate.error, `${at}/gates/${i}/error`, problems)
  if (op.charge) checkCode(errors, op.charge.error, `${at}/charge/error`, problems)
  const purchases = [op.charge?.topUp && { ...op.charge.topUp, pointer: `${at}/charge/topUp` }, op.account?.pay]
  for (const p of purchases) if (p) for (const field of ['noCard', 'declined'] as const) checkCode(errors, p[field], `${p.pointer}/${field}`, problems)
  for (const check of op.checks) {
    checkCode(errors, check.error, `${check.pointer}/error`, problems)
    if (check.schema && 'pointer' in check.schema && registry.resolve({ $ref: `#${check.schema.pointer}` }).schema === undefined) problems.add(`${check.pointer}/schema`, `#${check.schema.pointer} does not exist in the document`)
  }
  if (op.account?.mint && !behaviour.auth.jwt && !behaviour.schemeList.some((s) => s.auth?.jwt)) {
    problems.add(`${at}/mint`, `${op.id} mints a signed token, but no security scheme takes them: set x-standin.auth.jwt`)
  }
  for (const check of op.checks) op.errorCodes.add(check.error)
  checkRelated(op, behaviour, problems)
  for (const p of purchases) if (p) { op.errorCodes.add(p.noCard); op.errorCodes.add(p.declined) }
  if (op.idempotency) checkCode(errors, op.idempotency.conflict, `${at}/idempotency/conflict`, problems)
  for (const [name, scopes] of op.security.flatMap((r) => [...r.entries()])) {
    if (!behaviour.schemes.has(name)) problems.add(`${op.pointer}/security`, `security scheme "${name}" is not in components.securitySchemes.${suggest(name, behaviour.schemes.keys())}`)
    void scopes
  }
  for (const code of [...(op.stream ? streamCodes(op.stream, behaviour) : []), ...[...op.parentStates.values()].flatMap((m) => [...m.values()])]) op.errorCodes.add(code)
  // The error codes this operation can produce: declared statuses that the catalogue maps to.
  for (const entry of errors.catalogue.values()) {
    if (declaredResponse(op.responses, entry.status, false)) op.errorCodes.add(entry.code)
  }
}

/** Whether records of `resource` live (at any depth) inside records of `outer`. */
function isAncestor(behaviour: BehaviourModel, resource: { parent?: { resource: string } } | undefined, outer: string): boolean {
  for (let r = resource, depth = 0; r?.parent && depth < 16; depth++) {
    if (r.parent.resource === outer) return true
    r = behaviour.resources.get(r.parent.resource)
  }
  return false
}
