/**
 * JSON Schema from the spec: one Ajv instance per purpose, each given the document's own schemas (no
 * copies), and validators compiled by JSON pointer the first time they are used — a run of a spec
 * of 1,200 operations compiles what its requests reach, not the whole document (`check` asks for
 * every validator up front: `eager`). OpenAPI 3.1 schemas are JSON Schema 2020-12 (Ajv2020); 3.0
 * schemas are a draft-04/07 dialect with `nullable` (Ajv's default draft handles it).
 */
import { createRequire } from 'node:module'
import type { Ajv, ValidateFunction, ErrorObject, Options, KeywordCxt } from 'ajv'
import { get, unescapeToken } from '../util/pointer.ts'
import { isPlainObject } from '../util/match.ts'
import { diskCacheOn } from '../util/disk-cache.ts'
import { Validators, ajvVersions } from './validators.ts'
import { SubschemaIds, shareRepeats, type SharedSubschemas } from './shared-subschemas.ts'

export type { ErrorObject, ValidateFunction }

const require = createRequire(import.meta.url)
const DOC_ID = 'standin:spec'

type Purpose = 'body' | 'params' | 'response'

// validateSchema: checking the document against the meta-schema reaches no schema inside it (only
// top-level keywords), yet compiling the meta-schema cost each instance ~30 ms at start-up. A bad
// schema still fails when its validator is compiled, with the same message.
// inlineRefs: a schema a `$ref` leads to is compiled once, as a function of its own, rather than
// copied into every place that refers to it: GitHub's issue refers to its simple-user six times,
// and compiles in a quarter of the time (~100 ms instead of ~400), with as much less code to keep.
// code.optimize: Ajv's pass over the code it generated (dropping unused names) took half of the
// time a large schema compiles in, for no measurable gain in validating (a repository, 5,000 times).
const BASE: Options = { strict: false, allErrors: true, validateFormats: true, discriminator: false, validateSchema: false, inlineRefs: false, code: { optimize: false } }
const PURPOSES: Record<Purpose, { options: Options; hidden?: 'readOnly' | 'writeOnly'; formats: 'full' | 'fast' }> = {
  // A client does not send readOnly properties, and a server does not return writeOnly ones: each
  // side's validators do not require them (OpenAPI's readOnly/writeOnly semantics).
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

export interface RegistryOptions {
  /**
   * Every `format` the document names (src/spec/normalize.ts): those Ajv has no check for pass
   * (OpenAPI lets a provider name its own, `phone-number`), without Ajv's "unknown format ignored"
   * on the console for each.
   */
  formats?: string[]
  /**
   * Compile each validator when it is asked for, and throw when it does not compile (`check`, which
   * reports every schema problem). Otherwise a validator compiles the first time it validates, and
   * one that does not compile is off: it accepts everything, and `onWarning` is told once.
   */
  eager?: boolean
  /** A validator left off at its first use: the schema's pointer and why. */
  onWarning?: (pointer: string, message: string) => void
}

export class SchemaRegistry {
  readonly document: any
  private readonly validators: Validators<Purpose>
  private readonly options: RegistryOptions
  private readonly warned = new Set<string>()
  private persistSoon: ReturnType<typeof setTimeout> | undefined

  constructor(document: any, version: '3.0' | '3.1', options: RegistryOptions = {}) {
    this.document = document
    this.options = options
    const formats = options.formats ?? []
    const make = (source: boolean): Record<Purpose, Ajv> => {
      // Only the dialect the document is written in is loaded.
      const Dialect = version === '3.1' ? (require('ajv/dist/2020') as typeof import('ajv/dist/2020.js')).Ajv2020 : (require('ajv') as typeof import('ajv')).Ajv
      const addFormats = require('ajv-formats').default as (ajv: Ajv, options: { mode: 'full' | 'fast' }) => Ajv
      const one = ({ options, hidden, formats: mode }: (typeof PURPOSES)[Purpose]): Ajv => {
        const all: Options = { ...BASE, ...options, code: { ...BASE.code, ...(source ? { source: true } : {}) } }
        const ajv = new Dialect(all)
        addFormats(ajv, { mode })
        for (const name of formats) if (!ajv.formats[name]) ajv.addFormat(name, true)
        for (const keyword of KEYWORDS) if (!ajv.getKeyword(keyword)) ajv.addKeyword({ keyword })
        if (version === '3.0' && !ajv.getKeyword('nullable')) ajv.addKeyword({ keyword: 'nullable' })
        if (hidden) hideRequired(ajv, (schema) => isHidden(document, schema, hidden))
        // Not the document: Ajv walks every key of a schema it is given (~300 ms for a 13 MB one)
        // looking for `$id`s. What it is given grows with the schemas compiled (see graft).
        ajv.addSchema(this.view, DOC_ID)
        return ajv
      }
      return { body: one(PURPOSES.body), params: one(PURPOSES.params), response: one(PURPOSES.response) }
    }
    // Everything the code of every validator depends on, besides its schemas (each entry's own key).
    const context = diskCacheOn()
      ? [ajvVersions(), String(make), String(hideRequired), String(isHidden), String(shareRepeats), String(SubschemaIds), JSON.stringify({ version, BASE, PURPOSES, KEYWORDS, DOC_ID, formats })].join('\n')
      : undefined
    this.validators = new Validators('validators', context, make)
  }

  /**
   * Keeps what first uses compiled, off the requests' own time: shortly after the last of a burst of
   * first uses (a client's first requests to one operation after another do not wait behind it), one
   * validator at a time (a few ms each), so that a request arriving meanwhile waits for one at most.
   */
  private keepSoon(delay = 200): void {
    if (this.persistSoon !== undefined) clearTimeout(this.persistSoon)
    this.persistSoon = setTimeout(() => {
      this.persistSoon = undefined
      this.validators.persist(1)
      if (this.validators.unsaved) this.keepSoon(20)
    }, delay)
    ;(this.persistSoon as { unref?: () => void }).unref?.()
  }

  /** Keeps the code of validators compiled so far in the disk cache (when it is on). */
  persist(): void {
    if (this.persistSoon !== undefined) clearTimeout(this.persistSoon)
    this.persistSoon = undefined
    this.validators.persist()
  }

  /**
   * What Ajv knows as the document: the schemas compiled so far reach, each the document's own object
   * (not a copy) at its pointer, under small objects standing for the document's own on the way to it
   * (`{components: {schemas: {Session: <the schema>}}}`). Ajv resolves a `$ref` by walking its pointer
   * from here when it compiles, so it finds every schema a validator reaches.
   */
  private readonly view: Record<string, unknown> = {}
  private readonly standIns = new WeakSet<object>([this.view])

  private graft(pointer: string): void {
    if (pointer === '') {
      // The whole document (a `$ref: '#'`): everything under its root.
      Object.assign(this.view, this.document)
      return
    }
    const tokens = pointer.slice(1).split('/').map(unescapeToken)
    let here: any = this.view
    let there: any = this.document
    for (const [i, token] of tokens.entries()) {
      // A document object (not a stand-in) holds everything under it already.
      if (!this.standIns.has(here)) return
      there = typeof there === 'object' && there !== null ? (there as any)[token] : undefined
      // The last may be a boolean schema; on the way, only objects lead anywhere.
      if (i === tokens.length - 1) {
        if (there !== undefined) here[token] = there
      } else if (there === null || typeof there !== 'object') {
        return
      } else {
        if (!Object.hasOwn(here, token)) {
          const standIn = Array.isArray(there) ? [] : {}
          this.standIns.add(standIn)
          here[token] = standIn
        }
        here = here[token]
      }
    }
  }

  private readonly compiled = new Map<string, ValidateFunction>()

  /**
   * A validator for the schema at a pointer of the document (`#/components/schemas/Session`).
   * Validators are shared: most responses of a spec are a `$ref` to one error schema.
   */
  compileAt(purpose: Purpose, pointer: string): ValidateFunction {
    const key = `${purpose} ${pointer}`
    let validate = this.compiled.get(key)
    if (!validate) {
      // Lazily, even where the pointer leads is left for the first use: a start reads no schema.
      validate = this.options.eager ? this.madeAt(purpose, pointer, true)! : this.lazy(() => this.madeAt(purpose, pointer, false))
      this.compiled.set(key, validate)
    }
    return validate
  }

  /** Validators by the schema they check (a `$ref`'s target): made once, whichever pointer leads there. */
  private readonly made = new Map<string, ValidateFunction | null>()

  private madeAt(purpose: Purpose, pointer: string, eager: boolean): ValidateFunction | null {
    const target = this.refTarget(pointer)
    const key = `${purpose} #${target}`
    let made = this.made.get(key)
    if (made === undefined) {
      const schema = { $ref: `${DOC_ID}#${encodePointerForUri(target)}` }
      made = eager ? this.compileNow(purpose, schema, target) : this.firstUse(purpose, target, schema, target)
      this.made.set(key, made)
    }
    return made
  }

  /**
   * A validator for a schema built at start-up that refers into the document; `at` is the pointer a
   * warning about it names.
   */
  compileSchema(purpose: Purpose, schema: object, at = ''): ValidateFunction {
    const key = `${purpose} ${JSON.stringify(schema)}`
    let validate = this.compiled.get(key)
    if (!validate) {
      validate = this.options.eager ? this.compileNow(purpose, schema) : this.lazy(() => this.firstUse(purpose, at, schema))
      this.compiled.set(key, validate)
    }
    return validate
  }

  /** A validator that is `make`'s, made at its first call; null from `make`: off, it accepts everything. */
  private lazy(make: () => ValidateFunction | null): ValidateFunction {
    let compiled: ValidateFunction | null | undefined
    const validate = function (this: unknown, data: unknown, cxt?: unknown): boolean {
      if (compiled === undefined) compiled = make()
      if (compiled === null) return true
      const valid = compiled.call(this, data, cxt as never)
      validate.errors = compiled.errors
      return valid
    } as ValidateFunction
    validate.errors = null
    unwrap.set(validate, () => (compiled === undefined ? (compiled = make()) : compiled) ?? undefined)
    return validate
  }

  private firstUse(purpose: Purpose, at: string, schema: object, target?: string): ValidateFunction | null {
    try {
      const validate = this.compileNow(purpose, schema, target)
      if (this.validators.unsaved) this.keepSoon()
      return validate
    } catch (error) {
      if (!this.warned.has(at)) {
        this.warned.add(at)
        this.options.onWarning?.(at, `schema does not compile (${(error as Error).message}): it is not checked`)
      }
      return null
    }
  }

  /** `target`: the pointer `schema` (a `$ref`) leads to, whose repeated sub-schemas Ajv is given once each. */
  private compileNow(purpose: Purpose, schema: object, target?: string): ValidateFunction {
    const reached = reachable(this.document, schema)
    for (const pointer of reached) this.graft(pointer)
    // The key of its disk cache entry: the schema and every schema it reaches, as text.
    const key = this.validators.cached ? [JSON.stringify(schema), ...[...reached].sort().map((p) => `${p}\u0000${JSON.stringify(get(this.document, p)) ?? ''}`)].join('\n') : ''
    // Only when Ajv compiles (not for a validator from the disk cache): see ./shared-subschemas.ts.
    const toCompile = target === undefined ? schema : () => shareRepeats(get(this.document, target), DOC_ID, this.sharedFor(purpose)) ?? schema
    return this.validators.compile(purpose, key, toCompile)
  }

  /** Sub-schemas met in the validators compiled so far, by text; and per purpose, those given to its Ajv. */
  private readonly subschemaIds = new SubschemaIds()
  private readonly shared = new Map<Purpose, SharedSubschemas>()

  private sharedFor(purpose: Purpose): SharedSubschemas {
    let shared = this.shared.get(purpose)
    if (!shared) {
      shared = { ids: this.subschemaIds, given: new Set(), give: (name, schema) => this.validators.give(purpose, name, schema) }
      this.shared.set(purpose, shared)
    }
    return shared
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
    // Every object it returns is its own (a caller may change it); recursion stops where a $ref leads
    // back into one being inlined, or `depth` refs deep.
    const walk = (node: any, seen: string[]): any => {
      if (Array.isArray(node)) {
        const out = new Array(node.length)
        for (let i = 0; i < node.length; i++) out[i] = walk(node[i], seen)
        return out
      }
      if (!isPlainObject(node)) return node
      let out: Record<string, unknown>
      if (typeof node.$ref === 'string') {
        const pointer = refToPointer(node.$ref)
        if (seen.includes(pointer) || seen.length > depth) return {}
        const target = walk(get(this.document, pointer), [...seen, pointer])
        // Its siblings over what it leads to.
        out = isPlainObject(target) ? target : { ...target }
        for (const key in node) if (key !== '$ref') put(out, key, walk(node[key], seen))
      } else {
        out = {}
        for (const key in node) put(out, key, walk(node[key], seen))
      }
      return out
    }
    return walk(schema, [])
  }

}

/** `#/components/schemas/Session` -> `/components/schemas/Session` (URI-decoded). */
export function refToPointer(ref: string): string {
  const hash = ref.indexOf('#')
  const fragment = hash === -1 ? '' : ref.slice(hash + 1)
  // A "%" that starts no escape (a property named `win_%`, a pointer made into a ref unencoded) is itself.
  try {
    return decodeURIComponent(fragment)
  } catch {
    return decodeURIComponent(fragment.replace(/%(?![0-9A-Fa-f]{2})/g, '%25'))
  }
}

function encodePointerForUri(pointer: string): string {
  return pointer.split('/').map((t) => encodeURIComponent(t).replace(/%7E/gi, '~')).join('/')
}

/**
 * The pointers of every schema `schema` reaches through `$ref`s, transitively. `$id` and `$schema`
 * met on the way are removed from the document (it is one resource here: an `$id` would re-base the
 * refs under it) — in schemas only, not in examples, defaults, enums or constants.
 */
function reachable(document: unknown, schema: unknown): Set<string> {
  const reached = new Set<string>()
  const queue: unknown[] = [schema]
  const visit = (node: unknown, data: boolean, names: boolean): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item, data, false)
      return
    }
    if (!isPlainObject(node)) return
    if (!data && !names) {
      if (typeof node.$id === 'string') delete node.$id
      if (typeof node.$schema === 'string') delete node.$schema
    }
    if (typeof node.$ref === 'string' && !data) {
      const hash = node.$ref.indexOf('#')
      const base = hash === -1 ? node.$ref : node.$ref.slice(0, hash)
      if (base === '' || base === DOC_ID) {
        const pointer = refToPointer(node.$ref)
        if (!reached.has(pointer)) {
          reached.add(pointer)
          queue.push(get(document, pointer))
        }
      }
    }
    for (const [key, value] of Object.entries(node)) {
      // Under `properties` (and the like) keys are names, each value a schema.
      const valueIsData = data || (!names && DATA_KEYWORDS.has(key))
      visit(value, valueIsData, !valueIsData && !names && NAMED_SCHEMAS.has(key))
    }
  }
  for (let i = 0; i < queue.length; i++) visit(queue[i], false, false)
  return reached
}

const DATA_KEYWORDS = new Set(['example', 'examples', 'default', 'enum', 'const'])
const NAMED_SCHEMAS = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas', 'dependencies'])

/**
 * Ajv's `required`, leaving out the properties `isHidden` says one side does not send: readOnly ones
 * in a request body, writeOnly ones in a response. The schemas are not rewritten: the keyword's code
 * is generated from the filtered list.
 */
function hideRequired(ajv: Ajv, isHidden: (property: unknown) => boolean): void {
  const rule = (ajv as unknown as { RULES: { all: Record<string, { definition: { code: (cxt: KeywordCxt) => void } }> } }).RULES.all.required
  if (!rule) return
  const code = rule.definition.code
  const { checkReportMissingProp } = require('ajv/dist/vocabularies/code') as typeof import('ajv/dist/vocabularies/code.js')
  rule.definition.code = (cxt: KeywordCxt) => {
    const properties: unknown = cxt.parentSchema.properties
    const names: unknown[] = Array.isArray(cxt.schema) ? cxt.schema : []
    const shown = names.filter((name) => !(isPlainObject(properties) && isHidden(properties[String(name)])))
    // allErrors is always on here: every missing property is reported, as Ajv's own code does.
    if (shown.length === names.length || cxt.$data || !cxt.it.allErrors) return code(cxt)
    for (const name of shown) checkReportMissingProp(cxt, String(name))
  }
}

/** Whether a property schema (through its `$ref`s) is marked readOnly (or writeOnly). */
function isHidden(document: unknown, property: unknown, hidden: 'readOnly' | 'writeOnly'): boolean {
  let schema: any = property
  for (let hops = 0; isPlainObject(schema) && typeof schema.$ref === 'string' && schema[hidden] === undefined && hops < 8; hops++) {
    schema = get(document, refToPointer(schema.$ref))
  }
  return isPlainObject(schema) && schema[hidden] === true
}

/** `out[key] = value`, as an own property even for `__proto__` (a property a schema may well name). */
function put(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
  else out[key] = value
}

const unwrap = new WeakMap<object, () => ValidateFunction | undefined>()

/**
 * The validator Ajv (or the disk cache) made that a validator of the registry delegates to, compiled
 * now if it was not yet; undefined when it does not compile.
 */
export function compiledOf(validate: ValidateFunction): ValidateFunction | undefined {
  const compiled = unwrap.get(validate)
  return compiled ? compiled() : validate
}

let dataAjv: Ajv | undefined

/**
 * The Ajv that compiles schemas a world's data holds (a webhook schema a user configured, JSON Schema
 * 2020-12 with the full formats), apart from the document's: such a schema's `$id` cannot clash with
 * the spec's, and one that is not a valid schema throws when compiled rather than accepting all.
 */
export function dataSchemaAjv(): Ajv {
  if (dataAjv) return dataAjv
  const { Ajv2020 } = require('ajv/dist/2020') as typeof import('ajv/dist/2020.js')
  const addFormats = require('ajv-formats').default as (ajv: Ajv, options: { mode: 'full' | 'fast' }) => Ajv
  dataAjv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true, code: { optimize: false } })
  addFormats(dataAjv, { mode: 'full' })
  return dataAjv
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
