/**
 * Scenario rules: forced outcomes matched by operation, method, path, tenant, header or body, on the
 * Nth matching call, for N times — an error code, a raw status with headers and body, a fault.
 */
import { describe, expect, it } from 'vitest'
import { createStandin } from '../src/index.ts'

const BASE = 'https://api.browser-sessions.example'

async function setUp(rules: unknown[], options: { faultTimeoutMs?: number } = {}) {
  const standin = await createStandin({
    spec: 'spec/browser-sessions.yaml',
    faultTimeoutMs: options.faultTimeoutMs,
    scenarios: [{
      name: 'default',
      tenants: [
        { id: 'ws_a', balance: 10, keys: [{ token: 'key_a' }] },
        { id: 'ws_b', balance: 10, keys: [{ token: 'key_b' }] },
      ],
      rules,
    }],
  })
  const call = async (key: string, method = 'POST', path = '/v1/sessions', body: unknown = {}, headers: Record<string, string> = {}) => {
    const res = await standin.handle(new Request(BASE + path, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
      body: method === 'GET' ? undefined : JSON.stringify(body),
    }))
    return res
  }
  return { standin, call }
}

describe('rules', () => {
  it('match one tenant only', async () => {
    const { call } = await setUp([{ match: { tenant: { id: 'ws_b' } }, error: 'payment_required' }])
    expect((await call('key_a')).status).toBe(201)
    expect((await call('key_b')).status).toBe(402)
  })

  it('match a header, a body field and a method', async () => {
    const { call } = await setUp([
      { match: { headers: { 'x-scenario': 'slow-lane' } }, error: 'service_unavailable', vars: { retryAfter: 3 } },
      { method: 'POST', match: { body: { ttl: { in: [61, 62] } } }, error: 'invalid_field', vars: { field: 'ttl' } },
    ])
    const unavailable = await call('key_a', 'GET', '/v1/sessions', undefined, { 'x-scenario': 'slow-lane' })
    expect(unavailable.status).toBe(503)
    expect(unavailable.headers.get('retry-after')).toBe('3')
    expect(await (await call('key_a', 'POST', '/v1/sessions', { ttl: 61 })).json()).toEqual({ error: { code: 'invalid_field', message: 'Invalid value for field: ttl.' } })
    expect((await call('key_a', 'POST', '/v1/sessions', { ttl: 63 })).status).toBe(201)
  })

  it('fire on the Nth matching call, for N times, counting calls another rule answered', async () => {
    const { call } = await setUp([
      { operation: 'createSession', nth: 2, times: 2, error: 'concurrency_limit' },
      { operation: 'createSession', nth: 1, error: 'rate_limited' },
      { operation: 'createSession', nth: 5, error: 'forbidden' },
    ])
    const statuses = []
    for (let i = 0; i < 6; i++) statuses.push((await call('key_a')).status)
    expect(statuses).toEqual([429, 429, 429, 201, 403, 201])
  })

  it('answer a raw status with headers and a body the spec declares', async () => {
    const { standin, call } = await setUp([{ operation: 'listSessions', status: 503, headers: { 'Retry-After': '9' }, body: { error: { code: 'service_unavailable', message: 'Down for maintenance.' } } }])
    const res = await call('key_a', 'GET')
    expect(res.status).toBe(503)
    expect(res.headers.get('retry-after')).toBe('9')
    expect(await res.json()).toEqual({ error: { code: 'service_unavailable', message: 'Down for maintenance.' } })
    expect(standin.home().violations()).toEqual([])
  })

  it('drop the connection, or hold it and then drop it', async () => {
    const { call } = await setUp([{ operation: 'createSession', nth: 1, fault: 'drop' }, { operation: 'createSession', nth: 2, fault: 'timeout' }], { faultTimeoutMs: 10 })
    expect((await call('key_a')).type).toBe('error')
    expect((await call('key_a')).type).toBe('error')
    expect((await call('key_a')).status).toBe(201)
  })

  it('match a path glob', async () => {
    const { call } = await setUp([{ path: '/v1/sessions/sess_gone*', error: 'session_not_found' }])
    expect((await call('key_a', 'GET', '/v1/sessions/sess_gone_1')).status).toBe(404)
    expect((await call('key_a', 'GET', '/v1/sessions')).status).toBe(200)
  })

  it('an unknown X-Standin-Error code is refused with the codes the API has', async () => {
    const { call } = await setUp([])
    const res = await call('key_a', 'GET', '/v1/sessions', undefined, { 'x-standin-error': 'teapot' })
    expect(res.status).toBe(400)
    expect((await res.json()).error.message).toMatch(/"teapot" is not an error code of this API \(.*session_not_found.*\)/)
  })
})
