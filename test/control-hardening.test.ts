/**
 * The control API is reachable by the developer's tools, not by web pages they happen to visit; its
 * inputs are bounded; a clock cannot be moved where no date can follow it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { request as httpRequest } from 'node:http'
import { createStandin, type Standin } from '../src/index.ts'
import { listen, type Listening } from '../src/adapters/node-http.ts'

const SPEC = 'spec/generation.yaml'
const SCENARIOS = 'scenarios/generation'

interface Raw { status: number; headers: Record<string, string | string[] | undefined>; body: string }

/** A request with exactly these headers (fetch will not send a Host of its own choosing). */
function raw(url: string, method: string, headers: Record<string, string>, body?: string | Buffer): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
    })
    req.on('error', reject)
    req.on('timeout', () => req.destroy(new Error('timed out')))
    req.end(body)
  })
}

describe('the control API and web pages', () => {
  let standin: Standin
  let server: Listening
  let url: string
  beforeAll(async () => {
    standin = await createStandin({ spec: SPEC, scenarios: SCENARIOS })
    server = await listen(standin.handle, { port: 0 })
    url = server.url
  })
  afterAll(async () => { await server.close() })

  it('answers its own tools (no Origin, a loopback Host)', async () => {
    const res = await raw(`${url}/__standin/scenarios`, 'GET', {})
    expect(res.status).toBe(200)
    const worlds = await raw(`${url}/__standin/worlds`, 'POST', { 'content-type': 'application/json' }, '{}')
    expect(worlds.status).toBe(201)
  })

  it('refuses a page of another origin, echoes no origin, and gives no credentials', async () => {
    const res = await raw(`${url}/__standin/scenarios`, 'GET', { origin: 'https://evil.example' })
    expect(res.status).toBe(403)
    expect(JSON.parse(res.body).error.code).toBe('control_cross_origin')
    expect(res.headers['access-control-allow-origin']).toBeUndefined()
    expect(res.headers['access-control-allow-credentials']).toBeUndefined()
    expect(res.body).not.toContain('keys')
  })

  it('refuses a cross-site navigation without Origin', async () => {
    const res = await raw(`${url}/__standin/scenarios`, 'GET', { 'sec-fetch-site': 'cross-site' })
    expect(res.status).toBe(403)
  })

  it('answers no preflight that would let another origin in', async () => {
    const res = await raw(`${url}/__standin/worlds`, 'OPTIONS', { origin: 'https://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' })
    expect(res.headers['access-control-allow-origin']).toBeUndefined()
    expect(res.status).toBe(403)
  })

  it('does not execute a text/plain POST (a "simple" request that skips the preflight)', async () => {
    const before = standin.worlds.list().length
    const res = await raw(`${url}/__standin/worlds`, 'POST', { 'content-type': 'text/plain' }, '{"scenario":"default"}')
    expect(res.status).toBe(415)
    expect(standin.worlds.list().length).toBe(before)
    const form = await raw(`${url}/__standin/worlds`, 'POST', { 'content-type': 'application/x-www-form-urlencoded' }, 'scenario=default')
    expect(form.status).toBe(415)
    expect(standin.worlds.list().length).toBe(before)
  })

  it('refuses a DNS-rebound Host and answers loopback names', async () => {
    const rebound = await raw(`${url}/__standin/scenarios`, 'GET', { host: 'rebind.attacker.example' })
    expect(rebound.status).toBe(403)
    expect(JSON.parse(rebound.body).error.code).toBe('control_forbidden_host')
    const port = new URL(url).port
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `app.localhost:${port}`]) {
      expect((await raw(`${url}/__standin/scenarios`, 'GET', { host })).status, host).toBe(200)
    }
  })

  it('allows the server\'s own origin (a dashboard it serves)', async () => {
    const port = new URL(url).port
    const res = await raw(`${url}/__standin/scenarios`, 'GET', { host: `127.0.0.1:${port}`, origin: `http://127.0.0.1:${port}` })
    expect(res.status).toBe(200)
  })

  it('still gives the API itself CORS, for a web app under development', async () => {
    const res = await raw(`${url}/v1/models`, 'OPTIONS', { origin: 'http://localhost:5173', 'access-control-request-method': 'GET' })
    expect(res.headers['access-control-allow-origin']).toBe('http://localhost:5173')
  })

  it('refuses a control body over its limit without keeping it', async () => {
    const big = Buffer.alloc(2 * 1024 * 1024, 0x20)
    const res = await raw(`${url}/__standin/worlds`, 'POST', { 'content-type': 'application/json' }, big)
    expect(res.status).toBe(413)
    expect(JSON.parse(res.body).error.code).toBe('payload_too_large')
  })

  it('does not let a tenant patch reach the flags\' prototype', async () => {
    const world = standin.world()
    const tenant = world.tenants[0]!.id
    const res = await raw(`${url}/__standin/worlds/${world.id}/tenants/${tenant}`, 'PATCH', { 'content-type': 'application/json' }, '{"flags": {"__proto__": {"suspended": true}}}')
    expect(res.status).toBe(400)
    const flags = world.tenant(tenant).flags as Record<string, unknown>
    expect(flags.suspended).toBeUndefined()
    expect(Object.getPrototypeOf(flags)).toBe(Object.prototype)
  })
})

describe('a control token', () => {
  it('is required from every peer once set, loopback too', async () => {
    const standin = await createStandin({ spec: SPEC, scenarios: SCENARIOS, controlToken: 's3cret' })
    const server = await listen(standin.handle, { port: 0 })
    try {
      expect((await raw(`${server.url}/__standin/scenarios`, 'GET', {})).status).toBe(401)
      expect((await raw(`${server.url}/__standin/scenarios`, 'GET', { 'x-standin-token': 'wrong' })).status).toBe(401)
      expect((await raw(`${server.url}/__standin/scenarios`, 'GET', { 'x-standin-token': 's3cret' })).status).toBe(200)
      expect((await raw(`${server.url}/__standin/scenarios`, 'GET', { authorization: 'Bearer s3cret' })).status).toBe(200)
    } finally {
      await server.close()
    }
  })

  it('lets an explicitly allowed origin call with CORS', async () => {
    const standin = await createStandin({ spec: SPEC, scenarios: SCENARIOS, allowedOrigins: ['http://localhost:5173'] })
    const server = await listen(standin.handle, { port: 0 })
    try {
      const res = await raw(`${server.url}/__standin/scenarios`, 'GET', { origin: 'http://localhost:5173' })
      expect(res.status).toBe(200)
      expect(res.headers['access-control-allow-origin']).toBe('http://localhost:5173')
      expect((await raw(`${server.url}/__standin/scenarios`, 'GET', { origin: 'http://localhost:5174' })).status).toBe(403)
    } finally {
      await server.close()
    }
  })
})

describe('a clock move no date can follow', () => {
  it.each([
    ['advance 1e300 seconds', { advance: 1e300 }],
    ['advance 100000000d', { advance: '100000000d' }],
    ['set past the year 9999', { set: '+275760-09-13T00:00:00.000Z' }],
    ['set backwards', { set: '2000-01-01T00:00:00Z' }],
  ])('is refused with 400 and moves nothing (%s)', async (_name, body) => {
    const standin = await createStandin({ spec: SPEC, scenarios: SCENARIOS })
    const world = standin.world()
    const before = world.clock.now()
    const res = await standin.handle(new Request(`http://localhost/__standin/worlds/${world.id}/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }))
    expect(res.status).toBe(400)
    expect(world.clock.now()).toBe(before)
    // The world and the world list still answer, for everyone.
    const list = await standin.handle(new Request('http://localhost/__standin/worlds'))
    expect(list.status).toBe(200)
    const read = await standin.handle(new Request('http://localhost/v1/verify', { headers: { authorization: `Bearer ${world.key}` } }))
    expect(read.status).toBe(200)
  })

  it('refuses the same moves through the library handle', async () => {
    const standin = await createStandin({ spec: SPEC, scenarios: SCENARIOS })
    const world = standin.world()
    const before = world.clock.now()
    expect(() => world.clock.advance('100000000d')).toThrow(RangeError)
    expect(() => world.clock.set('+275760-09-13T00:00:00.000Z')).toThrow(RangeError)
    expect(world.clock.now()).toBe(before)
  })
})
