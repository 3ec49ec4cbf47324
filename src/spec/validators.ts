/**
 * Validators compiled by Ajv, or — when the disk cache is on and an earlier run compiled the same
 * schema with the same options and Ajv — made from the code Ajv generated for it then (its
 * "standalone" code), without loading Ajv (~35 ms) or compiling. Each validator is an entry of its
 * own, keyed by what its code depends on (the schema and everything it refers to), so a run reads
 * the entries of the validators it uses, whatever the size of the document. Either way the code that
 * validates is Ajv's own, with the same errors.
 */
import { createRequire } from 'node:module'
import type { Ajv, ValidateFunction } from 'ajv'
import { readCached, writeCached } from '../util/disk-cache.ts'

const require = createRequire(import.meta.url)

/**
 * One set of validators made by one Ajv instance per purpose; each is asked for with a key that says
 * what its code depends on besides the set's context.
 */
export class Validators<P extends string> {
  private ajvs: Record<P, Ajv> | undefined
  /** Compiled by Ajv since the last persist, for the entries it writes. */
  private pending: Array<{ purpose: P; key: string; validate: ValidateFunction }> = []

  private readonly kind: string
  private readonly context: string | undefined
  private readonly make: (source: boolean) => Record<P, Ajv>

  /**
   * @param kind names the cache entries
   * @param context everything Ajv's code depends on besides the schemas compiled — the options,
   *   Ajv's version, how the instances are set up — or undefined to use no cache
   * @param make the Ajv instances, made when a validator is first not in the cache (with
   *   `code.source` when `source` is true, which the cache needs)
   */
  constructor(kind: string, context: string | undefined, make: (source: boolean) => Record<P, Ajv>) {
    this.kind = kind
    this.context = context
    this.make = make
  }

  /**
   * A validator of `schema`. `key` is everything its code depends on besides the context: the schema
   * itself and every schema it refers to, as text. `schema` may be a function making it, called only
   * when Ajv compiles.
   */
  compile(purpose: P, key: string, schema: object | (() => object)): ValidateFunction {
    const made = () => (typeof schema === 'function' ? (schema as () => object)() : schema)
    if (this.context !== undefined) {
      const entryKey = this.entryKey(purpose, key)
      const cached = readCached(this.kind, entryKey)
      const fromCache = cached && instantiate(cached.value)
      if (fromCache) return fromCache
      const validate = this.ajv(purpose).compile(made())
      this.pending.push({ purpose, key: entryKey, validate })
      return validate
    }
    return this.ajv(purpose).compile(made())
  }

  /** Whether the disk cache is used: callers skip building keys when not. */
  get cached(): boolean {
    return this.context !== undefined
  }

  /** Whether validators were compiled since the last persist. */
  get unsaved(): boolean {
    return this.pending.length > 0
  }

  /** Keeps the code of the validators Ajv compiled and did not keep yet (at most `count` of them). Best effort. */
  persist(count = Infinity): void {
    if (this.context === undefined || this.pending.length === 0) return
    const pending = this.pending.slice(0, count)
    this.pending = this.pending.slice(pending.length)
    let standaloneCode: typeof import('ajv/dist/standalone/index.js').default
    try {
      standaloneCode = (require('ajv/dist/standalone') as typeof import('ajv/dist/standalone/index.js')).default
    } catch {
      return
    }
    for (const { purpose, key, validate } of pending) {
      try {
        writeCached(this.kind, key, standaloneCode(this.ajv(purpose), validate))
      } catch {
        // No entry: the next run compiles it again.
      }
    }
  }

  /** Gives the Ajv of `purpose` a schema under a name, for the schemas it compiles to refer to. */
  give(purpose: P, name: string, schema: object): void {
    this.ajv(purpose).addSchema(schema, name)
  }

  private entryKey(purpose: P, key: string): string {
    return `${this.context}\n${purpose}\n${key}`
  }

  private ajv(purpose: P): Ajv {
    return (this.ajvs ??= this.make(this.context !== undefined))[purpose]
  }
}

/** The validator a module Ajv generated exports; undefined when the entry is not one. */
function instantiate(code: unknown): ValidateFunction | undefined {
  if (typeof code !== 'string') return undefined
  try {
    const module = { exports: {} as unknown }
    // The module requires only Ajv's runtime helpers and ajv-formats' formats.
    new Function('require', 'module', 'exports', code)(require, module, module.exports)
    return typeof module.exports === 'function' ? (module.exports as ValidateFunction) : undefined
  } catch {
    return undefined
  }
}

/** The versions of Ajv and ajv-formats, for a cache context. */
export function ajvVersions(): string {
  const version = (name: string) => (require(`${name}/package.json`) as { version: string }).version
  return `ajv ${version('ajv')}, ajv-formats ${version('ajv-formats')}`
}
