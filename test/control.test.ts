/**
 * The control API under /__standin/ — the fixed shape clients in any language rely on — and its
 * library twin, through every door.
 */
import { expect, it } from 'vitest'
import { advance, bearer, describeDoors, freshWorld } from './support/doors.ts'

const OPTIONS = { spec: 'spec/browser-sessions.yaml', scenarios: 'scenarios/browser-sessions' }
const post = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

describeDoors('control API', OPTIONS, (client) => {
  it('POST /worlds makes a fresh world of a scenario, or of the default one, whose keys reach only it', async () => {
    const res = await client().fetch('/__standin/worlds', post({ scenario: 'payment-required' }))
    expect(res.status).toBe(201)
    const world = await res.json()
    expect(world).toEqual({ id: expect.stringMatching(/^w_/), scenario: 'payment-required', now: expect.any(String), tenants: [{ id: 'ws_broke', keys: [expect.stringMatching(/^bsk_payment_required_/)] }] })
    expect(world.tenants[0].keys[0]).not.toBe('bsk_payment_required_1')
    const byDefault = await (await client().fetch('/__standin/worlds', post({}))).json()
    expect(byDefault.scenario).toBe('default')
    expect(byDefault.tenants.map((t: { id: string }) => t.id)).toEqual(['ws_acme', 'ws_globex'])
    // A session made in one world is not in another.
    const made = await (await client().fetch('/v1/sessions', bearer(byDefault.tenants[0].keys[0], { method: 'POST', json: {} }))).json()
    const other = await freshWorld(client())
    expect((await client().fetch(`/v1/sessions/${made.id}`, bearer(other.key))).status).toBe(404)
  })

  it('refuses an unknown scenario with the names it knows, and bad bodies', async () => {
    const res = await client().fetch('/__standin/worlds', post({ scenario: 'nope' }))
    expect(res.status).toBe(404)
    expect((await res.json()).error).toMatchObject({ code: 'unknown_scenario' })
    expect((await client().fetch('/__standin/worlds', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{nope' })).status).toBe(400)
    expect((await client().fetch('/__standin/worlds', post([1]))).status).toBe(400)
    expect((await client().fetch('/__standin/worlds/w_none')).status).toBe(404)
  })

  it('moves a world’s clock by a duration or a number of seconds, and only that world’s', async () => {
    const a = await freshWorld(client())
    const b = await freshWorld(client())
    const clock = async (id: string) => (await (await client().fetch(`/__standin/worlds/${id}/clock`)).json()).epochMs as number
    const [a0, b0] = [await clock(a.id), await clock(b.id)]
    for (const by of ['90s', '31m', '2h', '30d', 15]) await advance(client(), a.id, by)
    expect(await clock(a.id) - a0).toBe(90_000 + 31 * 60_000 + 2 * 3_600_000 + 30 * 86_400_000 + 15_000)
    expect(await clock(b.id)).toBe(b0)
    const bad = await client().fetch(`/__standin/worlds/${a.id}/clock`, post({ advance: 'soon' }))
    expect(bad.status).toBe(400)
    const back = await client().fetch(`/__standin/worlds/${a.id}/clock`, post({ set: '2000-01-01T00:00:00Z' }))
    expect(back.status).toBe(400)
  })

  it('lists, reads, resets and deletes worlds; a deleted world’s keys stop working', async () => {
    const world = await freshWorld(client())
    const listed = await (await client().fetch('/__standin/worlds')).json()
    expect(listed.map((w: { id: string }) => w.id)).toContain(world.id)
    await client().fetch('/v1/sessions', bearer(world.key, { method: 'POST', json: {} }))
    const described = await (await client().fetch(`/__standin/worlds/${world.id}`)).json()
    expect(described).toMatchObject({ id: world.id, scenario: 'default', records: { session: 1 }, journal: { entries: 1 } })
    const reset = await client().fetch(`/__standin/worlds/${world.id}/reset`, post({}))
    expect(reset.status).toBe(200)
    expect((await reset.json()).records.session ?? 0).toBe(0)
    expect((await client().fetch('/v1/sessions', bearer(world.key))).status).toBe(200)
    const deleted = await client().fetch(`/__standin/worlds/${world.id}`, { method: 'DELETE' })
    expect(deleted.status).toBe(204)
    expect(await deleted.text()).toBe('')
    expect((await client().fetch('/v1/sessions', bearer(world.key))).status).toBe(401)
  })

  it('reads state and seeds records', async () => {
    const world = await freshWorld(client())
    await client().fetch('/v1/sessions', bearer(world.key, { method: 'POST', json: { ttl: 300 } }))
    const sessions = await (await client().fetch(`/__standin/worlds/${world.id}/state/session`)).json()
    expect(sessions).toEqual([expect.objectContaining({ tenant: 'ws_acme', ttl: 300, status: 'provisioning' })])
    const seeded = await client().fetch(`/__standin/worlds/${world.id}/state/session`, post({ tenant: 'ws_globex', records: [{ id: 'sess_seeded000000000000000001', status: 'ready', ttl: 600 }] }))
    expect(seeded.status).toBe(201)
    const read = await client().fetch('/v1/sessions/sess_seeded000000000000000001', bearer(world.tenants[1]!.keys[0]!))
    expect(await read.json()).toMatchObject({ id: 'sess_seeded000000000000000001', status: 'ready', workspaceId: 'ws_globex' })
    expect((await client().fetch(`/__standin/worlds/${world.id}/state/nope`)).status).toBe(404)
  })

  it('journals every request with its operation, status, code and cause, queryable', async () => {
    const world = await freshWorld(client(), 'rate-limited')
    for (let i = 0; i < 3; i++) await client().fetch('/v1/sessions', bearer(world.key, { method: 'POST', json: {} }))
    await client().fetch('/v1/sessions/sess_x', bearer(world.key))
    const journal = await (await client().fetch(`/__standin/worlds/${world.id}/journal`)).json()
    expect(journal.map((e: any) => [e.operation, e.status, e.code, e.cause])).toEqual([
      ['createSession', 201, undefined, 'state'],
      ['createSession', 201, undefined, 'state'],
      ['createSession', 429, 'rate_limited', 'rule'],
      ['getSession', 404, 'session_not_found', 'state'],
    ])
    const limited = await (await client().fetch(`/__standin/worlds/${world.id}/journal?status=429`)).json()
    expect(limited).toHaveLength(1)
    const byCode = await (await client().fetch(`/__standin/worlds/${world.id}/journal?code=session_not_found`)).json()
    expect(byCode).toHaveLength(1)
  })

  it('the library handle does the same', async () => {
    const world = client().standin.world('rate-limited')
    const call = () => client().fetch('/v1/sessions', bearer(world.key, { method: 'POST', json: {} }))
    await call(); await call()
    expect((await call()).status).toBe(429)
    expect(world.journal.count({ status: 429 })).toBe(1)
    world.clock.advance('1m')
    expect(world.state('session')).toHaveLength(2)
    world.assertNoViolations()
  })
})

describeDoors('CORS', OPTIONS, (client) => {
  it('answers preflights and lets a browser read the error headers', async () => {
    const pre = await client().fetch('/v1/sessions', { method: 'OPTIONS', headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' } })
    expect(pre.status).toBe(204)
    expect(pre.headers.get('access-control-allow-origin')).toBe('http://localhost:5173')
    expect(pre.headers.get('access-control-allow-headers')).toBe('authorization, content-type')
    const world = await freshWorld(client(), 'rate-limited')
    const post = () => client().fetch('/v1/sessions', bearer(world.key, { method: 'POST', json: {}, headers: { origin: 'http://localhost:5173' } }))
    await post(); await post()
    const limited = await post()
    expect(limited.status).toBe(429)
    expect(limited.headers.get('access-control-allow-origin')).toBe('http://localhost:5173')
    expect(limited.headers.get('access-control-expose-headers')).toMatch(/retry-after/)
  })
}, ['core', 'node'])
