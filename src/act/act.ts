/**
 * Stage 8, act: the operation's behaviour on state — create, read, list, update, delete, transition,
 * or a custom action on a record — with lifecycle preconditions, uniqueness and idempotency keys.
 * Returns what render needs; throws ApiError for the API's refusals.
 */
import { ApiError } from '../errors.ts'
import type { Context } from '../core/context.ts'
import { varsOf } from '../core/context.ts'
import type { ResourceModel, VariantModel } from '../spec/model.ts'
import type { StoredRecord } from '../world/store.ts'
import { acceptsField, buildRecord } from './record.ts'
import { findAddressed, findByAddress, findParent } from './lookup.ts'
import { isPlainObject } from '../util/match.ts'
import { runChecks } from './checks.ts'
import { pay, settleAccount } from './account.ts'
import { buildAlso, checkRefs } from './related.ts'

export interface Outcome {
  status: number
  record?: StoredRecord
  records?: StoredRecord[]
  list?: { total: number; hasMore: boolean; nextCursor?: string }
  /** No body (204, or a delete that returns nothing). */
  empty?: boolean
}

export function act(ctx: Context): Outcome {
  const op = ctx.op!
  const world = ctx.world
  const model = op.resource ? world.api.behaviour.resources.get(op.resource) : undefined
  const variant = op.variants.length > 0 ? pickVariant(ctx) : undefined
  ctx.variant = variant
  const status = variant?.status ?? op.successStatus
  if (!model || op.action === 'none') {
    beforeActing(ctx)
    return { status }
  }
  // An inferred address names every record on the path by its key (src/spec/implicit.ts).
  const addressed = op.address ? findByAddress(ctx) : undefined
  const parentId = addressed ? addressed.parentId : findParent(ctx, model)

  if (addressed?.absent) return putNew(ctx, model, addressed.parentId, status)
  if (op.action === 'create') {
    if (!ctx.tenant) throw new ApiError(world.api.behaviour.auth.errors.missing)
    beforeActing(ctx)
    const input = ownedBy(ctx, model, isPlainObject(ctx.body) ? ctx.body : {})
    const now = world.clock.now()
    const record = buildRecord(world, model, ctx.tenant, input, { now, parentId, vars: varsOf(ctx), fromRequest: true, state: variant?.state, via: addressed?.via })
    applySet(ctx, record)
    checkUnique(ctx, model, record)
    // The records made beside it are refused (a duplicate) before anything is stored.
    const also = op.also.length > 0 ? buildAlso(ctx, record, now) : undefined
    if (also) for (const [m, r] of also) checkUnique(ctx, m, r)
    world.insert(model, record, now)
    if (also) for (const [m, r] of also) world.insert(m, r, now)
    ctx.record = record
    ctx.created = true
    return { status, record }
  }
  if (op.action === 'list') {
    beforeActing(ctx)
    return list(ctx, model, parentId, status, addressed?.via)
  }

  const record = addressed?.record ?? findAddressed(ctx, model, parentId)
  ctx.record = record
  const refused = record.state !== undefined ? op.states.get(record.state) : undefined
  if (refused) throw new ApiError(refused, { state: record.state, id: record.id })
  beforeActing(ctx, record)

  switch (op.action) {
    case 'read':
    case 'custom':
      if (op.set.length > 0) { applySet(ctx, record); world.store.update(record, record.state) }
      return { status, record }
    case 'update': {
      const input = isPlainObject(ctx.body) ? ctx.body : {}
      const shape = world.api.resourceShape(model.name)
      // An update refused (a duplicate) changes nothing: the record is put back as it was.
      const before = model.unique.length > 0 ? { ...record.data } : undefined
      for (const [name, value] of Object.entries(input)) {
        if (name === model.idField || name === model.lifecycle?.field) continue
        if (acceptsField(shape, name)) record.data[name] = value
      }
      applySet(ctx, record)
      if (before) {
        try {
          checkUnique(ctx, model, record)
        } catch (error) {
          for (const name of Object.keys(record.data)) if (!Object.hasOwn(before, name)) delete record.data[name]
          Object.assign(record.data, before)
          throw error
        }
      }
      world.store.update(record, record.state)
      return { status, record }
    }
    case 'transition':
      world.setState(model, record, op.transitionTo!)
      if (op.set.length > 0) { applySet(ctx, record); world.store.update(record, record.state) }
      return { status, record }
    case 'delete':
      world.remove(model, record)
      return { status, record, empty: status === 204 }
    default:
      return { status, record }
  }
}

/**
 * A record created under something its own path does not name as a parent is owned by it: where
 * its key names an owner object the body does not give (`owner.login` of a repository made by
 * `POST /orgs/{org}/repos`), that owner is the one the path names last (`{org}`), so the record
 * is found where its own path looks for it (`/repos/{owner}/{repo}`).
 */
function ownedBy(ctx: Context, model: ResourceModel, body: Record<string, unknown>): Record<string, unknown> {
  const address = ctx.op!.address
  const step = address && address.parentAt === -1 ? address.steps.at(-1) : undefined
  const owner = step ? model.key?.fields.filter((f) => f.length === 2 && !(isPlainObject(body[f[0]!]) && (body[f[0]!] as Record<string, unknown>)[f[1]!] !== undefined)) : undefined
  const value = step ? ctx.params[step.params.at(-1)!] : undefined
  if (!owner || owner.length !== 1 || value === undefined) return body
  const [object, field] = owner[0]! as [string, string]
  const base = isPlainObject(body[object]) ? body[object] : isPlainObject(model.example?.[object]) ? model.example[object] : {}
  return { ...body, [object]: { ...base, [field]: value } }
}

/**
 * A PUT to an inferred record that is not there makes it, named as the path names it (its key
 * fields from the path parameters), as PUT does on the APIs that create by name (storage, cloud
 * resources): 201 where the operation declares it.
 */
function putNew(ctx: Context, model: ResourceModel, parentId: string | undefined, status: number): Outcome {
  const world = ctx.world
  const op = ctx.op!
  if (!ctx.tenant) throw new ApiError(world.api.behaviour.auth.errors.missing)
  const step = op.address!.steps.at(-1)!
  const now = world.clock.now()
  const record = buildRecord(world, model, ctx.tenant, isPlainObject(ctx.body) ? ctx.body : {}, { now, parentId, vars: varsOf(ctx), fromRequest: true })
  const shape = world.api.resourceShape(model.name)
  step.fields.forEach((path, i) => {
    const raw = ctx.params[step.params[i]!]
    if (raw === undefined) return
    let schema: any = { properties: shape.properties }
    let target = record.data
    for (let j = 0; j < path.length - 1; j++) {
      schema = schema?.properties?.[path[j]!]
      const inner = target[path[j]!]
      target = (target[path[j]!] = isPlainObject(inner) ? { ...inner } : {}) as Record<string, unknown>
    }
    const type = schema?.properties?.[path.at(-1)!]?.type
    const numeric = (type === 'integer' || type === 'number' || (Array.isArray(type) && type.includes('integer'))) && raw.trim() !== '' && Number.isFinite(Number(raw))
    target[path.at(-1)!] = numeric ? Number(raw) : raw
    if (numeric && path.length === 1 && model.key?.sequence === path[0]) world.store.number(model.name, path[0] === model.idField ? '' : parentId ?? '', Number(raw))
  })
  checkUnique(ctx, model, record)
  world.insert(model, record, now)
  ctx.record = record
  return { status: op.responses.some((r) => r.status === 201) ? 201 : status, record }
}

/**
 * Once the records the request names are found, before anything changes: the records its body
 * names (refs), the operation's checks on them, its purchase on the caller's card, and what it
 * does to the account when it succeeds.
 */
function beforeActing(ctx: Context, record?: StoredRecord): void {
  const op = ctx.op!
  if (op.refs.length > 0) checkRefs(ctx)
  if (op.checks.length > 0) runChecks(ctx, record)
  if (op.account) {
    pay(ctx)
    settleAccount(ctx)
  }
}

/** The first of the operation's variants whose `when` holds for this request (none: the operation's own answer). */
function pickVariant(ctx: Context): VariantModel | undefined {
  const vars = varsOf(ctx)
  for (const variant of ctx.op!.variants) if (!variant.when || variant.when(vars)) return variant
  return undefined
}

function applySet(ctx: Context, record: StoredRecord): void {
  const op = ctx.op!
  if (op.set.length === 0) return
  const vars = varsOf(ctx, { record: record.data })
  for (const [field, render] of op.set) {
    const value = render(vars)
    if (value !== undefined) record.data[field] = value
  }
}

/**
 * Refuses a record that duplicates another of its tenant (and parent) on a unique constraint's
 * fields — among the other's states, when the constraint names some. Found in the store's index of
 * the constraint's keys, not by a walk over the tenant's records.
 */
function checkUnique(ctx: Context, model: ResourceModel, record: StoredRecord): void {
  for (const u of model.unique) {
    for (const other of ctx.world.store.keyed(model.name, u, u.keyOf(record))) {
      if (other === record || (u.states && !u.states.has(other.state!))) continue
      throw new ApiError(u.error, { field: u.fields.join(', '), id: other.id })
    }
  }
}

function list(ctx: Context, model: ResourceModel, parentId: string | undefined, status: number, via?: string): Outcome {
  const tenant = ctx.tenant?.id
  if (tenant === undefined) return { status, records: [], list: { total: 0, hasMore: false } }
  const shape = ctx.world.api.resourceShape(model.name)
  const filters = Object.entries(ctx.query).filter(([name, value]) => Object.hasOwn(shape.properties, name) && name !== model.idField && !meansAny(ctx, shape.properties[name], name, value))
  const limitParam = Number(ctx.query.limit ?? ctx.query.page_size ?? ctx.query.pageSize ?? ctx.query.per_page ?? NaN)
  const limit = Number.isFinite(limitParam) && limitParam > 0 ? limitParam : Infinity
  // Numbered pages (`?page=2&per_page=30`): the records before the page are skipped.
  const pageParam = Number(ctx.query.page ?? NaN)
  let skip = Number.isInteger(pageParam) && pageParam > 1 && limit !== Infinity ? (pageParam - 1) * limit : 0
  const cursor = [ctx.query.starting_after, ctx.query.after, ctx.query.cursor].find((c) => typeof c === 'string') as string | undefined
  const records: StoredRecord[] = []
  let total = 0
  let passedCursor = cursor === undefined
  let more = false
  for (const r of ctx.world.store.list(model.name, tenant, parentId)) {
    if (via !== undefined && r.via !== via) continue
    // A filter on a field holding an object or a list (`labels=bug` against the labels) is not one a plain value can answer.
    if (!filters.every(([name, value]) => (typeof r.data[name] === 'object' && r.data[name] !== null) || String(r.data[name]) === String(value))) continue
    total++
    if (!passedCursor) { if (r.id === cursor) passedCursor = true; continue }
    if (skip > 0) { skip--; continue }
    if (records.length < limit) records.push(r)
    else more = true
  }
  const hasMore = more
  return { status, records, list: { total, hasMore, nextCursor: hasMore ? records[records.length - 1]!.id : undefined } }
}

/** Words APIs give a filter parameter to mean "no filter" (`state=all`). */
const ANY_VALUES = new Set(['all', 'any', '*'])

/**
 * A value the query parameter offers that the field can never hold is not an equality filter but
 * "any": `state: open | closed | all` against a field whose enum is open and closed, or — where the
 * field lists no values — a word for any (`all`). Such a filter lists everything.
 */
function meansAny(ctx: Context, property: unknown, name: string, value: unknown): boolean {
  const { registry } = ctx.world.api
  const text = String(value)
  const param = ctx.op?.parameters.find((p) => p.in === 'query' && p.name === name)
  const schema = param?.schemaPointer ? registry.resolve({ $ref: `#${param.schemaPointer}` }).schema : undefined
  if (!(isPlainObject(schema) && Array.isArray(schema.enum) && schema.enum.some((v: unknown) => String(v) === text))) return false
  const field = registry.resolve(property).schema
  if (isPlainObject(field) && Array.isArray(field.enum)) return !field.enum.some((v: unknown) => String(v) === text)
  return ANY_VALUES.has(text.toLowerCase())
}
