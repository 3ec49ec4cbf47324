/**
 * The browser sessions API (seed 000), end to end through every door: each of the seed's ten codes
 * by natural state and on demand, and each limit exactly, on the world's virtual clock.
 */
import { describe, expect, it } from 'vitest'
import { advance, bearer, describeDoors, freshWorld, type Client, call, type Reply } from './support/doors.ts'
import { held } from './support/held.ts'

const OPTIONS = { spec: 'spec/browser-sessions.yaml', scenarios: 'scenarios/browser-sessions' }

/** The seed's error reference, verbatim: status and message per code. */
const SEED: Record<string, { status: number; message: string }> = {
  session_not_found: { status: 404, message: 'Session not found.' },
  session_not_open: { status: 409, message: 'Session is already in a terminal state.' },
  session_not_ready: { status: 409, message: 'Session is not ready yet.' },
  rate_limited: { status: 429, message: 'Too many requests.' },
  concurrency_limit: { status: 429, message: 'Concurrency limit reached.' },
  payment_required: { status: 402, message: 'Insufficient balance.' },
  unauthorized: { status: 401, message: 'Missing or invalid API key.' },
  forbidden: { status: 403, message: 'Access denied.' },
  invalid_request: { status: 400, message: 'Request body is malformed.' },
  invalid_field: { status: 400, message: 'Invalid value for field: field_name.' },
}

/** Asserts the seed's exact envelope: `{"error": {"code", "message"}}` and nothing else. */
function expectError(reply: Reply, code: string, message = SEED[code]!.message): void {
  expect({ status: reply.status, body: reply.body }).toEqual({ status: SEED[code]!.status, body: { error: { code, message } } })
}

describeDoors('browser sessions', OPTIONS, (client) => {
  const create = (key: string, body: unknown = {}) => call(client(), 'POST', '/v1/sessions', key, body)
  const createOk = async (key: string, body: unknown = {}) => {
    const reply = await create(key, body)
    expect(reply.status, JSON.stringify(reply.body)).toBe(201)
    return reply.body as { id: string; status: string; ttl: number }
  }

  describe('sessions', () => {
    it('creates, reads, lists and deletes a session; status moves provisioning → ready → closed', async () => {
      const world = await freshWorld(client())
      const session = await createOk(world.key, { ttl: 600 })
      expect(session.id).toMatch(/^sess_[A-Za-z0-9]{24}$/)
      expect(session).toMatchObject({ status: 'provisioning', ttl: 600, workspaceId: 'ws_acme' })
      await advance(client(), world.id, '2s')
      expect((await call(client(), 'GET', `/v1/sessions/${session.id}`, world.key)).body.status).toBe('ready')
      const list = await call(client(), 'GET', '/v1/sessions', world.key)
      expect(list.status).toBe(200)
      expect(list.body.data.map((s: { id: string }) => s.id)).toEqual([session.id])
      const deleted = await call(client(), 'DELETE', `/v1/sessions/${session.id}`, world.key)
      expect(deleted.status).toBe(200)
      expect(deleted.body).toMatchObject({ id: session.id, status: 'closed' })
      expect(deleted.body.closedAt).toEqual(expect.any(String))
    })

    it('defaults the TTL to 1800 seconds and accepts the bounds 60 and 3600', async () => {
      const world = await freshWorld(client())
      expect((await createOk(world.key)).ttl).toBe(1800)
      const bodiless = await client().fetch('/v1/sessions', bearer(world.key, { method: 'POST' }))
      expect(bodiless.status).toBe(201)
      const session = await bodiless.json()
      expect(session.ttl).toBe(1800)
      expect(Date.parse(session.expiresAt) - Date.parse(session.createdAt)).toBe(1800_000)
      expect((await createOk(world.key, { ttl: 60 })).ttl).toBe(60)
      expect((await createOk(world.key, { ttl: 3600 })).ttl).toBe(3600)
    })

    it('lists only the workspace’s own sessions, filtered by status and paged', async () => {
      const world = await freshWorld(client())
      const [acme, globex] = [world.tenants[0]!.keys[0]!, world.tenants[1]!.keys[0]!]
      const ids = [] as string[]
      for (let i = 0; i < 3; i++) ids.push((await createOk(acme)).id)
      await createOk(globex)
      await call(client(), 'DELETE', `/v1/sessions/${ids[0]}`, acme)
      const all = await call(client(), 'GET', '/v1/sessions', acme)
      expect(all.body.data.map((s: { id: string }) => s.id)).toEqual(ids)
      const closed = await call(client(), 'GET', '/v1/sessions?status=closed', acme)
      expect(closed.body.data.map((s: { id: string }) => s.id)).toEqual([ids[0]])
      const page = await call(client(), 'GET', '/v1/sessions?limit=2', acme)
      expect(page.body).toMatchObject({ has_more: true })
      expect(page.body.data).toHaveLength(2)
      const next = await call(client(), 'GET', `/v1/sessions?limit=2&starting_after=${ids[1]}`, acme)
      expect(next.body.data.map((s: { id: string }) => s.id)).toEqual([ids[2]])
      expect(next.body.has_more).toBe(false)
    })
  })

  describe('each code by natural state', () => {
    it('unauthorized: a missing key, an unknown key, a malformed header', async () => {
      expectError(await call(client(), 'GET', '/v1/sessions', undefined), 'unauthorized')
      expectError(await call(client(), 'GET', '/v1/sessions', 'bsk_nobody_knows_this_key'), 'unauthorized')
      expectError(await call(client(), 'GET', '/v1/sessions', undefined, undefined, { authorization: 'Basic Zm9vOmJhcg==' }), 'unauthorized')
    })

    it('forbidden: a read-only key reads but cannot create, delete, screenshot or mint a preview token', async () => {
      const world = await freshWorld(client())
      const [writer, reader] = world.tenants[0]!.keys as [string, string]
      const session = await createOk(writer)
      expect((await call(client(), 'GET', `/v1/sessions/${session.id}`, reader)).status).toBe(200)
      expectError(await create(reader), 'forbidden')
      expectError(await call(client(), 'DELETE', `/v1/sessions/${session.id}`, reader), 'forbidden')
      expectError(await call(client(), 'POST', `/v1/sessions/${session.id}/screenshot`, reader, {}), 'forbidden')
      expectError(await call(client(), 'POST', `/v1/sessions/${session.id}/preview-token`, reader), 'forbidden')
    })

    it('payment_required: a workspace with a zero balance cannot create until topped up', async () => {
      const world = await freshWorld(client(), 'payment-required')
      expectError(await create(world.key), 'payment_required')
      const topUp = await client().fetch(`/__standin/worlds/${world.id}/tenants/ws_broke`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ balance: 10 }) })
      expect(topUp.status).toBe(200)
      await createOk(world.key)
    })

    it('session_not_found: an unknown id, and another workspace’s session', async () => {
      const world = await freshWorld(client())
      const [acme, globex] = [world.tenants[0]!.keys[0]!, world.tenants[1]!.keys[0]!]
      expectError(await call(client(), 'GET', '/v1/sessions/sess_doesnotexist0000000000001', acme), 'session_not_found')
      const theirs = await createOk(globex)
      expectError(await call(client(), 'GET', `/v1/sessions/${theirs.id}`, acme), 'session_not_found')
      expectError(await call(client(), 'DELETE', `/v1/sessions/${theirs.id}`, acme), 'session_not_found')
      expectError(await call(client(), 'POST', `/v1/sessions/${theirs.id}/screenshot`, acme, {}), 'session_not_found')
      expect((await call(client(), 'GET', `/v1/sessions/${theirs.id}`, globex)).status).toBe(200)
    })

    it('session_not_ready: a screenshot or preview token while provisioning, accepted once ready (2 s)', async () => {
      const world = await freshWorld(client())
      const session = await createOk(world.key)
      expectError(await call(client(), 'POST', `/v1/sessions/${session.id}/screenshot`, world.key, {}), 'session_not_ready')
      expectError(await call(client(), 'POST', `/v1/sessions/${session.id}/preview-token`, world.key), 'session_not_ready')
      await advance(client(), world.id, 1)
      expectError(await call(client(), 'POST', `/v1/sessions/${session.id}/screenshot`, world.key, {}), 'session_not_ready')
      await advance(client(), world.id, 1)
      const shot = await call(client(), 'POST', `/v1/sessions/${session.id}/screenshot`, world.key, { format: 'jpeg' })
      expect(shot.status).toBe(200)
      expect(shot.body).toMatchObject({ sessionId: session.id, format: 'jpeg' })
      const token = await call(client(), 'POST', `/v1/sessions/${session.id}/preview-token`, world.key)
      expect(token.status).toBe(201)
      expect(token.body.token).toMatch(/^pvt_/)
    })

    it('session_not_open: any call on a closed session, deleting it again included', async () => {
      const world = await freshWorld(client())
      const session = await createOk(world.key)
      expect((await call(client(), 'DELETE', `/v1/sessions/${session.id}`, world.key)).status).toBe(200)
      expectError(await call(client(), 'DELETE', `/v1/sessions/${session.id}`, world.key), 'session_not_open')
      expectError(await call(client(), 'GET', `/v1/sessions/${session.id}`, world.key), 'session_not_open')
      expectError(await call(client(), 'POST', `/v1/sessions/${session.id}/screenshot`, world.key, {}), 'session_not_open')
      expectError(await call(client(), 'POST', `/v1/sessions/${session.id}/preview-token`, world.key), 'session_not_open')
    })

    it('session_not_open: the TTL expires a session exactly ttl seconds after creation', async () => {
      const world = await freshWorld(client())
      const session = await createOk(world.key, { ttl: 60 })
      await advance(client(), world.id, 59)
      expect((await call(client(), 'GET', `/v1/sessions/${session.id}`, world.key)).body.status).toBe('ready')
      await advance(client(), world.id, 1)
      expectError(await call(client(), 'GET', `/v1/sessions/${session.id}`, world.key), 'session_not_open')
      expectError(await call(client(), 'DELETE', `/v1/sessions/${session.id}`, world.key), 'session_not_open')
      const expired = await call(client(), 'GET', '/v1/sessions?status=expired', world.key)
      expect(expired.body.data).toEqual([expect.objectContaining({ id: session.id, status: 'expired' })])
    })

    it('invalid_field: a TTL of 59 or 3601, or of the wrong type, names the field', async () => {
      const world = await freshWorld(client())
      for (const ttl of [59, 3601, 'ten', 90.5]) {
        expectError(await create(world.key, { ttl }), 'invalid_field', 'Invalid value for field: ttl.')
      }
      expectError(await call(client(), 'GET', '/v1/sessions?limit=0', world.key), 'invalid_field', 'Invalid value for field: limit.')
    })

    it('invalid_request: malformed JSON, a wrong content type, an oversized body, a non-object body', async () => {
      const world = await freshWorld(client())
      const post = (body: BodyInit, type: string) => client().fetch('/v1/sessions', bearer(world.key, { method: 'POST', body, headers: { 'content-type': type } }))
      const cases: Array<[BodyInit, string]> = [
        ['{"ttl": 60', 'application/json'],
        ['ttl=60', 'text/plain'],
        [JSON.stringify({ ttl: 60, padding: 'x'.repeat(2 * 1024 * 1024) }), 'application/json'],
        ['[1, 2]', 'application/json'],
      ]
      for (const [body, type] of cases) {
        const res = await post(body, type)
        expect(res.status).toBe(400)
        expect(await res.json()).toEqual({ error: { code: 'invalid_request', message: 'Request body is malformed.' } })
      }
    })
  })

  describe('each limit, exactly', () => {
    it('10 concurrent sessions per workspace: the 11th is concurrency_limit; a DELETE frees a slot', async () => {
      const world = await freshWorld(client())
      const [acme, globex] = [world.tenants[0]!.keys[0]!, world.tenants[1]!.keys[0]!]
      const sessions = [] as string[]
      for (let i = 0; i < 10; i++) sessions.push((await createOk(acme)).id)
      const refused = await create(acme)
      expectError(refused, 'concurrency_limit')
      // Every 429 says when to look again.
      expect(refused.headers.get('retry-after')).toBe('5')
      await createOk(globex) // per workspace
      await call(client(), 'DELETE', `/v1/sessions/${sessions[3]}`, acme)
      await createOk(acme)
      expectError(await create(acme), 'concurrency_limit')
    })

    it('an expired session frees its slot too', async () => {
      const world = await freshWorld(client(), 'concurrency-limit')
      expectError(await create(world.key), 'concurrency_limit')
      await advance(client(), world.id, '1h')
      await createOk(world.key)
    })

    it('a session is kept a day from its creation, expired or closed, then is gone: the world does not keep every session', async () => {
      const world = await freshWorld(client())
      const session = await createOk(world.key)
      await advance(client(), world.id, '23h')
      // Still known (in a terminal state), a day less an hour after it was made.
      expectError(await call(client(), 'GET', `/v1/sessions/${session.id}`, world.key), 'session_not_open')
      await advance(client(), world.id, '1h')
      expectError(await call(client(), 'GET', `/v1/sessions/${session.id}`, world.key), 'session_not_found')
      expect([...client().standin.worlds.get(world.id)!.store.list('session', world.tenants[0]!.id)].some((r) => r.id === session.id)).toBe(false)
    })

    it('20 creations per minute per workspace: the 21st is rate_limited with Retry-After, and a retry then succeeds', async () => {
      const world = await freshWorld(client())
      for (let i = 0; i < 20; i++) {
        const session = await createOk(world.key)
        await call(client(), 'DELETE', `/v1/sessions/${session.id}`, world.key)
        await advance(client(), world.id, 1)
      }
      // 20 s have passed; the first creation leaves the window at 60 s.
      const refused = await create(world.key)
      expectError(refused, 'rate_limited')
      expect(refused.headers.get('retry-after')).toBe('40')
      await advance(client(), world.id, 39)
      const again = await create(world.key)
      expectError(again, 'rate_limited')
      expect(again.headers.get('retry-after')).toBe('1')
      await advance(client(), world.id, 1)
      await createOk(world.key)
      // Another workspace was never limited.
      await createOk(world.tenants[1]!.keys[0]!)
    })

    it('60 screenshots per minute per session; another session is not affected', async () => {
      const world = await freshWorld(client())
      const [one, two] = [await createOk(world.key), await createOk(world.key)]
      await advance(client(), world.id, '2s')
      for (let i = 0; i < 60; i++) expect((await call(client(), 'POST', `/v1/sessions/${one.id}/screenshot`, world.key, {})).status).toBe(200)
      const refused = await call(client(), 'POST', `/v1/sessions/${one.id}/screenshot`, world.key, {})
      expectError(refused, 'rate_limited')
      expect(refused.headers.get('retry-after')).toBe('60')
      expect((await call(client(), 'POST', `/v1/sessions/${two.id}/screenshot`, world.key, {})).status).toBe(200)
      await advance(client(), world.id, 60)
      expect((await call(client(), 'POST', `/v1/sessions/${one.id}/screenshot`, world.key, {})).status).toBe(200)
    })

    it('10 preview tokens per minute per session', async () => {
      const world = await freshWorld(client())
      const session = await createOk(world.key)
      await advance(client(), world.id, '2s')
      for (let i = 0; i < 10; i++) expect((await call(client(), 'POST', `/v1/sessions/${session.id}/preview-token`, world.key)).status).toBe(201)
      const refused = await call(client(), 'POST', `/v1/sessions/${session.id}/preview-token`, world.key)
      expectError(refused, 'rate_limited')
      expect(Number(refused.headers.get('retry-after'))).toBe(60)
      await advance(client(), world.id, 30)
      expect((await call(client(), 'POST', `/v1/sessions/${session.id}/preview-token`, world.key)).headers.get('retry-after')).toBe('30')
    })
  })

  describe('each code on demand', () => {
    it('the X-Standin-Error header forces any code of the catalogue, with the seed’s status and message', async () => {
      const world = await freshWorld(client())
      for (const code of Object.keys(SEED)) {
        const reply = await call(client(), 'GET', '/v1/sessions', world.key, undefined, { 'x-standin-error': code })
        expectError(reply, code)
      }
    })

    it('Prefer: code=NNN picks the declared error response of that status', async () => {
      const world = await freshWorld(client())
      const reply = await call(client(), 'GET', '/v1/sessions', world.key, undefined, { prefer: 'code=429' })
      expect(reply.status).toBe(429)
      expect(['rate_limited', 'concurrency_limit']).toContain(reply.body.error.code)
    })

    it('unauthorized: every call in the unauthorized scenario, even with the scenario’s own key', async () => {
      const world = await freshWorld(client(), 'unauthorized')
      expectError(await call(client(), 'GET', '/v1/sessions', world.key), 'unauthorized')
      expectError(await create(world.key), 'unauthorized')
    })

    it('rate_limited: the 3rd create, with Retry-After 42', async () => {
      const world = await freshWorld(client(), 'rate-limited')
      await createOk(world.key)
      await createOk(world.key)
      const refused = await create(world.key)
      expectError(refused, 'rate_limited')
      expect(refused.headers.get('retry-after')).toBe('42')
      await createOk(world.key)
    })

    it('concurrency_limit, forbidden and payment_required from their scenarios’ worlds', async () => {
      expectError(await create((await freshWorld(client(), 'concurrency-limit')).key), 'concurrency_limit')
      expectError(await create((await freshWorld(client(), 'forbidden')).key), 'forbidden')
      expectError(await create((await freshWorld(client(), 'payment-required')).key), 'payment_required')
    })

    it('session_not_found for sess_gone… paths, session_not_ready for the first two screenshots', async () => {
      const gone = await freshWorld(client(), 'session-not-found')
      expectError(await call(client(), 'GET', '/v1/sessions/sess_gone00000000000000000001', gone.key), 'session_not_found')
      const slow = await freshWorld(client(), 'session-not-ready')
      const session = await createOk(slow.key)
      await advance(client(), slow.id, '5s')
      expectError(await call(client(), 'POST', `/v1/sessions/${session.id}/screenshot`, slow.key, {}), 'session_not_ready')
      expectError(await call(client(), 'POST', `/v1/sessions/${session.id}/screenshot`, slow.key, {}), 'session_not_ready')
      expect((await call(client(), 'POST', `/v1/sessions/${session.id}/screenshot`, slow.key, {})).status).toBe(200)
    })

    it('session_not_open on the scenario’s closed and expired sessions', async () => {
      const world = await freshWorld(client(), 'session-not-open')
      expectError(await call(client(), 'GET', '/v1/sessions/sess_closed000000000000000001', world.key), 'session_not_open')
      expectError(await call(client(), 'POST', '/v1/sessions/sess_expired00000000000000001/screenshot', world.key, {}), 'session_not_open')
    })

    it('invalid_request and invalid_field forced by header and by body match', async () => {
      const world = await freshWorld(client(), 'invalid-input')
      expectError(await call(client(), 'POST', '/v1/sessions', world.key, { ttl: 100 }, { 'x-test-malformed': '1' }), 'invalid_request')
      expectError(await create(world.key, { ttl: 3500 }), 'invalid_field', 'Invalid value for field: ttl.')
      await createOk(world.key, { ttl: 2000 })
    })

    it('a bad day upstream: 503 with Retry-After, a 500, a slow answer, a dropped connection', async () => {
      const world = await freshWorld(client(), 'flaky')
      const unavailable = await create(world.key)
      expect(unavailable).toMatchObject({ status: 503, body: { error: { code: 'service_unavailable' } } })
      expect(unavailable.headers.get('retry-after')).toBe('7')
      expect((await create(world.key)).status).toBe(500)
      // Held 1.5 s by the scenario, on fake timers: the test learns the delay without waiting it out.
      const slow = await held(() => create(world.key))
      expect(slow.answer.status).toBe(201)
      expect(slow.heldMs).toBeGreaterThanOrEqual(1500)
      if (client().door === 'core') {
        const res = await client().fetch('/v1/sessions', bearer(world.key, { method: 'POST', json: {} }))
        expect(res.type).toBe('error')
      } else {
        await expect(create(world.key)).rejects.toThrow()
      }
      await createOk(world.key)
    })
  })
})

describeDoors('browser sessions: per-session limits on demand', OPTIONS, (client) => {
  it('the session-rate-limits scenario refuses the 3rd screenshot of its first session with Retry-After 17', async () => {
    const world = await freshWorld(client(), 'session-rate-limits')
    const shoot = (id: string) => call(client(), 'POST', `/v1/sessions/${id}/screenshot`, world.key, {})
    expect((await shoot('sess_shutter00000000000000001')).status).toBe(200)
    expect((await shoot('sess_shutter00000000000000001')).status).toBe(200)
    const refused = await shoot('sess_shutter00000000000000001')
    expectError(refused, 'rate_limited')
    expect(refused.headers.get('retry-after')).toBe('17')
    expect((await shoot('sess_shutter00000000000000002')).status).toBe(200)
    for (let i = 0; i < 10; i++) expect((await call(client(), 'POST', '/v1/sessions/sess_shutter00000000000000002/preview-token', world.key)).status).toBe(201)
    expectError(await call(client(), 'POST', '/v1/sessions/sess_shutter00000000000000002/preview-token', world.key), 'rate_limited')
  })
})

describeDoors('browser sessions: every 429 says when to retry, every code is the catalogue\'s', OPTIONS, (client) => {
  it('a 429 — by either limit, by the header (its own codes or the generic name), by Prefer, on any operation — carries Retry-After', async () => {
    const world = await freshWorld(client())
    const catalogue = (client().standin.api.spec.document as any)['x-standin'].errors.catalogue as Record<string, { status: number }>
    const seen: string[] = []
    const expectRetry = (reply: Reply, how: string) => {
      expect(reply.status, how).toBe(429)
      expect(catalogue[reply.body.error.code]?.status, `${how}: ${reply.body.error.code} is the catalogue's`).toBe(429)
      expect(Number(reply.headers.get('retry-after')), `${how}: Retry-After`).toBeGreaterThan(0)
      seen.push(reply.body.error.code)
    }
    for (const [method, path] of [['GET', '/v1/sessions'], ['POST', '/v1/sessions'], ['DELETE', '/v1/sessions/sess_x'], ['POST', '/v1/sessions/sess_x/screenshot']]) {
      for (const headers of [{ 'x-standin-error': 'rate_limited' }, { 'x-standin-error': 'concurrency_limit' }, { prefer: 'code=429' }] as Array<Record<string, string>>) {
        expectRetry(await call(client(), method!, path!, world.key, method === 'POST' ? {} : undefined, headers), `${method} ${path} ${JSON.stringify(headers)}`)
      }
    }
    // Up to ten open sessions (the world may hold some already), then the cap; past 20 creates a minute, the rate.
    let reply = await call(client(), 'POST', '/v1/sessions', world.key, {})
    for (let i = 0; i < 10 && reply.status === 201; i++) reply = await call(client(), 'POST', '/v1/sessions', world.key, {})
    expect(reply.body.error.code).toBe('concurrency_limit')
    expectRetry(reply, 'the 11th open session')
    for (let i = 0; i < 20 && reply.body.error.code === 'concurrency_limit'; i++) reply = await call(client(), 'POST', '/v1/sessions', world.key, {})
    expect(reply.body.error.code).toBe('rate_limited')
    expectRetry(reply, 'the 21st create in a minute')
    expect(new Set(seen)).toEqual(new Set(['rate_limited', 'concurrency_limit']))
  })
})
