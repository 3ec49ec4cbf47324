/**
 * The generation API (seed 003), end to end through every door: each of the seed's sixteen codes
 * and twenty statuses, by natural state and on demand; its tier limits exactly; sync and async runs,
 * polled by task; the envelope and the headers every response carries.
 */
import { describe, expect, it } from 'vitest'
import { advance, describeDoors, freshWorld, call, type Client, type Reply } from './support/doors.ts'
import { typedClient } from './support/typed.ts'
import type { paths } from './types/generation.d.ts'

const OPTIONS = { spec: 'spec/generation.yaml', scenarios: 'scenarios/generation' }

/** The seed's codes with their statuses (the seed gives no messages: these are the spec's). */
const SEED: Record<string, number> = {
  invalid_api_key: 401, forbidden: 403, insufficient_credits: 402, invalid_request: 400, validation_error: 422,
  preflight_failed: 400, payload_too_large: 413, not_found: 404, gone: 410, conflict: 409,
  sync_timeout_upgrade_async: 408, rate_limit_exceeded: 429, internal_error: 500, upstream_error: 502,
  service_unavailable: 503, not_implemented: 501,
}

/**
 * The seed's envelope: `{"error": "<code>", "message"}`, with the code's status — and, for an error
 * about a run, that run's `run_id` and `task_id` (the seed: capture both "from any response").
 */
function expectError(reply: Reply, code: string, message?: string | RegExp, run?: { run_id: string; task_id: string }): void {
  expect({ status: reply.status, error: reply.body?.error }).toEqual({ status: SEED[code], error: code })
  expect(Object.keys(reply.body).sort()).toEqual(run ? ['error', 'message', 'run_id', 'task_id'] : ['error', 'message'])
  if (run) expect([reply.body.run_id, reply.body.task_id]).toEqual([run.run_id, run.task_id])
  expect(reply.body.message).toEqual(message === undefined ? expect.any(String) : typeof message === 'string' ? message : expect.stringMatching(message))
}

const image = { format: 'image', prompt: 'A lighthouse at dusk' }

describeDoors('generation', OPTIONS, (client) => {
  const keys = async (scenario?: string) => {
    const world = await freshWorld(client(), scenario)
    return { world, acme: world.tenants[0]!.keys[0]!, free: world.tenants[1]?.keys[0], big: world.tenants[2]?.keys[0] }
  }

  describe('runs', () => {
    it('a sync run is 200 and done at once; an async one is 202, queued, and moves on the clock', async () => {
      const { world, acme } = await keys()
      const sync = await call(client(), 'POST', '/v1/runs', acme, image)
      expect(sync.status).toBe(200)
      expect(sync.body).toMatchObject({ status: 'succeeded', format: 'image', prompt: image.prompt, org_id: 'org_acme' })
      expect(sync.body.run_id).toMatch(/^run_[A-Za-z0-9]{24}$/)
      expect(sync.body.task_id).toBe(`task_${sync.body.run_id.slice(4)}`)
      const queued = await call(client(), 'POST', '/v1/runs', acme, { ...image, async: true })
      expect(queued.status).toBe(202)
      expect(queued.body.status).toBe('queued')
      const task = () => call(client(), 'GET', `/v1/tasks/${queued.body.task_id}`, acme)
      expect((await task()).body).toEqual({ task_id: queued.body.task_id, run_id: queued.body.run_id, status: 'queued' })
      await advance(client(), world.id, '2s')
      expect((await task()).body.status).toBe('running')
      await advance(client(), world.id, '10s')
      expect((await task()).body.status).toBe('succeeded')
      expect((await call(client(), 'GET', `/v1/runs/${queued.body.run_id}`, acme)).body.status).toBe('succeeded')
    })

    it('with a typed client, as a client team writes it: start async, poll the task, download', async () => {
      const { world, acme } = await keys()
      const api = typedClient<paths>(client(), acme)
      const started = await api.POST('/v1/runs', { body: { format: 'audio', prompt: 'Rain on a tin roof', async: true } })
      expect(started.response.status).toBe(202)
      const taskId = started.data!.task_id
      await advance(client(), world.id, '12s')
      const polled = await api.GET('/v1/tasks/{task_id}', { params: { path: { task_id: taskId } } })
      expect(polled.data).toEqual({ task_id: taskId, run_id: started.data!.run_id, status: 'succeeded' })
      const refused = await api.POST('/v1/runs', { body: { format: 'audio', prompt: '' } })
      expect(refused.error).toEqual({ error: 'validation_error', message: '/prompt: prompt must NOT have fewer than 1 characters' })
    })

    it('a failed task carries the structured failure; another organisation\'s task is not found', async () => {
      const { acme, free } = await keys()
      const failed = await call(client(), 'GET', '/v1/tasks/task_acme_failed', acme)
      expect(failed.body).toEqual({
        task_id: 'task_acme_failed', run_id: 'run_acme_failed', status: 'failed',
        error: { error: 'upstream_error', message: 'A provider we rely on failed. Retry with exponential backoff.' },
      })
      expectError(await call(client(), 'GET', '/v1/tasks/task_acme_failed', free), 'not_found')
      expectError(await call(client(), 'GET', '/v1/runs/run_acme_done', free), 'not_found')
      expectError(await call(client(), 'GET', '/v1/tasks/task_nope', acme), 'not_found', 'Not found.')
    })

    it('a succeeded run\'s download is 302 to its output; any other state is 409 conflict', async () => {
      const { acme } = await keys()
      const res = await client().fetch('/v1/runs/run_acme_done/download', { headers: { authorization: `Bearer ${acme}` }, redirect: 'manual' })
      expect(res.status).toBe(302)
      expect(res.headers.get('location')).toBe('https://cdn.generation.example/runs/run_acme_done/output')
      expectError(await call(client(), 'GET', '/v1/runs/run_acme_failed/download', acme), 'conflict', undefined, { run_id: 'run_acme_failed', task_id: 'task_acme_failed' })
      // Asked for by Prefer, the 302 still has the Location its declared response requires.
      const forced = await client().fetch('/v1/runs/run_acme_failed/download', { headers: { authorization: `Bearer ${acme}`, prefer: 'code=302' }, redirect: 'manual' })
      expect([forced.status, forced.headers.get('location')]).toEqual([302, 'https://cdn.generation.example/runs/run_acme_failed/output'])
    })

    it('cancelling a queued run; cancelling a finished one, or an idempotency key reused with another body, is 409 conflict', async () => {
      const { acme } = await keys()
      const queued = await call(client(), 'POST', '/v1/runs', acme, { ...image, async: true })
      expect((await call(client(), 'POST', `/v1/runs/${queued.body.run_id}/cancel`, acme)).body.status).toBe('cancelled')
      expectError(await call(client(), 'POST', `/v1/runs/${queued.body.run_id}/cancel`, acme), 'conflict',
        'The idempotency key was used with another request, or the resource is in the wrong state.', queued.body)
      expectError(await call(client(), 'POST', '/v1/runs/run_acme_done/cancel', acme), 'conflict', undefined, { run_id: 'run_acme_done', task_id: 'task_acme_done' })
      const first = await call(client(), 'POST', '/v1/runs', acme, image, { 'idempotency-key': 'k-1' })
      const replay = await call(client(), 'POST', '/v1/runs', acme, image, { 'idempotency-key': 'k-1' })
      expect(replay.body).toEqual(first.body)
      expect(replay.headers.get('idempotent-replayed')).toBe('true')
      expectError(await call(client(), 'POST', '/v1/runs', acme, { ...image, prompt: 'Another' }, { 'idempotency-key': 'k-1' }), 'conflict')
    })

    it('runs, files and images are kept 30 days, then 410 gone; deleted ones are gone at once', async () => {
      const { world, acme } = await keys()
      const run = await call(client(), 'POST', '/v1/runs', acme, image)
      await advance(client(), world.id, '29d')
      expect((await call(client(), 'GET', `/v1/runs/${run.body.run_id}`, acme)).status).toBe(200)
      expect((await call(client(), 'GET', `/v1/tasks/${run.body.task_id}`, acme)).status).toBe(200)
      await advance(client(), world.id, '1d')
      expectError(await call(client(), 'GET', `/v1/runs/${run.body.run_id}`, acme), 'gone', 'This resource has expired.')
      // Its task is the same expired run, found by its task id: gone too, not not_found.
      expectError(await call(client(), 'GET', `/v1/tasks/${run.body.task_id}`, acme), 'gone', 'This resource has expired.')
      expectError(await call(client(), 'GET', '/v1/tasks/task_never_was', acme), 'not_found')
      expectError(await call(client(), 'GET', '/v1/files/file_acme_1', acme), 'gone')
      expectError(await call(client(), 'GET', '/v1/images/img_acme_1', acme), 'gone')
      const { acme: other } = await keys()
      expect((await call(client(), 'DELETE', '/v1/images/img_acme_1', other)).status).toBe(204)
      expectError(await call(client(), 'GET', '/v1/images/img_acme_1', other), 'gone')
      expectError(await call(client(), 'DELETE', '/v1/files/file_nope', other), 'not_found')
    })
  })

  describe('validation', () => {
    it('a missing field or a bad format is 400 invalid_request; another bad field 422 validation_error with its pointer', async () => {
      const { acme } = await keys()
      expectError(await call(client(), 'POST', '/v1/runs', acme, { prompt: 'x' }), 'invalid_request', 'Invalid request: format.')
      expectError(await call(client(), 'POST', '/v1/runs', acme, { format: 'gif', prompt: 'x' }), 'invalid_request', 'Invalid request: format.')
      expectError(await call(client(), 'POST', '/v1/runs', acme, { format: 'image', prompt: '' }), 'validation_error', /^\/prompt: /)
      expectError(await call(client(), 'POST', '/v1/webhooks', acme, { url: 'not a url', events: ['run.succeeded'] }), 'validation_error', /^\/url: /)
      const malformed = await client().fetch('/v1/runs', { method: 'POST', headers: { authorization: `Bearer ${acme}`, 'content-type': 'application/json' }, body: '{"format":' })
      expectError({ status: malformed.status, headers: malformed.headers, body: await malformed.json() }, 'invalid_request')
    })
  })

  describe('keys, tiers and credits', () => {
    it('a missing, malformed, unknown or revoked key is 401 invalid_api_key', async () => {
      const { acme } = await keys()
      const message = 'Missing, malformed or revoked API key.'
      expectError(await call(client(), 'GET', '/v1/verify', undefined), 'invalid_api_key', message)
      expectError(await call(client(), 'GET', '/v1/verify', 'pk_test_1'), 'invalid_api_key', message)
      expectError(await call(client(), 'GET', '/v1/verify', `${acme}x`), 'invalid_api_key', message)
      const revoked = await keys('unauthorized')
      expectError(await call(client(), 'POST', '/v1/runs', revoked.acme, image), 'invalid_api_key', message)
    })

    it('a suspended organisation is 403 forbidden everywhere but /v1/verify, which says so', async () => {
      const { acme } = await keys('forbidden')
      expect((await call(client(), 'GET', '/v1/verify', acme)).body).toEqual({ org_id: 'org_suspended', tier: 'pro', status: 'suspended', credits: 100 })
      expectError(await call(client(), 'POST', '/v1/runs', acme, image), 'forbidden', 'This key is not permitted to do that.')
      expectError(await call(client(), 'GET', '/v1/runs/run_x', acme), 'forbidden')
    })

    it('a minted key authenticates as its organisation at once, is counted as a key of its own, and once deleted is revoked (401)', async () => {
      const { world, acme } = await keys()
      const minted = await call(client(), 'POST', '/v1/keys', acme, { name: 'rotation' })
      expect(minted.status).toBe(201)
      const secret = minted.body.secret as string
      const org = (await call(client(), 'GET', '/v1/verify', acme)).body.org_id
      const verified = await call(client(), 'GET', '/v1/verify', secret)
      expect(verified.status).toBe(200)
      expect(verified.body.org_id).toBe(org)
      // Its own rate window: the old key's requests are not its.
      expect(Number(verified.headers.get('x-ratelimit-remaining'))).toBe(Number(verified.headers.get('x-ratelimit-limit')) - 1)
      // The same world: what one key makes, the other reads.
      const run = await call(client(), 'POST', '/v1/runs', secret, image)
      expect((await call(client(), 'GET', `/v1/runs/${run.body.run_id}`, acme)).status).toBe(200)
      expect((await call(client(), 'DELETE', `/v1/keys/${minted.body.key_id}`, acme)).status).toBe(204)
      expectError(await call(client(), 'GET', '/v1/verify', secret), 'invalid_api_key')
      expect((await call(client(), 'GET', '/v1/verify', acme)).status).toBe(200)
      void world
    })

    it('minting keys needs pro or enterprise (403 forbidden); webhooks are not on the free tier (501 not_implemented)', async () => {
      const { acme, free } = await keys()
      const minted = await call(client(), 'POST', '/v1/keys', acme, { name: 'ci' })
      expect(minted.status).toBe(201)
      expect(minted.body.secret).toMatch(/^sk_live_/)
      expect((await call(client(), 'DELETE', `/v1/keys/${minted.body.key_id}`, acme)).status).toBe(204)
      expectError(await call(client(), 'POST', '/v1/keys', free!, {}), 'forbidden')
      const hook = { url: 'https://hooks.example/runs', events: ['run.succeeded'] }
      expect((await call(client(), 'POST', '/v1/webhooks', acme, hook)).status).toBe(201)
      expectError(await call(client(), 'POST', '/v1/webhooks', free!, hook), 'not_implemented', 'This endpoint is not available on your tier or deployment.')
    })

    it('a run needs its format\'s minimum in credits (image 1, audio 2, video 10) and uses it: else 402 insufficient_credits', async () => {
      const { free } = await keys()
      expectError(await call(client(), 'POST', '/v1/runs', free!, { format: 'video', prompt: 'x' }), 'insufficient_credits', 'Not enough credits: this format needs 10, the organisation has 5.')
      expect((await call(client(), 'POST', '/v1/runs', free!, { format: 'audio', prompt: 'x' })).status).toBe(200)
      expect((await call(client(), 'POST', '/v1/runs', free!, { format: 'audio', prompt: 'x' })).status).toBe(200)
      expect((await call(client(), 'GET', '/v1/verify', free!)).body.credits).toBe(1)
      expectError(await call(client(), 'POST', '/v1/runs', free!, { format: 'audio', prompt: 'x' }), 'insufficient_credits', 'Not enough credits: this format needs 2, the organisation has 1.')
      expect((await call(client(), 'POST', '/v1/runs', free!, image)).status).toBe(200)
      const broke = await keys('insufficient-credits')
      expectError(await call(client(), 'POST', '/v1/runs', broke.acme, image), 'insufficient_credits')
    })

    it('uploads are limited by tier (413 payload_too_large)', async () => {
      const { acme } = await keys('payload-too-large')
      const upload = (bytes: number) => client().fetch('/v1/files', { method: 'POST', headers: { authorization: `Bearer ${acme}`, 'content-type': 'application/octet-stream' }, body: 'x'.repeat(bytes) })
      expect((await upload(1024)).status).toBe(201)
      const refused = await upload(1025)
      expectError({ status: refused.status, headers: refused.headers, body: await refused.json() }, 'payload_too_large', 'The file is larger than your tier allows (1024 bytes).')
    })
  })

  describe('headers', () => {
    it('every response carries X-Request-Id, and every response to a key its rate-limit headers', async () => {
      const { acme } = await keys()
      const ok = await call(client(), 'GET', '/v1/verify', acme)
      expect(ok.headers.get('x-request-id')).toMatch(/^req_/)
      expect(ok.headers.get('x-ratelimit-limit')).toBe('60')
      expect(ok.headers.get('x-ratelimit-remaining')).toBe('59')
      expect(Number(ok.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000 - 3600)
      const refused = await call(client(), 'POST', '/v1/runs', acme, { prompt: 'x' })
      expect([refused.headers.get('x-request-id'), refused.headers.get('x-ratelimit-remaining')]).toEqual([expect.stringMatching(/^req_/), '58'])
      expect((await call(client(), 'GET', '/v1/verify', undefined)).headers.get('x-request-id')).toMatch(/^req_/)
    })
  })

  describe('on demand', () => {
    it('rate-limited: the 3rd request is 429 rate_limit_exceeded with Retry-After', async () => {
      const { acme } = await keys('rate-limited')
      expect((await call(client(), 'GET', '/v1/verify', acme)).status).toBe(200)
      expect((await call(client(), 'GET', '/v1/verify', acme)).status).toBe(200)
      const refused = await call(client(), 'GET', '/v1/verify', acme)
      expectError(refused, 'rate_limit_exceeded', 'Rate limit exceeded for your tier.')
      expect(refused.headers.get('retry-after')).toBe('60')
      expect(refused.headers.get('x-ratelimit-remaining')).toBe('0')
    })

    it('concurrency: two runs going on the free tier, the next is 429 until one is cancelled', async () => {
      const { acme } = await keys('concurrency')
      const refused = await call(client(), 'POST', '/v1/runs', acme, { ...image, async: true })
      expectError(refused, 'rate_limit_exceeded')
      expect(refused.headers.get('x-ratelimit-limit')).toBe('10')
      expect((await call(client(), 'POST', '/v1/runs/run_busy_2/cancel', acme)).status).toBe(200)
      expect((await call(client(), 'POST', '/v1/runs', acme, { ...image, async: true })).status).toBe(202)
    })

    it('sync-timeout: a sync run is 408 sync_timeout_upgrade_async with its run_id and task_id; the run goes on async, to poll; submitted async, it is queued', async () => {
      const { world, acme } = await keys('sync-timeout')
      const timedOut = await call(client(), 'POST', '/v1/runs', acme, image)
      const ids = { run_id: timedOut.body.run_id, task_id: timedOut.body.task_id }
      expect(ids.run_id).toMatch(/^run_/)
      expectError(timedOut, 'sync_timeout_upgrade_async', `The request hit the 300-second sync ceiling. The run goes on asynchronously as task ${ids.task_id} (poll it). Next time, submit with "async": true and poll the task.`, ids)
      expect((await call(client(), 'GET', `/v1/tasks/${ids.task_id}`, acme)).body).toEqual({ ...ids, status: 'queued' })
      await advance(client(), world.id, '12s')
      expect((await call(client(), 'GET', `/v1/tasks/${ids.task_id}`, acme)).body.status).toBe('succeeded')
      // The run started, so it was charged (pro: image 1 credit).
      expect((await call(client(), 'GET', '/v1/verify', acme)).body.credits).toBe(99)
      expect((await call(client(), 'POST', '/v1/runs', acme, { ...image, async: true })).status).toBe(202)
    })

    it('in any world a sync video hits the ceiling (a video takes 10 minutes): 408 with its ids; async, it succeeds 10 minutes after it starts', async () => {
      const { world, acme } = await keys()
      const video = { format: 'video', prompt: 'Waves at night' }
      const timedOut = await call(client(), 'POST', '/v1/runs', acme, video)
      expectError(timedOut, 'sync_timeout_upgrade_async', /^The request hit the 300-second sync ceiling/, { run_id: timedOut.body.run_id, task_id: timedOut.body.task_id })
      const queued = await call(client(), 'POST', '/v1/runs', acme, { ...video, async: true })
      await advance(client(), world.id, '5m')
      expect((await call(client(), 'GET', `/v1/tasks/${queued.body.task_id}`, acme)).body.status).toBe('running')
      await advance(client(), world.id, '6m')
      expect((await call(client(), 'GET', `/v1/tasks/${queued.body.task_id}`, acme)).body.status).toBe('succeeded')
      // Forced, with no run started, the 408 carries no ids, says nothing of a run, and has no blank.
      const forced = await call(client(), 'POST', '/v1/runs', acme, image, { 'x-standin-error': 'sync_timeout_upgrade_async' })
      expectError(forced, 'sync_timeout_upgrade_async', 'The request hit the 300-second sync ceiling. Next time, submit with "async": true and poll the task.')
    })

    it('failing-runs: a task fails on its own, its error structured — every run at failure rate 1, the same third of them at 0.3 on every reset', async () => {
      const { world, acme: doomed, free: shaky } = await keys('failing-runs')
      const outcomes = async () => {
        const ids: string[] = []
        for (let i = 0; i < 12; i++) ids.push((await call(client(), 'POST', '/v1/runs', shaky!, { ...image, async: true })).body.task_id)
        await advance(client(), world.id, '15s')
        return Promise.all(ids.map(async (id) => (await call(client(), 'GET', `/v1/tasks/${id}`, shaky!)).body.status as string))
      }
      const first = await outcomes()
      expect(first.filter((s) => s === 'failed').length).toBeGreaterThan(0)
      expect(first.filter((s) => s === 'succeeded').length).toBeGreaterThan(0)
      const reset = await client().fetch(`/__standin/worlds/${world.id}/reset`, { method: 'POST' })
      expect(reset.status).toBe(200)
      expect(await outcomes()).toEqual(first)

      const started = await call(client(), 'POST', '/v1/runs', doomed, { ...image, async: true })
      const task = () => call(client(), 'GET', `/v1/tasks/${started.body.task_id}`, doomed)
      await advance(client(), world.id, '2s')
      expect((await task()).body.status).toBe('running')
      await advance(client(), world.id, '4s')
      expect((await task()).body).toEqual({
        task_id: started.body.task_id, run_id: started.body.run_id, status: 'failed',
        error: { error: 'upstream_error', message: 'A provider we rely on failed. Retry with exponential backoff.' },
      })
    })

    it('in any world, an async run whose prompt names a file it does not attach fails preflight as it starts', async () => {
      const { world, acme } = await keys()
      const named = await call(client(), 'POST', '/v1/runs', acme, { format: 'image', prompt: 'Restyle file_abc123 as a watercolour', async: true })
      const attached = await call(client(), 'POST', '/v1/runs', acme, { format: 'image', prompt: 'Restyle file_acme_1 as a watercolour', assets: ['file_acme_1'], async: true })
      await advance(client(), world.id, '2s')
      expect((await call(client(), 'GET', `/v1/tasks/${named.body.task_id}`, acme)).body).toMatchObject({ status: 'failed', error: { error: 'preflight_failed' } })
      expect((await call(client(), 'GET', `/v1/tasks/${attached.body.task_id}`, acme)).body.status).toBe('running')
    })

    it('preflight: a run without assets is 400 preflight_failed', async () => {
      const { acme } = await keys('preflight')
      expectError(await call(client(), 'POST', '/v1/runs', acme, image), 'preflight_failed')
      expect((await call(client(), 'POST', '/v1/runs', acme, { ...image, assets: ['file_1'] })).status).toBe(200)
    })

    it('expired: reading a run, file or image is 410 gone', async () => {
      const { acme } = await keys('expired')
      expectError(await call(client(), 'GET', '/v1/runs/run_x', acme), 'gone')
      expectError(await call(client(), 'GET', '/v1/files/file_x', acme), 'gone')
      expectError(await call(client(), 'GET', '/v1/images/img_x', acme), 'gone')
    })

    it('flaky: 502 upstream_error, 503 service_unavailable with Retry-After, 500 internal_error, then fine', async () => {
      const { acme } = await keys('flaky')
      expectError(await call(client(), 'POST', '/v1/runs', acme, image), 'upstream_error')
      const unavailable = await call(client(), 'POST', '/v1/runs', acme, image)
      expectError(unavailable, 'service_unavailable')
      expect(unavailable.headers.get('retry-after')).toBe('45')
      expectError(await call(client(), 'POST', '/v1/runs', acme, image), 'internal_error', 'Internal error. Include the X-Request-Id header in a support ticket.')
    })

    it('any code by the trigger header, in the envelope', async () => {
      const { acme } = await keys()
      for (const code of Object.keys(SEED)) {
        const reply = await call(client(), 'GET', '/v1/runs/run_acme_done', acme, undefined, { 'x-standin-error': code })
        // Codes the operation does not declare come back as the API's not_found (as Prism answers).
        if (reply.status === SEED[code]) expectError(reply, code)
        else expectError(reply, 'not_found')
      }
    })
  })
})

describe('generation limits by tier, exactly (core)', () => {
  const per = async (client: Client) => keysOf(await freshWorld(client))
  const keysOf = (world: Awaited<ReturnType<typeof freshWorld>>) => ({ world, acme: world.tenants[0]!.keys[0]!, free: world.tenants[1]!.keys[0]!, big: world.tenants[2]!.keys[0]! })

  it('requests a minute per key: free 10, pro 60, enterprise 600', async () => {
    const { openDoor } = await import('./support/doors.ts')
    const client = await openDoor('core', OPTIONS)
    try {
      const { acme, free, big } = await per(client)
      for (const [key, n] of [[free, 10], [acme, 60], [big, 600]] as const) {
        for (let i = 0; i < n; i++) expect((await call(client, 'GET', '/v1/verify', key)).status).toBe(200)
        const refused = await call(client, 'GET', '/v1/verify', key)
        expect([refused.status, refused.body.error, refused.headers.get('x-ratelimit-limit')]).toEqual([429, 'rate_limit_exceeded', String(n)])
      }
    } finally {
      await client.close()
    }
  })

  it('concurrent runs per organisation: free 2, pro 10, enterprise 50', async () => {
    const { openDoor } = await import('./support/doors.ts')
    const client = await openDoor('core', OPTIONS)
    try {
      const { world, acme, free, big } = await per(client)
      for (const [key, n] of [[free, 2], [acme, 10], [big, 50]] as const) {
        for (let i = 0; i < n; i++) expect((await call(client, 'POST', '/v1/runs', key, { ...image, async: true })).status).toBe(202)
        expect((await call(client, 'POST', '/v1/runs', key, { ...image, async: true })).body.error).toBe('rate_limit_exceeded')
        // A sync run is refused too while the cap is reached: limits come before the run.
        expect((await call(client, 'POST', '/v1/runs', key, image)).body.error).toBe('rate_limit_exceeded')
      }
      await advance(client, world.id, '12s')
      expect((await call(client, 'POST', '/v1/runs', free, { ...image, async: true })).status).toBe(202)
    } finally {
      await client.close()
    }
  })
})

describeDoors('generation: messages never blank', OPTIONS, (client) => {
  it('a forced 402 says what it can, never "needs , the organisation has ."', async () => {
    const world = await freshWorld(client())
    const key = world.tenants[0]!.keys[0]!
    for (const headers of [{ 'x-standin-error': 'insufficient_credits' }, { prefer: 'code=402' }] as Array<Record<string, string>>) {
      expectError(await call(client(), 'POST', '/v1/runs', key, { format: 'video', prompt: 'x' }, headers), 'insufficient_credits', 'Not enough credits.')
    }
  })
})

describeDoors('generation: rate-limit headers on every answer', OPTIONS, (client) => {
  const headersOf = (reply: Reply) => ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'].map((h) => reply.headers.get(h))

  it('answers that never reached the limit carry them too: the key\'s window as it stands, or an anonymous one', async () => {
    const world = await freshWorld(client())
    const key = world.tenants[0]!.keys[0]!
    const first = await call(client(), 'GET', '/v1/verify', key)
    const [limit, remaining] = headersOf(first)
    expect(Number(remaining)).toBe(Number(limit) - 1)
    // Refused before the limit, or forced: the same window, nothing taken.
    for (const reply of [
      await call(client(), 'GET', '/v1/verify', key, undefined, { 'x-standin-error': 'internal_error' }),
      await call(client(), 'GET', '/v1/verify', key, undefined, { prefer: 'code=503' }),
      await call(client(), 'GET', '/v1/no-such-path', key),
    ]) {
      expect(headersOf(reply), `${reply.status}`).toEqual(headersOf(first))
    }
    // No usable key: an anonymous window, at the lowest tier's number.
    for (const reply of [await call(client(), 'GET', '/v1/verify', undefined), await call(client(), 'GET', '/v1/verify', 'sk_live_unknown'), await call(client(), 'GET', '/v1/verify', 'garbage')]) {
      expect(reply.status).toBe(401)
      const [l, r, reset] = headersOf(reply)
      expect({ l, r }).toEqual({ l: '10', r: '10' })
      expect(Number(reset)).toBeGreaterThan(0)
    }
  })
})
