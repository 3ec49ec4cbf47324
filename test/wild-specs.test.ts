/**
 * Specs as providers publish them load and serve: 3.0 `nullable` and boolean exclusive bounds keep
 * their meaning, patterns written for other engines are still applied, and what cannot be compiled
 * is one warning — file, JSON pointer of the keyword, line where the file has lines — while the
 * operation still answers. Swagger 2.0 is converted, its warnings pointing into the Swagger file.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { check, createStandin, type Standin } from '../src/index.ts'
import { runCli, startServe } from './support/cli.ts'

const THINGS = resolve('test/fixtures/wild/things.yaml')
const SWAGGER = resolve('test/fixtures/wild/pets-swagger.yaml')
const MINIFIED = resolve('test/fixtures/wild/minified.json')
const SCHEMES = resolve('test/fixtures/wild/schemes.yaml')

function client(standin: Standin, base: string) {
  const world = standin.world()
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await standin.handle(new Request(base + path, {
      method,
      headers: { 'content-type': 'application/json', 'x-standin-world': world.id, ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    }))
    const text = await res.text()
    return { status: res.status, body: text ? JSON.parse(text) : undefined }
  }
}

describe('OpenAPI 3.0 as written in the wild', () => {
  it('loads, warning of exactly what it left out: the keyword\'s pointer and line', () => {
    const result = check(THINGS)
    expect(result.ok).toBe(true)
    expect(result.problems).toEqual([])
    expect(result.warnings.map((w) => [w.pointer, w.message.replace(/^(\S+).*?(\(line \d+\))?$/, '$1 $2')])).toEqual([
      ['/components/schemas/Thing/properties/code/pattern', 'pattern (line 90)'],
      ['/components/schemas/Thing/properties/ratio/minimum', 'minimum (line 93)'],
      ['/components/schemas/Thing/properties/lonely/exclusiveMaximum', 'exclusiveMaximum: (line 96)'],
    ])
    expect(result.warnings.every((w) => w.file === THINGS && w.severity === 'warning')).toBe(true)
    expect(result.warnings[0]!.message).toMatch(/pattern "\(\?i\)\^abc\$" does not compile .*: ignored/)
  })

  it.each([
    ['nullable with a type admits null', { note: null }, 201],
    ['nullable with a type keeps the type', { note: 5 }, 400],
    ['nullable without a type restricts nothing', { anything: null }, 201],
    ['nullable beside a $ref admits null', { owner: null }, 201],
    ['nullable beside a $ref still applies the $ref', { owner: {} }, 400],
    ['nullable with allOf admits null', { reviewer: null }, 201],
    ['nullable with allOf still applies allOf', { reviewer: { login: 7 } }, 400],
    ['a nullable enum admits null', { colour: null }, 201],
    ['a nullable enum keeps its values', { colour: 'blue' }, 400],
    ['nullable: false admits no null', { shade: null }, 400],
    ['an exclusive minimum refuses the minimum', { size: 0 }, 400],
    ['a value between exclusive bounds is valid', { size: 5 }, 201],
    ['an exclusive maximum refuses the maximum', { size: 10 }, 400],
    ['a number written as a string still bounds', { ratio: 0.4 }, 400],
    ['a pattern with needless escapes is still applied (refused)', { name: 'lower' }, 400],
    ['a pattern with needless escapes is still applied (accepted)', { name: 'UPPER_CASE' }, 201],
  ])('%s', async (_, fields, status) => {
    const call = client(await createStandin({ spec: THINGS }), 'https://things.example/api')
    const res = await call('POST', '/things', { name: 'A', ...fields })
    expect(res.status).toBe(status)
  })

  it('answers an operation whose pattern could not be compiled, with that one check left out', async () => {
    const call = client(await createStandin({ spec: THINGS }), 'https://things.example/api')
    const created = await call('POST', '/things', { name: 'A', code: 'anything at all' })
    expect(created).toMatchObject({ status: 201, body: { name: 'A', code: 'anything at all' } })
    expect(await call('GET', `/things/${created.body.id}`)).toMatchObject({ status: 200, body: created.body })
  })

  it('gives a pointer and no line for a document on one line (minified JSON)', async () => {
    const { ok, warnings } = check(MINIFIED)
    expect(ok).toBe(true)
    // A header named x-…: a name, not an extension to skip.
    expect(warnings.map((w) => w.pointer).sort()).toEqual([
      '/components/schemas/Code/properties/value/pattern',
      '/paths/~1codes/post/responses/201/headers/x-request-id/schema/pattern',
    ])
    expect(warnings.every((w) => w.file === MINIFIED && !/line/.test(w.message))).toBe(true)
    const call = client(await createStandin({ spec: MINIFIED }), 'http://localhost')
    expect((await call('POST', '/codes', { value: 'xyz' })).status).toBe(201)
  })
})

describe('Swagger 2.0', () => {
  it('is converted and served: bodies, query and path parameters validated as the Swagger file says', async () => {
    const call = client(await createStandin({ spec: SWAGGER }), 'https://pets.example/v2')
    const created = await call('POST', '/pets', { name: 'Rex', code: 'whatever' })
    expect(created).toMatchObject({ status: 201, body: { id: expect.any(String), name: 'Rex' } })
    expect(await call('GET', `/pets/${created.body.id}`)).toMatchObject({ status: 200, body: created.body })
    expect((await call('GET', '/pets')).body).toEqual([created.body])
    expect((await call('POST', '/pets', { name: '' })).status).toBe(400)
    expect((await call('GET', '/pets?limit=51')).status).toBe(400)
    expect((await call('GET', '/pets?limit=50')).status).toBe(200)
  })

  it('warns with the pointer and line of the Swagger file, not of the converted document', () => {
    const { ok, warnings } = check(SWAGGER)
    expect(ok).toBe(true)
    expect(warnings).toEqual([{ file: SWAGGER, pointer: '/definitions/Pet/properties/code/pattern', message: expect.stringMatching(/\(line 68\)$/), severity: 'warning' }])
  })
})

describe('Swagger 2.0 pointers', () => {
  it('point into the Swagger file wherever the conversion moved the keyword', () => {
    const spec = resolve('test/fixtures/wild/swagger-places.yaml')
    const { ok, warnings } = check(spec)
    expect(ok).toBe(true)
    expect(warnings.map((w) => `${w.pointer} ${/\(line (\d+)\)$/.exec(w.message)?.[1]}`).sort()).toEqual([
      '/parameters/H/pattern 25',
      '/paths/~1a~1{id}/parameters/0/pattern 8',
      '/paths/~1a~1{id}/post/parameters/0/schema/properties/x/pattern 11',
      '/paths/~1a~1{id}/post/parameters/1/pattern 12',
      '/paths/~1a~1{id}/post/responses/200/headers/X-R/pattern 15',
      '/paths/~1a~1{id}/post/responses/200/schema/pattern 15',
      '/paths/~1f/post/parameters/1/pattern 21',
      '/responses/Err/schema/pattern 27',
      '/securityDefinitions/weird 30',
    ])
  })
})

describe('security schemes and schemas Ajv refuses', () => {
  it('loads every security scheme type; a schema Ajv refuses is a warning at its pointer, and the operation answers', async () => {
    const result = check(SCHEMES)
    expect(result.ok).toBe(true)
    expect(result.problems).toEqual([])
    const pointers = result.warnings.map((w) => w.pointer)
    expect(pointers).toContain('/components/securitySchemes/mtls')
    expect(result.warnings.find((w) => w.pointer === '/components/securitySchemes/mtls')!.message).toMatch(/mutualTLS: standin sees no client certificate.*\(line 46\)/)
    // No other scheme is warned of: every type loads.
    expect(pointers.filter((p) => p.startsWith('/components/securitySchemes/'))).toEqual(['/components/securitySchemes/mtls'])
    // The keyword Ajv refuses, not the top of the body or response schema: said once for both.
    expect(result.warnings.filter((w) => /compile/.test(w.message))).toEqual([{
      file: SCHEMES,
      pointer: '/components/schemas/Note/dependentRequired',
      message: expect.stringMatching(/^Ajv cannot compile this keyword \(.+\): nothing is checked against a schema that holds it \(line 57\)$/),
      severity: 'warning',
    }])

    const standin = await createStandin({ spec: SCHEMES })
    const call = client(standin, 'http://localhost')
    const key = standin.world().key
    expect((await call('POST', '/notes', { text: 'hi' }, { authorization: `Digest ${key}` })).status).toBeLessThan(500)
  })
})

describe('a spec in several files', () => {
  it('warns with the file, pointer and line of the external document the keyword is written in', () => {
    const dir = mkdtempSync(join(tmpdir(), 'standin-wild-'))
    writeFileSync(join(dir, 'codes.yaml'), `Code:\n  type: object\n  properties:\n    value:\n      type: string\n      pattern: '(?i)^abc$'\n`)
    const spec = join(dir, 'api.yaml')
    writeFileSync(spec, `openapi: 3.0.3\ninfo: { title: Split, version: '1' }\npaths:\n  /codes:\n    post:\n      requestBody:\n        content:\n          application/json:\n            schema: { $ref: 'codes.yaml#/Code' }\n      responses:\n        '201': { description: created }\n`)
    const { ok, warnings } = check(spec)
    expect(ok).toBe(true)
    expect(warnings).toEqual([{ file: join(dir, 'codes.yaml'), pointer: '/Code/properties/value/pattern', message: expect.stringMatching(/^pattern "\(\?i\)\^abc\$" does not compile .*\(line 6\)$/), severity: 'warning' }])
  })
})

describe('operationIds', () => {
  it('used twice: the second operation gets a name of its own, with a warning; both answer', async () => {
    const spec = join(mkdtempSync(join(tmpdir(), 'standin-wild-')), 'twice.yaml')
    const op = (path: string) => `  ${path}:\n    get:\n      operationId: listThings\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: { type: array, items: { type: object } }\n`
    writeFileSync(spec, `openapi: 3.0.3\ninfo: { title: Twice, version: '1' }\npaths:\n${op('/things')}${op('/other-things')}`)
    const { ok, warnings } = check(spec)
    expect(ok).toBe(true)
    expect(warnings).toEqual([{ file: spec, pointer: '/paths/~1other-things/get/operationId', message: 'operationId "listThings" is used twice: standin knows this operation as "listThings_2" (in scenario rules and the journal) (line 15)', severity: 'warning' }])
    const standin = await createStandin({ spec })
    expect(standin.api.operations.map((o) => o.id)).toEqual(['listThings', 'listThings_2'])
    const call = client(standin, 'http://localhost')
    expect((await call('GET', '/things')).status).toBe(200)
    expect((await call('GET', '/other-things')).status).toBe(200)
  })
})

describe('standin check on the command line', () => {
  it('exits 0 with warnings listed, and 1 with --strict', async () => {
    const plain = await runCli(['check', THINGS])
    expect(plain.code).toBe(0)
    expect(plain.stderr).toContain(`warning: ${THINGS}#/components/schemas/Thing/properties/code/pattern: pattern`)
    expect(plain.stdout).toMatch(/^ok: .*\(3 warning\(s\)/m)
    const strict = await runCli(['check', THINGS, '--strict'])
    expect(strict.code).toBe(1)
    expect(strict.stderr).toMatch(/3 warning\(s\), and --strict counts them as problems/)
  })

  it('serve starts with warnings, and says how many and how to see them', async () => {
    const serving = await startServe([THINGS])
    const res = await fetch(`${serving.url}/api/things`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'A' }) })
    expect(res.status).toBe(201)
    const run = await serving.stop()
    expect(run.stdout).toContain(`3 warning(s) about the spec (see them: standin check ${THINGS})`)
  })
})
