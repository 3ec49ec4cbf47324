import { describe, expect, it } from 'vitest'
import { createStandin } from '../src/index.ts'
import { bearer, describeDoors, freshWorld } from './support/doors.ts'
import { typedClient } from './support/typed.ts'
import type { paths } from './types/browser-sessions.d.ts'
import type { paths as SandboxPaths } from './types/agent-sandbox.d.ts'

const browserSessions = { spec: 'spec/browser-sessions.yaml', scenarios: 'scenarios/browser-sessions' }

describeDoors('consumer violations', browserSessions, (client) => {
  it('journals a request that breaks the spec with where it broke it, and answers in the API envelope', async () => {
    const world = await freshWorld(client())
    const api = typedClient<paths>(client(), world.key)
    const { response, error } = await api.POST('/v1/sessions', { body: { ttl: 12 } })
    expect(response.status).toBe(400)
    expect(error).toEqual({ error: { code: 'invalid_field', message: 'Invalid value for field: ttl.' } })
    expect(response.headers.get('x-should-retry')).toBeNull()
    const violations = client().standin.worlds.get(world.id)!.violations('request')
    expect(violations).toEqual([expect.objectContaining({ side: 'request', location: 'body', pointer: '/ttl', operation: 'createSession' })])
  })

  it('still journals the violation when a scenario rule answers first', async () => {
    const world = await freshWorld(client(), 'flaky')
    const api = typedClient<paths>(client(), world.key)
    const { response } = await api.POST('/v1/sessions', { body: { ttl: 5000 } })
    expect(response.status).toBe(503)
    expect(client().standin.worlds.get(world.id)!.violations('request')).toEqual([expect.objectContaining({ pointer: '/ttl' })])
  })

  it('journals a call to a path the spec does not have', async () => {
    const world = await freshWorld(client())
    const res = await client().fetch('/v1/sesions', bearer(world.key))
    expect(res.status).toBe(404)
    expect(client().standin.worlds.get(world.id)!.violations()).toEqual([expect.objectContaining({ side: 'request', location: 'path' })])
  })

  it('answers Prefer: code=402 on an operation that does not declare 402 in the API\'s shape, journalled as forced-undeclared, not a violation', async () => {
    const world = await freshWorld(client())
    const api = typedClient<paths>(client(), world.key)
    const created = await api.POST('/v1/sessions', { body: { ttl: 120 } })
    const id = created.data!.id
    const res = await client().fetch(`/v1/sessions/${id}`, bearer(world.key, { headers: { prefer: 'code=402' } }))
    expect(res.status).toBe(402)
    expect(await res.json()).toMatchObject({ error: { code: 'payment_required' } })
    const journalled = client().standin.worlds.get(world.id)!
    expect(journalled.violations()).toEqual([])
    expect(journalled.journal.query({ status: 402 })).toEqual([expect.objectContaining({ cause: 'trigger', finding: expect.objectContaining({ kind: 'forced-undeclared' }) })])
    const declared = await client().fetch(`/v1/sessions/${id}`, bearer(world.key, { headers: { prefer: 'code=409' } }))
    expect(declared.status).toBe(409)
  })
})

describeDoors('strict mode', { ...browserSessions, strict: true }, (client) => {
  it('refuses a request that breaks the spec with a status no client retries, x-should-retry: false and the violation named', async () => {
    const world = await freshWorld(client())
    const api = typedClient<paths>(client(), world.key)
    const { response, error } = await api.POST('/v1/sessions', { body: { ttl: 12 } })
    expect(response.status).toBe(400)
    expect(error).toEqual({ error: { code: 'invalid_field', message: 'Invalid value for field: ttl.' } })
    expect(response.headers.get('x-should-retry')).toBe('false')
    expect(response.headers.get('x-standin-violation')).toBe('body/ttl: ttl must be >= 60')
  })

  it('refuses before a scenario rule can answer 503 (which clients retry), and the rule still fires for the next good request', async () => {
    const world = await freshWorld(client(), 'flaky')
    const api = typedClient<paths>(client(), world.key)
    const bad = await api.POST('/v1/sessions', { body: { ttl: 5000 } })
    expect(bad.response.status).toBe(400)
    expect(bad.response.headers.get('x-standin-violation')).toMatch(/^body\/ttl: /)
    const good = await api.POST('/v1/sessions', { body: { ttl: 120 } })
    expect(good.response.status).toBe(503)
  })

  it('refuses before a limit can answer 429', async () => {
    const world = await freshWorld(client(), 'concurrency-limit')
    const api = typedClient<paths>(client(), world.key)
    const bad = await api.POST('/v1/sessions', { body: { ttl: 'long' as unknown as number } })
    expect(bad.response.status).toBe(400)
    expect(bad.response.headers.get('x-standin-violation')).toBe('body/ttl: ttl must be integer')
    const good = await api.POST('/v1/sessions', { body: {} })
    expect(good.response.status).toBe(429)
    expect(good.response.headers.get('x-should-retry')).toBeNull()
  })

  it('marks a call to an unknown path the same way', async () => {
    const world = await freshWorld(client())
    const res = await client().fetch('/v1/sessions/x/screenshots', bearer(world.key, { method: 'POST' }))
    expect(res.status).toBe(404)
    expect(res.headers.get('x-should-retry')).toBe('false')
    expect(res.headers.get('x-standin-violation')).toMatch(/^path: no operation/)
  })

  it('leaves requests that keep the spec alone', async () => {
    const world = await freshWorld(client())
    const api = typedClient<paths>(client(), world.key)
    const { response, data } = await api.POST('/v1/sessions', { body: { ttl: 120 } })
    expect(response.status).toBe(201)
    expect(data).toMatchObject({ status: 'provisioning', ttl: 120 })
    expect(response.headers.get('x-should-retry')).toBeNull()
    expect(client().standin.worlds.get(world.id)!.violations()).toEqual([])
  })
})

describeDoors('strict mode on the agent sandbox API', { spec: 'spec/agent-sandbox.yaml', scenarios: 'scenarios/agent-sandbox', strict: true }, (client) => {
  it('refuses a run whose budget breaks the schema, and one with a property the schema does not allow', async () => {
    const world = await freshWorld(client())
    const api = typedClient<SandboxPaths>(client(), world.key)
    const over = await api.POST('/v1/threads/{threadId}/runs', { params: { path: { threadId: 'thr_acmedemo00000000' } }, body: { input: 'hi', maxBudgetUsd: 500 } })
    expect(over.response.status).toBe(400)
    expect(over.error).toMatchObject({ error: { code: 'invalid_request', status: 400 } })
    expect(over.response.headers.get('x-should-retry')).toBe('false')
    expect(over.response.headers.get('x-standin-violation')).toBe('body/maxBudgetUsd: maxBudgetUsd must be <= 100')
    const extra = await api.POST('/v1/threads/{threadId}/runs', { params: { path: { threadId: 'thr_acmedemo00000000' } }, body: { input: 'hi', temperature: 2 } as { input: string } })
    expect(extra.response.headers.get('x-standin-violation')).toBe('body/temperature: temperature must NOT have additional properties')
    const run = await api.POST('/v1/threads/{threadId}/runs', { params: { path: { threadId: 'thr_acmedemo00000000' } }, body: { input: 'hi' } })
    expect(run.response.status).toBe(201)
    expect(run.data).toMatchObject({ status: 'completed', output: 'The answer is 42.' })
    expect(client().standin.worlds.get(world.id)!.violations('request').map((v) => v.pointer)).toEqual(['/maxBudgetUsd', '/temperature'])
  })
})

describe('strict mode with a catalogue whose validation statuses clients retry', () => {
  it('answers 422 (declared) instead of 429, in the API envelope, without Retry-After', async () => {
    const standin = await createStandin({ spec: 'test/fixtures/retried-validation.yaml', strict: true })
    const res = await standin.handle(new Request('http://x/things', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: '' }) }))
    expect(res.status).toBe(422)
    expect(await res.json()).toEqual({ error: 'slow_down', message: 'Slow down: name.', statusCode: 422 })
    expect(res.headers.get('retry-after')).toBeNull()
    expect(res.headers.get('x-should-retry')).toBe('false')
    expect(res.headers.get('x-standin-violation')).toBe('body/name: name must NOT have fewer than 1 characters')
  })

  it('answers malformed JSON with 422 instead of 503', async () => {
    const standin = await createStandin({ spec: 'test/fixtures/retried-validation.yaml', strict: true })
    const res = await standin.handle(new Request('http://x/things', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":' }))
    expect(res.status).toBe(422)
    expect(await res.json()).toMatchObject({ error: 'try_later', statusCode: 422 })
  })

  it('keeps the catalogue statuses when not strict', async () => {
    const standin = await createStandin({ spec: 'test/fixtures/retried-validation.yaml' })
    const res = await standin.handle(new Request('http://x/things', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({}) }))
    expect(res.status).toBe(429)
    expect(res.headers.get('retry-after')).toBe('30')
  })
})

describe('world.violations() and assertNoViolations', () => {
  it('names the operation, location, pointer and request id of each violation', async () => {
    const standin = await createStandin(browserSessions)
    const world = standin.world()
    world.assertNoViolations()
    await standin.handle(new Request('http://x/v1/sessions?limit=500', bearer(world.key)))
    expect(world.violations()).toEqual([expect.objectContaining({ side: 'request', location: 'query', pointer: '/limit', operation: 'listSessions', requestId: expect.any(String) })])
    expect(() => world.assertNoViolations()).toThrow(/1 contract violation\(s\).*\n- request listSessions query\/limit limit must be <= 100/)
    expect(() => world.assertNoViolations('response')).not.toThrow()
  })
})
