/**
 * The disk cache (src/util/disk-cache.ts). Parsed files: a file whose text has not changed is read
 * from its entry, with the same value parsing gives; a changed file, a value JSON cannot carry, and a
 * file that does not parse are parsed every time; problems found later still name their line.
 * Validators made from the code Ajv generated on an earlier start answer as Ajv's own do: the same
 * verdict, the same errors, the same coerced and defaulted data.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { check, compileApi, type Api } from '../src/index.ts'
import { seededRandom } from '../src/util/random.ts'
import { disableDiskCache, enableDiskCache } from '../src/util/disk-cache.ts'
import { readStructuredFile } from '../src/spec/read-file.ts'
import { loadSpec } from '../src/spec/load.ts'
import { compiledOf, type ValidateFunction } from '../src/spec/schemas.ts'
import { tempFiles } from './support/files.ts'

const { dir, file } = tempFiles('disk-cache')
let folders = 0

/** A fresh cache folder of this test's own, in use until the test ends. */
function cacheOn(): { entries(): string[]; entry(): string } {
  const folder = join(dir, `cache-${folders++}`)
  enableDiskCache(folder)
  const entries = () => readdirSync(folder).map((name) => join(folder, name))
  return { entries, entry: () => entries()[0]! }
}

afterEach(() => disableDiskCache())

describe('parsed files in the disk cache', () => {
  it('keeps what a file parses to, gives it back while the text is the same, and parses a changed file again', () => {
    const spec = file('keep.yaml', 'openapi: 3.1.0\nlist: [1, 2.5, "x", null, true]\nnested: { a: { b: [] } }\n__proto__: { p: 1 }\n')
    const parsed = readStructuredFile(spec).value
    const cache = cacheOn()
    expect(readStructuredFile(spec).value).toEqual(parsed)
    expect(cache.entries()).toHaveLength(1)
    // The next read takes the entry's value, not a parse (marked here to tell them apart).
    const kept = JSON.parse(readFileSync(cache.entry(), 'utf8'))
    writeFileSync(cache.entry(), JSON.stringify({ ...kept, value: { ...kept.value, marked: true } }))
    expect(readStructuredFile(spec).value).toEqual({ ...(parsed as object), marked: true })
    // The same name with another key (as a hash collision would have it) is not used.
    writeFileSync(cache.entry(), JSON.stringify({ ...kept, key: `${kept.key}# other\n`, value: { marked: true } }))
    expect(readStructuredFile(spec).value).toEqual(parsed)
    writeFileSync(spec, 'openapi: 3.1.0\nlist: [2]\n')
    expect(readStructuredFile(spec).value).toEqual({ openapi: '3.1.0', list: [2] })
  })

  it('does not keep values JSON would change, nor files that do not parse', () => {
    const cache = cacheOn()
    const shared = readStructuredFile(file('anchors.yaml', 'a: &x { k: 1 }\nb: *x\n')).value as any
    expect(shared.a).toBe(shared.b)
    expect(readStructuredFile(file('numbers.yaml', 'big: .inf\nnot: .nan\n')).value).toEqual({ big: Infinity, not: NaN })
    const broken = file('broken.yaml', 'a: [1\n')
    const problem = () => { try { readStructuredFile(broken) } catch (error) { return (error as Error).message } }
    expect(problem()).toMatch(/not valid YAML\/JSON at line 2/)
    expect(problem()).toEqual(problem())
    expect(cache.entries()).toEqual([])
  })

  it('keeps at most 200 entries, removing the oldest', () => {
    const cache = cacheOn()
    for (let i = 0; i < 201; i++) readStructuredFile(file(`many/${i}.yaml`, `n: ${i}\n`))
    expect(cache.entries().length).toBeLessThanOrEqual(200)
    const kept = cache.entries().map((entry) => JSON.parse(readFileSync(entry, 'utf8')).value.n)
    expect(kept).toContain(200)
  })

  it('still names the line of a problem when the spec comes from its entry', () => {
    const spec = file('lines.yaml', `openapi: 3.1.0
info: { title: x, version: '1' }
x-standin:
  errors:
    catalogue:
      out_of_stock: { status: 4099, message: Gone }
paths: {}
`)
    const before = check(spec).problems
    expect(before[0]!.message).toMatch(/\(line 6\)$/)
    const cache = cacheOn()
    expect(check(spec).problems).toEqual(before)
    // The parsed file, and the loaded document (which the next start reads instead).
    expect(cache.entries().map((e) => basename(e).split('-')[0]).sort()).toEqual(['parsed', 'spec'])
    expect(check(spec).problems).toEqual(before)
  })
})

describe('the loaded document in the disk cache', () => {
  // Two equal sub-schemas, an equal example, an $id (never shared), and what normalising mends
  // (nullable without type, a boolean exclusiveMinimum, a pattern for other engines, a bad enum).
  const user = { type: 'object', properties: { login: { type: 'string', pattern: '^[A-Z\\_]+$' }, id: { type: 'integer', minimum: 1, exclusiveMinimum: true } }, required: ['login'] }
  const document = {
    openapi: '3.0.3', info: { title: 'Shared', version: '1' },
    paths: {
      '/a': { get: { responses: { 200: { description: 'a', content: { 'application/json': { schema: { type: 'object', properties: { owner: user, nothing: { nullable: true }, tags: { enum: 'x' } } }, example: { login: 'A' } } } } } } },
      '/b': { get: { responses: { 200: { description: 'b', content: { 'application/json': { schema: { type: 'array', items: user }, example: { login: 'A' } } } } } } },
      '/c': { get: { responses: { 200: { description: 'c', content: { 'application/json': { schema: { $id: 'https://example.com/c', ...user } } } } } } },
      '/d': { get: { responses: { 200: { description: 'c', content: { 'application/json': { schema: { $id: 'https://example.com/c', ...user } } } } } } },
    },
  }
  const load = (spec: string) => {
    const loaded = loadSpec(spec)
    return { document: loaded.document, warnings: loaded.warnings, formats: loaded.formats, version: loaded.version, line: loaded.line('/paths/~1b/get/responses/200') }
  }

  it('is read instead of the file while its bytes are the same: the same document, warnings and lines, its equal parts one object', () => {
    const spec = file('shared.json', JSON.stringify(document, null, 2))
    const before = load(spec)
    expect(before.warnings.map((w) => w.message).join('\n')).toMatch(/enum is a list of values.*\(line \d+\)/)
    expect(before.line).toBeGreaterThan(1)
    const cache = cacheOn()
    const cold = load(spec)
    expect(cold).toEqual(before)
    expect(cache.entries().map((e) => basename(e).split('-')[0])).toEqual(['spec'])
    const warm = load(spec)
    expect(warm).toEqual(before)
    // Shared: one object wherever the text is the same, on the start that kept it and the next.
    for (const { document: doc } of [cold, warm]) {
      const a = doc.paths['/a'].get.responses[200].content['application/json']
      const b = doc.paths['/b'].get.responses[200].content['application/json']
      expect(a.schema.properties.owner).toBe(b.schema.items)
      expect(a.example).toBe(b.example)
      // What holds an $id stays where it is (the registry deletes it there, src/spec/schemas.ts).
      const [c, d] = ['/c', '/d'].map((path) => doc.paths[path].get.responses[200].content['application/json'].schema)
      expect(c).toEqual(d)
      expect(c).not.toBe(d)
    }
    // The next start takes the entry, not the file (marked here to tell them apart).
    const kept = JSON.parse(readFileSync(cache.entry(), 'utf8'))
    kept.value.written.root.info.title = 'From the entry'
    writeFileSync(cache.entry(), JSON.stringify(kept))
    expect(load(spec).document.info.title).toBe('From the entry')
    // A changed file is loaded again.
    writeFileSync(spec, JSON.stringify({ ...document, info: { title: 'Changed', version: '2' } }, null, 2))
    expect(load(spec).document.info.title).toBe('Changed')
  })

  it('keeps no document of several files, of a Swagger 2.0 file, with overlays, or with a key it uses itself', () => {
    const cache = cacheOn()
    const bundled = file('bundled/openapi.json', JSON.stringify({ ...document, paths: { '/u': { get: { responses: { 200: { description: 'u', content: { 'application/json': { schema: { $ref: 'user.json' } } } } } } } } }))
    file('bundled/user.json', JSON.stringify(user))
    expect(loadSpec(bundled).document['x-standin-bundled']).toBeDefined()
    loadSpec(file('swagger.json', JSON.stringify({ swagger: '2.0', info: { title: 's', version: '1' }, paths: { '/s': { get: { responses: { 200: { description: 's', schema: user } } } } } })))
    const overlay = file('overlay.yaml', 'overlay: 1.0.0\ninfo: { title: o, version: "1" }\nactions:\n  - target: $.info\n    update: { title: Overlaid }\n')
    expect(loadSpec(file('overlaid.json', JSON.stringify(document)), { overlays: [overlay] }).document.info.title).toBe('Overlaid')
    const marked = file('marked.json', JSON.stringify({ ...document, 'x-tool': { '$standin-shared': 0 } }))
    expect(loadSpec(marked).document['x-tool']).toEqual({ '$standin-shared': 0 })
    expect(loadSpec(marked).document['x-tool']).toEqual({ '$standin-shared': 0 })
    expect(cache.entries().filter((e) => basename(e).startsWith('spec-'))).toEqual([])
  })
})

describe('validators in the disk cache', () => {
  for (const spec of ['spec/browser-sessions.yaml', 'spec/agent-sandbox.yaml', 'test/fixtures/pets/openapi.json']) {
    it(`answer as Ajv's own do: ${spec}`, () => {
      const compiled = compileApi(spec)
      const cache = cacheOn()
      // Every validator compiled (as check does), and kept; the next start makes each from its entry at its first use.
      compileApi(spec, { validators: 'eager' })
      expect(cache.entries().map((e) => basename(e).split('-')[0])).toContain('validators')
      const kept = compileApi(spec)
      const pairs = validatorPairs(compiled, kept)
      expect(pairs.length).toBeGreaterThan(5)
      let checked = 0
      for (const { name, ajv, fromCache, samples } of pairs) {
        // Made from the kept code, not by Ajv (whose validators carry their schema environment).
        expect(fromCache, name).not.toHaveProperty('schemaEnv')
        expect(ajv, name).toHaveProperty('schemaEnv')
        for (const sample of samples) {
          const a = structuredClone(sample)
          const b = structuredClone(sample)
          const verdict = ajv(a)
          expect({ verdict: fromCache(b), errors: fromCache.errors, data: b }, `${name} ${JSON.stringify(sample)}`).toEqual({ verdict, errors: ajv.errors, data: a })
          checked++
        }
      }
      expect(checked).toBeGreaterThan(100)
    })
  }
})

describe('the scenario validator in the disk cache', () => {
  /** check() in a fresh copy of standin's modules: the scenario validator is made once per process. */
  async function freshCheck(spec: string, scenarios: string, cacheFolder?: string) {
    vi.resetModules()
    const cache = await import('../src/util/disk-cache.ts')
    if (cacheFolder) cache.enableDiskCache(cacheFolder)
    return (await import('../src/index.ts')).check(spec, { scenarios }).problems
  }

  it('finds the same problems, suggestions included, as Ajv compiling it', async () => {
    const spec = 'spec/browser-sessions.yaml'
    const scenarios = join(dir, 'scenarios')
    file('scenarios/typo.yaml', 'tenants:\n  - id: t1\n    balanse: 4\n    keys: [{ token: bsk_typo_1 }]\nrules:\n  - { nth: zero, error: unauthorized }\n')
    const before = await freshCheck(spec, scenarios)
    expect(before.map((p) => p.message)).toContain('unknown field "balanse". Did you mean "balance"? (line 3)')
    const folder = join(dir, 'scenario-cache')
    expect(await freshCheck(spec, scenarios, folder)).toEqual(before)
    expect(readdirSync(folder).map((name) => name.split('-validator')[0])).toContain('scenario')
    expect(await freshCheck(spec, scenarios, folder)).toEqual(before)
  })
})

type Validate = ((data: unknown) => boolean) & { errors?: unknown }

/** Every validator of two compilations of one spec, side by side, with data to try each on. */
function validatorPairs(compiled: Api, kept: Api): Array<{ name: string; ajv: Validate; fromCache: Validate; samples: unknown[] }> {
  const random = seededRandom(7)
  const pairs: Array<{ name: string; ajv: Validate; fromCache: Validate; samples: unknown[] }> = []
  // The functions behind the registry's (which compile at their first use).
  const add = (name: string, ajv: unknown, fromCache: unknown, valid: unknown[]) => {
    if (ajv) pairs.push({ name, ajv: compiledOf(ajv as ValidateFunction) as Validate, fromCache: compiledOf(fromCache as ValidateFunction) as Validate, samples: valid.flatMap(variants) })
  }
  compiled.operations.forEach((op, i) => {
    const other = kept.operations[i]!
    expect(other.id).toBe(op.id)
    const strings = (where: string) => Object.fromEntries(op.parameters.filter((p) => p.in === where).map((p) => [p.name, '1']))
    add(`${op.id} parameters`, op.validateParams, other.validateParams, [{ path: strings('path'), query: strings('query'), header: strings('header'), cookie: {} }])
    for (const [type, media] of op.body?.contentTypes ?? []) {
      add(`${op.id} body ${type}`, media.validate, other.body!.contentTypes.get(type)!.validate, fakes(compiled, media.schemaPointer, random))
    }
    op.responses.forEach((response, r) => {
      for (const [type, media] of response.contentTypes) {
        add(`${op.id} ${response.status} ${type}`, media.validate, other.responses[r]!.contentTypes.get(type)!.validate, fakes(compiled, media.schemaPointer, random))
      }
    })
  })
  return pairs
}

function fakes(api: Api, pointer: string | undefined, random: () => number): unknown[] {
  if (!pointer) return []
  return [0, 1, 2].map(() => api.fake(api.schemaAt(pointer), random) ?? {})
}

/** A value and ways to break it: other types, each property missing, wrong or extra. */
function variants(value: unknown): unknown[] {
  const out: unknown[] = [value, null, 'text', 12, 1.5, true, [], {}, [value]]
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value)) {
      const { [key]: _gone, ...rest } = value as Record<string, unknown>
      out.push(rest)
      for (const wrong of [null, 'text', -1, 2.5, false, [], {}, '2024-13-45', 'not a uri']) out.push({ ...value, [key]: wrong })
      if (inner && typeof inner === 'object') for (const part of variants(inner).slice(1)) out.push({ ...value, [key]: part })
    }
    out.push({ ...value, unexpected_field: 1 })
  }
  return out
}
