/**
 * An API with a catalogue of its own answers only its own codes. Over the three bundled specs: every
 * operation with every code of the catalogue asked for (X-Standin-Error) and every status of it
 * forced (Prefer), a wrong method on every path, an unknown path, an oversized body, a code outside
 * the catalogue, a standin bug — the code answered is always one of the catalogue the spec writes,
 * and standin's self-check records no violation (the suite's gate fails a test whose responses break
 * the spec: test/support/setup.ts).
 */
import { describe, expect, it } from 'vitest'
import { createStandin, type Standin } from '../src/index.ts'
import { selfChecked, takeResponseViolations } from './support/self-check.ts'
import { tempFiles } from './support/files.ts'

const SPECS = [
  { name: 'agent-sandbox', spec: 'spec/agent-sandbox.yaml', scenarios: 'scenarios/agent-sandbox', base: 'https://api.agent-sandbox.example' },
  { name: 'browser-sessions', spec: 'spec/browser-sessions.yaml', scenarios: 'scenarios/browser-sessions', base: 'https://api.browser-sessions.example' },
  { name: 'generation', spec: 'spec/generation.yaml', scenarios: 'scenarios/generation', base: 'https://api.generation.example' },
  // Its team scenario's first key passes every gate (admin, Team plan, workspace roles): triggers answer on every operation.
  { name: 'agent-platform', spec: 'spec/agent-platform.yaml', scenarios: 'scenarios/agent-platform', base: 'https://app.agent-platform.example/api', scenario: 'team' },
]
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']

/** The code an answer carries, wherever the API's envelope puts it (`code`, `error.code`, or `error`). */
function codeOf(body: any): unknown {
  if (typeof body?.code === 'string') return body.code
  return typeof body?.error === 'string' ? body.error : body?.error?.code
}

for (const { name, spec, scenarios, base, scenario } of SPECS as Array<{ name: string; spec: string; scenarios: string; base: string; scenario?: string }>) {
  describe(`${name}: only the catalogue's codes`, () => {
    let standin: Standin
    let key: string
    let world: ReturnType<Standin['world']>['world']
    let catalogue: Map<string, number>
    const setUp = async () => {
      standin = await createStandin(selfChecked({ spec, scenarios }))
      const handle = standin.world(scenario)
      key = handle.key!
      world = handle.world
      // The catalogue as the spec writes it, read from the document rather than from standin's model.
      catalogue = new Map(Object.entries<any>(standin.api.spec.document['x-standin'].errors.catalogue).map(([code, e]) => [code, e.status]))
    }
    const send = async (method: string, path: string, headers: Record<string, string> = {}, body?: string, journalled = world) => {
      const res = await standin.handle(new Request(base + path, { method, headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers }, body }))
      const text = await res.text()
      const entry = journalled.journal.all().at(-1)
      return { status: res.status, headers: res.headers, body: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text, entry }
    }
    const pathOf = (template: string) => template.replace(/\{[^}]+\}/g, 'x1')
    const expectCatalogued = (reply: Awaited<ReturnType<typeof send>>, what: string) => {
      if (reply.status < 400) return
      expect(catalogue.has(String(codeOf(reply.body))), `${what}: answered ${reply.status} ${JSON.stringify(reply.body)}`).toBe(true)
      expect(reply.entry?.code, what).toBe(codeOf(reply.body))
    }

    it('every operation, every code asked for by X-Standin-Error, answers that code', async () => {
      await setUp()
      let asked = 0
      for (const op of standin.api.operations) {
        for (const [code, status] of catalogue) {
          const reply = await send(op.method, pathOf(op.path), { 'x-standin-error': code })
          expectCatalogued(reply, `${op.id} ${code}`)
          if (reply.entry?.cause === 'trigger') {
            expect([reply.status, codeOf(reply.body)], `${op.id} ${code}`).toEqual([status, code])
            asked++
          }
        }
      }
      expect(asked).toBeGreaterThanOrEqual(standin.api.operations.length * catalogue.size * 0.9)
      expect(standin.violations('response')).toEqual([])
    })

    it('every operation, every status of the catalogue forced by Prefer, answers a catalogue code', async () => {
      await setUp()
      for (const op of standin.api.operations) {
        for (const status of new Set(catalogue.values())) {
          const reply = await send(op.method, pathOf(op.path), { prefer: `code=${status}, retry-after=4` })
          expectCatalogued(reply, `${op.id} ${status}`)
          if (reply.entry?.cause === 'trigger') {
            expect(reply.status).toBe(status)
            if (status === 429 || status === 503) expect(reply.headers.get('retry-after'), `${op.id} ${status}`).toBe('4')
          }
        }
      }
      expect(standin.violations('response')).toEqual([])
    })

    it('a wrong method on every path, an unknown path, an oversized body and a standin bug answer catalogue codes', async () => {
      await setUp()
      const paths = new Map<string, Set<string>>()
      for (const op of standin.api.operations) paths.set(op.path, (paths.get(op.path) ?? new Set()).add(op.method))
      for (const [path, methods] of paths) {
        const wrong = METHODS.find((m) => !methods.has(m))!
        const reply = await send(wrong, pathOf(path))
        expect(reply.status).toBe(405)
        expect(reply.headers.get('allow')).toBe([...methods].join(', '))
        expectCatalogued(reply, `${wrong} ${path}`)
      }
      expectCatalogued(await send('GET', '/v1/nowhere'), 'an unknown path')
      const post = standin.api.operations.find((o) => o.method === 'POST' && o.body)!
      const oversized = await send('POST', pathOf(post.path), {}, `{"x":"${'x'.repeat(standin.api.behaviour.maxBodyBytes)}"}`)
      expect(oversized.status).toBeGreaterThanOrEqual(400)
      expectCatalogued(oversized, 'an oversized body')
      const tick = world.tick
      world.tick = () => { throw new Error('a timer broke') }
      // A bug before the request has a world is answered in the default world.
      const bug = await send('GET', pathOf(standin.api.operations[0]!.path), {}, undefined, standin.worlds.default)
      world.tick = tick
      expect(bug.status).toBe(500)
      expectCatalogued(bug, 'a standin bug')
      // The bug itself is journalled as standin's (a response-side violation), and nothing else is.
      expect(standin.violations('response').map((v) => v.message)).toEqual(['internal error: a timer broke'])
      // That one is the bug this test made on purpose: taken off the suite's gate.
      expect(takeResponseViolations().map((v) => v.message)).toEqual(['internal error: a timer broke'])
    })

    it('a code outside the catalogue is refused as the test\'s mistake, clearly marked, in the API\'s shape', async () => {
      await setUp()
      const op = standin.api.operations[0]!
      // None of these three APIs has a 405 or a 418 code: standin's generic name for one is no code of theirs.
      for (const code of ['method_not_allowed', 'teapot'].filter((c) => !catalogue.has(c))) {
        const reply = await send(op.method, pathOf(op.path), { 'x-standin-error': code })
        expect(reply.headers.get('x-standin-refused')).toBe(`"${code}" is not in this API's error catalogue`)
        expectCatalogued(reply, code)
        expect(reply.entry?.violations).toEqual([expect.objectContaining({ side: 'request', location: 'trigger' })])
      }
      expect(standin.violations('response')).toEqual([])
    })
  })
}

describe('agent-sandbox, by name', () => {
  it('X-Standin-Error: rate_limit_exceeded is the API\'s 429, Retry-After agreeing with its retryAfter; the generic rate_limited is that same 429; a wrong method is its not_found at 405', async () => {
    const standin = await createStandin(selfChecked({ spec: 'spec/agent-sandbox.yaml', scenarios: 'scenarios/agent-sandbox' }))
    const key = standin.world().key!
    const send = (method: string, headers: Record<string, string> = {}) => standin.handle(new Request('https://api.agent-sandbox.example/v1/sandboxes', { method, headers: { authorization: `Bearer ${key}`, ...headers } }))
    const limited = await send('GET', { 'x-standin-error': 'rate_limit_exceeded' })
    expect([limited.status, limited.headers.get('retry-after'), await limited.json()]).toEqual([429, '60', { error: { code: 'rate_limit_exceeded', message: 'Too many requests. Please retry after 60 seconds.', status: 429, retryAfter: 60 } }])
    const sooner = await send('GET', { 'x-standin-error': 'rate_limit_exceeded', prefer: 'retry-after=3' })
    expect([sooner.headers.get('retry-after'), ((await sooner.json()) as any).error.retryAfter]).toEqual(['3', 3])
    const generic = await send('GET', { 'x-standin-error': 'rate_limited' })
    expect([generic.status, generic.headers.get('x-standin-refused'), generic.headers.get('retry-after'), await generic.json()]).toEqual([429, null, '60', { error: { code: 'rate_limit_exceeded', message: 'Too many requests. Please retry after 60 seconds.', status: 429, retryAfter: 60 } }])
    const refused = await send('GET', { 'x-standin-error': 'method_not_allowed' })
    expect([refused.status, refused.headers.get('x-standin-refused'), ((await refused.json()) as any).error.code]).toEqual([400, '"method_not_allowed" is not in this API\'s error catalogue', 'invalid_request'])
    const wrong = await send('PATCH')
    expect([wrong.status, wrong.headers.get('allow'), ((await wrong.json()) as any).error]).toEqual([405, 'GET, POST', { code: 'not_found', message: 'The specified resource does not exist', status: 405 }])
  })

  it('check: the bundled specs say which code a wrong method gets; a catalogue that does not is warned about, with the code chosen', async () => {
    const { check } = await import('../src/index.ts')
    for (const { spec, scenarios } of SPECS) expect(check(spec, { scenarios }).warnings).toEqual([])
    const { file } = tempFiles('catalogue-only')
    const spec = file('shop.yaml', `openapi: 3.1.0
info: { title: shop, version: '1' }
x-standin:
  errors:
    catalogue:
      bad_input: { status: 400, message: Bad input. }
      no_such_thing: { status: 404, message: No such thing. }
paths:
  /things:
    get:
      responses: { '200': { description: ok } }
`)
    const result = check(spec)
    expect(result.ok).toBe(true)
    expect(result.warnings.map((w) => [w.pointer, w.message.replace(/\. Add .*$/, '')])).toEqual([
      ['/x-standin/errors/notFound', 'the catalogue has no code for standin\'s "not_found" (404): answered with "no_such_thing" (404), the closest by status, at status 404'],
      ['/x-standin/errors/methodNotAllowed', 'the catalogue has no code for standin\'s "method_not_allowed" (405): answered with "no_such_thing" (404), the closest by status, at status 405'],
      ['/x-standin/errors/internal', 'the catalogue has no 5xx code: standin\'s own "internal_error" (500) is answered'],
      ['/x-standin/errors/validation/malformed', 'the catalogue has no code for standin\'s "invalid_request" (400): answered with "bad_input" (400), the closest by status, at status 400'],
    ])
  })
})
