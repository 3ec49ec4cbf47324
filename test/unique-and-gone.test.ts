/**
 * Unique constraints (`x-standin` resources' `unique`): a duplicate among a tenant's records — in the
 * states the constraint names — is refused with its error, on create and on update; an update refused
 * changes nothing. Found through the store's index of the constraint's keys. And `gone`: a deleted
 * record is 410 for its own tenant, and as unknown as any other id (404) for everyone else.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createStandin } from '../src/index.ts'

const BASE = 'https://api.site-tokens.example'

async function setUp() {
  const standin = await createStandin({
    spec: 'test/fixtures/site-tokens.yaml',
    scenarios: [{
      name: 'default',
      tenants: [
        { id: 'org_a', keys: [{ token: 'key_a' }] },
        { id: 'org_b', keys: [{ token: 'key_b' }] },
      ],
    }],
  })
  const call = async (key: string, method: string, path: string, body?: unknown) => {
    const res = await standin.handle(new Request(BASE + path, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    }))
    return { status: res.status, body: res.status === 204 ? undefined : await res.json() as any }
  }
  return { standin, call }
}

const EXISTS = { error: { code: 'token_exists', message: 'A token for this site already exists.' } }

describe('unique constraints', () => {
  it('refuse a second record with the same fields in the same tenant, and no other', async () => {
    const { standin, call } = await setUp()
    const first = await call('key_a', 'POST', '/tokens', { site: 'example.com' })
    expect(first.status).toBe(201)
    expect(await call('key_a', 'POST', '/tokens', { site: 'example.com', label: 'again' })).toEqual({ status: 409, body: EXISTS })
    expect((await call('key_a', 'POST', '/tokens', { site: 'example.org' })).status).toBe(201)
    // Another tenant's records are not duplicates.
    expect((await call('key_b', 'POST', '/tokens', { site: 'example.com' })).status).toBe(201)
    const listed = await call('key_a', 'GET', '/tokens')
    expect(listed.body.data.map((t: any) => t.site)).toEqual(['example.com', 'example.org'])
    expect(standin.home().violations()).toEqual([])
  })

  it('count only records in the states named: a revoked or deleted one frees its site', async () => {
    const { call } = await setUp()
    const first = await call('key_a', 'POST', '/tokens', { site: 'example.com' })
    const revoked = await call('key_a', 'POST', `/tokens/${first.body.id}/revoke`)
    expect(revoked.body).toMatchObject({ status: 'revoked', site: 'example.com' })
    const second = await call('key_a', 'POST', '/tokens', { site: 'example.com' })
    expect(second.status).toBe(201)
    expect((await call('key_a', 'POST', '/tokens', { site: 'example.com' })).status).toBe(409)
    expect((await call('key_a', 'DELETE', `/tokens/${second.body.id}`)).status).toBe(204)
    expect((await call('key_a', 'POST', '/tokens', { site: 'example.com' })).status).toBe(201)
  })

  it('refuse an update onto another record\'s fields, leaving the record as it was', async () => {
    const { standin, call } = await setUp()
    await call('key_a', 'POST', '/tokens', { site: 'a.example' })
    const b = (await call('key_a', 'POST', '/tokens', { site: 'b.example', label: 'bee' })).body
    expect(await call('key_a', 'PATCH', `/tokens/${b.id}`, { site: 'a.example', label: 'changed' })).toEqual({ status: 409, body: EXISTS })
    expect((await call('key_a', 'GET', `/tokens/${b.id}`)).body).toEqual(b)
    // Its own fields are no duplicate of itself.
    expect((await call('key_a', 'PATCH', `/tokens/${b.id}`, { label: 'still bee' })).status).toBe(200)
    // Moved to another site, it frees the old one and takes the new.
    expect((await call('key_a', 'PATCH', `/tokens/${b.id}`, { site: 'c.example' })).body).toMatchObject({ site: 'c.example', label: 'still bee' })
    expect((await call('key_a', 'POST', '/tokens', { site: 'b.example' })).status).toBe(201)
    expect((await call('key_a', 'POST', '/tokens', { site: 'c.example' })).status).toBe(409)
    expect(standin.home().violations()).toEqual([])
  })

  it('stay correct past a reset of the world', async () => {
    const { standin, call } = await setUp()
    expect((await call('key_a', 'POST', '/tokens', { site: 'example.com' })).status).toBe(201)
    standin.home().reset()
    expect((await call('key_a', 'POST', '/tokens', { site: 'example.com' })).status).toBe(201)
    expect((await call('key_a', 'POST', '/tokens', { site: 'example.com' })).status).toBe(409)
  })

  it('find a duplicate without walking the tenant\'s records', async () => {
    const { standin, call } = await setUp()
    for (let i = 0; i < 300; i++) expect((await call('key_a', 'POST', '/tokens', { site: `s${i}.example` })).status).toBe(201)
    const store = standin.home().world.store
    const list = store.list.bind(store)
    let walked = 0
    store.list = (...args) => { walked++; return list(...args) }
    expect((await call('key_a', 'POST', '/tokens', { site: 's150.example' })).status).toBe(409)
    expect((await call('key_a', 'POST', '/tokens', { site: 's300.example' })).status).toBe(201)
    expect(walked).toBe(0)
  })

  it('name their error, and the resource its notFound, from the catalogue: a typo is a problem at its pointer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'standin-unique-'))
    try {
      const file = join(dir, 'tokens.yaml')
      writeFileSync(file, readFileSync('test/fixtures/site-tokens.yaml', 'utf8')
        .replace('error: token_exists }', 'error: token_exsts }')
        .replace('notFound: token_not_found', 'notFound: token_not_fund'))
      const error = await createStandin({ spec: file }).then(() => undefined, (e: Error) => e)
      expect(error?.message).toContain(`${file}#/x-standin/resources/token/unique/0/error: error code "token_exsts" is not in x-standin.errors.catalogue. Did you mean "token_exists"?`)
      expect(error?.message).toContain(`${file}#/x-standin/resources/token/notFound: error code "token_not_fund" is not in x-standin.errors.catalogue.`)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('a deleted record', () => {
  it('is gone (410) for its tenant, and not found (404) for any other', async () => {
    const { standin, call } = await setUp()
    const token = (await call('key_a', 'POST', '/tokens', { site: 'example.com' })).body
    expect((await call('key_b', 'GET', `/tokens/${token.id}`)).status).toBe(404)
    expect((await call('key_a', 'DELETE', `/tokens/${token.id}`)).status).toBe(204)
    expect(await call('key_a', 'GET', `/tokens/${token.id}`)).toEqual({ status: 410, body: { error: { code: 'token_gone', message: 'This token was deleted.' } } })
    expect((await call('key_a', 'DELETE', `/tokens/${token.id}`)).status).toBe(410)
    expect(await call('key_b', 'GET', `/tokens/${token.id}`)).toEqual({ status: 404, body: { error: { code: 'token_not_found', message: 'No such token.' } } })
    expect((await call('key_a', 'GET', '/tokens/tok_neverexisted')).status).toBe(404)
    expect(standin.home().violations()).toEqual([])
  })
})
