/**
 * JSON Schema from the spec: one Ajv instance per purpose, the whole document registered once, and
 * validators compiled by JSON pointer at start-up. OpenAPI 3.1 schemas are JSON Schema 2020-12
 * (Ajv2020); 3.0 schemas are a draft-04/07 dialect with `nullable` (Ajv's default draft handles it).
 */
import { Ajv, type ValidateFunction, type ErrorObject, type Options } from 'ajv'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import { get } from '../util/pointer.ts'
import { isPlainObject } from '../util/match.ts'

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv

export type { ErrorObject, ValidateFunction }

const DOC_ID = 'standin:spec'

export class SchemaRegistry {
  readonly document: any
  private readonly body: Ajv
  private readonly params: Ajv
  private readonly response: Ajv

  constructor(document: any, version: '3.0' | '3.1') {
    this.document = document
    const make = (options: Options, hidden?: 'readOnly' | 'writeOnly'): Ajv => {
      const base: Options = { strict: false, allErrors: true, validateFormats: true, discriminator: false, ...options }
      const ajv = version === '3.1' ? new Ajv2020(base) : new Ajv(base)
      addFormats(ajv)
      // OpenAPI keywords that are not JSON Schema vocabulary.
      for (const keyword of ['example', 'xml', 'externalDocs', 'discriminator', 'x-standin', 'x-faker', 'faker']) {
        if (!ajv.getKeyword(keyword)) ajv.addKeyword({ keyword })
      }
      if (version === '3.0' && !ajv.getKeyword('nullable')) ajv.addKeyword({ keyword: 'nullable' })
      ajv.addSchema(prepare(document, hidden), DOC_ID)
      return ajv
    }
    // A client does not send readOnly properties, and a server does not return writeOnly ones: each
    // side's copy of the document does not require them (OpenAPI's readOnly/writeOnly semantics).
    this.body = make({ coerceTypes: false, useDefaults: true }, 'readOnly')
    // Path, query and header values arrive as strings: coerce them to the declared types.
    this.params = make({ coerceTypes: 'array', useDefaults: true })
    this.response = make({ coerceTypes: false }, 'writeOnly')
  }

  /** A validator for the schema at a pointer of the document (`#/components/schemas/Session`). */
  compileAt(purpose: 'body' | 'params' | 'response', pointer: string): ValidateFunction {
    return this.ajvFor(purpose).compile({ $ref: `${DOC_ID}#${encodePointerForUri(pointer)}` })
  }

  /** A validator for a schema built at start-up that refers into the document. */
  compileSchema(purpose: 'body' | 'params' | 'response', schema: object): ValidateFunction {
    return this.ajvFor(purpose).compile(schema)
  }

  /** A `$ref` usable inside a schema given to compileSchema. */
  ref(pointer: string): { $ref: string } {
    return { $ref: `${DOC_ID}#${encodePointerForUri(pointer)}` }
  }

  private ajvFor(purpose: 'body' | 'params' | 'response'): Ajv {
    return purpose === 'body' ? this.body : purpose === 'params' ? this.params : this.response
  }

  /** Follows `$ref`s until a schema object, returning it with the pointer it lives at. */
  resolve(schema: unknown, at = ''): { schema: any; pointer: string } {
    let current: any = schema
    let pointer = at
    for (let hops = 0; isPlainObject(current) && typeof current.$ref === 'string' && hops < 32; hops++) {
      pointer = refToPointer(current.$ref)
      current = get(this.document, pointer)
    }
    return { schema: current, pointer }
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
