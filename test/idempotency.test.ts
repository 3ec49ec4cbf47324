/**
 * An idempotent replay is answered before anything that counts or spends: the same Idempotency-Key
 * and body, sent again (or many times at once), charges once and answers as the first time did.
 */
import { expect, it } from 'vitest'
import { describeDoors, freshWorld, call } from './support/doors.ts'

const OPTIONS = { spec: 'spec/generation.yaml', scenarios: 'scenarios/generation' }
const image = { format: 'image', prompt: 'A lighthouse at dusk' }

describeDoors('idempotent replays', OPTIONS, (client) => {
  it('five tries with one key charge once, each with its own request id', async () => {
    const world = await freshWorld(client())
    const key = world.tenants[0]!.keys[0]!
    const credits = async () => (await call(client(), 'GET', '/v1/verify', key)).body.credits as number
    const before = await credits()
    const replies = []
    for (let i = 0; i < 5; i++) replies.push(await call(client(), 'POST', '/v1/runs', key, image, { 'idempotency-key': 'retry-1' }))
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200, 200])
    expect(new Set(replies.map((r) => r.body.run_id)).size).toBe(1)
    expect(replies.slice(1).every((r) => r.headers.get('idempotent-replayed') === 'true')).toBe(true)
    expect(await credits()).toBe(before - 1)
    const ids = replies.map((r) => r.headers.get('x-request-id'))
    expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true)
    expect(new Set(ids).size).toBe(5)
  })

  it('twenty tries at once charge once', async () => {
    const world = await freshWorld(client())
    const key = world.tenants[0]!.keys[0]!
    const before = (await call(client(), 'GET', '/v1/verify', key)).body.credits as number
    const replies = await Promise.all(Array.from({ length: 20 }, () => call(client(), 'POST', '/v1/runs', key, image, { 'idempotency-key': 'burst-1' })))
    expect(replies.every((r) => r.status === 200)).toBe(true)
    expect(new Set(replies.map((r) => r.body.run_id)).size).toBe(1)
    expect((await call(client(), 'GET', '/v1/verify', key)).body.credits).toBe(before - 1)
  })

  it('a retry is replayed, not refused for the credit its first try spent', async () => {
    const world = await freshWorld(client())
    const tenant = world.tenants[0]!
    const free = tenant.keys[0]!
    // Exactly one image's credit left.
    const patched = await client().fetch(`/__standin/worlds/${world.id}/tenants/${tenant.id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ balances: { credits: 1 } }) })
    expect(patched.status).toBe(200)
    const first = await call(client(), 'POST', '/v1/runs', free, image, { 'idempotency-key': 'last-credit' })
    expect(first.status).toBe(200)
    for (let i = 0; i < 3; i++) {
      const again = await call(client(), 'POST', '/v1/runs', free, image, { 'idempotency-key': 'last-credit' })
      expect(again.status).toBe(200)
      expect(again.body.run_id).toBe(first.body.run_id)
    }
    expect((await call(client(), 'GET', '/v1/verify', free)).body.credits).toBe(0)
    // A new key is a new request: now short of credit.
    expect((await call(client(), 'POST', '/v1/runs', free, image, { 'idempotency-key': 'next' })).status).toBe(402)
  })
})


describeDoors('idempotency keys and JSON', OPTIONS, (client) => {
  it('the same JSON value with its keys in another order is the same request: replayed, not 409', async () => {
    const world = await freshWorld(client())
    const key = world.tenants[0]!.keys[0]!
    const first = await client().fetch('/v1/runs', { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': 'order-1' }, body: '{"format":"image","prompt":"A lighthouse at dusk"}' })
    const again = await client().fetch('/v1/runs', { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': 'order-1' }, body: '{ "prompt": "A lighthouse at dusk",  "format": "image" }' })
    expect(first.status).toBe(200)
    expect(again.status).toBe(200)
    expect(again.headers.get('idempotent-replayed')).toBe('true')
    expect((await again.json()).run_id).toBe((await first.json()).run_id)
    const other = await client().fetch('/v1/runs', { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': 'order-1' }, body: '{"prompt":"Another","format":"image"}' })
    expect(other.status).toBe(409)
  })
})
