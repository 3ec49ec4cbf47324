/**
 * `x-standin.stream` as general engine capability, away from any bundled API: a chat-style stream of
 * NDJSON lines with a `[DONE]`-style end, items from the request, no record and no budget; and every
 * mistake in a stream's model or a scenario's cut named with file, pointer and a fix.
 */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { tempFiles } from './support/files.ts'
import { check, createStandin } from '../src/index.ts'

const { dir, file } = tempFiles('stream')

const chat = file('chat.yaml', `openapi: 3.0.3
info: { title: chat, version: '1' }
security: [{ key: [] }]
x-standin:
  errors:
    catalogue:
      busy: { status: 429, message: 'Only {limit} at once' }
paths:
  /chat/{room}:
    post:
      operationId: chat
      x-standin:
        stream:
          mediaType: application/x-ndjson
          concurrency: { id: per-room, per: '{path.room}', limit: 2, error: busy }
          events:
            - each: '{body.words}'
              after: '{index + 1}'
              data: { word: '{upper(item)}', n: '{index}' }
          end: { data: '[DONE]' }
      requestBody:
        content:
          application/json:
            schema: { type: object, properties: { words: { type: array, items: { type: string } } } }
      responses:
        '200': { description: words, content: { application/x-ndjson: { schema: { type: string } } } }
        '429': { description: busy }
components:
  securitySchemes:
    key: { type: apiKey, in: header, name: x-key }
`)

describe('a stream in another API', () => {
  it('sends NDJSON lines on the world clock, items from the request, then its end line', async () => {
    const standin = await createStandin({ spec: chat, scenarios: [{ name: 'default', tenants: [{ id: 't', keys: [{ token: 'k' }] }] }] })
    const world = standin.home()
    const post = () => standin.handle(new Request('http://x/chat/lobby', { method: 'POST', headers: { 'x-key': 'k', 'content-type': 'application/json' }, body: JSON.stringify({ words: ['hi', 'there'] }) }))
    const res = await post()
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/x-ndjson')
    // Two open per room: the third is the API's own 429.
    const second = await post()
    const third = await post()
    expect(third.status).toBe(429)
    expect(await third.json()).toEqual({ error: { code: 'busy', message: 'Only 2 at once' } })
    await second.body!.cancel()

    const reader = res.body!.getReader()
    const text = async () => new TextDecoder().decode((await reader.read()).value)
    world.clock.advance('1s')
    expect(await text()).toBe('{"word":"HI","n":0}\n')
    world.clock.advance('2s')
    const rest: string[] = []
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest.push(new TextDecoder().decode(chunk.value))
    expect(rest.join('')).toBe('{"word":"THERE","n":1}\n"[DONE]"\n')
    expect(world.journal.query({ operation: 'chat', status: 200 }).map((e) => e.stream)).toEqual([
      { events: 3, outcome: 'completed' },
      { events: 0, outcome: 'aborted' },
    ])
  })
})

describe('on a real clock (the dev server’s)', () => {
  it('wakes itself to send each event when its time comes, with no request or test moving the clock', async () => {
    const ticks = file('ticks.yaml', `openapi: 3.1.0
info: { title: ticks, version: '1' }
paths:
  /ticks:
    get:
      x-standin:
        stream:
          events: [{ event: tick, each: [1, 2, 3], after: 10ms, data: '{item}' }]
          end: { event: done, data: bye }
      responses: { '200': { description: s, content: { text/event-stream: { schema: { type: string } } } } }
`)
    const standin = await createStandin({ spec: ticks, clock: 'real' })
    const res = await standin.handle(new Request('http://x/ticks'))
    const text = await res.text()
    expect(text).toBe('event: tick\nid: 1\ndata: 1\n\nevent: tick\nid: 2\ndata: 2\n\nevent: tick\nid: 3\ndata: 3\n\nevent: done\nid: 4\ndata: bye\n\n')
  })
})

describe('mistakes in a stream model or a cut', () => {
  const bad = file('bad.yaml', `openapi: 3.1.0
info: { title: bad, version: '1' }
x-standin:
  resources:
    job:
      schema: '#/components/schemas/Job'
      lifecycle: { field: status, initial: queued, states: [queued, done] }
paths:
  /jobs:
    post:
      operationId: createJob
      x-standin:
        parentStates:
          folder: { open: not_found }
        stream:
          mediaType: text/event-stream
          concurrency: { limit: 1, error: too_busy }
          budget: { error: not_found }
          evnts: []
          end: { state: finished }
      responses:
        '201': { description: a job, content: { application/json: { schema: { $ref: '#/components/schemas/Job' } } } }
    get:
      operationId: listJobs
      responses:
        '200': { description: jobs, content: { application/json: { schema: { type: array, items: { $ref: '#/components/schemas/Job' } } } } }
components:
  schemas:
    Job: { type: object, properties: { id: { type: string }, status: { type: string } } }
`)

  it('lists every problem of x-standin.stream with its pointer and a fix', () => {
    const { ok, problems } = check(bad)
    expect(ok).toBe(false)
    const at = (pointer: string) => problems.filter((p) => p.pointer === `/paths/~1jobs/post/x-standin${pointer}`).map((p) => p.message).join(' | ')
    expect(at('/stream/evnts')).toMatch(/unknown stream setting "evnts".*Did you mean "events"\?/)
    expect(at('/stream/events')).toMatch(/at least one event/)
    expect(at('/stream/mediaType')).toMatch(/no 2xx response of this operation declares text\/event-stream: declare one/)
    expect(at('/stream/concurrency/per')).toMatch(/per names what streams are counted by/)
    expect(at('/stream/concurrency/error')).toMatch(/"too_busy" is not in x-standin.errors.catalogue/)
    expect(at('/stream/budget/limit')).toMatch(/limit is the most a stream may cost/)
    expect(at('/stream/end/state')).toMatch(/"finished" is not a state of job's lifecycle \(queued, done\)/)
    expect(at('/parentStates/folder')).toMatch(/resource "folder" is not defined/)
  })

  it('refuses a scenario cut that says neither how, or names an operation without a stream', () => {
    const api = file('api.yaml', `openapi: 3.0.3
info: { title: chat, version: '1' }
paths:
  /chat:
    post:
      operationId: chat
      x-standin:
        stream:
          events: [{ event: hi, data: hi }]
      responses: { '200': { description: s, content: { text/event-stream: { schema: { type: string } } } } }
  /ping:
    get:
      operationId: ping
      responses: { '200': { description: ok } }
`)
    file('cuts/cut.yaml', `rules:
  - { operation: chat, afterEvents: 1 }
  - { operation: ping, afterEvents: 1, fault: drop }
  - { afterEvents: 2, error: not_found }
  - { operation: chat, afterEvents: 1, status: 500 }
`)
    const { ok, problems } = check(api, { scenarios: join(dir, 'cuts') })
    expect(ok).toBe(false)
    const messages = problems.map((p) => `${p.pointer}: ${p.message}`)
    expect(messages).toEqual(expect.arrayContaining([
      expect.stringMatching(/^\/rules\/0\/afterEvents: rule 1 cuts a stream after 1 events but says neither how/),
      expect.stringMatching(/^\/rules\/1\/operation: rule 2 cuts the stream of "ping", which has no stream/),
      expect.stringMatching(/^\/rules\/2\/operation: rule 3 cuts a stream: name the operation/),
      expect.stringMatching(/^\/rules\/3\/status: rule 4 cuts a stream mid-way, when the status has long been sent/),
    ]))
  })
})
