/**
 * The control endpoints the dashboard is built on, as any client calls them (no browser): rules added
 * to a world, one request's headers and bodies, record counts per state, the timers due next, the
 * operations a try-it form needs, the live journal as server-sent events, and the page's own files
 * behind the control gate. Rules on a small fixture API (test/fixtures/widgets.yaml, no x-standin).
 */
import { describe, expect, it } from 'vitest'
import { createStandin } from 'standin'
import { Exchanges } from '../src/journal/exchanges.ts'
import { createHandler } from '../src/core/handle.ts'
import { dashboardFiles } from '../src/adapters/dashboard-files.ts'
import { openBrowser } from './support/browser.ts'

const HOST = 'http://localhost'
const json = (method: string, body?: unknown): RequestInit => ({ method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })

async function widgets() {
  const exchanges = new Exchanges(10)
  const standin = await createStandin({ spec: 'test/fixtures/widgets.yaml', exchanges, dashboard: dashboardFiles() })
  const ask = async (path: string, init: RequestInit = {}) => {
    const res = await standin.handle(new Request(HOST + path, init))
    return { status: res.status, headers: res.headers, body: res.status === 204 ? null : await res.json().catch(() => null) }
  }
  const world = (await ask('/__standin/worlds', json('POST', {}))).body as { id: string; tenants: Array<{ keys: string[] }> }
  const key = world.tenants[0]!.keys[0]!
  const create = () => ask('/widgets', { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'sprocket', size: 3 }) })
  return { standin, exchanges, ask, world, key, create }
}

describe('rules added to a world (POST /__standin/worlds/:id/rules)', () => {
  it('forces an error code on the next N requests to an operation, then is gone; the journal says control and the rule', async () => {
    const { ask, world, create } = await widgets()
    const added = await ask(`/__standin/worlds/${world.id}/rules`, json('POST', { operation: 'createWidget', status: 503, times: 2 }))
    expect(added).toMatchObject({ status: 201, body: { id: 1, operation: 'createWidget', status: 503, times: 2, left: 2 } })
    expect((await create()).status).toBe(503)
    expect((await ask(`/__standin/worlds/${world.id}/rules`)).body).toEqual([expect.objectContaining({ id: 1, left: 1 })])
    expect((await create()).status).toBe(503)
    expect((await create()).status).toBe(201)
    expect((await ask(`/__standin/worlds/${world.id}/rules`)).body).toEqual([])
    const journal = (await ask(`/__standin/worlds/${world.id}/journal`)).body as Array<{ status: number; cause: string; rule?: number }>
    expect(journal.map((e) => [e.status, e.cause, e.rule])).toEqual([[503, 'control', 1], [503, 'control', 1], [201, 'state', undefined]])
  })

  it('drops the connection for a fault, and holds a request for a delay alone before answering it as usual', async () => {
    const { ask, world, create } = await widgets()
    await ask(`/__standin/worlds/${world.id}/rules`, json('POST', { operation: 'createWidget', fault: 'drop' }))
    await ask(`/__standin/worlds/${world.id}/rules`, json('POST', { operation: 'createWidget', delay: '5ms' }))
    expect((await create()).status).toBe(0)
    expect((await create()).status).toBe(201)
    const journal = (await ask(`/__standin/worlds/${world.id}/journal`)).body as Array<{ status: number; cause: string; rule?: number }>
    expect(journal.map((e) => [e.status, e.cause, e.rule])).toEqual([[0, 'control', 1], [201, 'state', undefined]])
  })

  it('keeps a rule without a count until it is removed, and applies it to any operation when none is named', async () => {
    const { ask, world, key, create } = await widgets()
    const added = await ask(`/__standin/worlds/${world.id}/rules`, json('POST', { status: 429, times: null }))
    expect(added.body).toMatchObject({ id: 1, times: null, left: null })
    for (let i = 0; i < 3; i++) expect((await create()).status).toBe(429)
    expect((await ask('/widgets', { headers: { 'x-api-key': key } })).status).toBe(429)
    expect((await ask(`/__standin/worlds/${world.id}/rules/1`, { method: 'DELETE' })).status).toBe(204)
    expect((await create()).status).toBe(201)
    expect((await ask(`/__standin/worlds/${world.id}/rules/1`, { method: 'DELETE' })).body.error.code).toBe('unknown_rule')
  })

  it('leaves other worlds alone', async () => {
    const a = await widgets()
    const other = (await a.ask('/__standin/worlds', json('POST', {}))).body as { tenants: Array<{ keys: string[] }> }
    await a.ask(`/__standin/worlds/${a.world.id}/rules`, json('POST', { status: 500 }))
    const res = await a.ask('/widgets', { method: 'POST', headers: { 'x-api-key': other.tenants[0]!.keys[0]!, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x', size: 1 }) })
    expect(res.status).toBe(201)
  })

  it.each([
    [{ operation: 'createWidgt', status: 500 }, /\/operation: "createWidgt" is not an operation/],
    [{ error: 'no_such_code' }, /\/error: "no_such_code" is not an error code of this API \(/],
    [{ status: 99 }, /\/status: a status from 200 to 599/],
    [{ status: 500, fault: 'drop' }, /A fault is the whole answer/],
    [{ fault: 'explode' }, /\/fault: drop or timeout/],
    [{ delay: 'soon' }, /\/delay: a duration/],
    [{ status: 500, times: 0 }, /\/times: how many requests/],
    [{ operation: 'createWidget' }, /forces nothing/],
    [{ status: 500, extra: 1 }, /Unknown field "extra"/],
  ])('refuses %j with 400 invalid_rule naming the field', async (rule, message) => {
    const { ask, world } = await widgets()
    const res = await ask(`/__standin/worlds/${world.id}/rules`, json('POST', rule))
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe('invalid_rule')
    expect(res.body.error.message).toMatch(message)
  })
})

describe('what the dashboard reads', () => {
  it('keeps a request with its headers and bodies both ways, found by world and request id', async () => {
    const { ask, world, key, create } = await widgets()
    await create()
    const [entry] = (await ask(`/__standin/worlds/${world.id}/journal`)).body as Array<{ requestId: string }>
    const found = await ask(`/__standin/worlds/${world.id}/journal/${entry!.requestId}`)
    expect(found.status).toBe(200)
    expect(found.body.entry).toMatchObject({ requestId: entry!.requestId, operation: 'createWidget', status: 201 })
    expect(found.body.exchange.request).toMatchObject({ method: 'POST', path: '/widgets', body: '{"name":"sprocket","size":3}' })
    expect(found.body.exchange.request.headers['x-api-key']).toBe(key)
    expect(found.body.exchange.response.status).toBe(201)
    expect(JSON.parse(found.body.exchange.response.body)).toMatchObject({ name: 'sprocket', size: 3 })
    expect(found.body.exchange.response.headers['content-type']).toMatch(/^application\/json/)
    expect((await ask(`/__standin/worlds/${world.id}/journal/req_nope`)).body.error.code).toBe('unknown_request')
  })

  it('cuts a body over 64 KB, and says so', async () => {
    const { ask, world, key } = await widgets()
    const name = 'x'.repeat(70_000)
    await ask('/widgets', { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, body: JSON.stringify({ name, size: 1 }) })
    const [entry] = (await ask(`/__standin/worlds/${world.id}/journal`)).body as Array<{ requestId: string }>
    const { request } = (await ask(`/__standin/worlds/${world.id}/journal/${entry!.requestId}`)).body.exchange
    expect([request.body.length, request.truncated]).toEqual([64 * 1024, true])
    expect(request.body.startsWith('{"name":"xxx')).toBe(true)
  })

  it('keeps only the last requests (the capacity it is given)', async () => {
    const { ask, world, create, exchanges } = await widgets()
    for (let i = 0; i < 12; i++) await create()
    const entries = (await ask(`/__standin/worlds/${world.id}/journal`)).body as Array<{ requestId: string }>
    expect(exchanges.recent().map((e) => e.requestId)).toEqual(entries.slice(-10).map((e) => e.requestId))
    expect((await ask(`/__standin/worlds/${world.id}/journal/${entries[0]!.requestId}`)).body.exchange).toBeNull()
  })

  it('counts records per resource and lifecycle state, and lists the timers due next, soonest first', async () => {
    const exchanges = new Exchanges(0)
    const standin = await createStandin({ spec: 'spec/browser-sessions.yaml', scenarios: 'scenarios/browser-sessions', exchanges })
    const world = standin.world()
    const ask = async (path: string, init?: RequestInit) => (await standin.handle(new Request(HOST + path, init))).json()
    for (const ttl of [600, 60]) await standin.handle(new Request(`${HOST}/v1/sessions`, { method: 'POST', headers: { authorization: `Bearer ${world.key}`, 'content-type': 'application/json' }, body: JSON.stringify({ ttl }) }))
    expect((await ask(`/__standin/worlds/${world.id}/records`)).session).toEqual({ count: 2, states: { provisioning: 2 } })
    const timers = await ask(`/__standin/worlds/${world.id}/timers?limit=3`)
    expect(timers.next.map((t: { inMs: number; kind: string; to?: string }) => [t.inMs, t.kind, t.to])).toEqual([[2000, 'lifecycle', 'ready'], [2000, 'lifecycle', 'ready'], [60_000, 'lifecycle', 'expired']])
    expect(timers.pending).toBeGreaterThanOrEqual(4)
    world.clock.advance('61s')
    expect((await ask(`/__standin/worlds/${world.id}/records`)).session).toEqual({ count: 2, states: { ready: 1, expired: 1 } })
    expect((await ask(`/__standin/worlds/${world.id}/timers?limit=0`)).error.code).toBe('invalid_request')
  })

  it('lists the operations with their parameters, a sample body, where the key goes, and the catalogue', async () => {
    const { ask } = await widgets()
    const { basePath, codes, operations } = (await ask('/__standin/operations')).body
    expect(basePath).toBe('')
    expect(codes.length).toBeGreaterThan(0)
    const create = operations.find((o: { id: string }) => o.id === 'createWidget')
    expect(create).toMatchObject({ method: 'POST', path: '/widgets', credential: { in: 'header', name: 'X-Api-Key' }, body: { contentType: 'application/json' } })
    expect(JSON.parse(create.body.text)).toEqual({ name: 'sprocket', size: 3 })
    expect(operations.find((o: { id: string }) => o.id === 'getWidget').parameters).toEqual([{ name: 'id', in: 'path', required: true }])
    // Why each code is answered, from the behaviour model: the dashboard's "why" for cause: state.
    expect(operations.find((o: { id: string }) => o.id === 'getWidget').reasons).toMatchObject({ not_found: ['no such widget (in this world, for this tenant)'] })
    expect(create.reasons.unauthorized).toEqual(expect.arrayContaining(['auth: no credential', 'auth: a revoked key']))
  })

  it('says which limit, charge or state answers each code', async () => {
    const standin = await createStandin({ spec: 'spec/browser-sessions.yaml', scenarios: 'scenarios/browser-sessions' })
    const { operations } = await (await standin.handle(new Request(`${HOST}/__standin/operations`))).json()
    const reasons = (id: string) => operations.find((o: { id: string }) => o.id === id).reasons
    expect(reasons('createSession')).toMatchObject({
      rate_limited: ['limit "session-creations": a rate per 60 s, per tenant'],
      concurrency_limit: ['limit "concurrent-sessions": a count of session, per tenant'],
      payment_required: ['charge: the "balance" balance is short'],
    })
    expect(reasons('getSession')).toMatchObject({ session_not_open: ['the record is closed', 'the record is expired'], session_not_found: [expect.stringMatching(/^no such session/)] })
  })

  it('follows the journal as server-sent events: the kept entries first, then each new one, until the reader goes', async () => {
    const { standin, exchanges, create, world } = await widgets()
    await create()
    const res = await standin.handle(new Request(`${HOST}/__standin/events`))
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader()
    let text = ''
    const events = async (n: number) => {
      while ((text.match(/^event: entry$/gm) ?? []).length < n) text += (await reader.read()).value ?? ''
      return [...text.matchAll(/^event: entry\ndata: (.*)$/gm)].map((m) => JSON.parse(m[1]!))
    }
    expect((await events(1)).map((e) => [e.world, e.operation])).toEqual([[world.id, 'createWidget']])
    await create()
    expect((await events(2)).map((e) => e.seq)).toEqual([1, 2])
    await reader.cancel()
    exchanges.capacity = 0
    expect(exchanges.wanted).toBe(false)
  })
})

it('a missing Chromium fails the browser tests with one line saying how to install it', async () => {
  await expect(openBrowser('/nowhere/chromium')).rejects.toThrow(/^Chromium not found at \/nowhere\/chromium: install it \(sudo apt-get install -y chromium\)[^\n]*$/)
})

describe('the dashboard page (GET /__standin/ui)', () => {
  it('is served with a strict content security policy, and only its own files', async () => {
    const { ask, standin } = await widgets()
    const page = await standin.handle(new Request(`${HOST}/__standin/ui`))
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'")
    expect(page.headers.get('x-frame-options')).toBe('DENY')
    expect(await page.text()).toContain('<title>standin dashboard</title>')
    expect((await ask('/__standin/ui/nope.js')).status).toBe(404)
    expect((await ask('/__standin/ui/%2e%2e/%2e%2e/package.json')).status).toBe(404)
    expect((await ask('/__standin/ui/app.js', { method: 'POST' })).status).toBe(405)
  })

  it('answers 404 where no door gave it files (the library)', async () => {
    const standin = await createStandin({ spec: 'test/fixtures/widgets.yaml' })
    const res = await standin.handle(new Request(`${HOST}/__standin/ui/`))
    expect([res.status, (await res.json()).error.code]).toEqual([404, 'no_dashboard'])
  })

  it('loads without the control token, behind the rest of the gate; what it shows needs the token', async () => {
    const standin = await createStandin({ spec: 'test/fixtures/widgets.yaml' })
    const handle = createHandler(standin.worlds, { controlToken: 't0ken', dashboard: dashboardFiles() })
    const at = (path: string, headers: Record<string, string> = {}) => handle(new Request(HOST + path, { headers }), { remoteAddress: '127.0.0.1' })
    expect((await at('/__standin/ui/')).status).toBe(200)
    expect((await at('/__standin/worlds')).status).toBe(401)
    expect((await at('/__standin/worlds', { 'x-standin-token': 't0ken' })).status).toBe(200)
    expect((await at('/__standin/ui/', { host: 'rebind.attacker.example' })).status).toBe(403)
    expect((await at('/__standin/ui/', { origin: 'https://elsewhere.example' })).status).toBe(403)
  })
})
