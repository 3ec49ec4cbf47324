/**
 * Compiling a spec into an Api: the document loaded and bundled, behaviour and operations compiled,
 * routes built — once, at start-up; each validator the first time it is used (src/spec/schemas.ts).
 * Worlds and requests only read what is here.
 */
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import type { Faker } from '@faker-js/faker'
import type { generateSync as GenerateSync } from 'json-schema-faker'
import { ConfigError, Problems, formatProblem, type ConfigProblem } from './errors.ts'
import { loadSpec, locateProblem, type LoadedSpec } from './spec/load.ts'
import { SchemaRegistry } from './spec/schemas.ts'
import { compileBehaviour } from './spec/behaviour.ts'
import { compileOperations } from './spec/operations.ts'
import type { BehaviourModel, OperationModel } from './spec/model.ts'
import { Router } from './route/router.ts'
import { isPlainObject } from './util/match.ts'

const require = createRequire(import.meta.url)
let fakers: { faker: Faker; generateSync: typeof GenerateSync } | undefined

/**
 * faker and json-schema-faker, loaded the first time a fake value is needed: many runs never need
 * one, and loading them costs ~25 ms of start-up and ~10 MB resident. `fake` is synchronous, hence
 * require (of ES modules without top-level await).
 */
function loadFakers(): { faker: Faker; generateSync: typeof GenerateSync } {
  return (fakers ??= {
    // The English locale alone: the package's main entry loads every locale (~45 MB resident, ~130 ms).
    faker: (require('@faker-js/faker/locale/en') as typeof import('@faker-js/faker/locale/en')).faker,
    // Its package exports only an `import` entry, which require does not resolve: require the file it names.
    generateSync: (require(fileURLToPath(import.meta.resolve('json-schema-faker'))) as typeof import('json-schema-faker')).generateSync,
  })
}

export interface ResourceShape {
  schema: any
  properties: Record<string, any>
  /** The property names, in the schema's order. */
  names: string[]
  /** Properties with a `default`, and the default. */
  defaults: Array<[string, unknown]>
  required: string[]
  /** No declared properties: keep whatever the client sends. */
  open: boolean
}

export interface Api {
  spec: LoadedSpec
  /**
   * What standin works around to serve this spec — each one check left out (a pattern no engine
   * here compiles, a schema Ajv refuses), named by file, JSON pointer and line. `standin check`
   * lists them; `--strict` counts them as problems.
   */
  warnings: ConfigProblem[]
  registry: SchemaRegistry
  behaviour: BehaviourModel
  operations: OperationModel[]
  operationsById: Map<string, OperationModel>
  router: Router
  resourceShape(name: string): ResourceShape
  /** Seeded fake data for a (dereferenced) schema. */
  fake(schema: unknown, random: () => number): unknown
  /** The dereferenced schema at a pointer, cached. */
  schemaAt(pointer: string): any
  /**
   * Which version of the files this is, when something numbers them (`standin serve --watch`: 1 at
   * start, one more each reload); journal entries carry it.
   */
  version?: number
}

export interface CompileOptions {
  overlays?: string[]
  /**
   * When validators are compiled: `lazy` (the default) the first time one is used, so start-up
   * grows with what a run uses, not with the document; `eager` all at start-up, so that every schema
   * that does not compile is reported (`standin check`).
   */
  validators?: 'lazy' | 'eager'
  /**
   * Told of a validator left off at its first use (its schema does not compile): the file, its
   * JSON pointer and why. Each is also added to `warnings`. By default, written to the console.
   */
  onWarning?: (warning: ConfigProblem) => void
}

export function compileApi(specFile: string, options: CompileOptions = {}): Api {
  const spec = loadSpec(specFile, { overlays: options.overlays })
  const problems = new Problems(spec.file)
  let registry: SchemaRegistry
  // Filled below; a validator that does not compile at its first use adds to it.
  const warnings: ConfigProblem[] = []
  const onWarning = (pointer: string, message: string) => {
    // No line: the first use is a request, and finding a line in a big document takes a while.
    const warning: ConfigProblem = { file: spec.file, pointer, message }
    warnings.push(warning)
    if (options.onWarning) options.onWarning(warning)
    else console.warn(`standin: warning: ${formatProblem(warning)}`)
  }
  try {
    registry = new SchemaRegistry(spec.document, spec.version, { formats: spec.formats, eager: options.validators === 'eager', onWarning })
  } catch (error) {
    throw new ConfigError([{ file: spec.file, pointer: '', message: `the document's schemas do not load: ${(error as Error).message}` }], spec.warnings)
  }
  const behaviour = compileBehaviour(spec.document, registry, problems)
  const operations = compileOperations(spec.document, registry, behaviour, problems)
  // Once each: a shared parameter's schema is met by every operation using it.
  warnings.push(...new Map([...spec.warnings, ...problems.warnings.map((w) => locateProblem(spec, w))].map((w) => [`${w.file}#${w.pointer} ${w.message}`, w])).values())
  if (problems.list.length > 0) throw new ConfigError(problems.list.map((p) => locateProblem(spec, p)), warnings)
  registry.persist()
  const basePaths = (Array.isArray(spec.document.servers) ? spec.document.servers : [])
    .map((s: any) => {
      try { return new URL(String(s?.url ?? ''), 'http://localhost').pathname } catch { return '' }
    })
  const router = new Router(operations, basePaths)

  const derefCache = new Map<string, any>()
  const schemaAt = (pointer: string) => {
    let s = derefCache.get(pointer)
    if (s === undefined) derefCache.set(pointer, (s = registry.dereference({ $ref: `#${pointer}` })))
    return s
  }
  const shapes = new Map<string, ResourceShape>()
  return {
    spec, warnings, registry, behaviour, operations, router, schemaAt,
    operationsById: new Map(operations.map((o) => [o.id, o])),
    resourceShape(name) {
      let shape = shapes.get(name)
      if (!shape) {
        // Dereferenced two $refs deep: names, defaults and required fields are all a shape is read
        // for; all the way down, a large resource (one payments API's customer) is 48 MB and 3 s.
        const schema = registry.dereference({ $ref: `#${behaviour.resources.get(name)!.schemaPointer}` }, 2)
        const properties = collectProperties(schema)
        const required = collectRequired(schema)
        const names = Object.keys(properties)
        const defaults = names.filter((n) => isPlainObject(properties[n]) && properties[n].default !== undefined).map((n): [string, unknown] => [n, properties[n].default])
        shapes.set(name, (shape = { schema, properties, names, defaults, required, open: names.length === 0 }))
      }
      return shape
    },
    fake(schema, random) {
      const seed = Math.floor(random() * 2 ** 31)
      const { faker, generateSync } = loadFakers()
      // One faker for every Api: it is seeded right before each (synchronous) use.
      faker.seed(seed)
      try {
        return generateSync(schema as any, { seed, useExamplesValue: true, useDefaultValue: true, alwaysFakeOptionals: false, optionalsProbability: 0, extensions: { faker } } as any)
      } catch {
        return undefined
      }
    },
  }
}

/** Properties of an object schema, through allOf. */
function collectProperties(schema: any): Record<string, any> {
  const out: Record<string, any> = {}
  if (!isPlainObject(schema)) return out
  Object.assign(out, isPlainObject(schema.properties) ? schema.properties : {})
  for (const part of Array.isArray(schema.allOf) ? schema.allOf : []) Object.assign(out, collectProperties(part))
  return out
}

function collectRequired(schema: any): string[] {
  if (!isPlainObject(schema)) return []
  const own = Array.isArray(schema.required) ? schema.required.map(String) : []
  return [...new Set([...own, ...(Array.isArray(schema.allOf) ? schema.allOf.flatMap(collectRequired) : [])])]
}
