/**
 * Validators made at start-up: compiled by Ajv, or — when the disk cache is on and an earlier start
 * compiled the same schemas with the same document, options and Ajv — made from the code Ajv
 * generated for them then (its "standalone" code), without loading Ajv (~35 ms) or compiling
 * (~100 ms for a small spec). Either way every validator exists before the first request, and the
 * code that validates is Ajv's own, with the same errors.
 */
import { createRequire } from 'node:module'
import type { Ajv, ValidateFunction } from 'ajv'
import { readCached, writeCached } from '../util/disk-cache.ts'

const require = createRequire(import.meta.url)

interface Kept<P extends string> {
  /** Per purpose, the export name of each validator's function, by its key. */
  names: Record<P, Record<string, string>>
  /** Per purpose, a CommonJS module body exporting those functions. */
  code: Record<P, string>
}

/**
 * One set of validators, each named by a key (what it validates, as the caller describes it), made
 * by one Ajv instance per purpose.
 */
export class Validators<P extends string> {
  private readonly kept: Kept<P> | undefined
  private readonly loaded = new Map<P, Record<string, ValidateFunction>>()
  private ajvs: Record<P, Ajv> | undefined
  /** Every validator asked for, for the entry this start writes. */
  private readonly used = new Map<P, Map<string, object>>()
  private missed = false
  /** The id each schema is registered under for standaloneCode, which finds validators by id. */
  private readonly ids = new WeakMap<object, string>()
  private registered = 0

  private readonly kind: string
  private readonly context: string | undefined
  private readonly make: (source: boolean) => Record<P, Ajv>

  /**
   * @param kind names the cache entries
   * @param context everything Ajv's code depends on besides the schemas compiled — the document,
   *   the options, Ajv's version — or undefined to use no cache
   * @param make the Ajv instances, made when a validator is not in the cache (with `code.source`
   *   when `source` is true, which the cache needs)
   */
  constructor(kind: string, context: string | undefined, make: (source: boolean) => Record<P, Ajv>) {
    this.kind = kind
    this.context = context
    this.make = make
    const cached = this.context === undefined ? undefined : readCached(kind, this.context)
    this.kept = cached?.value as Kept<P> | undefined
    // Made now when they will be needed, so that a document Ajv refuses fails here, as it always did.
    if (!this.kept) this.ajvs = make(this.context !== undefined)
  }

  compile(purpose: P, key: string, schema: object): ValidateFunction {
    if (this.context !== undefined) {
      let used = this.used.get(purpose)
      if (!used) this.used.set(purpose, (used = new Map()))
      used.set(key, schema)
      const name = this.kept?.names[purpose]?.[key]
      if (name !== undefined) return this.instantiate(purpose)[name]!
      this.missed = true
    }
    return this.ajv(purpose).compile(schema)
  }

  /** Keeps the code of every validator made so far, unless it all came from the cache. Best effort. */
  persist(): void {
    if (this.context === undefined || !this.missed) return
    this.missed = false
    try {
      const standaloneCode = (require('ajv/dist/standalone') as typeof import('ajv/dist/standalone/index.js')).default
      const kept = { names: {}, code: {} } as Kept<P>
      for (const [purpose, used] of this.used) {
        const ajv = this.ajv(purpose)
        const names: Record<string, string> = {}
        const refs: Record<string, string> = {}
        for (const [key, schema] of used) {
          // Compiled already (Ajv keeps a validator by its schema object), unless it came from the cache.
          ajv.compile(schema)
          let id = this.ids.get(schema)
          if (!id) {
            id = `standin_${this.registered++}`
            ajv.addSchema(schema, id)
            this.ids.set(schema, id)
          }
          names[key] = id
          refs[id] = id
        }
        kept.names[purpose] = names
        kept.code[purpose] = standaloneCode(ajv, refs)
      }
      writeCached(this.kind, this.context, kept)
    } catch {
      // No entry: the next start compiles again.
    }
  }

  private ajv(purpose: P): Ajv {
    return (this.ajvs ??= this.make(this.context !== undefined))[purpose]
  }

  private instantiate(purpose: P): Record<string, ValidateFunction> {
    let exports = this.loaded.get(purpose)
    if (!exports) {
      exports = {}
      // The module Ajv generated: it requires only Ajv's runtime helpers and ajv-formats' formats.
      new Function('require', 'exports', this.kept!.code[purpose])(require, exports)
      this.loaded.set(purpose, exports)
    }
    return exports
  }
}

/** The versions of Ajv and ajv-formats, for a cache context. */
export function ajvVersions(): string {
  const version = (name: string) => (require(`${name}/package.json`) as { version: string }).version
  return `ajv ${version('ajv')}, ajv-formats ${version('ajv-formats')}`
}
