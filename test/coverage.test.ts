import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bearer, freshWorld, openDoor, type Client } from './support/doors.ts'
import { typedClient } from './support/typed.ts'
import { closedPort, runCli } from './support/cli.ts'
import type { paths } from './types/browser-sessions.d.ts'
import { createStandin, type Coverage } from '../src/index.ts'

const out = mkdtempSync(join(tmpdir(), 'standin-coverage-'))
let client: Client
let worldId: string
let coverage: Coverage

/** The traffic a client's test suite sent, and what each request must come to. */
async function sendTraffic(): Promise<void> {
  const world = await freshWorld(client)
  worldId = world.id
  const api = typedClient<paths>(client, world.key)
  expect((await api.POST('/v1/sessions', { body: { ttl: 120 } })).response.status).toBe(201)
  expect((await api.POST('/v1/sessions', { body: {} })).response.status).toBe(201)
  expect((await api.POST('/v1/sessions', { body: { ttl: 12 } })).response.status).toBe(400)              // invalid_field
  expect((await api.GET('/v1/sessions/{id}', { params: { path: { id: 'sess_nope' } } })).response.status).toBe(404)  // session_not_found
  expect((await api.GET('/v1/sessions', { headers: { prefer: 'code=503' } })).response.status).toBe(503)
  expect((await typedClient<paths>(client).GET('/v1/sessions', {})).response.status).toBe(401)          // unauthorized: no key
  expect((await client.fetch('/v2/nothing', bearer(world.key))).status).toBe(404)                      // matches no operation
}

beforeAll(async () => {
  client = await openDoor('node', { spec: 'spec/browser-sessions.yaml', scenarios: 'scenarios/browser-sessions', clock: 'manual' })
  await sendTraffic()
  const res = await client.fetch('/__standin/coverage')
  expect(res.status).toBe(200)
  coverage = await res.json()
})
afterAll(async () => {
  await client?.close()
  rmSync(out, { recursive: true, force: true })
})

const op = (id: string) => coverage.operations.find((o) => o.operation === id)!
const reached = (id: string) => Object.fromEntries(op(id).items.filter((i) => i.count > 0).map((i) => [i.code ? `${i.status} ${i.code}` : i.declared, i.count]))

describe('coverage of the traffic a client sent', () => {
  it('lists every declared status of an operation, split by the error codes it produces, with counts', () => {
    expect(op('createSession').items.map((i) => [i.code ? `${i.status} ${i.code}` : i.declared, i.count])).toEqual([
      ['201', 2], ['400 invalid_request', 0], ['400 invalid_field', 1], ['401 unauthorized', 0], ['402 payment_required', 0],
      ['403 forbidden', 0], ['429 rate_limited', 0], ['429 concurrency_limit', 0], ['500', 0], ['503', 0],
    ])
    expect(op('createSession')).toMatchObject({ requests: 3, reached: 2, total: 10, percent: 20 })
  })

  it('counts what each operation reached, and nothing it did not', () => {
    expect(reached('listSessions')).toEqual({ '401 unauthorized': 1, '503': 1 })
    expect(reached('getSession')).toEqual({ '404 session_not_found': 1 })
    for (const id of ['deleteSession', 'takeScreenshot', 'createPreviewToken']) expect(op(id)).toMatchObject({ requests: 0, reached: 0 })
    expect(coverage.requests).toBe(7)
    expect(coverage.unmatched).toEqual([{ method: 'GET', path: '/v2/nothing', count: 1 }])
    const total = coverage.operations.reduce((n, o) => n + o.total, 0)
    expect(coverage).toMatchObject({ reached: 5, total, percent: Math.floor((5 / total) * 1000) / 10 })
  })

  it('keeps counting a world after it is deleted', async () => {
    const res = await client.fetch(`/__standin/worlds/${worldId}`, { method: 'DELETE' })
    expect(res.status).toBe(204)
    const after: Coverage = await (await client.fetch('/__standin/coverage')).json()
    expect(after.reached).toBe(coverage.reached)
    expect(after.requests).toBe(coverage.requests)
  })

  it('is the same in the library (standin.coverage())', () => {
    expect(client.standin.coverage().reached).toBe(coverage.reached)
  })
})

describe('standin coverage (CLI)', () => {
  it('prints a table of reached and never-reached outcomes and passes above --min', async () => {
    const run = await runCli(['coverage', '--url', client.base, '--min', '5%'])
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/createSession \(POST \/v1\/sessions\)\s+3\s+2\/10 20%\s+201×2, 400 invalid_field×1\s+400 invalid_request, 401 unauthorized/)
    expect(run.stdout).toMatch(/note: GET \/v2\/nothing ×1 matched no operation/)
    expect(run.stdout).toMatch(new RegExp(`coverage: 5/${coverage.total} declared outcomes reached \\(${coverage.percent}%\\) — at least 5%: ok`))
  })

  it('exits 1 below --min, with JSON and JUnit reports', async () => {
    const json = join(out, 'coverage.json')
    const junit = join(out, 'coverage.xml')
    const run = await runCli(['coverage', '--url', client.base, '--min', '90', '--json', json, '--junit', junit])
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(`standin coverage: ${coverage.percent}% is below --min 90%`)
    expect(JSON.parse(readFileSync(json, 'utf8'))).toMatchObject({ reached: 5, percent: coverage.percent, min: 90, ok: false })
    const xml = readFileSync(junit, 'utf8')
    expect(xml).toMatch(/<testcase name="createSession \(POST \/v1\/sessions\)" classname="standin.coverage" time="0.000">\n\s*<skipped message="2\/10 reached; never reached: 400 invalid_request, 401 unauthorized, 402 payment_required/)
    expect(xml).toMatch(/<testcase name="coverage at least 90%"[^>]*>\n\s*<failure message="coverage [\d.]+% is below the minimum 90%/)
  })

  it('prints JSON with --format json', async () => {
    const run = await runCli(['coverage', '--url', client.base, '--format', 'json'])
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject({ requests: 7, reached: 5 })
  })

  it('computes the same numbers from a saved journal', async () => {
    const second = await freshWorld(client)
    const api = typedClient<paths>(client, second.key)
    await api.POST('/v1/sessions', { body: { ttl: 12 } })
    await api.GET('/v1/sessions', {})
    const journal = await (await client.fetch(`/__standin/journal?world=${second.id}`)).json()
    expect(journal).toHaveLength(2)
    const file = join(out, 'journal.json')
    writeFileSync(file, JSON.stringify(journal))
    const fromFile = await runCli(['coverage', 'spec/browser-sessions.yaml', '--journal', file, '--format', 'json'])
    const fromServer = await runCli(['coverage', '--url', client.base, '--world', second.id, '--format', 'json'])
    expect(fromFile.code).toBe(0)
    const a = JSON.parse(fromFile.stdout)
    const b = JSON.parse(fromServer.stdout)
    expect(a).toMatchObject({ requests: 2, reached: 2 })
    expect(a.operations).toEqual(b.operations)
  })

  const unusable: Array<[string, () => Promise<string[]>, RegExp]> = [
    ['the server is unreachable', async () => ['coverage', '--url', await closedPort()], /cannot reach standin at http:\/\/127\.0\.0\.1:\d+: connection refused/],
    ['the journal file is missing', async () => ['coverage', 'spec/browser-sessions.yaml', '--journal', join(out, 'nope.json')], /cannot read the journal/],
    ['the journal file is not a journal', async () => { const f = join(out, 'bad.json'); writeFileSync(f, '{"a":1}'); return ['coverage', 'spec/browser-sessions.yaml', '--journal', f] }, /is not a standin journal/],
    ['--journal has no spec', async () => ['coverage', '--journal', 'x.json'], /name the spec the journal was recorded against/],
    ['--min is not a percentage', async () => ['coverage', '--min', 'lots'], /--min is a percentage/],
  ]
  for (const [name, args, message] of unusable) {
    it.concurrent(`exits 2 when ${name}`, async ({ expect }) => {
      const run = await runCli(await args())
      expect(run.code).toBe(2)
      expect(run.stderr).toMatch(message)
      expect(run.stderr).not.toMatch(/\n\s+at /)
    })
  }
})

describe('a parent the request cannot name', () => {
  it('is no outcome of the operation: its 404 is listed only where the path, a list\'s query or a create\'s body names it', async () => {
    const standin = await createStandin({ spec: 'test/fixtures/parent-by-body.yaml', scenarios: [{ name: 'default', tenants: [{ id: 't1', keys: [{ token: 'k1' }] }] }] })
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await standin.handle(new Request(`https://api.tokens.example${path}`, { method, headers: { authorization: 'Bearer k1', 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) }))
      return ((await res.json()) as { error?: { code: string } }).error?.code
    }
    // What the engine answers, and what coverage expects of each operation, agree.
    expect([await call('POST', '/tokens', { site: 'site_nope' }), await call('GET', '/tokens/tok_nope'), await call('GET', '/sites/site_nope/tokens')])
      .toEqual(['site_not_found', 'not_found', 'site_not_found'])
    const codes = (id: string) => standin.coverage().operations.find((o) => o.operation === id)!.items.filter((i) => i.declared === '404').map((i) => i.code)
    expect([codes('createToken'), codes('getToken'), codes('listSiteTokens')]).toEqual([['site_not_found'], ['not_found'], ['site_not_found']])
  })
})
