/**
 * Any spec, not just the bundled ones: OpenAPI 3.0 in JSON with external $refs and no x-standin at
 * all is still a stateful API (resources inferred from REST shape); an Overlay adds behaviour
 * without touching the provider's file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createStandin, type Standin } from '../src/index.ts'

const PETS = 'test/fixtures/pets/openapi.json'
const BASE = 'https://pets.example/api'

function client(standin: Standin, base = BASE, world = standin.world()) {
  return async (method: string, path: string, body?: unknown) => {
    const res = await standin.handle(new Request(base + path, {
      method,
      headers: { 'content-type': 'application/json', 'x-standin-world': world.id },
      body: body === undefined ? undefined : JSON.stringify(body),
    }))
    const text = await res.text()
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined }
  }
}

describe('a 3.0 JSON spec with external $refs and no x-standin', () => {
  it('is stateful: create, read, list, update and delete', async () => {
    const call = client(await createStandin({ spec: PETS }))
    const created = await call('POST', '/pets', { name: 'Rex', tag: null, age: 3 })
    expect(created.status).toBe(201)
    expect(created.body).toEqual({ id: expect.any(String), name: 'Rex', tag: null, age: 3 })
    const id = created.body.id
    expect((await call('GET', `/pets/${id}`)).body).toEqual(created.body)
    expect((await call('GET', '/pets')).body).toEqual([created.body])
    const patched = await call('PATCH', `/pets/${id}`, { age: 4 })
    expect(patched).toMatchObject({ status: 200, body: { id, name: 'Rex', age: 4 } })
    expect((await call('DELETE', `/pets/${id}`)).status).toBe(204)
    expect((await call('GET', `/pets/${id}`)).status).toBe(404)
    expect((await call('GET', '/pets')).body).toEqual([])
  })

  it('validates against the external schemas (3.0 nullable included) in the default envelope', async () => {
    const call = client(await createStandin({ spec: PETS }))
    for (const bad of [{ name: '' }, { age: -1, name: 'x' }, { tag: 5, name: 'x' }, {}]) {
      const res = await call('POST', '/pets', bad)
      expect(res.status).toBe(400)
      expect(res.body.error).toMatchObject({ code: 'invalid_request', message: expect.any(String) })
    }
    expect((await call('GET', '/pets?limit=0')).status).toBe(400)
  })

  it('answers unknown paths 404 and wrong methods 405 with Allow, in the envelope', async () => {
    const call = client(await createStandin({ spec: PETS }))
    expect(await call('GET', '/nowhere')).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } })
    const wrong = await call('PUT', '/pets')
    expect(wrong).toMatchObject({ status: 405, body: { error: { code: 'method_not_allowed' } } })
    expect(wrong.headers.get('allow')).toBe('GET, POST')
  })
})

describe('an OpenAPI Overlay', () => {
  it('adds an error catalogue, id format and a rate limit without changing the spec file', async () => {
    const call = client(await createStandin({ spec: PETS, overlays: ['test/fixtures/pets/overlay.yaml'] }))
    const created = await call('POST', '/pets', { name: 'Rex' })
    expect(created.body.id).toMatch(/^pet_[A-Za-z0-9]{8}$/)
    expect(await call('GET', '/pets/pet_missing')).toMatchObject({ status: 404, body: { error: { code: 'pet_not_found', message: 'No pet pet_missing.' } } })
    expect((await call('POST', '/pets', { name: 'Two' })).status).toBe(201)
    const limited = await call('POST', '/pets', { name: 'Three' })
    expect(limited).toMatchObject({ status: 429, body: { error: { code: 'too_many_pets', message: 'Slow down: 2 pets a minute.' } } })
    expect(limited.headers.get('retry-after')).toBe('60')
  })
})

describe('a query parameter\'s schema default', () => {
  const dir = mkdtempSync(join(tmpdir(), 'standin-defaults-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('is what a request that leaves the parameter out gets (3.0, through a $ref; an overlay adds it)', async () => {
    const overlay = join(dir, 'page-size.yaml')
    writeFileSync(overlay, `overlay: 1.0.0
info: { title: a page size, version: 1.0.0 }
actions:
  - target: $.paths['/pets'].get.parameters[0].schema
    update: { default: 2 }
`)
    const call = client(await createStandin({ spec: PETS, overlays: [overlay] }))
    for (const name of ['A', 'B', 'C']) expect((await call('POST', '/pets', { name })).status).toBe(201)
    expect((await call('GET', '/pets')).body.map((p: { name: string }) => p.name)).toEqual(['A', 'B'])
    expect((await call('GET', '/pets?limit=3')).body).toHaveLength(3)
  })

  it('is what a request that leaves the parameter out gets (3.1, the bundled list\'s page size)', async () => {
    const standin = await createStandin({ spec: 'spec/browser-sessions.yaml', scenarios: 'scenarios/browser-sessions' })
    const world = standin.world('bench')
    const headers = { authorization: `Bearer ${world.key}` }
    const send = (path: string, init: RequestInit = {}) => standin.handle(new Request(`https://api.browser-sessions.example${path}`, { ...init, headers: { ...headers, 'content-type': 'application/json' } }))
    for (let i = 0; i < 25; i++) expect((await send('/v1/sessions', { method: 'POST', body: '{}' })).status).toBe(201)
    const page = (await (await send('/v1/sessions')).json()) as { data: unknown[]; has_more: boolean }
    expect([page.data.length, page.has_more]).toEqual([20, true])
    expect(((await (await send('/v1/sessions?limit=100')).json()) as { data: unknown[] }).data).toHaveLength(27)
  })
})

describe('nested collections and integer ids, inferred', () => {
  const dir = mkdtempSync(join(tmpdir(), 'standin-nested-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const spec = join(dir, 'owners.yaml')
  writeFileSync(spec, `openapi: 3.1.0
info: { title: Owners, version: '1' }
paths:
  /owners:
    post:
      requestBody: { content: { application/json: { schema: { $ref: '#/components/schemas/Owner' } } } }
      responses: { '201': { description: ok, content: { application/json: { schema: { $ref: '#/components/schemas/Owner' } } } } }
  /owners/{ownerId}:
    get:
      parameters: [{ name: ownerId, in: path, required: true, schema: { type: integer } }]
      responses: { '200': { description: ok, content: { application/json: { schema: { $ref: '#/components/schemas/Owner' } } } } }
  /owners/{ownerId}/pets:
    parameters: [{ name: ownerId, in: path, required: true, schema: { type: integer } }]
    get:
      responses: { '200': { description: ok, content: { application/json: { schema: { type: array, items: { $ref: '#/components/schemas/Pet' } } } } } }
    post:
      requestBody: { content: { application/json: { schema: { $ref: '#/components/schemas/Pet' } } } }
      responses: { '201': { description: ok, content: { application/json: { schema: { $ref: '#/components/schemas/Pet' } } } } }
  /owners/{ownerId}/pets/{petId}:
    parameters:
      - { name: ownerId, in: path, required: true, schema: { type: integer } }
      - { name: petId, in: path, required: true, schema: { type: string, format: uuid } }
    get:
      responses: { '200': { description: ok, content: { application/json: { schema: { $ref: '#/components/schemas/Pet' } } } } }
components:
  schemas:
    Owner:
      type: object
      required: [ownerId, name]
      properties: { ownerId: { type: integer, readOnly: true }, name: { type: string } }
    Pet:
      type: object
      required: [petId, name]
      properties: { petId: { type: string, format: uuid, readOnly: true }, name: { type: string }, ownerId: { type: integer } }
`)

  it('keeps pets under their owner, with integer and uuid ids', async () => {
    const call = client(await createStandin({ spec }), 'http://localhost')
    const ann = (await call('POST', '/owners', { name: 'Ann' })).body
    const bob = (await call('POST', '/owners', { name: 'Bob' })).body
    expect(ann.ownerId).toEqual(expect.any(Number))
    expect((await call('GET', `/owners/${ann.ownerId}`)).body).toEqual(ann)
    const rex = await call('POST', `/owners/${ann.ownerId}/pets`, { name: 'Rex' })
    expect(rex.status).toBe(201)
    expect(rex.body.petId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(rex.body.ownerId).toBe(ann.ownerId)
    expect((await call('GET', `/owners/${ann.ownerId}/pets/${rex.body.petId}`)).status).toBe(200)
    expect((await call('GET', `/owners/${bob.ownerId}/pets/${rex.body.petId}`)).status).toBe(404)
    expect((await call('GET', `/owners/${bob.ownerId}/pets`)).body).toEqual([])
    expect((await call('GET', `/owners/${ann.ownerId}/pets`)).body).toEqual([rex.body])
    expect((await call('POST', '/owners/999/pets', { name: 'Stray' })).status).toBe(404)
  })
})

describe('hostile bodies', () => {
  it('a __proto__ key is not a field, and changes no prototype', async () => {
    const call = client(await createStandin({ spec: PETS }))
    const created = await call('POST', '/pets', JSON.parse('{"name": "Rex", "__proto__": {"polluted": true}}'))
    expect(created.status).toBe(201)
    const read = await call('GET', `/pets/${created.body.id}`)
    expect(read.body).toEqual({ id: created.body.id, name: 'Rex' })
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
})
