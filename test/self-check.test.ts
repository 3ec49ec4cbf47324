import { describe, expect, it } from 'vitest'
import { createStandin, type StandinOptions } from '../src/index.ts'
import { selfChecked, takeResponseViolations } from './support/self-check.ts'

const offContract: StandinOptions = {
  spec: 'test/fixtures/off-contract.yaml',
  scenarios: [{
    name: 'default',
    rules: [
      { operation: 'listWidgets', match: { headers: { 'x-case': 'body' } }, status: 200, body: { items: [] }, headers: { 'X-Total': '1' } },
      { operation: 'listWidgets', match: { headers: { 'x-case': 'header' } }, error: 'rate_limited', headers: { 'Retry-After': 'soon' } },
      { operation: 'listWidgets', match: { headers: { 'x-case': 'status' } }, error: 'internal_error' },
      { operation: 'getReport', match: { headers: { 'x-case': 'content-type' } }, status: 200, body: { csv: 'a,b' } },
    ],
  }],
}

async function sent(options: StandinOptions, path: string, headers: Record<string, string> = {}) {
  const standin = await createStandin(options)
  const res = await standin.handle(new Request(`http://x${path}`, { headers }))
  return { res, violations: standin.worlds.default.violations('response') }
}

describe('self-check of every response standin sends', () => {
  // Each case: what the rule or the spec makes standin send, and the violation the self-check journals.
  const cases: Array<[string, Record<string, string>, string, { location: string; pointer: string; message: RegExp }]> = [
    ['a required header it cannot fill', {}, '/widgets', { location: 'header', pointer: '/x-total', message: /required header x-total is missing/ }],
    ['a body that does not match the schema', { 'x-case': 'body' }, '/widgets', { location: 'body', pointer: '/data', message: /data is required/ }],
    ['a header value that does not match its schema', { 'x-case': 'header' }, '/widgets', { location: 'header', pointer: '/retry-after', message: /"soon" does not match/ }],
    ['a content type the response does not declare', { 'x-case': 'content-type' }, '/report', { location: 'content-type', pointer: '', message: /application\/json is not declared for getReport 200/ }],
  ]
  for (const [name, headers, path, want] of cases) {
    it(`journals ${name}`, async () => {
      const { violations } = await sent(offContract, path, headers)
      expect(violations).toContainEqual(expect.objectContaining({ side: 'response', location: want.location, pointer: want.pointer, message: expect.stringMatching(want.message) }))
    })
  }

  it('accepts a 404 under a declared 4XX range', async () => {
    const { res, violations } = await sent(offContract, '/widgets', { 'x-standin-error': 'not_found' })
    expect(res.status).toBe(404)
    expect(violations).toEqual([])
  })

  it('holds a forced status the operation does not declare (500; a literal 400 or 4XX does not cover it) as a finding, not a violation', async () => {
    const standin = await createStandin(offContract)
    const res = await standin.handle(new Request('http://x/widgets', { headers: { 'x-case': 'status' } }))
    expect(res.status).toBe(500)
    expect(await res.json()).toEqual({ error: { code: 'internal_error', message: 'Internal server error.' } })
    const [entry] = standin.worlds.default.journal.all()
    expect(entry).toMatchObject({ status: 500, cause: 'rule', violations: [], finding: { kind: 'forced-undeclared', message: expect.stringMatching(/listWidgets does not declare 500/) } })
  })

  it('answers Prefer: code=418 on an operation that does not declare it, in the API\'s error shape, as a finding', async () => {
    const standin = await createStandin(offContract)
    const res = await standin.handle(new Request('http://x/report', { headers: { prefer: 'code=418' } }))
    expect(res.status).toBe(418)
    expect(await res.json()).toEqual({ error: { code: 'i_m_a_teapot', message: "I'm a teapot." } })
    expect(standin.worlds.default.violations()).toEqual([])
    expect(standin.worlds.default.journal.all()[0]!.finding?.kind).toBe('forced-undeclared')
  })

  it('reports response violations to the test suite gate, which fails the test that caused them', async () => {
    const standin = await createStandin(selfChecked(offContract))
    await standin.handle(new Request('http://x/widgets'))
    const reported = takeResponseViolations()
    expect(reported).toEqual([expect.objectContaining({ location: 'header', pointer: '/x-total', operation: 'listWidgets', request: 'GET /widgets', status: 200 })])
  })
})
