/**
 * A stream's own limits on the chat-limits fixture API: a hard timeout on the world clock (streamed:
 * an error event at the deadline; at once: the 504 answer; after a `timeout` cut: at the deadline all
 * the same), a client that leaves journalled with the abort code and its partial answer not kept,
 * failures the scenario's data marks (a failing model, a site that is down), and tool calls counted
 * per destination domain across a user's requests, with the limit's Retry-After.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createStandin } from '../src/index.ts'
import { sse } from './support/sse.ts'
import { computeCoverage, outcomesOf } from '../src/contract/coverage.ts'

const BASE = 'https://api.chat.example'

// Every answer standin gave in a test kept the spec (the self-check journals any that did not).
const made: Array<{ violations(side?: 'request' | 'response'): unknown[] }> = []
afterEach(() => {
  for (const world of made.splice(0)) expect(world.violations('response')).toEqual([])
})

async function setUp(flags: Record<string, unknown> = {}, rules: unknown[] = [], overlays: string[] = []) {
  const standin = await createStandin({
    spec: 'test/fixtures/chat-limits.yaml',
    overlays,
    scenarios: [{ name: 'default', tenants: [{ id: 'u1', flags, keys: [{ token: 'k1' }] }, { id: 'u2', keys: [{ token: 'k2' }] }], rules: rules as any }],
  })
  const handle = standin.home()
  made.push(handle.world)
  const ask = (body: Record<string, unknown>, init: RequestInit = {}, key = 'k1') =>
    standin.handle(new Request(`${BASE}/messages`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body), ...init }))
  return { standin, world: handle.world, handle, ask }
}

const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i} `)

describe('a stream\'s timeout', () => {
  it('ends a streamed answer at the deadline with the timeout error, not before', async () => {
    const { world, ask, handle } = await setUp()
    // 46 words two seconds apart: the last would come at 92 s.
    const reader = sse(await ask({ stream: true, pace: 2, words: words(46) }))
    world.advance(89_000)
    world.advance(1_000)
    const events = await reader.rest()
    expect(events.filter((e) => e.event === 'delta')).toHaveLength(45)
    expect(events.at(-1)).toMatchObject({ event: 'error', json: { error: 'The answer took longer than 90 seconds.', code: 'CHAT_TIMEOUT', statusCode: 504 } })
    expect(handle.state('message')).toMatchObject([{ status: 'failed', error: 'CHAT_TIMEOUT' }])
    expect(handle.journal.count({ code: 'CHAT_TIMEOUT' })).toBe(1)
  })

  it('lets an answer that ends in time end as usual', async () => {
    const { world, ask } = await setUp()
    const reader = sse(await ask({ stream: true, pace: 2, words: words(45) }))
    world.advance(90_000)
    const events = await reader.rest()
    expect(events.at(-1)).toMatchObject({ event: 'done', json: { status: 'done' } })
  })

  it('answers a request not streamed with the timeout error when its script would run past it', async () => {
    const { ask, handle } = await setUp()
    const res = await ask({ pace: 2, words: words(46) })
    expect(res.status).toBe(504)
    expect(await res.json()).toEqual({ error: 'The answer took longer than 90 seconds.', code: 'CHAT_TIMEOUT', statusCode: 504 })
    expect(handle.state('message')).toMatchObject([{ status: 'failed' }])
    expect((await ask({ pace: 2, words: words(45) })).status).toBe(201)
  })

  it('ends a stream whose events stopped (a timeout cut) at its deadline', async () => {
    const { world, ask } = await setUp({}, [{ operation: 'ask', afterEvents: 1, fault: 'timeout' }])
    const reader = sse(await ask({ stream: true, words: words(3) }))
    world.advance(89_999)
    world.advance(1)
    const events = await reader.rest()
    expect(events.map((e) => e.event)).toEqual(['delta', 'error'])
    expect(events[1]!.json.code).toBe('CHAT_TIMEOUT')
  })
})

describe('a client that leaves', () => {
  it('is journalled with the abort code and its status; the partial answer is not kept', async () => {
    const { standin, world, ask, handle } = await setUp()
    const controller = new AbortController()
    const reader = sse(await ask({ stream: true, words: words(5) }, { signal: controller.signal }))
    world.advance(2_000)
    expect((await reader.next())!.json).toEqual({ text: 'w0 ' })
    expect(handle.state('message')).toMatchObject([{ text: 'w0 w1 ' }])
    controller.abort()
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(handle.state('message')).toEqual([])
    const [entry] = handle.journal.query({ operation: 'ask' })
    expect(entry).toMatchObject({ status: 201, code: 'STREAM_ABORTED', stream: { outcome: 'aborted', code: 'STREAM_ABORTED', status: 499 } })
    expect(handle.journal.count({ code: 'STREAM_ABORTED' })).toBe(1)
    // Coverage lists the stream's codes among the operation's outcomes (the abort code only where
    // the spec declares its status: this one declares no 499).
    const items = standin.coverage().operations.find((o: any) => o.operation === 'ask')!.items.filter((i: any) => i.code)
    expect(items.map((i: any) => [i.code, i.count])).toEqual(expect.arrayContaining([['CHAT_TIMEOUT', 0], ['MODEL_ERROR', 0], ['TOOL_EXECUTION_ERROR', 0], ['OUTGOING_RATE_LIMITED', 0]]))
    expect(items.some((i: any) => i.code === 'STREAM_ABORTED')).toBe(false)
    // It was sent as a 201, and counts as one, never as an undeclared 499.
    const asked = standin.coverage().operations.find((o: any) => o.operation === 'ask')!
    expect([asked.items.find((i: any) => i.declared === '201')!.count, asked.undeclared]).toEqual([1, []])
  })

  it('counts in coverage as the abort code where the operation declares its status — the run\'s and the journal\'s alike', async () => {
    const { standin, world, ask, handle } = await setUp({}, [], ['test/fixtures/chat-limits-declares-499.overlay.yaml'])
    const controller = new AbortController()
    const reader = sse(await ask({ stream: true, words: words(5) }, { signal: controller.signal }))
    world.advance(1_000)
    await reader.next()
    controller.abort()
    await new Promise((resolve) => setTimeout(resolve, 0))
    const done = sse(await ask({ stream: true, words: words(1) }))
    world.advance(1_000)
    await done.rest()
    const counts = (coverage: any) => Object.fromEntries(coverage.operations.find((o: any) => o.operation === 'ask')!.items
      .filter((i: any) => i.count > 0).map((i: any) => [i.code ?? i.declared, i.count]))
    expect(counts(standin.coverage())).toEqual({ 201: 1, STREAM_ABORTED: 1 })
    expect(counts(computeCoverage(standin.api, outcomesOf(handle.journal.query({}))))).toEqual({ 201: 1, STREAM_ABORTED: 1 })
  })
})

describe('failures the scenario marks', () => {
  it('end the stream with the model\'s error when the model is marked failing', async () => {
    const { world, ask } = await setUp({ failingModels: ['m-bad'] })
    const good = sse(await ask({ stream: true, model: 'm-good', words: words(1) }))
    const bad = sse(await ask({ stream: true, model: 'm-bad', words: words(1) }))
    world.advance(1_000)
    expect((await good.rest()).at(-1)!.event).toBe('done')
    expect((await bad.rest()).map((e) => [e.event, e.json?.code])).toEqual([['error', 'MODEL_ERROR']])
    expect((await ask({ model: 'm-bad', words: words(1) })).status).toBe(502)
  })

  it('end it with the tool\'s error at the call to a site that is down', async () => {
    const { ask } = await setUp({ sitesDown: ['down.example'] })
    const res = await ask({ tools: ['https://up.example/a', 'https://www.down.example/b'], words: words(1) })
    expect(res.status).toBe(502)
    expect((await res.json()).code).toBe('TOOL_EXECUTION_ERROR')
  })
})

describe('tool calls per destination', () => {
  it('are counted per domain across the user\'s requests, with Retry-After from the window', async () => {
    const { world, ask } = await setUp()
    const call = (tools: string[], key = 'k1') => ask({ tools, words: [] }, {}, key)
    expect((await call(['https://shop.example/1', 'https://www.shop.example/2'])).status).toBe(201)
    world.advance(10_000)
    expect((await call(['https://shop.example/3', 'https://other.example/1'])).status).toBe(201)
    const refused = await call(['https://shop.example/4'])
    expect(refused.status).toBe(429)
    expect(refused.headers.get('retry-after')).toBe('50')
    expect(await refused.json()).toEqual({ error: 'Too many calls to one site; retry in 50 seconds.', code: 'OUTGOING_RATE_LIMITED', statusCode: 429 })
    // Another domain, another user: their own counts.
    expect((await call(['https://other.example/2'])).status).toBe(201)
    expect((await call(['https://shop.example/1'], 'k2')).status).toBe(201)
    world.advance(50_000)
    expect((await call(['https://shop.example/5'])).status).toBe(201)
  })
})
