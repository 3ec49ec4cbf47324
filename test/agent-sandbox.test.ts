/**
 * The agents SDK sandbox API (seeds 001 and 004), end to end through every door: sandboxes, threads
 * and runs; each of the seed's eight codes and the 503 by natural state and on demand (through the
 * scenarios in scenarios/agent-sandbox), in the seed's exact envelope; each limit exactly.
 */
import { describe, expect, it } from 'vitest'
import { advance, bearer, describeDoors, freshWorld, type Client, call, type Reply } from './support/doors.ts'
import { check } from '../src/index.ts'

const OPTIONS = { spec: 'spec/agent-sandbox.yaml', scenarios: 'scenarios/agent-sandbox' }

/** The seed's codes with their statuses (sandbox_error, budget_exceeded and the 503's as the spec chose). */
const STATUS: Record<string, number> = {
  invalid_request: 400, unauthorized: 401, forbidden: 403, not_found: 404, rate_limit_exceeded: 429,
  sandbox_error: 500, budget_exceeded: 400, stream_active: 409, service_unavailable: 503, conflict: 409,
}
const MESSAGE: Record<string, string> = {
  unauthorized: 'Invalid or missing API key',
  forbidden: 'The API key does not have permission for this operation',
  sandbox_error: 'The sandbox encountered a runtime error',
  stream_active: 'A stream is already active for this sandbox',
  service_unavailable: 'The sandbox runtime is temporarily unavailable',
}

const SANDBOX = 'sbx_acmedemo00000000'
const THREAD = 'thr_acmedemo00000000'

/** The seed's exact envelope: `{"error": {"code", "message", "status"}}` and nothing else. */
function expectError(reply: Reply, code: string, message = MESSAGE[code]!): void {
  expect({ status: reply.status, body: reply.body }).toEqual({ status: STATUS[code], body: { error: { code, message, status: STATUS[code] } } })
}

/** 429: the same envelope with `retryAfter`, and a message naming the same number of seconds. */
function expectRateLimited(reply: Reply, retryAfter: number): void {
  expect({ status: reply.status, body: reply.body }).toEqual({
    status: 429,
    body: { error: { code: 'rate_limit_exceeded', message: `Too many requests. Please retry after ${retryAfter} seconds.`, status: 429, retryAfter } },
  })
  // The same wait in the header HTTP clients and retry libraries read.
  expect(reply.headers.get('retry-after')).toBe(String(retryAfter))
}

it('standin check passes on the spec and its scenarios', () => {
  const result = check(OPTIONS.spec, { scenarios: OPTIONS.scenarios })
  expect(result.problems).toEqual([])
  expect(result.ok).toBe(true)
  expect(result.operations).toBe(11)
  // No catalogue message can render with a blank.
  expect(result.warnings).toEqual([])
})

describeDoors('agent sandbox', OPTIONS, (client) => {
  const run = (key: string, thread: string, body: unknown) => call(client(), 'POST', `/v1/threads/${thread}/runs`, key, body)

  describe('sandboxes, threads and runs', () => {
    it('creates a sandbox (201, starting → ready after 2 s), reads, lists and deletes it (204)', async () => {
      const world = await freshWorld(client())
      const created = await call(client(), 'POST', '/v1/sandboxes', world.key, { name: 'scratch', runtime: 'node' })
      expect(created.status).toBe(201)
      expect(created.body).toMatchObject({ name: 'scratch', runtime: 'node', status: 'starting' })
      expect(created.body.id).toMatch(/^sbx_[A-Za-z0-9]{16}$/)
      await advance(client(), world.id, '2s')
      const read = await call(client(), 'GET', `/v1/sandboxes/${created.body.id}`, world.key)
      expect(read.body).toEqual({ ...created.body, status: 'ready' })
      const list = await call(client(), 'GET', '/v1/sandboxes', world.key)
      expect(list.body.data.map((s: { id: string }) => s.id)).toEqual([SANDBOX, created.body.id])
      expect(list.body.hasMore).toBe(false)
      const deleted = await client().fetch(`/v1/sandboxes/${created.body.id}`, bearer(world.key, { method: 'DELETE' }))
      expect(deleted.status).toBe(204)
      expect(await deleted.text()).toBe('')
      expectError(await call(client(), 'GET', `/v1/sandboxes/${created.body.id}`, world.key), 'not_found', 'The specified sandbox does not exist')
    })

    it('creates threads inside a sandbox and lists them by sandboxId', async () => {
      const world = await freshWorld(client())
      const thread = await call(client(), 'POST', '/v1/threads', world.key, { sandboxId: SANDBOX, title: 'second' })
      expect(thread.status).toBe(201)
      expect(thread.body).toMatchObject({ sandboxId: SANDBOX, title: 'second' })
      expect(thread.body.id).toMatch(/^thr_[A-Za-z0-9]{16}$/)
      const list = await call(client(), 'GET', `/v1/threads?sandboxId=${SANDBOX}`, world.key)
      expect(list.status).toBe(200)
      expect(list.body.data.map((t: { id: string }) => t.id)).toEqual([THREAD, thread.body.id])
      expect((await call(client(), 'GET', `/v1/threads/${thread.body.id}`, world.key)).body).toEqual(thread.body)
    })

    it('runs on a thread: 201 with the completed run, its cost and output; listed and read back', async () => {
      const world = await freshWorld(client())
      const reply = await run(world.key, THREAD, { input: 'What is 6 times 7?' })
      expect(reply.status).toBe(201)
      expect(reply.body).toMatchObject({
        threadId: THREAD, sandboxId: SANDBOX, input: 'What is 6 times 7?', maxBudgetUsd: 1,
        status: 'completed', costUsd: 0.018, output: 'The answer is 42.',
      })
      expect(reply.body.id).toMatch(/^run_[A-Za-z0-9]{16}$/)
      expect((await call(client(), 'GET', `/v1/threads/${THREAD}/runs/${reply.body.id}`, world.key)).body).toEqual(reply.body)
      const list = await call(client(), 'GET', `/v1/threads/${THREAD}/runs`, world.key)
      expect(list.body.data).toEqual([reply.body])
    })

    it('deleting a sandbox deletes its threads and their runs', async () => {
      const world = await freshWorld(client())
      const done = await run(world.key, THREAD, { input: 'x' })
      expect((await client().fetch(`/v1/sandboxes/${SANDBOX}`, bearer(world.key, { method: 'DELETE' }))).status).toBe(204)
      expectError(await call(client(), 'GET', `/v1/threads/${THREAD}`, world.key), 'not_found', 'The specified thread does not exist')
      expectError(await call(client(), 'GET', `/v1/threads/${THREAD}/runs/${done.body.id}`, world.key), 'not_found', 'The specified thread does not exist')
    })

    it('never answers a response that breaks the spec', async () => {
      const world = client().standin.world()
      await call(client(), 'POST', '/v1/sandboxes', world.key, {})
      await run(world.key, THREAD, { input: 'x' })
      await run(world.key, THREAD, { input: 'x', maxBudgetUsd: 0.001 })
      await call(client(), 'GET', `/v1/threads?sandboxId=${SANDBOX}`, world.key)
      world.assertNoViolations('response')
    })
  })

  describe('each code by natural state', () => {
    it('invalid_request: the seed’s "sandboxId is required", a missing query parameter, a bad budget, a body that is not JSON', async () => {
      const world = await freshWorld(client())
      expectError(await call(client(), 'POST', '/v1/threads', world.key, {}), 'invalid_request', 'sandboxId is required')
      expectError(await call(client(), 'GET', '/v1/threads', world.key), 'invalid_request', 'sandboxId is required')
      expectError(await run(world.key, THREAD, {}), 'invalid_request', 'input is required')
      expectError(await run(world.key, THREAD, { input: 'x', maxBudgetUsd: 0 }), 'invalid_request', 'maxBudgetUsd must be > 0')
      const res = await client().fetch('/v1/threads', bearer(world.key, { method: 'POST', body: '{"sandboxId": ', headers: { 'content-type': 'application/json' } }))
      expectError({ status: res.status, headers: res.headers, body: await res.json() }, 'invalid_request', 'The request body is malformed')
    })

    it('unauthorized: a missing key, an unknown key', async () => {
      expectError(await call(client(), 'GET', '/v1/sandboxes', undefined), 'unauthorized')
      expectError(await call(client(), 'GET', '/v1/sandboxes', 'sk_agents_nobody_knows'), 'unauthorized')
      expectError(await call(client(), 'POST', `/v1/threads/${THREAD}/runs`, undefined, { input: 'x' }), 'unauthorized')
    })

    it('unauthorized: an expired key — expired from the start, or 10 minutes of the world\'s clock in (expired-key)', async () => {
      const world = await freshWorld(client(), 'expired-key')
      const [expired, expiring] = world.tenants[0]!.keys
      expectError(await call(client(), 'GET', '/v1/sandboxes', expired), 'unauthorized')
      expect((await call(client(), 'GET', '/v1/sandboxes', expiring)).status).toBe(200)
      await advance(client(), world.id, '10m')
      expectError(await call(client(), 'GET', '/v1/sandboxes/sbx_lapsed0000000000', expiring), 'unauthorized')
    })

    it('unauthorized: a key expired or revoked through the control API mid-run, and restored', async () => {
      const world = await freshWorld(client())
      const patch = async (key: string, body: unknown) => {
        const res = await client().fetch(`/__standin/worlds/${world.id}/keys/${key}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
        return { status: res.status, body: await res.json() }
      }
      const [full, readonly] = world.tenants[0]!.keys
      expect(await patch(full!, { expiresAt: '0s' })).toEqual({ status: 200, body: { token: full, tenant: 'org_acme', expiresAt: expect.any(String), revoked: false } })
      expectError(await call(client(), 'GET', '/v1/sandboxes', full), 'unauthorized')
      expect((await patch(full!, { expiresAt: null })).body.expiresAt).toBeNull()
      expect((await call(client(), 'GET', '/v1/sandboxes', full)).status).toBe(200)
      expect((await patch(readonly!, { revoked: true })).body.revoked).toBe(true)
      expectError(await call(client(), 'GET', '/v1/sandboxes', readonly), 'unauthorized')
      expect((await patch(readonly!, { expiresAt: 'soon' })).status).toBe(400)
      expect((await patch('sk_agents_nobody', { revoked: true })).status).toBe(404)
    })

    it('conflict (409, "resource already exists"): a second sandbox of a name in use in the organisation; unnamed ones never clash', async () => {
      const world = await freshWorld(client())
      const taken = await call(client(), 'POST', '/v1/sandboxes', world.key, { name: 'demo' })
      expectError(taken, 'conflict', 'Resource already exists: a sandbox named demo is already in this organisation')
      expect((await call(client(), 'POST', '/v1/sandboxes', world.key, {})).status).toBe(201)
      expect((await call(client(), 'POST', '/v1/sandboxes', world.key, {})).status).toBe(201)
      // Another organisation may use the name; once the first is deleted, so may this one.
      expect((await call(client(), 'POST', '/v1/sandboxes', world.tenants[1]!.keys[0], { name: 'demo' })).status).toBe(201)
      expect((await call(client(), 'DELETE', `/v1/sandboxes/${SANDBOX}`, world.key)).status).toBe(204)
      expect((await call(client(), 'POST', '/v1/sandboxes', world.key, { name: 'demo' })).status).toBe(201)
    })

    it('forbidden: a read-only key reads but cannot create or delete sandboxes, threads or runs', async () => {
      const world = await freshWorld(client())
      const reader = world.tenants[0]!.keys[1]!
      expect((await call(client(), 'GET', `/v1/sandboxes/${SANDBOX}`, reader)).status).toBe(200)
      expectError(await call(client(), 'POST', '/v1/sandboxes', reader, {}), 'forbidden')
      expectError(await call(client(), 'POST', '/v1/threads', reader, { sandboxId: SANDBOX }), 'forbidden')
      expectError(await run(reader, THREAD, { input: 'x' }), 'forbidden')
      expectError(await call(client(), 'DELETE', `/v1/sandboxes/${SANDBOX}`, reader), 'forbidden')
    })

    it('not_found: an unknown sandbox or thread, and another organisation’s', async () => {
      const world = await freshWorld(client())
      const [acme, globex] = [world.tenants[0]!.keys[0]!, world.tenants[1]!.keys[0]!]
      const sandbox = 'The specified sandbox does not exist'
      const thread = 'The specified thread does not exist'
      expectError(await call(client(), 'GET', '/v1/sandboxes/sbx_nosuchsandbox0000', acme), 'not_found', sandbox)
      expectError(await call(client(), 'GET', '/v1/threads/thr_nosuchthread00000', acme), 'not_found', thread)
      expectError(await call(client(), 'GET', `/v1/sandboxes/${SANDBOX}`, globex), 'not_found', sandbox)
      expectError(await call(client(), 'DELETE', `/v1/sandboxes/${SANDBOX}`, globex), 'not_found', sandbox)
      expectError(await call(client(), 'GET', `/v1/threads/${THREAD}`, globex), 'not_found', thread)
      expectError(await call(client(), 'POST', '/v1/threads', globex, { sandboxId: SANDBOX }), 'not_found', sandbox)
      expectError(await call(client(), 'GET', `/v1/threads?sandboxId=${SANDBOX}`, globex), 'not_found', sandbox)
      expectError(await run(globex, THREAD, { input: 'x' }), 'not_found', thread)
      expectError(await call(client(), 'GET', `/v1/threads/${THREAD}/runs/run_nosuchrun00000000`, acme), 'not_found', 'The specified run does not exist')
      expect((await call(client(), 'GET', `/v1/sandboxes/${SANDBOX}`, acme)).status).toBe(200)
    })

    it('rate_limit_exceeded: the 101st request in a minute, retryAfter 60; then 60 s later, allowed again', async () => {
      const world = await freshWorld(client())
      for (let i = 0; i < 100; i++) expect((await call(client(), 'GET', `/v1/sandboxes/${SANDBOX}`, world.key)).status).toBe(200)
      expectRateLimited(await call(client(), 'GET', '/v1/sandboxes', world.key), 60)
      await advance(client(), world.id, 59)
      expectRateLimited(await call(client(), 'GET', '/v1/sandboxes', world.key), 1)
      await advance(client(), world.id, 1)
      expect((await call(client(), 'GET', '/v1/sandboxes', world.key)).status).toBe(200)
      // Per key: the organisation's read-only key was never limited.
      expect((await call(client(), 'GET', '/v1/sandboxes', world.tenants[0]!.keys[1]!)).status).toBe(200)
    })

    it('rate_limit_exceeded: a world with 5 requests a minute; retryAfter counts down with the clock', async () => {
      const world = await freshWorld(client(), 'rate-limited')
      for (let i = 0; i < 5; i++) {
        expect((await call(client(), 'GET', '/v1/sandboxes', world.key)).status).toBe(200)
        await advance(client(), world.id, 10)
      }
      // The first request leaves the window at 60 s; 50 s have passed.
      expectRateLimited(await call(client(), 'GET', '/v1/sandboxes', world.key), 10)
    })

    it('rate_limit_exceeded: 10 run starts per minute per thread', async () => {
      const world = await freshWorld(client())
      for (let i = 0; i < 10; i++) expect((await run(world.key, THREAD, { input: `run ${i}` })).status).toBe(201)
      expectRateLimited(await run(world.key, THREAD, { input: 'one more' }), 60)
      const other = await call(client(), 'POST', '/v1/threads', world.key, { sandboxId: SANDBOX })
      expect((await run(world.key, other.body.id, { input: 'another thread' })).status).toBe(201)
    })

    it('rate_limit_exceeded: only runs that start count toward the ten; refusals do not', async () => {
      const world = await freshWorld(client())
      for (let i = 0; i < 15; i++) expect((await run(world.key, THREAD, { input: 42 })).status).toBe(400)
      for (let i = 0; i < 10; i++) expect((await run(world.key, THREAD, { input: `run ${i}` })).status).toBe(201)
      expectRateLimited(await run(world.key, THREAD, { input: 'one more' }), 60)
    })

    it('rate_limit_exceeded: a run that started and stopped on its budget (400 budget_exceeded) did start, and counts', async () => {
      const world = await freshWorld(client())
      for (let i = 0; i < 4; i++) expect((await run(world.key, THREAD, { input: `run ${i}`, maxBudgetUsd: 0.005 })).body.error.code).toBe('budget_exceeded')
      for (let i = 0; i < 6; i++) expect((await run(world.key, THREAD, { input: `run ${i}` })).status).toBe(201)
      expectRateLimited(await run(world.key, THREAD, { input: 'one more' }), 60)
    })

    it('rate_limit_exceeded: a client polling while the runtime starts (503) is not locked out of its ten', async () => {
      const world = await freshWorld(client(), 'unavailable')
      for (let i = 0; i < 12; i++) expectError(await run(world.key, 'thr_booting000000000', { input: 'x' }), 'service_unavailable')
      await advance(client(), world.id, '2s')
      for (let i = 0; i < 10; i++) expect((await run(world.key, 'thr_booting000000000', { input: `run ${i}` })).status).toBe(201)
      expectRateLimited(await run(world.key, 'thr_booting000000000', { input: 'one more' }), 60)
    })

    it('sandbox_error (500): a run or a new thread in a sandbox whose runtime crashed', async () => {
      const world = await freshWorld(client(), 'sandbox-error')
      expectError(await run(world.key, 'thr_crashed000000000', { input: 'x' }), 'sandbox_error')
      expectError(await call(client(), 'POST', '/v1/threads', world.key, { sandboxId: 'sbx_crashed000000000' }), 'sandbox_error')
      // Still readable, and deletable.
      expect((await call(client(), 'GET', '/v1/sandboxes/sbx_crashed000000000', world.key)).body.status).toBe('error')
      expect((await client().fetch('/v1/sandboxes/sbx_crashed000000000', bearer(world.key, { method: 'DELETE' }))).status).toBe(204)
    })

    it('budget_exceeded: a run whose next step would cost more than maxBudgetUsd stops part-way, kept as failed', async () => {
      const world = await freshWorld(client())
      expectError(await run(world.key, THREAD, { input: 'x', maxBudgetUsd: 0.015 }), 'budget_exceeded', 'The request exceeded the maxBudgetUsd limit (0.015 USD)')
      expectError(await run(world.key, THREAD, { input: 'x', maxBudgetUsd: 0.005 }), 'budget_exceeded', 'The request exceeded the maxBudgetUsd limit (0.005 USD)')
      const enough = await run(world.key, THREAD, { input: 'x', maxBudgetUsd: 0.018 })
      expect(enough.body).toMatchObject({ status: 'completed', costUsd: 0.018 })
      const runs = (await call(client(), 'GET', `/v1/threads/${THREAD}/runs`, world.key)).body.data
      expect(runs.map((r: any) => [r.status, r.costUsd, r.output])).toEqual([
        ['failed', 0.014, 'The answer '],
        ['failed', 0, ''],
        ['completed', 0.018, 'The answer is 42.'],
      ])
      expect(runs[0].error).toEqual({ code: 'budget_exceeded', message: 'The request exceeded the maxBudgetUsd limit (0.015 USD)', status: 400 })
    })

    it('503: a run while the sandbox runtime is starting, with Retry-After; accepted once ready', async () => {
      const world = await freshWorld(client(), 'unavailable')
      const refused = await run(world.key, 'thr_booting000000000', { input: 'x' })
      expectError(refused, 'service_unavailable')
      expect(refused.headers.get('retry-after')).toBe('2')
      await advance(client(), world.id, 2)
      expect((await run(world.key, 'thr_booting000000000', { input: 'x' })).status).toBe(201)
      // A sandbox created through the API starts the same way.
      const sandbox = await call(client(), 'POST', '/v1/sandboxes', world.key, {})
      const thread = await call(client(), 'POST', '/v1/threads', world.key, { sandboxId: sandbox.body.id })
      expect(thread.status).toBe(201)
      expectError(await run(world.key, thread.body.id, { input: 'x' }), 'service_unavailable')
    })
    // stream_active (409) by natural state: test/agent-sandbox-streams.test.ts.
  })

  describe('each code on demand, through scenarios/agent-sandbox', () => {
    it('invalid_request: the first thread is refused "sandboxId is required", the second is created', async () => {
      const world = await freshWorld(client(), 'invalid-request')
      expectError(await call(client(), 'POST', '/v1/threads', world.key, { sandboxId: 'sbx_input00000000000' }), 'invalid_request', 'sandboxId is required')
      expect((await call(client(), 'POST', '/v1/threads', world.key, { sandboxId: 'sbx_input00000000000' })).status).toBe(201)
    })

    it('unauthorized: every call, the key being valid', async () => {
      const world = await freshWorld(client(), 'unauthorized')
      expectError(await call(client(), 'GET', '/v1/sandboxes', world.key), 'unauthorized')
      expectError(await call(client(), 'POST', '/v1/sandboxes', world.key, {}), 'unauthorized')
    })

    it('forbidden: deleting a sandbox, even with the full key', async () => {
      const world = await freshWorld(client(), 'forbidden')
      expectError(await call(client(), 'DELETE', '/v1/sandboxes/sbx_locked0000000000', world.key), 'forbidden')
      expect((await call(client(), 'POST', '/v1/sandboxes', world.key, {})).status).toBe(201)
      expectError(await call(client(), 'POST', '/v1/sandboxes', world.tenants[0]!.keys[1]!, {}), 'forbidden')
    })

    it('not_found: sandboxes whose id starts sbx_gone; another organisation’s sandbox', async () => {
      const world = await freshWorld(client(), 'not-found')
      expectError(await call(client(), 'GET', '/v1/sandboxes/sbx_gone000000000001', world.key), 'not_found', 'The specified sandbox does not exist')
      expectError(await call(client(), 'GET', '/v1/sandboxes/sbx_otherorg00000000', world.key), 'not_found', 'The specified sandbox does not exist')
      expect((await call(client(), 'GET', '/v1/sandboxes/sbx_otherorg00000000', world.tenants[1]!.keys[0]!)).status).toBe(200)
    })

    it('rate_limit_exceeded: the first run, with retryAfter 30 in the body and the message', async () => {
      const world = await freshWorld(client(), 'rate-limited')
      expectRateLimited(await run(world.key, 'thr_hasty00000000000', { input: 'x' }), 30)
      expect((await run(world.key, 'thr_hasty00000000000', { input: 'x' })).status).toBe(201)
    })

    it('sandbox_error: a run in the healthy sandbox fails after two events — 500, the run kept as failed', async () => {
      const world = await freshWorld(client(), 'sandbox-error')
      const thread = 'thr_healthy000000000'
      expectError(await run(world.key, thread, { input: 'x' }), 'sandbox_error')
      const [failed] = (await call(client(), 'GET', `/v1/threads/${thread}/runs`, world.key)).body.data
      expect(failed).toMatchObject({ status: 'failed', costUsd: 0.01, error: { code: 'sandbox_error', message: MESSAGE.sandbox_error, status: 500 } })
    })

    it('budget_exceeded: every run, whatever its budget, after three events', async () => {
      const world = await freshWorld(client(), 'budget-exceeded')
      expectError(await run(world.key, 'thr_thrifty000000000', { input: 'x', maxBudgetUsd: 50 }), 'budget_exceeded', 'The request exceeded the maxBudgetUsd limit (50 USD)')
    })

    it('stream_active: the second run started in the world', async () => {
      const world = await freshWorld(client(), 'stream-active')
      expect((await run(world.key, 'thr_quiet00000000000', { input: 'x' })).status).toBe(201)
      expectError(await run(world.key, 'thr_quiet00000000000', { input: 'x' }), 'stream_active')
      expect((await run(world.key, 'thr_quiet00000000000', { input: 'x' })).status).toBe(201)
    })

    it('503: the first two runs in the ready sandbox, Retry-After 5; the third goes through', async () => {
      const world = await freshWorld(client(), 'unavailable')
      for (let i = 0; i < 2; i++) {
        const refused = await run(world.key, 'thr_outage0000000000', { input: 'x' })
        expectError(refused, 'service_unavailable')
        expect(refused.headers.get('retry-after')).toBe('5')
      }
      expect((await run(world.key, 'thr_outage0000000000', { input: 'x' })).status).toBe(201)
    })

    it('any code by header for one request (X-Standin-Error), and any status by Prefer', async () => {
      const world = await freshWorld(client())
      for (const code of Object.keys(STATUS)) {
        const reply = await call(client(), 'POST', `/v1/threads/${THREAD}/runs`, world.key, { input: 'x' }, { 'x-standin-error': code })
        if (code === 'rate_limit_exceeded') expectRateLimited(reply, 60)
        else expect(reply.body.error).toMatchObject({ code, status: STATUS[code] })
      }
      // standin's generic name for a 429 is this API's own code for it, Retry-After and all.
      expectRateLimited(await call(client(), 'GET', '/v1/sandboxes', world.key, undefined, { 'x-standin-error': 'rate_limited' }), 60)
      const preferred = await call(client(), 'POST', `/v1/threads/${THREAD}/runs`, world.key, { input: 'x' }, { prefer: 'code=409' })
      expectError(preferred, 'stream_active')
    })
  })
})
