/**
 * Streamed runs of the agents SDK sandbox API, through every door: events arrive as the world's
 * (manual) clock is advanced, the budget runs out part-way, one stream at a time per sandbox (409
 * stream_active until the first ends or its client goes away), and scenario rules that cut a stream
 * with an error event, a dropped connection or a stall.
 */
import { describe, expect, it } from 'vitest'
import { advance, bearer, describeDoors, freshWorld, type Client } from './support/doors.ts'
import { sse, until, type SseEvent } from './support/sse.ts'

const OPTIONS = { spec: 'spec/agent-sandbox.yaml', scenarios: 'scenarios/agent-sandbox' }
const SANDBOX = 'sbx_acmedemo00000000'
const THREAD = 'thr_acmedemo00000000'

function startRun(client: Client, key: string, thread: string, body: Record<string, unknown>, init: RequestInit = {}): Promise<Response> {
  return client.fetch(`/v1/threads/${thread}/runs`, bearer(key, { ...init, method: 'POST', json: { input: 'What is 6 times 7?', stream: true, ...body } }))
}

async function getJson(client: Client, path: string, key: string): Promise<any> {
  const res = await client.fetch(path, bearer(key))
  expect(res.status, path).toBe(200)
  return res.json()
}

const names = (events: SseEvent[]) => events.map((e) => e.event)

describeDoors('agent sandbox streams', OPTIONS, (client) => {
  const runOf = (key: string, runId: string, thread = THREAD) => getJson(client(), `/v1/threads/${thread}/runs/${runId}`, key)

  it('sends events as the world clock advances, cost accruing, and ends cleanly with the completed run', async () => {
    const world = await freshWorld(client())
    const res = await startRun(client(), world.key, THREAD, {})
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    const events = sse(res)

    const started = (await events.next())!
    expect(started).toMatchObject({ event: 'run.started', id: '1', json: { threadId: THREAD, sandboxId: SANDBOX, status: 'running' } })
    const runId = started.json.runId as string
    // Nothing more happens until the clock moves.
    expect(await runOf(world.key, runId)).toMatchObject({ status: 'running', costUsd: 0, output: '' })

    await advance(client(), world.id, '499ms')
    expect(await runOf(world.key, runId)).toMatchObject({ costUsd: 0 })
    await advance(client(), world.id, '1ms')
    expect(await events.next()).toMatchObject({ event: 'tool.call', id: '2', json: { runId, tool: 'code_interpreter', costUsd: 0.01 } })
    expect(await runOf(world.key, runId)).toMatchObject({ status: 'running', costUsd: 0.01 })

    await advance(client(), world.id, '1s')
    expect(await events.next()).toMatchObject({ event: 'tool.result', json: { output: '42', costUsd: 0.01 } })
    await advance(client(), world.id, '250ms')
    expect(await events.next()).toMatchObject({ event: 'message.delta', json: { delta: 'The ', costUsd: 0.012 } })
    expect(await runOf(world.key, runId)).toMatchObject({ output: 'The ', costUsd: 0.012 })

    // The rest in one move: each event still goes out at its own time on the clock.
    await advance(client(), world.id, '10s')
    const rest = await events.rest()
    expect(names(rest)).toEqual(['message.delta', 'message.delta', 'message.delta', 'run.completed'])
    expect(rest.map((e) => e.json.delta).slice(0, 3)).toEqual(['answer ', 'is ', '42.'])
    expect(rest.map((e) => e.id)).toEqual(['5', '6', '7', '8'])
    const completed = rest[3]!.json
    expect(completed).toMatchObject({ id: runId, status: 'completed', costUsd: 0.018, output: 'The answer is 42.' })
    // Started at t0, the last delta at t0 + 2.5 s.
    expect(Date.parse(completed.completedAt) - Date.parse(completed.createdAt)).toBe(2500)
    expect(await runOf(world.key, runId)).toEqual(completed)
  })

  it('Accept: text/event-stream streams too; without either, the answer is JSON', async () => {
    const world = await freshWorld(client())
    const res = await client().fetch(`/v1/threads/${THREAD}/runs`, bearer(world.key, { method: 'POST', json: { input: 'x' }, headers: { accept: 'text/event-stream' } }))
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    const events = sse(res)
    expect((await events.next())!.event).toBe('run.started')
    await advance(client(), world.id, '3s')
    expect(names(await events.rest()).at(-1)).toBe('run.completed')
    const json = await startRun(client(), world.key, THREAD, { stream: false })
    expect(json.status).toBe(201)
    expect(json.headers.get('content-type')).toBe('application/json')
  })

  it('budget_exceeded part-way: an error event in the API’s envelope, then the end; the run failed at 0.014 USD', async () => {
    const world = await freshWorld(client())
    const events = sse(await startRun(client(), world.key, THREAD, { maxBudgetUsd: 0.015 }))
    const runId = (await events.next())!.json.runId
    await advance(client(), world.id, '10s')
    const rest = await events.rest()
    expect(names(rest)).toEqual(['tool.call', 'tool.result', 'message.delta', 'message.delta', 'error'])
    expect(rest.at(-2)!.json.costUsd).toBe(0.014)
    expect(rest.at(-1)!.json).toEqual({ error: { code: 'budget_exceeded', message: 'The request exceeded the maxBudgetUsd limit (0.015 USD)', status: 400 } })
    expect(await runOf(world.key, runId)).toMatchObject({
      status: 'failed', costUsd: 0.014, output: 'The answer ',
      error: { code: 'budget_exceeded', message: 'The request exceeded the maxBudgetUsd limit (0.015 USD)', status: 400 },
    })
    const entry = (await getJson(client(), `/__standin/worlds/${world.id}/journal?operation=createRun`, world.key)).at(-1)
    expect(entry).toMatchObject({ status: 200, code: 'budget_exceeded', stream: { events: 6, outcome: 'error', code: 'budget_exceeded' } })
  })

  it('a budget that covers the run (0.018 USD exactly) does not run out', async () => {
    const world = await freshWorld(client())
    const events = sse(await startRun(client(), world.key, THREAD, { maxBudgetUsd: 0.018 }))
    await advance(client(), world.id, '10s')
    const all = await events.rest()
    expect(names(all).at(-1)).toBe('run.completed')
    expect(all.at(-1)!.json).toMatchObject({ status: 'completed', costUsd: 0.018 })
  })

  describe('one stream at a time per sandbox', () => {
    it('a second stream on the sandbox is 409 stream_active until the first ends; another sandbox is free', async () => {
      const world = await freshWorld(client())
      const second = (await (await client().fetch('/v1/threads', bearer(world.key, { method: 'POST', json: { sandboxId: SANDBOX } }))).json()).id
      const other = (await (await client().fetch('/v1/sandboxes', bearer(world.key, { method: 'POST', json: {} }))).json()).id
      const otherThread = (await (await client().fetch('/v1/threads', bearer(world.key, { method: 'POST', json: { sandboxId: other } }))).json()).id
      await advance(client(), world.id, '2s')

      const first = sse(await startRun(client(), world.key, THREAD, {}))
      await first.next()
      for (const thread of [THREAD, second]) {
        const refused = await startRun(client(), world.key, thread, {})
        expect(refused.status).toBe(409)
        expect(await refused.json()).toEqual({ error: { code: 'stream_active', message: 'A stream is already active for this sandbox', status: 409 } })
      }
      // Runs answered as JSON are not streams, and another sandbox has its own slot.
      expect((await startRun(client(), world.key, second, { stream: false })).status).toBe(201)
      const elsewhere = sse(await startRun(client(), world.key, otherThread, {}))
      expect((await elsewhere.next())!.event).toBe('run.started')

      await advance(client(), world.id, '3s')
      expect(names(await first.rest()).at(-1)).toBe('run.completed')
      expect(names(await elsewhere.rest()).at(-1)).toBe('run.completed')
      const again = await startRun(client(), world.key, second, {})
      expect(again.status).toBe(200)
      await sse(again).cancel()
    })

    it('the slot is free again once the first stream’s client disconnects; its run is cancelled', async () => {
      const world = await freshWorld(client())
      const first = sse(await startRun(client(), world.key, THREAD, {}))
      const runId = (await first.next())!.json.runId
      expect((await startRun(client(), world.key, THREAD, {})).status).toBe(409)
      await first.cancel()
      await until(async () => (await runOf(world.key, runId)).status === 'cancelled', 'the run is cancelled')
      const next = await startRun(client(), world.key, THREAD, {})
      expect(next.status).toBe(200)
      await sse(next).cancel()
    })

    it('an aborted fetch frees the slot too', async () => {
      const world = await freshWorld(client())
      const controller = new AbortController()
      const first = sse(await startRun(client(), world.key, THREAD, {}, { signal: controller.signal }))
      const runId = (await first.next())!.json.runId
      controller.abort()
      await until(async () => (await runOf(world.key, runId)).status === 'cancelled', 'the run is cancelled')
      expect((await runOf(world.key, runId)).costUsd).toBe(0)
      const next = await startRun(client(), world.key, THREAD, {})
      expect(next.status).toBe(200)
      await sse(next).cancel()
    })

    it('a client polling for the slot is not locked out: its 409 stream_active refusals are not run starts (ten a minute per thread)', async () => {
      const world = await freshWorld(client())
      const second = (await (await client().fetch('/v1/threads', bearer(world.key, { method: 'POST', json: { sandboxId: SANDBOX } }))).json()).id
      const first = sse(await startRun(client(), world.key, THREAD, {}))
      await first.next()
      for (let i = 0; i < 12; i++) expect((await startRun(client(), world.key, second, {})).status).toBe(409)
      await first.cancel()
      for (let i = 0; i < 10; i++) expect((await startRun(client(), world.key, second, { stream: false })).status).toBe(201)
      expect((await startRun(client(), world.key, second, { stream: false })).status).toBe(429)
    })

    it('a natural error before the stream opens (unknown thread, starting sandbox) takes no slot', async () => {
      const world = await freshWorld(client(), 'unavailable')
      for (let i = 0; i < 2; i++) expect((await startRun(client(), world.key, 'thr_booting000000000', {})).status).toBe(503)
      await advance(client(), world.id, '2s')
      const res = await startRun(client(), world.key, 'thr_booting000000000', {})
      expect(res.status).toBe(200)
      await sse(res).cancel()
    })
  })

  describe('scenario rules cut a stream mid-way', () => {
    it('with an error event (sandbox_error after three events)', async () => {
      const world = await freshWorld(client(), 'stream-cut')
      const events = sse(await startRun(client(), world.key, 'thr_cut0000000000000', {}))
      await advance(client(), world.id, '10s')
      const all = await events.rest()
      expect(names(all)).toEqual(['run.started', 'tool.call', 'tool.result', 'error'])
      expect(all[3]!.json).toEqual({ error: { code: 'sandbox_error', message: 'The sandbox encountered a runtime error', status: 500 } })
      expect(await runOf(world.key, all[0]!.json.runId, 'thr_cut0000000000000')).toMatchObject({ status: 'failed', costUsd: 0.01 })
    })

    it('with a dropped connection after two events', async () => {
      const world = await freshWorld(client(), 'stream-cut')
      const events = sse(await startRun(client(), world.key, 'thr_drop000000000000', {}))
      const runId = (await events.next())!.json.runId
      await advance(client(), world.id, '10s')
      expect((await events.next())!.event).toBe('tool.call')
      if (client().door === 'msw') {
        // msw cannot fail a response body mid-way (mswjs/interceptors#738): the body just stops,
        // without the run.completed or error event a finished stream always ends with.
        expect(await events.next()).toBeUndefined()
      } else {
        await expect(events.next()).rejects.toThrow()
      }
      await until(async () => (await runOf(world.key, runId, 'thr_drop000000000000')).status === 'cancelled', 'the run is cancelled')
      // The slot is free again.
      const again = await startRun(client(), world.key, 'thr_drop000000000000', {})
      expect(again.status).toBe(200)
      await sse(again).cancel()
    })

    it('with a stall: one event, then nothing however far the clock goes, until the client leaves', async () => {
      const world = await freshWorld(client(), 'stream-cut')
      const events = sse(await startRun(client(), world.key, 'thr_stall00000000000', {}))
      const runId = (await events.next())!.json.runId
      await advance(client(), world.id, '1h')
      expect(await runOf(world.key, runId, 'thr_stall00000000000')).toMatchObject({ status: 'running', costUsd: 0 })
      expect((await startRun(client(), world.key, 'thr_stall00000000000', {})).status).toBe(409)
      await events.cancel()
      await until(async () => (await runOf(world.key, runId, 'thr_stall00000000000')).status === 'cancelled', 'the run is cancelled')
    })

    it('budget_exceeded on demand: after three events, however large the budget', async () => {
      const world = await freshWorld(client(), 'budget-exceeded')
      const events = sse(await startRun(client(), world.key, 'thr_thrifty000000000', { maxBudgetUsd: 50 }))
      await advance(client(), world.id, '10s')
      const all = await events.rest()
      expect(names(all)).toEqual(['run.started', 'tool.call', 'tool.result', 'error'])
      expect(all[3]!.json).toEqual({ error: { code: 'budget_exceeded', message: 'The request exceeded the maxBudgetUsd limit (50 USD)', status: 400 } })
    })
  })

  it('deleting the sandbox mid-stream ends the stream with not_found', async () => {
    const world = await freshWorld(client())
    const events = sse(await startRun(client(), world.key, THREAD, {}))
    await events.next()
    expect((await client().fetch(`/v1/sandboxes/${SANDBOX}`, bearer(world.key, { method: 'DELETE' }))).status).toBe(204)
    await advance(client(), world.id, '1s')
    const rest = await events.rest()
    expect(rest.map((e) => e.json)).toEqual([{ error: { code: 'not_found', message: 'The specified run does not exist', status: 404 } }])
  })

  it('resetting the world ends its open streams', async () => {
    const world = await freshWorld(client())
    const events = sse(await startRun(client(), world.key, THREAD, {}))
    await events.next()
    expect((await client().fetch(`/__standin/worlds/${world.id}/reset`, { method: 'POST' })).status).toBe(200)
    expect(await events.rest()).toEqual([])
    const next = await startRun(client(), world.key, THREAD, {})
    expect(next.status).toBe(200)
    await sse(next).cancel()
  })
})
