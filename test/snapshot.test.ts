/**
 * World snapshots: a world saved as JSON (control API or library) and restored — as a new world with
 * fresh keys, or back into the world it came from — with its records, keys, balances, clock, rule
 * counts, idempotent answers, and lifecycles that go on moving on the restored world's clock.
 */
import { describe, expect, it } from 'vitest'
import { createStandin } from '../src/index.ts'
import { Worlds } from '../src/world/worlds.ts'
import { restoreWorld, snapshotWorld } from '../src/world/snapshot.ts'

const bs = await createStandin({ spec: 'spec/browser-sessions.yaml', scenarios: 'scenarios/browser-sessions' })
const gen = await createStandin({ spec: 'spec/generation.yaml', scenarios: 'scenarios/generation' })

async function control(method: string, path: string, body?: unknown) {
  const res = await bs.handle(new Request(`http://localhost/__standin${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) }))
  return { status: res.status, body: res.status === 204 ? undefined : await res.json() }
}

async function call(standin: typeof bs, method: string, path: string, key: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await standin.handle(new Request(`https://api.example${path}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body) }))
  return { status: res.status, headers: res.headers, body: res.status === 204 ? undefined : await res.json() }
}

const balanceOf = (described: any, tenant: string) => described.tenants.find((t: any) => t.id === tenant).balances.balance

describe('snapshots through the control API', () => {
  it('POST /worlds {snapshot} makes a new world with fresh keys, the same records, balances and clock, and its lifecycles go on', async () => {
    const made = await control('POST', '/worlds', { scenario: 'default' })
    const key = made.body.tenants[0].keys[0]
    const session = await call(bs, 'POST', '/v1/sessions', key, { ttl: 600 })
    expect(session.status).toBe(201)
    expect(session.body.status).toBe('provisioning')
    expect((await control('PATCH', `/worlds/${made.body.id}/tenants/ws_acme`, { balance: 42 })).status).toBe(200)
    await control('POST', `/worlds/${made.body.id}/clock`, { advance: '1s' })

    const saved = await control('POST', `/worlds/${made.body.id}/snapshot`)
    expect(saved.status).toBe(201)
    expect(saved.body.snapshot).toMatchObject({ format: 'standin-world', version: 1, id: made.body.id, scenario: 'default' })

    const copy = await control('POST', '/worlds', { snapshot: saved.body.snapshot })
    expect(copy.status).toBe(201)
    expect(copy.body.id).not.toBe(made.body.id)
    const copyKey = copy.body.tenants[0].keys[0]
    expect(copyKey).not.toBe(key)
    expect(copy.body.now).toBe(new Date(saved.body.snapshot.clock.now).toISOString())
    expect(balanceOf((await control('GET', `/worlds/${copy.body.id}`)).body, 'ws_acme')).toBe(42)

    const read = await call(bs, 'GET', `/v1/sessions/${session.body.id}`, copyKey)
    expect(read.status).toBe(200)
    expect(read.body).toEqual(session.body)
    // Provisioning → ready 2 s after creation: 1 s went by before the snapshot, 1 s more in the copy.
    await control('POST', `/worlds/${copy.body.id}/clock`, { advance: '999ms' })
    expect((await call(bs, 'GET', `/v1/sessions/${session.body.id}`, copyKey)).body.status).toBe('provisioning')
    await control('POST', `/worlds/${copy.body.id}/clock`, { advance: '1ms' })
    expect((await call(bs, 'GET', `/v1/sessions/${session.body.id}`, copyKey)).body.status).toBe('ready')
    // The TTL (600 s) counts from creation too.
    await control('POST', `/worlds/${copy.body.id}/clock`, { advance: '597s' })
    expect((await control('GET', `/worlds/${copy.body.id}/state/session`)).body.map((s: any) => s.status)).toEqual(['ready'])
    await control('POST', `/worlds/${copy.body.id}/clock`, { advance: '1s' })
    expect((await control('GET', `/worlds/${copy.body.id}/state/session`)).body.map((s: any) => s.status)).toEqual(['expired'])
    // The original did not move; its keys do not reach the copy, nor the copy's the original.
    expect((await call(bs, 'GET', `/v1/sessions/${session.body.id}`, key)).body.status).toBe('provisioning')
    expect((await control('GET', `/worlds/${copy.body.id}`)).body.tenants[0].keys).not.toContain(key)
  })

  it('POST /worlds/:id/restore puts a world back as it was, keeping its keys', async () => {
    const made = await control('POST', '/worlds', { scenario: 'default' })
    const key = made.body.tenants[0].keys[0]
    const first = await call(bs, 'POST', '/v1/sessions', key, { ttl: 600 })
    const saved = (await control('POST', `/worlds/${made.body.id}/snapshot`)).body.snapshot
    const second = await call(bs, 'POST', '/v1/sessions', key, { ttl: 600 })
    expect((await call(bs, 'DELETE', `/v1/sessions/${first.body.id}`, key)).status).toBeLessThan(300)
    await control('POST', `/worlds/${made.body.id}/clock`, { advance: '1h' })

    const restored = await control('POST', `/worlds/${made.body.id}/restore`, { snapshot: saved })
    expect(restored.status).toBe(200)
    expect(restored.body.now).toBe(new Date(saved.clock.now).toISOString())
    expect((await call(bs, 'GET', `/v1/sessions/${first.body.id}`, key)).body.status).toBe('provisioning')
    expect((await call(bs, 'GET', `/v1/sessions/${second.body.id}`, key)).status).toBe(404)
    // The next session is the one the world made after the snapshot: its randomness goes on from there.
    expect((await call(bs, 'POST', '/v1/sessions', key, { ttl: 600 })).body.id).toBe(second.body.id)
  })

  it('keeps rule counts: a restored flaky world goes on with its second rule', async () => {
    const made = await control('POST', '/worlds', { scenario: 'flaky' })
    const key = made.body.tenants[0].keys[0]
    expect((await call(bs, 'POST', '/v1/sessions', key, { ttl: 600 })).status).toBe(503)
    const saved = (await control('POST', `/worlds/${made.body.id}/snapshot`)).body.snapshot
    const copy = await control('POST', '/worlds', { snapshot: saved })
    expect((await call(bs, 'POST', '/v1/sessions', copy.body.tenants[0].keys[0], { ttl: 600 })).status).toBe(500)
  })

  it.each([
    ['not an object', 'nope', /expected a JSON object/],
    ['another format', { format: 'other' }, /\(at \/format\)/],
    ['a newer version', { format: 'standin-world', version: 2 }, /reads version 1, got 2 \(at \/version\)/],
  ])('refuses %s with 400 invalid_snapshot', async (_name, snapshot, message) => {
    const res = await control('POST', '/worlds', { snapshot })
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe('invalid_snapshot')
    expect(res.body.error.message).toMatch(message)
  })

  it('refuses a snapshot with a broken part, naming it, and changes nothing', async () => {
    const made = await control('POST', '/worlds', { scenario: 'default' })
    await call(bs, 'POST', '/v1/sessions', made.body.tenants[0].keys[0], { ttl: 600 })
    const saved = (await control('POST', `/worlds/${made.body.id}/snapshot`)).body.snapshot
    const before = (await control('GET', '/worlds')).body.length
    const res = await control('POST', `/worlds/${made.body.id}/restore`, { snapshot: { ...saved, records: [{ id: 1 }] } })
    expect(res.status).toBe(400)
    expect(res.body.error.message).toMatch(/\(at \/records\)/)
    expect((await control('GET', `/worlds/${made.body.id}/state/session`)).body).toHaveLength(1)
    expect((await control('GET', '/worlds')).body.length).toBe(before)
  })

  it('takes a snapshot over the usual 1 MiB control body through /restore (up to 64 MiB), not through POST /worlds', async () => {
    const made = await control('POST', '/worlds', { scenario: 'default' })
    // More than a control body may carry (1 MiB), put in from the library side.
    bs.worlds.get(made.body.id)!.tenants.get('ws_acme')!.flags.note = 'x'.repeat(1_500_000)
    const saved = (await control('POST', `/worlds/${made.body.id}/snapshot`)).body.snapshot
    expect((await control('POST', '/worlds', { snapshot: saved })).status).toBe(413)
    const target = await control('POST', '/worlds', { scenario: 'default' })
    const restored = await control('POST', `/worlds/${target.body.id}/restore`, { snapshot: saved })
    expect(restored.status).toBe(200)
    expect(bs.worlds.get(target.body.id)!.tenants.get('ws_acme')!.flags.note).toHaveLength(1_500_000)
  })

  it('refuses to restore a snapshot into a world of another scenario, or of a scenario standin does not have', async () => {
    const made = await control('POST', '/worlds', { scenario: 'default' })
    const saved = (await control('POST', `/worlds/${made.body.id}/snapshot`)).body.snapshot
    const other = await control('POST', '/worlds', { scenario: 'flaky' })
    const into = await control('POST', `/worlds/${other.body.id}/restore`, { snapshot: saved })
    expect(into.status).toBe(400)
    expect(into.body.error.message).toMatch(/scenario "default", and world w_\w+ of "flaky"/)
    const unknown = await control('POST', '/worlds', { snapshot: { ...saved, scenario: 'nowhere' } })
    expect(unknown.status).toBe(400)
    expect(unknown.body.error.message).toMatch(/scenario "nowhere", which this standin does not have/)
  })
})

describe('snapshots in the library', () => {
  const image = { format: 'image', prompt: 'A lighthouse at dusk' }

  it('world.snapshot() and standin.restore(): credits, idempotent answers and keys of the same tenants, through JSON', async () => {
    const world = gen.world()
    const first = await call(gen, 'POST', '/v1/runs', world.key, image, { 'idempotency-key': 'saved-1' })
    expect(first.status).toBe(200)
    const credits = (await call(gen, 'GET', '/v1/verify', world.key)).body.credits
    // What a suite would write to disk and read back.
    const saved = JSON.parse(JSON.stringify(world.snapshot()))

    const copy = gen.restore(saved)
    expect(copy.id).not.toBe(world.id)
    expect(copy.tenants.map((t) => t.id)).toEqual(world.tenants.map((t) => t.id))
    expect(copy.keys).not.toContain(world.key)
    expect(copy.clock.now()).toBe(world.clock.now())
    expect((await call(gen, 'GET', '/v1/verify', copy.key)).body.credits).toBe(credits)
    const replay = await call(gen, 'POST', '/v1/runs', copy.key, image, { 'idempotency-key': 'saved-1' })
    expect(replay.status).toBe(200)
    expect(replay.headers.get('idempotent-replayed')).toBe('true')
    expect(replay.body.run_id).toBe(first.body.run_id)
    expect((await call(gen, 'GET', '/v1/verify', copy.key)).body.credits).toBe(credits)
    expect(copy.state('run')).toEqual(world.state('run'))
  })

  it('handle.restore(snapshot) starts each test from the same saved world', async () => {
    const world = bs.world('default')
    await call(bs, 'POST', '/v1/sessions', world.key, { ttl: 600 })
    world.tenant('ws_acme').balances.balance = 7
    const saved = world.snapshot()
    for (let round = 0; round < 2; round++) {
      world.restore(saved)
      expect(world.state('session')).toHaveLength(1)
      expect(world.tenant('ws_acme').balances.balance).toBe(7)
      expect((await call(bs, 'POST', '/v1/sessions', world.key, { ttl: 600 })).status).toBe(201)
      world.clock.advance('2s')
      expect(world.state('session').map((s) => s.status)).toEqual(['ready', 'ready'])
      // What is left to fire: each session's expiry (the timers to ready have run), and its retention.
      const timers = world.snapshot().timers
      expect(timers.filter((t) => t.kind === 'lifecycle').map((t) => t.kind === 'lifecycle' && t.to)).toEqual(['expired', 'expired'])
      expect(timers.filter((t) => t.kind !== 'lifecycle')).toHaveLength(2)
      world.tenant('ws_acme').balances.balance = 0
    }
  })
})

describe('a real clock in a snapshot', () => {
  it('keeps its lead over the wall clock, and what fell due meanwhile happens at the restore', async () => {
    let wall = Date.parse('2026-03-01T12:00:00Z')
    const worlds = new Worlds(bs.api, [...bs.worlds.scenarios.values()], { clockMode: 'real', wall: () => wall })
    const world = worlds.create('default')
    const key = [...world.keys.keys()][0]!
    const tenant = world.tenants.get('ws_acme')!
    const { buildRecord } = await import('../src/act/record.ts')
    const model = bs.api.behaviour.resources.get('session')!
    world.insert(model, buildRecord(world, model, tenant, { ttl: 600 }, { now: world.clock.now() }), world.clock.now())
    world.advance(60 * 60_000)
    const saved = snapshotWorld(world, () => wall)
    expect(saved.clock).toEqual({ mode: 'real', now: wall + 3_600_000, offset: 3_600_000 })
    expect(saved.records.map((r) => r.state)).toEqual(['expired'])

    // Ten seconds of wall time later, in another process as far as the world can tell.
    wall += 10_000
    const fresh = new Worlds(bs.api, [...bs.worlds.scenarios.values()], { clockMode: 'real', wall: () => wall })
    const restored = restoreWorld(fresh, saved, { asSaved: true, wall: () => wall })
    expect(restored.id).toBe(world.id)
    expect(fresh.byKey(key)?.world).toBe(restored)
    expect(restored.clock.now()).toBe(wall + 3_600_000)
    wall += 1000
    expect(restored.clock.now()).toBe(wall + 3_600_000)
  })

  it('a key that expires ten minutes after its world started expires then, not ten minutes after a restore', async () => {
    const sandbox = await createStandin({ spec: 'spec/agent-sandbox.yaml', scenarios: 'scenarios/agent-sandbox' })
    let wall = Date.parse('2026-03-01T12:00:00Z')
    const worlds = new Worlds(sandbox.api, [...sandbox.worlds.scenarios.values()], { clockMode: 'real', wall: () => wall })
    const world = worlds.get('expired-key')!
    const started = world.clock.now()
    expect(world.keys.get('sk_agents_expiring_1')?.expiresAt).toBe(started + 600_000)
    wall += 5 * 60_000
    const saved = snapshotWorld(world, () => wall)
    // Started again three minutes later (a --state file read back): seven minutes of the key's ten have gone.
    wall += 3 * 60_000
    const fresh = new Worlds(sandbox.api, [...sandbox.worlds.scenarios.values()], { clockMode: 'real', wall: () => wall })
    const restored = restoreWorld(fresh, saved, { asSaved: true, wall: () => wall })
    expect(restored.keys.get('sk_agents_expiring_1')?.expiresAt).toBe(started + 600_000)
    expect(restored.clock.now()).toBe(started + 8 * 60_000)
  })

  it('a session saved while provisioning is ready once its 2 s have passed on the wall clock', async () => {
    let wall = Date.parse('2026-03-01T12:00:00Z')
    const worlds = new Worlds(bs.api, [...bs.worlds.scenarios.values()], { clockMode: 'real', wall: () => wall })
    const world = worlds.create('default')
    const { buildRecord } = await import('../src/act/record.ts')
    const model = bs.api.behaviour.resources.get('session')!
    world.insert(model, buildRecord(world, model, world.tenants.get('ws_acme')!, { ttl: 600 }, { now: world.clock.now() }), world.clock.now())
    wall += 1000
    const saved = snapshotWorld(world, () => wall)
    expect(saved.records.map((r) => r.state)).toEqual(['provisioning'])
    wall += 1500
    const restored = restoreWorld(new Worlds(bs.api, [...bs.worlds.scenarios.values()], { clockMode: 'real', wall: () => wall }), saved, { asSaved: true, wall: () => wall })
    expect([...restored.store.records('session')].map((r) => r.state)).toEqual(['ready'])
  })
})
