import { afterEach, describe, expect, it } from 'vitest'
import { startServe, type Serving } from './support/cli.ts'

const bs = ['spec/browser-sessions.yaml', '--scenarios', 'scenarios/browser-sessions']
let serving: Serving | undefined
afterEach(async () => { await serving?.stop(); serving = undefined })

async function stop() {
  const run = await serving!.stop()
  serving = undefined
  return run
}

const post = (url: string, key: string, body: unknown) => fetch(`${url}/v1/sessions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })

describe('standin serve --strict', () => {
  it('refuses a request that breaks the spec, lists the run\'s violations when stopped, and exits 1', async () => {
    serving = await startServe([...bs, '--strict'])
    const bad = await post(serving.url, 'bsk_acme_live_1', { ttl: 5 })
    expect(bad.status).toBe(400)
    expect(bad.headers.get('x-should-retry')).toBe('false')
    expect(bad.headers.get('x-standin-violation')).toBe('body/ttl: ttl must be >= 60')
    // In a world that is gone by the time standin stops: the run still remembers.
    const world = await (await fetch(`${serving.url}/__standin/worlds`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json()
    await post(serving.url, world.tenants[0].keys[0], { ttl: 'long' })
    await fetch(`${serving.url}/__standin/worlds/${world.id}`, { method: 'DELETE' })
    const listed = await (await fetch(`${serving.url}/__standin/violations`)).json()
    expect(listed).toHaveLength(2)
    const run = await stop()
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/stopped after \d+ request\(s\); 2 contract violation\(s\):/)
    expect(run.stdout).toMatch(/- request \(the client broke the spec\): POST \/v1\/sessions → 400 \[createSession\] body\/ttl: ttl must be >= 60 \(world default, req_/)
    expect(run.stdout).toMatch(new RegExp(`body/ttl: ttl must be integer \\(world ${world.id}, `))
    expect(run.stderr).toMatch(/strict mode — the run broke the contract, exiting 1/)
  })

  it('exits 0 when every request kept the spec', async () => {
    serving = await startServe([...bs, '--strict'])
    expect((await post(serving.url, 'bsk_acme_live_1', { ttl: 120 })).status).toBe(201)
    const run = await stop()
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/stopped after 1 request\(s\); no contract violations/)
  })
})

describe('standin serve without --strict', () => {
  it('answers in the API\'s own way, lists violations when stopped, and exits 0', async () => {
    serving = await startServe(bs)
    const bad = await post(serving.url, 'bsk_acme_live_1', { ttl: 5 })
    expect(bad.status).toBe(400)
    expect(bad.headers.get('x-should-retry')).toBeNull()
    const run = await stop()
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/1 contract violation\(s\):\n- request \(the client broke the spec\): POST \/v1\/sessions → 400/)
  })
})
