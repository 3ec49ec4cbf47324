/**
 * Error-path coverage: of the outcomes the spec declares for each operation, which did a client's
 * traffic produce, and which did it never see?
 *
 * The items of an operation are its declared responses (`201`, `4XX`, `default`), each split by the
 * error codes the operation produces by its own behaviour where the status has any — a `429` from a
 * rate limit and a `429` from a concurrency cap are two paths a client must handle, `503` is one. Which
 * codes an operation produces comes from the behaviour model: auth, validation, limits, lifecycle
 * states (its record's and its parents'), gates, charges, idempotency, uniqueness, lookups and stream
 * admission and budgets, kept where the spec declares their status. An error sent inside a stream
 * that already answered 200 counts as that 200; a stream its client left counts as the stream's
 * abort code (`499 STREAM_ABORTED`) where the operation declares that code's status — the journal's
 * code for it, and the only way a client reaches that path.
 */
import type { Api } from '../api.ts'
import type { OperationModel } from '../spec/model.ts'
import type { JournalEntry } from '../journal/journal.ts'
import type { Outcome } from '../journal/tally.ts'
import { declaredResponse, statusLabel } from '../spec/declared.ts'
import { streamCodes } from '../stream/compile.ts'

export interface CoverageItem {
  /** The declared response: `201`, `4XX`, `default`. */
  declared: string
  /** The catalogue status of `code`, when the item is a code. */
  status?: number
  code?: string
  /** Requests that produced this outcome. */
  count: number
}

export interface OperationCoverage {
  operation: string
  method: string
  path: string
  requests: number
  items: CoverageItem[]
  reached: number
  total: number
  percent: number
  /** Outcomes under a declared status that are not items (a rule forcing another code). */
  other: Array<{ status: number; code?: string; count: number }>
  /** Statuses the operation does not declare: answers off the contract. */
  undeclared: Array<{ status: number; code?: string; count: number }>
}

export interface Coverage {
  spec: string
  title?: string
  requests: number
  reached: number
  total: number
  percent: number
  operations: OperationCoverage[]
  /** Requests that matched no operation (paths or methods the spec does not have). */
  unmatched: Array<{ method: string; path: string; count: number }>
  /** Requests answered by dropping the connection (a fault rule). */
  dropped: number
}

/** Journal entries (one request each) as outcomes to count. */
export function outcomesOf(entries: Iterable<Pick<JournalEntry, 'operation' | 'method' | 'path' | 'status' | 'code'>>): Outcome[] {
  return [...entries].map((e) => ({ operation: e.operation, method: e.method, ...(e.operation === undefined ? { path: e.path } : {}), status: e.status, ...(e.code ? { code: e.code } : {}), count: 1 }))
}

export function computeCoverage(api: Api, outcomes: Outcome[]): Coverage {
  const byOperation = new Map<string, Outcome[]>()
  const unmatched = new Map<string, { method: string; path: string; count: number }>()
  let dropped = 0
  let requests = 0
  for (const o of outcomes) {
    requests += o.count
    if (o.status === 0) { dropped += o.count; continue }
    if (o.operation === undefined || !api.operationsById.has(o.operation)) {
      const key = `${o.method} ${o.path ?? ''}`
      const u = unmatched.get(key) ?? { method: o.method, path: o.path ?? '', count: 0 }
      u.count += o.count
      unmatched.set(key, u)
      continue
    }
    const list = byOperation.get(o.operation) ?? []
    list.push(o)
    byOperation.set(o.operation, list)
  }
  const operations = api.operations.map((op) => operationCoverage(api, op, byOperation.get(op.id) ?? []))
  const reached = operations.reduce((n, o) => n + o.reached, 0)
  const total = operations.reduce((n, o) => n + o.total, 0)
  return {
    spec: api.spec.file, title: api.spec.document.info?.title,
    requests, reached, total, percent: percent(reached, total), operations,
    unmatched: [...unmatched.values()], dropped,
  }
}

function operationCoverage(api: Api, op: OperationModel, outcomes: Outcome[]): OperationCoverage {
  const catalogue = api.behaviour.errors.catalogue
  // The codes this operation produces, under the declared response their status falls in.
  const codesByResponse = new Map<string, Array<{ code: string; status: number }>>()
  for (const code of producedCodes(api, op)) {
    const status = catalogue.get(code)!.status
    const declared = declaredResponse(op.responses, status)
    if (!declared) continue
    const label = statusLabel(declared)
    const list = codesByResponse.get(label) ?? []
    list.push({ code, status })
    codesByResponse.set(label, list)
  }
  const items: CoverageItem[] = []
  for (const response of op.responses) {
    const label = statusLabel(response)
    const codes = codesByResponse.get(label)
    if (codes && codes.length > 0) for (const c of codes) items.push({ declared: label, status: c.status, code: c.code, count: 0 })
    else items.push({ declared: label, count: 0 })
  }
  const other = new Map<string, { status: number; code?: string; count: number }>()
  const undeclared = new Map<string, { status: number; code?: string; count: number }>()
  let requests = 0
  for (const o of outcomes) {
    requests += o.count
    // A stream whose client left: sent as a 200, journalled with the abort code.
    const aborted = o.code !== undefined && o.code === op.stream?.abort.code ? items.find((i) => i.code === o.code) : undefined
    if (aborted) { aborted.count += o.count; continue }
    const declared = declaredResponse(op.responses, o.status)
    const key = `${o.status} ${o.code ?? ''}`
    if (!declared) {
      const u = undeclared.get(key) ?? { status: o.status, ...(o.code ? { code: o.code } : {}), count: 0 }
      u.count += o.count
      undeclared.set(key, u)
      continue
    }
    const label = statusLabel(declared)
    const item = items.find((i) => i.declared === label && (i.code === undefined || i.code === o.code))
    if (item) item.count += o.count
    else {
      const x = other.get(key) ?? { status: o.status, ...(o.code ? { code: o.code } : {}), count: 0 }
      x.count += o.count
      other.set(key, x)
    }
  }
  const reached = items.filter((i) => i.count > 0).length
  return {
    operation: op.id, method: op.method, path: op.path, requests, items,
    reached, total: items.length, percent: percent(reached, items.length),
    other: [...other.values()], undeclared: [...undeclared.values()],
  }
}

/** The error codes an operation's own behaviour can produce (before checking the spec declares them). */
export function producedCodes(api: Api, op: OperationModel): Set<string> {
  const { errors, auth, resources } = api.behaviour
  const codes = new Set<string>()
  const add = (code: string | undefined) => { if (code && errors.catalogue.has(code)) codes.add(code) }
  const secured = op.security.length > 0 && !op.security.some((r) => r.size === 0)
  if (secured) {
    for (const failure of ['missing', 'unknown', 'malformed', 'expired', 'revoked'] as const) add(auth.errors[failure])
    if (op.security.some((r) => [...r.values()].some((scopes) => scopes.length > 0))) add(auth.errors.forbidden)
  }
  // Path parameters are not counted: a request whose path matched them reached the operation.
  if (op.parameters.some((p) => p.in !== 'path')) add(errors.validation.parameter.code)
  if (op.body) {
    for (const cause of ['malformed', 'contentType', 'tooLarge'] as const) add(errors.validation[cause].code)
    if ([...op.body.contentTypes.values()].some((m) => m.validate)) { add(errors.validation.field.code); add(errors.validation.required.code) }
    if (op.body.required) add(errors.validation.required.code)
  }
  for (const limit of op.limits) add(limit.error)
  for (const gate of op.gates) add(gate.error)
  for (const code of op.states.values()) add(code)
  for (const states of op.parentStates.values()) for (const code of states.values()) add(code)
  if (op.stream) for (const code of streamCodes(op.stream, api.behaviour)) add(code)
  add(op.stream?.abort.code)
  for (const check of op.checks) add(check.error)
  for (const ref of op.refs) add(ref.error ?? resources.get(ref.resource)?.notFound)
  for (const purchase of [op.charge?.topUp, op.account?.pay]) { add(purchase?.noCard); add(purchase?.declined) }
  if (op.body && [...op.body.contentTypes.values()].some((m) => m.validate)) for (const rule of errors.formats.values()) add(rule.code)
  add(op.charge?.error)
  add(op.idempotency?.conflict)
  const resource = op.resource ? resources.get(op.resource) : undefined
  if (resource && op.idParam) { add(resource.notFound); if (resource.retentionMs !== undefined) add(resource.gone) }
  if (resource?.parent && namesParent(op, resource.parent.param)) {
    const parent = resources.get(resource.parent.resource)
    add(parent?.notFound)
    if (parent?.retentionMs !== undefined) add(parent.gone)
  }
  if (resource && (op.action === 'create' || op.action === 'update')) for (const u of resource.unique) add(u.error)
  return codes
}

/**
 * Whether a request of the operation can name its record's parent, where the engine looks for it
 * (src/act/lookup.ts): a path parameter, a list's query parameter, a create's body. An item path
 * that names the record alone (GET /tokens/{id}, the token's site given only at its creation) never
 * answers the parent's 404.
 */
function namesParent(op: OperationModel, param: string): boolean {
  if (op.action === 'create' && op.body) return true
  return op.parameters.some((p) => p.name === param && (p.in === 'path' || (p.in === 'query' && op.action === 'list')))
}

function percent(reached: number, total: number): number {
  return total === 0 ? 100 : Math.floor((reached / total) * 1000) / 10
}
