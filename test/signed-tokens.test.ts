/**
 * Signed tokens (x-standin.auth.jwt) on the accounts fixture API: real HS256 JWTs the world mints
 * (scenario keys, the control API, an operation), checked by signature (a changed byte or garbage is
 * malformed), expiring on the world's clock, revoked by logout (this token), by signing out other
 * devices (the others) or by revoking all (every token of the user, no one else's).
 */
import { createHash, createHmac } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { createStandin } from '../src/index.ts'
import { signJwt, verifyJwt } from '../src/auth/jwt.ts'
import { hmacSha256, sha256 } from '../src/auth/sha256.ts'
import { mintToken } from '../src/auth/tokens.ts'
import { listen } from '../src/adapters/node-http.ts'
import { runVerify } from '../src/cli/verify.ts'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempFiles } from './support/files.ts'

const BASE = 'https://api.accounts.example'
const SECRET = 'accounts-fixture-secret'

// Every answer standin gave in a test kept the spec (the self-check journals any that did not).
const made: Array<{ violations(side?: 'request' | 'response'): unknown[] }> = []
afterEach(() => {
  for (const world of made.splice(0)) expect(world.violations('response')).toEqual([])
})

async function setUp() {
  const standin = await createStandin({
    spec: 'test/fixtures/accounts.yaml',
    scenarios: [{
      name: 'default',
      clock: { start: '2026-03-01T10:00:00Z' },
      tenants: [
        {
          id: 'acct_alice', flags: { termsAccepted: true },
          keys: [
            { token: 'alice-laptop', jwt: true, user: 'alice', role: 'admin' },
            { token: 'alice-phone', jwt: true, user: 'alice', role: 'admin' },
            { token: 'bob-laptop', jwt: true, user: 'bob', role: 'member' },
            { token: 'alice-old', jwt: true, user: 'alice', expiresAt: '2026-03-01T09:00:00Z' },
            { token: 'alice-stolen', jwt: true, user: 'alice', revoked: true },
          ],
        },
        { id: 'acct_carol', flags: { termsAccepted: true }, keys: [{ token: 'carol', jwt: true, user: 'carol' }] },
      ],
    }],
  })
  const world = standin.home().world
  made.push(world)
  const token = (name: string) => world.tokenFor(name)!
  const call = async (bearer: string | undefined, method: string, path: string) => {
    const res = await standin.handle(new Request(BASE + path, { method, headers: bearer === undefined ? {} : { authorization: `Bearer ${bearer}` } }))
    return { status: res.status, body: res.status === 204 ? undefined : await res.json() as any }
  }
  return { standin, world, token, call }
}

describe('the signature', () => {
  it('is SHA-256 and HMAC-SHA256 as node:crypto computes them', () => {
    const encoder = new TextEncoder()
    for (const text of ['', 'abc', 'a'.repeat(55), 'a'.repeat(56), 'a'.repeat(64), 'é'.repeat(300)]) {
      const hex = Buffer.from(sha256(encoder.encode(text))).toString('hex')
      expect(hex).toBe(createHash('sha256').update(text).digest('hex'))
      for (const key of ['k', 'x'.repeat(64), 'y'.repeat(100)]) {
        expect(Buffer.from(hmacSha256(encoder.encode(key), encoder.encode(text))).toString('hex')).toBe(createHmac('sha256', key).update(text).digest('hex'))
      }
    }
  })

  it('signs tokens any JWT library reads, and refuses any other', () => {
    const token = signJwt({ sub: 'alice', exp: 100 }, SECRET)
    const [header, payload, signature] = token.split('.')
    expect(JSON.parse(Buffer.from(header!, 'base64url').toString())).toEqual({ alg: 'HS256', typ: 'JWT' })
    expect(signature).toBe(createHmac('sha256', SECRET).update(`${header}.${payload}`).digest('base64url'))
    expect(verifyJwt(token, SECRET)).toEqual({ sub: 'alice', exp: 100 })
    expect(verifyJwt(token, 'another secret')).toBeUndefined()
    expect(verifyJwt(`${header}.${Buffer.from('{"sub":"mallory","exp":100}').toString('base64url')}.${signature}`, SECRET)).toBeUndefined()
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`
    expect(verifyJwt(none, SECRET)).toBeUndefined()
    for (const garbage of ['', 'abc', 'a.b.c', '..', `${header}.${payload}`, `${token}.x`]) expect(verifyJwt(garbage, SECRET)).toBeUndefined()
  })
})

describe('signed tokens', () => {
  it('are JWTs of the scenario\'s keys: who, which tenant, which role, when they expire', async () => {
    const { token, call } = await setUp()
    const claims = verifyJwt(token('alice-laptop'), SECRET)!
    expect(claims).toMatchObject({ iss: 'https://accounts.example', sub: 'alice', tid: 'acct_alice', role: 'admin', email: 'alice@accounts.example' })
    expect(claims.exp).toBe(Date.parse('2026-03-01T11:00:00Z') / 1000)
    expect(claims.iat).toBe(Date.parse('2026-03-01T10:00:00Z') / 1000)
    expect(await call(token('alice-laptop'), 'GET', '/me')).toEqual({ status: 200, body: { user: 'alice', role: 'admin', tenant: 'acct_alice' } })
  })

  it('without one, with garbage or a changed byte: unauthorized, then malformed', async () => {
    const { token, call } = await setUp()
    expect((await call(undefined, 'GET', '/me')).body.error.code).toBe('unauthorized')
    expect((await call('not-a-jwt', 'GET', '/me')).body.error.code).toBe('invalid_token')
    const good = token('alice-laptop')
    const [header, payload, signature] = good.split('.')
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...verifyJwt(good, SECRET), role: 'owner' })).toString('base64url')}.${signature}`
    expect(await call(forged, 'GET', '/me')).toEqual({ status: 401, body: { error: { code: 'invalid_token', message: 'The token is malformed.' } } })
    const flipped = good.slice(0, -2) + (good.at(-2) === 'A' ? 'B' : 'A') + good.at(-1)
    expect((await call(flipped, 'GET', '/me')).body.error.code).toBe('invalid_token')
    // Signed with the right secret but never minted by this world: no one's token.
    expect((await call(signJwt({ sub: 'alice', tid: 'acct_alice', exp: 4e9 }, SECRET), 'GET', '/me')).body.error.code).toBe('unauthorized')
    expect(verifyJwt(`${header}.${payload}.${signature}`, SECRET)).toBeDefined()
  })

  it('expire on the world clock: at their exp, not before', async () => {
    const { world, token, call } = await setUp()
    expect((await call(token('alice-old'), 'GET', '/me')).body.error.code).toBe('token_expired')
    world.advance(60 * 60 * 1000 - 1000)
    expect((await call(token('alice-laptop'), 'GET', '/me')).status).toBe(200)
    world.advance(1000)
    expect(await call(token('alice-laptop'), 'GET', '/me')).toEqual({ status: 401, body: { error: { code: 'token_expired', message: 'The token has expired.' } } })
  })

  it('are minted by an operation for the caller, valid at once, for the ttl the operation gives', async () => {
    const { world, token, call } = await setUp()
    const minted = await call(token('bob-laptop'), 'POST', '/auth/token')
    expect(minted.status).toBe(200)
    expect(minted.body.expiresAt).toBe('2026-03-01T10:30:00.000Z')
    expect(verifyJwt(minted.body.token, SECRET)).toMatchObject({ sub: 'bob', tid: 'acct_alice', role: 'member' })
    expect((await call(minted.body.token, 'GET', '/me')).body).toMatchObject({ user: 'bob', role: 'member' })
    world.advance(30 * 60 * 1000)
    expect((await call(minted.body.token, 'GET', '/me')).body.error.code).toBe('token_expired')
  })

  it('are minted by the library and the control API for any tenant of the world', async () => {
    const { standin, world, call } = await setUp()
    const key = mintToken(world, { tenant: 'acct_carol', user: 'dave', role: 'admin', ttlMs: 60_000 })
    expect((await call(key.token, 'GET', '/me')).body).toEqual({ user: 'dave', role: 'admin', tenant: 'acct_carol' })
    const res = await standin.handle(new Request(`${BASE}/__standin/worlds/${world.id}/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tenant: 'acct_carol', user: 'erin', ttl: '10m' }) }))
    expect(res.status).toBe(201)
    const made = await res.json() as any
    expect(made).toMatchObject({ tenant: 'acct_carol', user: 'erin', expiresAt: '2026-03-01T10:10:00.000Z' })
    expect((await call(made.token, 'GET', '/me')).body.user).toBe('erin')
    // The world's description names the scenario's signed tokens.
    const described = await (await standin.handle(new Request(`${BASE}/__standin/worlds/${world.id}`))).json() as any
    expect(described.tenants[0].tokens['alice-laptop']).toBe(world.tokenFor('alice-laptop'))
    // So does a new world's, as it is made: a client needs no second request for them.
    const created = await (await standin.handle(new Request(`${BASE}/__standin/worlds`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ scenario: world.scenario.name }) }))).json() as any
    expect(Object.keys(created.tenants[0].tokens)).toContain('alice-laptop')
    expect((await call(created.tenants[0].tokens['alice-laptop'], 'GET', '/me')).body).toMatchObject({ user: 'alice' })
    const bad = await standin.handle(new Request(`${BASE}/__standin/worlds/${world.id}/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tenant: 'nobody' }) }))
    expect(bad.status).toBe(400)
    // The world handle: a token for a user of the first tenant, or a scenario key's by its name.
    const handle = standin.home()
    const short = handle.token({ user: 'frank', ttl: '1m' })
    expect(verifyJwt(short, SECRET)).toMatchObject({ sub: 'frank', tid: 'acct_alice', exp: Date.parse('2026-03-01T10:01:00Z') / 1000 })
    expect((await call(short, 'GET', '/me')).body.user).toBe('frank')
    handle.clock.advance('1m')
    expect((await call(short, 'GET', '/me')).body.error.code).toBe('token_expired')
    expect(handle.token('alice-laptop')).toBe(world.tokenFor('alice-laptop'))
    expect(() => handle.token('nobody')).toThrow(/no key named "nobody"/)
    expect(() => handle.token({ ttl: 'soon' })).toThrow(/not a duration/)
  })

  it('logout revokes this token only; the user\'s other devices go on', async () => {
    const { token, call } = await setUp()
    expect((await call(token('alice-stolen'), 'GET', '/me')).body.error.code).toBe('token_revoked')
    expect((await call(token('alice-laptop'), 'POST', '/auth/logout')).status).toBe(204)
    expect(await call(token('alice-laptop'), 'GET', '/me')).toEqual({ status: 401, body: { error: { code: 'token_revoked', message: 'The token was revoked.' } } })
    expect((await call(token('alice-phone'), 'GET', '/me')).status).toBe(200)
  })

  it('signing out other devices revokes the user\'s other tokens, not this one nor another user\'s', async () => {
    const { token, call } = await setUp()
    expect((await call(token('alice-phone'), 'POST', '/auth/logout-others')).status).toBe(204)
    expect((await call(token('alice-laptop'), 'GET', '/me')).body.error.code).toBe('token_revoked')
    expect((await call(token('alice-phone'), 'GET', '/me')).status).toBe(200)
    expect((await call(token('bob-laptop'), 'GET', '/me')).status).toBe(200)
    expect((await call(token('carol'), 'GET', '/me')).status).toBe(200)
  })

  it('revoking all revokes every token of the user, this one too; a reset brings the scenario\'s back', async () => {
    const { world, token, call } = await setUp()
    const minted = (await call(token('alice-laptop'), 'POST', '/auth/token')).body.token
    expect((await call(token('alice-phone'), 'POST', '/auth/revoke-all')).status).toBe(204)
    for (const t of [token('alice-laptop'), token('alice-phone'), minted]) expect((await call(t, 'GET', '/me')).body.error.code).toBe('token_revoked')
    expect((await call(token('bob-laptop'), 'GET', '/me')).status).toBe(200)
    world.reset()
    expect((await call(token('alice-laptop'), 'GET', '/me')).status).toBe(200)
    expect((await call(token('alice-stolen'), 'GET', '/me')).body.error.code).toBe('token_revoked')
    // A token minted by a request is gone with the reset: no longer anyone's.
    expect((await call(minted, 'GET', '/me')).body.error.code).toBe('unauthorized')
  })

  it('go with a snapshot: restored in place they still work, restored as a new world it mints its own', async () => {
    const { standin, world, token, call } = await setUp()
    const minted = (await call(token('bob-laptop'), 'POST', '/auth/token')).body.token
    expect((await call(token('alice-laptop'), 'POST', '/auth/logout')).status).toBe(204)
    const snapshot = standin.home().snapshot()
    standin.home().restore(snapshot)
    expect((await call(minted, 'GET', '/me')).status).toBe(200)
    expect((await call(token('alice-laptop'), 'GET', '/me')).body.error.code).toBe('token_revoked')
    const copy = standin.restore(snapshot).world
    expect(copy.id).not.toBe(world.id)
    const theirs = copy.tokenFor('alice-phone')!
    expect(verifyJwt(theirs, SECRET)).toMatchObject({ sub: 'alice', tid: 'acct_alice' })
    expect((await call(theirs, 'GET', '/me')).body).toMatchObject({ user: 'alice' })
    expect((await call(theirs, 'POST', '/auth/token')).status).toBe(200)
  })

  it('are what a scenario must give keys of an API that takes only signed tokens, and only of one that takes them', async () => {
    await expect(createStandin({ spec: 'test/fixtures/accounts.yaml', scenarios: [{ name: 'default', tenants: [{ id: 't', keys: [{ token: 'plain-key' }] }] }] }))
      .rejects.toThrow(/tenants\/0\/keys\/0: key "plain-key" is not a signed token.*give it jwt: true/)
    await expect(createStandin({ spec: 'test/fixtures/site-tokens.yaml', scenarios: [{ name: 'default', tenants: [{ id: 't', keys: [{ token: 'key_1', jwt: true }] }] }] }))
      .rejects.toThrow(/tenants\/0\/keys\/0\/jwt: key "key_1" is a signed token, but the spec takes none/)
  })

  it('select their world: a fresh world of the scenario mints tokens of its own', async () => {
    const { standin, token, call } = await setUp()
    const fresh = standin.world('default').world
    const mine = fresh.tokenFor('alice-laptop')!
    expect(mine).not.toBe(token('alice-laptop'))
    expect((await call(mine, 'POST', '/auth/logout')).status).toBe(204)
    expect((await call(mine, 'GET', '/me')).body.error.code).toBe('token_revoked')
    expect((await call(token('alice-laptop'), 'GET', '/me')).status).toBe(200)
  })
})

describe('standin verify against a standin whose scenario has signed tokens', () => {
  it('sends the tokens the target\'s world minted for the scenario\'s keys, not their names', async () => {
    const { dir, file } = tempFiles('signed-verify')
    file('default.yaml', 'tenants:\n  - id: acct_v\n    flags: { termsAccepted: true }\n    keys: [{ token: vera-laptop, jwt: true, user: vera, role: admin }]\n')
    const standin = await createStandin({ spec: 'test/fixtures/accounts.yaml', scenarios: dir })
    const server = await listen(standin.handle, { port: 0 })
    const log = console.log
    console.log = () => {}
    try {
      const json = join(dir, 'report.json')
      await runVerify('test/fixtures/accounts.yaml', { target: server.url, scenarios: dir, json, quiet: true })
      const report = JSON.parse(readFileSync(json, 'utf8'))
      const me = report.results.filter((r: any) => r.operation === 'whoAmI' && r.kind === 'valid')
      expect(me.length).toBeGreaterThan(0)
      expect(me.map((r: any) => r.status)).toEqual(me.map(() => 200))
    } finally {
      console.log = log
      await server.close()
    }
  })
})
