/**
 * JSON Schema from the spec: one Ajv instance per purpose, the whole document registered once, and
 * validators compiled by JSON pointer at start-up. OpenAPI 3.1 schemas are JSON Schema 2020-12
 * (Ajv2020); 3.0 schemas are a draft-04/07 dialect with `nullable` (Ajv's default draft handles it).
 */
import { createRequire } from 'node:module'
import type { Ajv, ValidateFunction, ErrorObject, Options } from 'ajv'
import { get } from '../util/pointer.ts'
import { isPlainObject } from '../util/match.ts'
import { diskCacheOn, jsonSafe } from '../util/disk-cache.ts'
import { Validators, ajvVersions } from './validators.ts'

export type { ErrorObject, ValidateFunction }

const require = createRequire(import.meta.url)
const DOC_ID = 'standin:spec'

type Purpose = 'body' | 'params' | 'response'

// validateSchema: checking the document against the meta-schema reaches no schema inside it (only
// top-level keywords), yet compiling the meta-schema cost each instance ~30 ms at start-up. A bad
// schema still fails when its validator is compiled, with the same message.
const BASE: Options = { strict: false, allErrors: true, validateFormats: true, discriminator: false, validateSchema: false }
const PURPOSES: Record<Purpose, { options: Options; hidden?: 'readOnly' | 'writeOnly'; formats: 'full' | 'fast' }> = {
  // A client does not send readOnly properties, and a server does not return writeOnly ones: each
  // side's copy of the document does not require them (OpenAPI's readOnly/writeOnly semantics).
  body: { options: { coerceTypes: false, useDefaults: true }, hidden: 'readOnly', formats: 'full' },
  // Path, query and header values arrive as strings: coerce them to the declared types.
  params: { options: { coerceTypes: 'array', useDefaults: true }, formats: 'full' },
  // Responses are checked on every answer (the self-check) and mostly hold what standin wrote itself
  // (dates from the world's clock): ajv-formats' fast formats check their structure with one regex
  // each, where the full ones also check the calendar (no 30 February) at ~4 µs per date-time.
  // A client's values arrive through body and params, which keep the full formats.
  response: { options: { coerceTypes: false }, hidden: 'writeOnly', formats: 'fast' },
}
/** OpenAPI keywords that are not JSON Schema vocabulary. */
const KEYWORDS = ['example', 'xml', 'externalDocs', 'discriminator', 'x-standin', 'x-faker', 'faker']

export class SchemaRegistry {
  readonly document: any
  private readonly validators: Validators<Purpose>

  /**
   * @param named.formats every `format` the document names (src/spec/normalize.ts): those Ajv has
   *   no check for pass (OpenAPI lets a provider name its own, `phone-number`), without Ajv's
   *   "unknown format ignored" on the console for each
   */
  constructor(document: any, version: '3.0' | '3.1', named: { formats?: string[] } = {}) {
    this.document = document
    const make = (source: boolean): Record<Purpose, Ajv> => {
      const { Ajv } = require('ajv') as typeof import('ajv')
      const { Ajv2020 } = require('ajv/dist/2020') as typeof import('ajv/dist/2020.js')
      const addFormats = require('ajv-formats').default as (ajv: Ajv, options: { mode: 'full' | 'fast' }) => Ajv
      const one = ({ options, hidden, formats }: (typeof PURPOSES)[Purpose]): Ajv => {
        const all: Options = { ...BASE, ...options, ...(source ? { code: { source: true } } : {}) }
        const ajv = version === '3.1' ? new Ajv2020(all) : new Ajv(all)
        addFormats(ajv, { mode: formats })
        for (const name of named.formats ?? []) if (!ajv.formats[name]) ajv.addFormat(name, true)
        for (const keyword of KEYWORDS) if (!ajv.getKeyword(keyword)) ajv.addKeyword({ keyword })
        if (version === '3.0' && !ajv.getKeyword('nullable')) ajv.addKeyword({ keyword: 'nullable' })
        ajv.addSchema(prepare(document, hidden), DOC_ID)
        return ajv
      }
      return { body: one(PURPOSES.body), params: one(PURPOSES.params), response: one(PURPOSES.response) }
    }
    this.validators = new Validators('validators', diskCacheOn() ? cacheContext(document, version, make) : undefined, make)
  }

  /** Keeps the validators' code in the disk cache (when it is on), once the spec has compiled. */
  persist(): void {
    this.validators.persist()
  }

  private readonly compiled = new Map<string, ValidateFunction>()

  /**
   * A validator for the schema at a pointer of the document (`#/components/schemas/Session`).
   * Validators are shared: most responses of a spec are a `$ref` to one error schema.
   */
  compileAt(purpose: Purpose, pointer: string): ValidateFunction {
    const target = this.refTarget(pointer)
    const key = `${purpose} ${target}`
    let validate = this.compiled.get(key)
    if (!validate) {
      validate = this.validators.compile(purpose, `#${target}`, { $ref: `${DOC_ID}#${encodePointerForUri(target)}` })
      this.compiled.set(key, validate)
    }
    return validate
  }

  /** Where a schema that is nothing but a local `$ref` leads: it validates exactly as its target does. */
  private refTarget(pointer: string): string {
    let node: any = get(this.document, pointer)
    for (let hops = 0; hops < 32 && isPlainObject(node) && typeof node.$ref === 'string' && node.$ref.startsWith('#') && Object.keys(node).length === 1; hops++) {
      pointer = refToPointer(node.$ref)
      node = get(this.document, pointer)
    }
    return pointer
  }

  /** A validator for a schema built at start-up that refers into the document. */
  compileSchema(purpose: Purpose, schema: object): ValidateFunction {
    return this.validators.compile(purpose, JSON.stringify(schema), schema)
  }

  /** A `$ref` usable inside a schema given to compileSchema. */
  ref(pointer: string): { $ref: string } {
    return { $ref: `${DOC_ID}#${encodePointerForUri(pointer)}` }
  }

  /** Where each `$ref` leads; render resolves the same few refs on every request. */
  private readonly resolved = new Map<string, Readonly<{ schema: any; pointer: string }>>()

  /** Follows `$ref`s until a schema object, returning it with the pointer it lives at. */
  resolve(schema: unknown, at = ''): Readonly<{ schema: any; pointer: string }> {
    if (!isPlainObject(schema) || typeof schema.$ref !== 'string') return { schema, pointer: at }
    const ref = schema.$ref
    let found = this.resolved.get(ref)
    if (!found) {
      let current: any = schema
      let pointer = at
      for (let hops = 0; isPlainObject(current) && typeof current.$ref === 'string' && hops < 32; hops++) {
        pointer = refToPointer(current.$ref)
        current = get(this.document, pointer)
      }
      this.resolved.set(ref, (found = { schema: current, pointer }))
    }
    return found
  }

  /** A copy of a schema with every local `$ref` inlined (recursion cut at `depth`), for data generators. */
  dereference(schema: unknown, depth = 6): any {
    const walk = (node: any, seen: string[]): any => {
      if (Array.isArray(node)) return node.map((n) => walk(n, seen))
      if (!isPlainObject(node)) return node
      if (typeof node.$ref === 'string') {
        const pointer = refToPointer(node.$ref)
        if (seen.filter((s) => s === pointer).length >= 1 || seen.length > depth) return {}
        const { $ref: _ref, ...siblings } = node
        return { ...walk(get(this.document, pointer), [...seen, pointer]), ...walk(siblings, seen) }
      }
      const out: Record<string, unknown> = {}
      for (const [k, v] of Object.entries(node)) out[k] = walk(v, seen)
      return out
    }
    return walk(schema, [])
  }
}

/**
 * Everything the validators' code depends on besides the schemas compiled, as the disk cache's key:
 * Ajv's version, how the instances are set up (the source of `make`, the options), and each one's
 * copy of the document. A document JSON would change (a non-finite number) is not cached.
 */
function cacheContext(document: any, version: string, make: (source: boolean) => unknown): string | undefined {
  const documents = Object.values(PURPOSES).map(({ hidden }) => prepare(document, hidden))
  if (!jsonSafe(documents)) return undefined
  return [ajvVersions(), String(make), JSON.stringify({ version, BASE, PURPOSES, KEYWORDS, DOC_ID }), JSON.stringify(documents)].join('\n')
}

/** `#/components/schemas/Session` -> `/components/schemas/Session` (URI-decoded). */
export function refToPointer(ref: string): string {
  const hash = ref.indexOf('#')
  return decodeURIComponent(hash === -1 ? '' : ref.slice(hash + 1))
}

function encodePointerForUri(pointer: string): string {
  return pointer.split('/').map((t) => encodeURIComponent(t).replace(/%7E/gi, '~')).join('/')
}

/** `$id`s inside an OpenAPI document would re-base refs; the document is one resource here. */
/** The document as one Ajv instance sees it: no `$id`/`$schema` (it is one resource), and, for one
 * side of the exchange, properties marked `hidden` (readOnly or writeOnly) no longer required. */
function prepare(doc: any, hidden?: 'readOnly' | 'writeOnly'): any {
  const isHidden = (prop: unknown): boolean => {
    let schema: any = prop
    for (let hops = 0; isPlainObject(schema) && typeof schema.$ref === 'string' && schema[hidden!] === undefined && hops < 8; hops++) {
      schema = get(doc, refToPointer(schema.$ref))
    }
    return isPlainObject(schema) && schema[hidden!] === true
  }
  const walk = (node: any): any => {
    if (Array.isArray(node)) return node.map(walk)
    if (!isPlainObject(node)) return node
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(node)) if (k !== '$id' && k !== '$schema') out[k] = walk(v)
    if (hidden && Array.isArray(node.required) && isPlainObject(node.properties)) {
      out.required = node.required.filter((name: unknown) => !isHidden((node.properties as Record<string, unknown>)[String(name)]))
    }
    return out
  }
  return walk(doc)
}

/** Where in the request or response a validation error is, as a JSON pointer and a field name. */
export function describeAjvError(error: ErrorObject): { pointer: string; field: string; detail: string; missing: boolean } {
  let pointer = error.instancePath
  let missing = false
  if (error.keyword === 'required') {
    pointer += '/' + String((error.params as { missingProperty: string }).missingProperty)
    missing = true
  } else if (error.keyword === 'additionalProperties') {
    pointer += '/' + String((error.params as { additionalProperty: string }).additionalProperty)
  }
  const tokens = pointer.split('/').filter(Boolean).map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'))
  const field = tokens.filter((t) => !/^\d+$/.test(t)).join('.') || tokens.join('.')
  const detail = error.keyword === 'required' ? `${field} is required` : `${field || 'value'} ${error.message ?? 'is invalid'}`
  return { pointer, field, detail, missing }
}
