/**
 * The record rules of the behaviour model that no bundled spec uses yet, on a small fixture API:
 * unique constraints (a duplicate among a tenant's records in the states named is refused, on create
 * and on update, an update refused changes nothing, found in the store's index); `gone` (410 for the
 * record's own tenant, 404 for any other) and `retention`; idempotency keys (replay of the response
 * as sent, conflict, per tenant, forgotten after a day); a per-tier count cap; a gate on the key's
 * role; a rate limit counting only successes, with its headers.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createStandin } from '../src/index.ts'
import { MAX_TOMBSTONES } from '../src/world/world.ts'

const BASE = 'https://api.site-tokens.example'

async function setUp() {
  const standin = await createStandin({
    spec: 'test/fixtures/site-tokens.yaml',
    scenarios: [{
      // The cap on active tokens lifted, admins' keys: for the tests of uniqueness and `gone`.
      name: 'default',
      limits: { 'active-tokens': 1000 },
      tenants: [
        { id: 'org_a', keys: [{ token: 'key_a', role: 'admin' }, { token: 'whsec_a' }] },
        { id: 'org_b', keys: [{ token: 'key_b', role: 'admin' }] },
      ],
    }, {
      name: 'suspended',
      tenants: [{ id: 'org_suspended', flags: { suspended: true }, keys: [{ token: 'key_suspended', role: 'admin' }] }],
    }, {
      name: 'plans',
      tenants: [
        { id: 'org_free', tier: 'free', keys: [{ token: 'key_free', role: 'admin' }, { token: 'key_free_member', role: 'member' }] },
        { id: 'org_pro', tier: 'pro', keys: [{ token: 'key_pro', role: 'admin' }] },
        { id: 'org_none', keys: [{ token: 'key_none', role: 'admin' }] },
      ],
    }],
  })
  const send = (key: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    standin.handle(new Request(BASE + path, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    }))
  const call = async (key: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await send(key, method, path, body, headers)
    return { status: res.status, body: res.status === 204 ? undefined : await res.json() as any }
  }
  return { standin, call, send }
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

describe('headers an operation\'s answer carries', () => {
  it('a Location on a create and on a redirect, from the record; none on a refusal', async () => {
    const { standin, send } = await setUp()
    const created = await send('key_a', 'POST', '/tokens', { site: 'example.org' })
    const token = await created.json() as { id: string }
    expect(created.status).toBe(201)
    expect(created.headers.get('location')).toBe(`/tokens/${token.id}`)
    const visit = await send('key_a', 'GET', `/tokens/${token.id}/site`)
    expect(visit.status).toBe(302)
    expect(visit.headers.get('location')).toBe('https://example.org/')
    expect(await visit.text()).toBe('')
    const duplicate = await send('key_a', 'POST', '/tokens', { site: 'example.org' })
    expect(duplicate.status).toBe(409)
    expect(duplicate.headers.get('location')).toBeNull()
    const other = await send('key_b', 'GET', `/tokens/${token.id}/site`)
    expect(other.status).toBe(404)
    expect(other.headers.get('location')).toBeNull()
    // Both answers checked against the declared headers (Location required, a URI on the 302).
    standin.world('default').assertNoViolations()
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

  it('is remembered as gone for the most recent removals only: memory does not grow without end', async () => {
    const { standin, call } = await setUp()
    const first = (await call('key_a', 'POST', '/tokens', { site: 'first.example' })).body
    expect((await call('key_a', 'DELETE', `/tokens/${first.id}`)).status).toBe(204)
    // MAX_TOMBSTONES more removals, straight through the world (a request each would take seconds).
    const world = standin.home().world
    const model = world.api.behaviour.resources.get('token')!
    for (let i = 0; i < MAX_TOMBSTONES; i++) {
      const record = { id: `tok_bulk${i}`, resource: 'token', tenant: 'org_a', data: { id: `tok_bulk${i}`, site: `s${i}`, status: 'active' }, state: 'active', transitions: 0, version: 0 }
      world.insert(model, record, world.clock.now())
      world.remove(model, record)
    }
    expect((await call('key_a', 'GET', `/tokens/${first.id}`)).status).toBe(404)
    expect((await call('key_a', 'GET', '/tokens/tok_bulk0')).status).toBe(410)
    expect((await call('key_a', 'GET', `/tokens/tok_bulk${MAX_TOMBSTONES - 1}`)).status).toBe(410)
  })
})

describe('idempotency keys', () => {
  it('replay the first response for the same key and request, refuse another request under it, per tenant', async () => {
    const { standin, call, send } = await setUp()
    const key = { 'idempotency-key': 'k-1' }
    const first = await call('key_a', 'POST', '/tokens', { site: 'example.com' }, key)
    expect(first.status).toBe(201)
    const again = await send('key_a', 'POST', '/tokens', { site: 'example.com' }, key)
    expect(again.status).toBe(201)
    expect(again.headers.get('idempotent-replayed')).toBe('true')
    expect(await again.json()).toEqual(first.body)
    expect((await call('key_a', 'GET', '/tokens')).body.data).toHaveLength(1)
    expect(await call('key_a', 'POST', '/tokens', { site: 'example.org' }, key)).toEqual({
      status: 409, body: { error: { code: 'idempotency_conflict', message: 'This idempotency key was used with another request.' } },
    })
    // Another tenant's key of the same name is its own.
    expect((await call('key_b', 'POST', '/tokens', { site: 'example.com' }, key)).status).toBe(201)
    expect(standin.home().violations()).toEqual([])
  })

  it('replay the response as it was sent, not the record as it is now', async () => {
    const { call } = await setUp()
    const key = { 'idempotency-key': 'k-2' }
    const first = await call('key_a', 'POST', '/tokens', { site: 'example.com', label: 'first' }, key)
    expect((await call('key_a', 'PATCH', `/tokens/${first.body.id}`, { label: 'changed' })).status).toBe(200)
    expect((await call('key_a', 'POST', '/tokens', { site: 'example.com', label: 'first' }, key)).body).toEqual(first.body)
  })

  it('are forgotten after a day of world time', async () => {
    const { standin, call } = await setUp()
    const key = { 'idempotency-key': 'k-3' }
    expect((await call('key_a', 'POST', '/tokens', { site: 'example.com' }, key)).status).toBe(201)
    standin.home().clock.advance('25h')
    // Not a replay: the request runs again, and finds the token it made the first time.
    expect((await call('key_a', 'POST', '/tokens', { site: 'example.com' }, key)).body.error.code).toBe('token_exists')
    // Nor kept: the world holds the keys of the last day only.
    expect((await call('key_a', 'POST', '/tokens', { site: 'example.org' }, { 'idempotency-key': 'k-4' })).status).toBe(201)
    expect([...standin.home().world.idempotency.keys()].map((k) => k.split('\u0000').at(-1))).toEqual(['k-4'])
  })
})

describe('limits, gates and tiers', () => {
  it('cap active records per tier, counting only the states named', async () => {
    const { call } = await setUp()
    const create = (key: string, site: string) => call(key, 'POST', '/tokens', { site })
    expect((await create('key_free', 'a')).status).toBe(201)
    const second = await create('key_free', 'b')
    expect(second.status).toBe(201)
    expect(await create('key_free', 'c')).toEqual({ status: 403, body: { error: { code: 'token_limit', message: 'Your plan allows 2 active tokens.' } } })
    expect((await call('key_free', 'POST', `/tokens/${second.body.id}/revoke`)).status).toBe(200)
    expect((await create('key_free', 'c')).status).toBe(201)
    for (const site of ['a', 'b', 'c', 'd', 'e']) expect((await create('key_pro', site)).status).toBe(201)
    expect((await create('key_pro', 'f')).status).toBe(403)
    // A tenant with no tier gets the limit's default.
    expect((await create('key_none', 'a')).status).toBe(201)
    expect((await create('key_none', 'b')).body.error.message).toBe('Your plan allows 1 active tokens.')
  })

  it('gate an operation on the key\'s role', async () => {
    const { call } = await setUp()
    const token = (await call('key_free', 'POST', '/tokens', { site: 'a' })).body
    expect(await call('key_free_member', 'DELETE', `/tokens/${token.id}`)).toEqual({ status: 403, body: { error: { code: 'admin_required', message: 'Only admins can delete tokens.' } } })
    expect((await call('key_free', 'DELETE', `/tokens/${token.id}`)).status).toBe(204)
  })

  it('give a failed request\'s rate slot back when the limit counts successes, and send its headers', async () => {
    const { standin, call, send } = await setUp()
    const token = (await call('key_pro', 'POST', '/tokens', { site: 'a' })).body
    const ok = await send('key_pro', 'PATCH', `/tokens/${token.id}`, { label: 'one' })
    expect([ok.status, ok.headers.get('x-ratelimit-remaining')]).toEqual([200, '1'])
    // Refused by the record's lookup, after the limit: it does not count.
    expect((await call('key_pro', 'PATCH', '/tokens/tok_unknown', { label: 'x' })).status).toBe(404)
    const two = await send('key_pro', 'PATCH', `/tokens/${token.id}`, { label: 'two' })
    expect([two.status, two.headers.get('x-ratelimit-remaining')]).toEqual([200, '0'])
    const refused = await send('key_pro', 'PATCH', `/tokens/${token.id}`, { label: 'three' })
    expect(refused.status).toBe(429)
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(await refused.json()).toEqual({ error: { code: 'rate_limited', message: 'Too many updates.' } })
    const world = standin.home('plans')
    world.clock.advance(Number(refused.headers.get('retry-after')) * 1000)
    expect((await call('key_pro', 'PATCH', `/tokens/${token.id}`, { label: 'four' })).status).toBe(200)
    expect(world.violations()).toEqual([])
  })
})

describe('retention', () => {
  it('removes a record once its retention has passed on the world clock: gone (410) from then on', async () => {
    const { standin, call } = await setUp()
    const token = (await call('key_a', 'POST', '/tokens', { site: 'example.com' })).body
    standin.home().clock.advance('29d')
    expect((await call('key_a', 'GET', `/tokens/${token.id}`)).status).toBe(200)
    standin.home().clock.advance('1d')
    expect((await call('key_a', 'GET', `/tokens/${token.id}`)).body.error.code).toBe('token_gone')
    expect((await call('key_a', 'GET', '/tokens')).body.data).toEqual([])
    expect((await call('key_b', 'GET', `/tokens/${token.id}`)).status).toBe(404)
  })
})

describe('credentials', () => {
  const get = (standin: Awaited<ReturnType<typeof setUp>>['standin'], path: string, headers: Record<string, string> = {}) =>
    standin.handle(new Request(BASE + path, { headers }))

  it('are read as any of the spec\'s schemes says: bearer, basic, an API key in the query or a cookie', async () => {
    const { standin } = await setUp()
    expect((await get(standin, '/tokens', { authorization: 'Bearer key_a' })).status).toBe(200)
    expect((await get(standin, '/tokens', { authorization: `Basic ${btoa('key_a:')}` })).status).toBe(200)
    expect((await get(standin, '/tokens?api_key=key_a')).status).toBe(200)
    expect((await get(standin, '/tokens', { cookie: 'theme=dark; token=key_a' })).status).toBe(200)
    expect(standin.home().violations()).toEqual([])
  })

  it('that break the key pattern, are unknown or missing get the auth codes; a broken cookie is no crash', async () => {
    const { standin } = await setUp()
    const codeOf = async (res: Response) => [res.status, ((await res.json()) as any).error.code]
    expect(await codeOf(await get(standin, '/tokens', { authorization: 'Bearer nope' }))).toEqual([401, 'malformed_key'])
    expect(await codeOf(await get(standin, '/tokens', { authorization: 'Bearer key_nobody' }))).toEqual([401, 'unauthorized'])
    expect(await codeOf(await get(standin, '/tokens'))).toEqual([401, 'unauthorized'])
    expect(await codeOf(await get(standin, '/tokens', { cookie: 'token=%E0%A4%A' }))).toEqual([401, 'malformed_key'])
    expect(standin.violations('response')).toEqual([])
  })

  it('of a tenant a gate shuts out (its flags) are refused by the gate', async () => {
    const { call } = await setUp()
    expect(await call('key_suspended', 'POST', '/tokens', { site: 'a' })).toEqual({ status: 403, body: { error: { code: 'org_suspended', message: 'This organisation is suspended.' } } })
    expect((await call('key_suspended', 'GET', '/tokens')).status).toBe(200)
  })
})


describe('a standin bug before the request has a world', () => {
  it('is answered as the API\'s internal error and journalled, not thrown out of the handler', async () => {
    const { standin } = await setUp()
    const world = standin.home().world
    world.tick = () => { throw new Error('a timer broke') }
    const res = await standin.handle(new Request(`${BASE}/tokens`, { headers: { authorization: 'Bearer key_a' } }))
    expect(res.status).toBe(500)
    expect(((await res.json()) as any).error.code).toBe('internal_error')
    expect(standin.violations('response').map((v) => v.message)).toContain('internal error: a timer broke')
  })
})

describe('a security scheme with failures of its own', () => {
  it('answers its credential\'s failures with its own code and pattern; the API\'s key keeps the API\'s', async () => {
    const { standin, call } = await setUp()
    const hook = async (headers: Record<string, string>) => {
      const res = await standin.handle(new Request(`${BASE}/hooks`, { method: 'POST', headers }))
      return { status: res.status, code: res.status === 204 ? undefined : ((await res.json()) as any).error.code }
    }
    const refused = { status: 401, code: 'webhook_secret_invalid' }
    expect(await hook({})).toEqual(refused) // missing
    expect(await hook({ 'x-webhook-secret': 'whsec_nope' })).toEqual(refused) // unknown
    expect(await hook({ 'x-webhook-secret': 'key_a' })).toEqual(refused) // malformed: not ^whsec_
    expect(await hook({ authorization: 'Bearer key_a' })).toEqual(refused) // the API's key is not this scheme's
    expect(await hook({ 'x-webhook-secret': 'whsec_a' })).toEqual({ status: 204, code: undefined })
    // The API's own operations keep the API's codes and pattern.
    expect((await call('key_nope', 'GET', '/tokens')).body.error.code).toBe('unauthorized')
    expect((await call('whsec_a', 'GET', '/tokens')).body.error.code).toBe('malformed_key')
  })
})

describe('answers chosen by the request (variants)', () => {
  it('an export asked for asynchronously is queued (202, where to poll) and done later; else done at once (200)', async () => {
    const { standin, send, call } = await setUp()
    const done = await send('key_a', 'POST', '/exports', {})
    const now = await done.json() as { id: string; status: string }
    expect([done.status, now.status, done.headers.get('location')]).toEqual([200, 'done', null])
    // One queued export at a time, counted in the state each export was created in: the one done at
    // once does not count.
    const queued = await send('key_a', 'POST', '/exports', { async: true })
    const job = await queued.json() as { id: string; status: string }
    expect([queued.status, job.status, queued.headers.get('location')]).toEqual([202, 'queued', `/exports/${job.id}`])
    expect((await call('key_a', 'POST', '/exports', { async: true })).body.error.code).toBe('export_busy')
    expect((await call('key_a', 'GET', `/exports/${job.id}`)).body.status).toBe('queued')
    standin.home().clock.advance('5s')
    expect((await call('key_a', 'GET', `/exports/${job.id}`)).body.status).toBe('done')
    expect((await call('key_a', 'GET', `/exports/${now.id}`)).body.status).toBe('done')
    expect((await call('key_a', 'POST', '/exports', { async: true })).status).toBe(202)
    standin.home().assertNoViolations()
  })
})

describe('a record found by a field other than its id', () => {
  it('an export by its ticket, in the caller\'s tenant only; kept up to date in the store\'s index', async () => {
    const { call } = await setUp()
    const exports = await Promise.all([1, 2, 3].map(() => call('key_a', 'POST', '/exports', {})))
    const [a, b] = exports.map((e) => e.body as { id: string; ticket: string })
    expect(a!.ticket).toBe(`tk_${a!.id.slice('exp_'.length)}`)
    expect(await call('key_a', 'GET', `/tickets/${b!.ticket}`)).toMatchObject({ status: 200, body: { id: b!.id, ticket: b!.ticket } })
    expect((await call('key_b', 'GET', `/tickets/${b!.ticket}`)).body.error.code).toBe('token_not_found')
    expect((await call('key_a', 'GET', '/tickets/tk_nope')).status).toBe(404)
    expect((await call('key_a', 'GET', '/tickets/undefined')).status).toBe(404)
    expect((await call('key_a', 'GET', `/tickets/${b!.id}`)).status).toBe(404)
  })
})

describe('a size limit by tier', () => {
  it('refuses a body over its tenant\'s tier\'s size, with the number, and takes one within it', async () => {
    const { standin } = await setUp()
    const put = (key: string, bytes: number) => standin.handle(new Request(`${BASE}/tokens/tok_any/icon`, {
      method: 'PUT', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/octet-stream' }, body: 'x'.repeat(bytes),
    }))
    const status = async (key: string, bytes: number) => (await put(key, bytes)).status
    expect([await status('key_free', 100), await status('key_free', 101)]).toEqual([204, 413])
    expect(await (await put('key_free', 101)).json()).toEqual({ error: { code: 'icon_too_large', message: 'Icons may be 100 bytes on your plan.' } })
    expect([await status('key_pro', 1000), await status('key_pro', 1001)]).toEqual([204, 413])
    // No tier: the limit's default.
    expect([await status('key_none', 500), await status('key_none', 501)]).toEqual([204, 413])
    // Past the spec's maxBodyBytes the body is not read to the end: over every size limit.
    expect(await status('key_pro', 2 * 1024 * 1024)).toBe(413)
  })
})

describe('validation codes by kind', () => {
  it('a missing field, a value outside an enum and any other bad field each get their own code', async () => {
    const { call } = await setUp()
    expect(await call('key_a', 'POST', '/tokens', { label: 'no site' })).toMatchObject({ status: 400, body: { error: { code: 'invalid_request' } } })
    expect(await call('key_a', 'POST', '/tokens', { site: 'a.example', scope: 'admin' })).toEqual({ status: 400, body: { error: { code: 'invalid_request', message: 'Bad value for scope.' } } })
    expect(await call('key_a', 'POST', '/tokens', { site: '' })).toEqual({ status: 422, body: { error: { code: 'validation_error', message: '/site: site must NOT have fewer than 1 characters' } } })
    expect(await call('key_a', 'POST', '/tokens', { site: 'a.example', scope: 'write' })).toMatchObject({ status: 201, body: { scope: 'write' } })
  })
})

describe('a request body\'s media type', () => {
  it('is read with its parameters, spaces and capitals as the bare type', async () => {
    const { send } = await setUp()
    for (const [i, type] of ['application/json', 'application/json; charset=utf-8', 'Application/JSON', ' application/json ;charset=UTF-8'].entries()) {
      const res = await send('key_a', 'POST', '/tokens', { site: `s${i}.example` }, { 'content-type': type })
      expect([type, res.status]).toEqual([type, 201])
    }
    const wrong = await send('key_a', 'POST', '/tokens', { site: 'x.example' }, { 'content-type': 'text/plain' })
    expect(wrong.status).toBe(400)
  })
})

