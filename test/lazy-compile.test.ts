/**
 * Validators compile on first use (src/spec/schemas.ts): a start compiles none, a request compiles
 * what it needs, a schema that does not compile leaves that one check off with one warning (the
 * request is still answered), `check` compiles them all, and the disk cache keeps what was compiled
 * for the next start. Parsing: JSON with JSON.parse, lines still found for messages.
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { check, compileApi, createStandin } from '../src/index.ts'
import { compiledOf } from '../src/spec/schemas.ts'
import { readStructuredFile } from '../src/spec/read-file.ts'
import { disableDiskCache, enableDiskCache } from '../src/util/disk-cache.ts'
import { tempFiles } from './support/files.ts'

const { dir, file } = tempFiles('lazy-compile')
let folders = 0

/** A fresh cache folder; `validators()` counts its validator entries. */
function cacheOn(): { validators(): number } {
  const folder = join(dir, `cache-${folders++}`)
  enableDiskCache(folder)
  return { validators: () => readdirSync(folder).filter((name) => name.startsWith('validators-')).length }
}

afterEach(() => {
  disableDiskCache()
  vi.restoreAllMocks()
})

/**
 * A schema Ajv refuses that loading leaves as it is (src/spec/normalize.ts mends what it can; a
 * dependentRequired that is not an object is not among those).
 */
const UNCOMPILABLE = { type: 'object', dependentRequired: 5 }
let specs = 0

/** A small JSON spec: notes with a readOnly id, and drafts whose body schema is `draft`. */
const spec = (draft: object = UNCOMPILABLE) => file(`notes-${specs++}.json`, JSON.stringify({
  openapi: '3.1.0',
  info: { title: 'notes', version: '1' },
  paths: {
    '/notes': {
      post: {
        operationId: 'createNote',
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/Note' } } } },
        responses: { 201: { description: 'made', content: { 'application/json': { schema: { $ref: '#/components/schemas/Note' } } } } },
      },
    },
    '/notes/{id}': {
      get: {
        operationId: 'getNote',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { 200: { description: 'one', content: { 'application/json': { schema: { $ref: '#/components/schemas/Note' } } } }, 404: { description: 'none' } },
      },
    },
    '/drafts': {
      post: {
        operationId: 'createDraft',
        requestBody: { content: { 'application/json': { schema: draft } } },
        responses: { 204: { description: 'kept' } },
      },
    },
  },
  components: {
    schemas: {
      // An $id would re-base the refs under it; the document is one resource.
      Note: { $id: 'https://example.test/note', type: 'object', required: ['id', 'text'], properties: { id: { type: 'string', readOnly: true }, text: { $ref: '#/components/schemas/Text' } } },
      Text: { type: 'string', minLength: 1 },
    },
  },
}, null, 2))

const post = (path: string, body: unknown) => new Request(`http://x${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

describe('validators compile on first use', () => {
  it('compiles none at start-up, and what a request needs when it comes', async () => {
    const cache = cacheOn()
    const standin = await createStandin({ spec: spec() })
    standin.api.registry.persist()
    expect(cache.validators()).toBe(0)

    const res = await standin.handle(post('/notes', { text: 'hello' }))
    expect(res.status).toBe(201)
    standin.api.registry.persist()
    const afterOne = cache.validators()
    expect(afterOne).toBeGreaterThan(0)

    // A refused body: the validator made at the first request answers the second.
    const bad = await standin.handle(post('/notes', { text: '' }))
    expect(bad.status).toBe(400)
    standin.api.registry.persist()
    expect(cache.validators()).toBe(afterOne)

    expect((await standin.handle(new Request('http://x/notes/nope'))).status).toBe(404)
    standin.api.registry.persist()
    expect(cache.validators()).toBeGreaterThan(afterOne)
  })

  it('does not require a readOnly property in a request body, and requires the others', async () => {
    const standin = await createStandin({ spec: spec() })
    expect((await standin.handle(post('/notes', { text: 'no id' }))).status).toBe(201)
    const missing = await standin.handle(post('/notes', { id: 'n1' }))
    expect(missing.status).toBe(400)
    expect(JSON.stringify(await missing.json())).toContain('text')
    expect(standin.home().violations('response')).toEqual([])
  })

  it('answers a request whose schema does not compile, without that check, and warns once', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const file = spec()
    const standin = await createStandin({ spec: file })
    expect(standin.api.warnings).toEqual([])
    for (const body of [{ any: 'thing' }, 'not even an object']) {
      expect((await standin.handle(post('/drafts', body))).status).toBe(204)
    }
    const pointer = '/paths/~1drafts/post/requestBody/content/application~1json/schema'
    expect(standin.api.warnings).toEqual([{ file, pointer, message: expect.stringMatching(/^schema does not compile \(.*dependentRequired.*\): it is not checked$/) }])
    expect(warn).toHaveBeenCalledTimes(1)
    expect(String(warn.mock.calls[0]![0])).toContain(pointer)
    // The other operations still validate.
    expect((await standin.handle(post('/notes', { text: '' }))).status).toBe(400)
  })

  it('tells onWarning instead of the console', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const told: unknown[] = []
    const api = compileApi(spec(), { onWarning: (w) => told.push(w.pointer) })
    const draft = api.operationsById.get('createDraft')!
    expect(draft.body!.contentTypes.get('application/json')!.validate!({})).toBe(true)
    expect(told).toEqual(['/paths/~1drafts/post/requestBody/content/application~1json/schema'])
    // The library's entry passes it on.
    const standin = await createStandin({ spec: spec(), onWarning: (w) => told.push(w.file) })
    expect((await standin.handle(post('/drafts', []))).status).toBe(204)
    expect(told).toHaveLength(2)
    expect(warn).not.toHaveBeenCalled()
  })

  it('compiles everything for check, which reports the schema that does not compile', () => {
    const result = check(spec())
    expect(result.ok).toBe(true)
    // At the schema, or at its keyword at fault.
    expect(result.warnings.map((w) => w.pointer)).toContainEqual(expect.stringMatching(/^\/paths\/~1drafts\/post\/requestBody\/content\/application~1json\/schema/))
    // Eager: every validator exists once compiled, none waits for a request.
    const api = compileApi(spec({ $ref: '#/components/schemas/Text' }), { validators: 'eager' })
    const note = api.operationsById.get('createNote')!.body!.contentTypes.get('application/json')!.validate!
    expect(note).toHaveProperty('schemaEnv')
  })
})

describe('the next start', () => {
  it('has what a run compiled kept shortly after, without being asked', async () => {
    const cache = cacheOn()
    const standin = await createStandin({ spec: spec() })
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    try {
      expect((await standin.handle(post('/notes', { text: 'kept' }))).status).toBe(201)
      expect(cache.validators()).toBe(0)
      // One at a time, a moment apart: a request arriving meanwhile waits for one at most.
      vi.advanceTimersByTime(200)
      expect(cache.validators()).toBe(1)
      vi.advanceTimersByTime(1000)
      const kept = cache.validators()
      expect(kept).toBeGreaterThan(1)
      standin.api.registry.persist()
      expect(cache.validators()).toBe(kept)
    } finally {
      vi.useRealTimers()
    }
  })

  it('keeps nothing while first uses follow one another: a first request does not wait behind it', async () => {
    const cache = cacheOn()
    const standin = await createStandin({ spec: spec({ type: 'object' }) })
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    try {
      expect((await standin.handle(post('/notes', { text: 'kept' }))).status).toBe(201)
      vi.advanceTimersByTime(150)
      expect((await standin.handle(new Request('http://x/notes/1'))).status).toBe(404)
      vi.advanceTimersByTime(150)
      expect((await standin.handle(post('/drafts', {}))).status).toBe(204)
      vi.advanceTimersByTime(150)
      expect(cache.validators()).toBe(0)
      vi.advanceTimersByTime(50)
      expect(cache.validators()).toBe(1)
    } finally {
      vi.useRealTimers()
    }
  })

  it('makes the validators an earlier start compiled from their entries, and compiles the rest', async () => {
    const cache = cacheOn()
    const file = spec()
    const first = await createStandin({ spec: file })
    expect((await first.handle(post('/notes', { text: 'kept' }))).status).toBe(201)
    first.api.registry.persist()
    const kept = cache.validators()

    const second = await createStandin({ spec: file })
    const body = second.api.operationsById.get('createNote')!.body!.contentTypes.get('application/json')!.validate!
    expect(await (await second.handle(post('/notes', { text: '' }))).json()).toEqual(await (await first.handle(post('/notes', { text: '' }))).json())
    // Made from the entry's code, not by Ajv (whose validators carry their schema environment).
    expect(compiledOf(body)).not.toHaveProperty('schemaEnv')
    second.api.registry.persist()
    expect(cache.validators()).toBe(kept)
    // Not compiled before: compiled now, and kept.
    const read = second.api.operationsById.get('getNote')!.validateParams!
    expect(compiledOf(read)).toHaveProperty('schemaEnv')
    second.api.registry.persist()
    expect(cache.validators()).toBeGreaterThan(kept)
  })

  it('does not use an entry of a schema that has changed since', async () => {
    const cache = cacheOn()
    const before = await createStandin({ spec: spec({ $ref: '#/components/schemas/Text' }) })
    const draft = (s: typeof before) => s.api.operationsById.get('createDraft')!.body!.contentTypes.get('application/json')!.validate!
    expect(draft(before)('')).toBe(false)
    before.api.registry.persist()
    const kept = cache.validators()
    // The same operation, its schema now leading elsewhere: compiled again, with the new verdict.
    const after = await createStandin({ spec: spec({ $ref: '#/components/schemas/Note' }) })
    expect(draft(after)({ text: 'x' })).toBe(true)
    expect(compiledOf(draft(after))).toHaveProperty('schemaEnv')
    after.api.registry.persist()
    expect(cache.validators()).toBeGreaterThan(kept)
  })
})

describe('reading a JSON spec', () => {
  it('reads non-ASCII text (and a byte order mark) as written', () => {
    const value = { title: 'café — “quoted” 🚒', list: ['naïve', '\u0000 ok', 'a\\u00e9'], 'ключ': { 'ü': 1 } }
    const json = file('unicode.json', `\ufeff${JSON.stringify(value, null, 2)}`)
    expect(readStructuredFile(json).value).toEqual(value)
    expect(readStructuredFile(file('unicode-minified.json', JSON.stringify(value))).value).toEqual(value)
  })

  it('reads non-ASCII text anywhere in a long file: at, across and between the blocks it is checked in', () => {
    // Strings of every length up to 4,200 ASCII characters, each followed by two- to four-byte characters.
    const chars = ['é', '—', '🚒', 'éé', '“🚒”']
    const value = { list: Array.from({ length: 300 }, (_, i) => 'x'.repeat((i * 37) % 4200) + chars[i % chars.length]) }
    const text = JSON.stringify(value)
    expect(Buffer.byteLength(text)).toBeGreaterThan(100_000)
    expect(readStructuredFile(file('unicode-long.json', text)).value).toEqual(value)
    expect(readStructuredFile(file('unicode-long-bom.json', `\ufeff${text}`)).value).toEqual(value)
  })


  it('names the line of a problem in it', () => {
    const broken = file('lines.json', JSON.stringify({
      openapi: '3.1.0',
      info: { title: 'x', version: '1' },
      paths: { '/a': { get: { 'x-standin': { action: 'teleport' }, responses: { 200: { description: 'ok' } } } } },
    }, null, 2))
    const problem = check(broken).problems.find((p) => p.pointer.endsWith('/action'))
    expect(problem?.message).toMatch(/\(line 11\)$/)
  })
})
