/**
 * `standin record`: what passed between a client and the provider, turned into what standin starts
 * from — the spec's examples (an OpenAPI Overlay: the provider's spec stays untouched) and a
 * scenario's records — with secrets scrubbed (./scrub.ts). Only answers that fit the spec are kept
 * (checked after scrubbing), so `standin check` accepts what is written; the rest are counted.
 */
import type { Api } from '../api.ts'
import type { Exchange } from '../proxy/forward.ts'
import type { OperationModel, ResponseModel } from '../spec/model.ts'
import { Scrubber, type ScrubOptions } from './scrub.ts'
import { escapeToken, unescapeToken } from '../util/pointer.ts'
import { isPlainObject } from '../util/match.ts'

/** Kept per response (and request body) and media type: a few show the shape, more only weigh on the spec. */
const EXAMPLES_PER_RESPONSE = 3

export interface RecordReport {
  exchanges: number
  examples: number
  records: number
  /** Answers not written down, and why (they break the spec; no body; not JSON). */
  skipped: Array<{ operation: string; status: number; why: string }>
  /** Values scrubbed, by field name. */
  scrubbed: Record<string, number>
}

export interface RecordedFiles {
  overlay: { overlay: '1.0.0'; info: { title: string; version: string }; actions: Array<Record<string, unknown>> }
  scenario: Record<string, unknown>
  report: RecordReport
}

export class Recorder {
  private readonly api: Api
  private readonly scrubber: Scrubber
  /** media pointer → distinct example values (JSON text → value), in order. */
  private readonly examples = new Map<string, Map<string, unknown>>()
  /** resource → id → record. */
  private readonly records = new Map<string, Map<string, Record<string, unknown>>>()
  private readonly skipped: RecordReport['skipped'] = []
  private exchanges = 0
  private key: string | undefined

  constructor(api: Api, scrub: ScrubOptions = {}) {
    this.api = api
    this.scrubber = new Scrubber(scrub)
  }

  /** Takes one exchange in (as the proxy's onExchange gives it). */
  add(exchange: Exchange): void {
    this.exchanges++
    this.key ??= this.standInKey(exchange.requestHeaders)
    const op = this.api.operationsById.get(exchange.operation)
    if (!op) return
    // What the client sent the provider, when the provider took it (2xx): an example of the request body.
    if (exchange.status < 300) this.keepRequestExample(op, exchange)
    const skip = (why: string) => { if (this.skipped.length < 200) this.skipped.push({ operation: op.id, status: exchange.status, why }) }
    if (exchange.responseBody === undefined) return skip('no body')
    const type = (exchange.contentType ?? '').split(';')[0]!.trim().toLowerCase()
    if (!/[/+]json$/.test(type) || typeof exchange.responseBody === 'string') return skip(`not JSON (${type || 'no content type'})`)
    const response = responseFor(op, exchange.status)
    const media = response?.contentTypes.get(type) ?? response?.contentTypes.get('application/json')
    if (!response || !media) return skip(`the operation declares no ${exchange.status} ${type} answer`)
    const body = this.scrubber.scrub(exchange.responseBody)
    if (media.schemaPointer && !this.api.registry.compileAt('response', media.schemaPointer)(body)) return skip('the answer does not fit the spec (a provider violation)')
    this.keepExample(`${response.pointer}/content/${escapeToken(response.contentTypes.has(type) ? type : 'application/json')}`, body)
    if (exchange.status < 300) this.keepRecords(op, body)
  }

  private keepRequestExample(op: OperationModel, exchange: Exchange): void {
    const type = (exchange.requestHeaders['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
    const media = op.body?.contentTypes.get(type)
    if (!media || !/[/+]json$/.test(type) || !isPlainObject(exchange.requestBody) && !Array.isArray(exchange.requestBody)) return
    const body = this.scrubber.scrub(exchange.requestBody)
    if (media.schemaPointer && !this.api.registry.compileAt('body', media.schemaPointer)(structuredClone(body))) return
    const node = get(this.api.spec.document, `${op.pointer}/requestBody`)
    const at = `${this.api.registry.resolve(node, `${op.pointer}/requestBody`).pointer}/content/${escapeToken(type)}`
    this.keepExample(at, body)
  }

  private keepExample(at: string, body: unknown): void {
    let kept = this.examples.get(at)
    if (!kept) this.examples.set(at, (kept = new Map()))
    if (kept.size < EXAMPLES_PER_RESPONSE) kept.set(JSON.stringify(body), body)
  }

  /** The records a successful answer holds: the record itself, or a list's items. */
  private keepRecords(op: OperationModel, body: unknown): void {
    const model = op.resource === undefined ? undefined : this.api.behaviour.resources.get(op.resource)
    if (!model) return
    const candidates = op.action === 'list' ? itemsOf(body) : ['read', 'create', 'update', 'transition'].includes(op.action) ? [body] : []
    const fits = this.api.registry.compileAt('response', model.schemaPointer)
    let byId = this.records.get(model.name)
    for (const item of candidates) {
      if (!isPlainObject(item) || !fits(item)) continue
      const id = item[model.idField]
      if (typeof id !== 'string' && typeof id !== 'number') continue
      if (!byId) this.records.set(model.name, (byId = new Map()))
      byId.set(String(id), item)
    }
  }

  /**
   * A key for the recorded tenant, of the form the spec asks for: a credential the client sent,
   * scrubbed (a prefix such as `sk_live_` kept), else a made-up one.
   */
  private standInKey(headers: Record<string, string>): string | undefined {
    const patterns = [this.api.behaviour.auth.keyPattern, ...this.api.behaviour.schemeList.map((s) => s.auth?.keyPattern)].filter((p): p is RegExp => p !== undefined)
    if (patterns.length === 0) return undefined
    for (const value of Object.values(headers)) {
      const token = value.replace(/^(Bearer|Token)\s+/i, '')
      if (!patterns.some((p) => p.test(token))) continue
      const scrubbed = String(this.scrubber.scrub(token, 'key'))
      if (patterns.some((p) => p.test(scrubbed))) return scrubbed
    }
    return undefined
  }

  /** The overlay and scenario, as objects (the command line writes them as YAML). */
  files(options: { scenarioName: string; source: string; at: Date }): RecordedFiles {
    const actions: Array<Record<string, unknown>> = []
    let examples = 0
    for (const [pointer, kept] of this.examples) {
      const target = jsonPath(pointer)
      const media = get(this.api.spec.document, pointer)
      const named = Object.fromEntries([...kept.values()].map((value, i) => [`recorded-${i + 1}`, { summary: `Recorded from ${options.source} on ${options.at.toISOString().slice(0, 10)}`, value }]))
      examples += kept.size
      // `example` and `examples` may not stand together (OpenAPI 3): a single example gives way.
      if (isPlainObject(media) && media.example !== undefined) actions.push({ target: `${target}['example']`, remove: true })
      actions.push({ target, update: { examples: named } })
    }
    let records = 0
    const recorded: Record<string, unknown[]> = {}
    for (const [resource, byId] of this.records) {
      recorded[resource] = [...byId.values()]
      records += byId.size
    }
    const scenario: Record<string, unknown> = {
      name: options.scenarioName,
      description: `Recorded from ${options.source} on ${options.at.toISOString()} by standin record (secrets scrubbed).`,
      tenants: [{ id: 'recorded', keys: [{ token: this.key ?? 'recorded-key' }], records: recorded }],
    }
    return {
      overlay: { overlay: '1.0.0', info: { title: `Examples of ${this.api.spec.document.info?.title ?? 'the API'} recorded from ${options.source}`, version: options.at.toISOString() }, actions },
      scenario,
      report: { exchanges: this.exchanges, examples, records, skipped: this.skipped, scrubbed: Object.fromEntries(this.scrubber.counts) },
    }
  }
}

/** The declared response a status falls under: its own, its range (4XX), or default. */
function responseFor(op: OperationModel, status: number): ResponseModel | undefined {
  return op.responses.find((r) => r.status === status && !r.range)
    ?? op.responses.find((r) => r.range && typeof r.status === 'number' && status >= r.status && status < r.status + 100)
    ?? op.responses.find((r) => r.status === 'default')
}

/** A list answer's items: the array itself, or the first array of objects among its fields (`data`, `items`). */
function itemsOf(body: unknown): unknown[] {
  if (Array.isArray(body)) return body
  if (!isPlainObject(body)) return []
  for (const value of Object.values(body)) if (Array.isArray(value) && value.every(isPlainObject)) return value
  return []
}

/** A JSON pointer of the document as an Overlay's JSONPath target: `$['paths']['/notes/{id}']['get']…`. */
function jsonPath(pointer: string): string {
  return '$' + pointer.split('/').slice(1).map((t) => `['${unescapeToken(t).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}']`).join('')
}

function get(doc: unknown, pointer: string): unknown {
  let node: any = doc
  for (const t of pointer.split('/').slice(1)) node = node?.[unescapeToken(t)]
  return node
}
