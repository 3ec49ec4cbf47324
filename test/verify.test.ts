import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createStandin } from '../src/index.ts'
import { listen, type Listening } from '../src/adapters/node-http.ts'
import { bundledSpecs, closedPort, runCli, serve, type TestServer } from './support/cli.ts'
import { selfChecked } from './support/self-check.ts'

const out = mkdtempSync(join(tmpdir(), 'standin-verify-'))
afterAll(() => rmSync(out, { recursive: true, force: true }))

describe.each(bundledSpecs())('standin verify against standin serving $name', ({ spec, scenarios }) => {
  let server: Listening
  beforeAll(async () => {
    const standin = await createStandin(selfChecked({ spec, scenarios, clock: 'real' }))
    server = await listen(standin.handle, { port: 0 })
  })
  afterAll(() => server?.close())

  it('exits 0, every answer keeping the contract, with JSON and JUnit reports and progress', async () => {
    const json = join(out, 'self.json')
    const junit = join(out, 'self.xml')
    const run = await runCli(['verify', spec, '--target', server.url, ...(scenarios ? ['--scenarios', scenarios] : []), '--json', json, '--junit', junit])
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/✓ \w+: valid request/)
    const report = JSON.parse(readFileSync(json, 'utf8'))
    expect(report.outcome).toBe('pass')
    expect(report.summary.failed).toBe(0)
    expect(report.summary.passed).toBeGreaterThan(report.summary.skipped)
    // Every kind of request was sent: valid, broken on purpose, unauthenticated.
    const kinds = new Set(report.results.filter((r: any) => r.status !== undefined).map((r: any) => r.kind))
    for (const kind of ['valid', 'invalid-body', 'malformed', 'no-credentials']) expect(kinds).toContain(kind)
    const xml = readFileSync(junit, 'utf8')
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="standin verify [^"]*" tests="\d+" failures="0"/)
  })

  it('exits 1 against a server that answers everything with 200 text/plain', async () => {
    const liar = await serve((_req, res) => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('ok') })
    try {
      const run = await runCli(['verify', spec, '--target', liar.url, ...(scenarios ? ['--scenarios', scenarios] : []), '--quiet'])
      expect(run.code).toBe(1)
      expect(run.stderr).toMatch(/breaks the contract/)
    } finally {
      await liar.close()
    }
  })
})

describe('standin verify against a provider that breaks the contract', () => {
  let provider: TestServer
  const widgets: Record<string, unknown> = {}
  beforeAll(async () => {
    provider = await serve((req, res, body) => {
      const url = new URL(req.url!, 'http://x')
      const json = (status: number, value: unknown, headers: Record<string, string> = {}) => { res.writeHead(status, { 'content-type': 'application/json', ...headers }); res.end(JSON.stringify(value)) }
      if (req.headers['x-api-key'] !== 'k_test') return json(401, { message: 'no key' })
      if (url.pathname === '/widgets' && req.method === 'POST') {
        // Wrong status (200, not the declared 201), no Location header, and invalid input accepted.
        const id = `w_${Object.keys(widgets).length + 1}`
        widgets[id] = body
        return json(200, { id, name: 'x' })
      }
      if (url.pathname === '/widgets' && req.method === 'GET') return json(200, { items: [] })  // wrong shape, no X-Total-Count
      const id = url.pathname.split('/')[2]!
      if (url.pathname.endsWith('/events')) { res.writeHead(200, { 'content-type': 'text/event-stream' }); return res.write('data: {"size":3}\n\n') }  // never ends
      if (req.method === 'GET') { res.writeHead(200, { 'content-type': 'text/html' }); return res.end('<p>a widget</p>') }  // wrong content type
      if (req.method === 'DELETE') { if (id in widgets) { res.writeHead(204); return res.end() } return json(404, { message: 'no such widget' }) }
      json(404, { message: 'not found' })
    })
  })
  afterAll(() => provider?.close())

  it('exits 1 and reports each break: status, body shape, header, content type, invalid input accepted', async () => {
    const json = join(out, 'broken.json')
    const junit = join(out, 'broken.xml')
    const run = await runCli(['verify', 'test/fixtures/widgets.yaml', '--target', provider.url, '--auth', 'X-Api-Key: k_test', '--json', json, '--junit', junit])
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/✗ createWidget: valid request \(example body\) — POST \/widgets → 200/)
    const report = JSON.parse(readFileSync(json, 'utf8'))
    const problems = (operation: string, kind: string) => report.results.filter((r: any) => r.operation === operation && r.kind === kind).flatMap((r: any) => r.problems)
    expect(problems('createWidget', 'valid')).toEqual([expect.stringMatching(/^status: status 200 is not declared for createWidget/)])
    expect(problems('createWidget', 'invalid-body')).toContainEqual(expect.stringMatching(/expected a 4xx for a request that breaks the spec, got 200/))
    expect(problems('listWidgets', 'valid')).toEqual(expect.arrayContaining([
      expect.stringMatching(/^header \/x-total-count: required header x-total-count is missing/),
      expect.stringMatching(/^body \/data: data is required/),
    ]))
    expect(problems('getWidget', 'valid')[0]).toMatch(/^content-type: content type text\/html is not declared for getWidget 200/)
    expect(problems('deleteWidget', 'valid')).toEqual([])
    expect(problems('deleteWidget', 'unknown-id')).toEqual([])
    // A stream that never ends is read as far as its first chunk, not waited for.
    expect(report.results.filter((r: any) => r.operation === 'watchWidget' && r.kind === 'valid').map((r: any) => [r.status, r.problems])).toContainEqual([200, []])
    expect(report.outcome).toBe('fail')
    const xml = readFileSync(junit, 'utf8')
    expect(xml).toContain('<testsuite name="createWidget"')
    expect(xml).toMatch(/<testcase name="valid request \(example body\) \(POST \/widgets\)" classname="standin.verify.createWidget" time="[\d.]+">\n\s*<failure message="status: status 200 is not declared/)
  })
})

describe.concurrent('standin verify when it cannot run (exit 2)', () => {
  const cases: Array<[string, () => Promise<string[]>, RegExp]> = [
    ['the target is unreachable', async () => ['verify', 'spec/browser-sessions.yaml', '--target', await closedPort()], /cannot reach http:\/\/127\.0\.0\.1:\d+: connection refused/],
    ['the target is not a URL', async () => ['verify', 'spec/browser-sessions.yaml', '--target', 'localhost:4010'], /--target must be an http\(s\) URL/],
    ['no target is named', async () => ['verify', 'spec/browser-sessions.yaml'], /--target <url>/],
    ['the spec cannot be read', async () => ['verify', 'spec/no-such.yaml', '--target', 'http://127.0.0.1:9'], /cannot read spec\/no-such\.yaml/],
    ['the spec has no operations', async () => ['verify', 'test/fixtures/no-operations.yaml', '--target', 'http://127.0.0.1:9'], /no operations: nothing to verify/],
    ['an --auth value is not a header', async () => ['verify', 'spec/browser-sessions.yaml', '--target', 'http://127.0.0.1:9', '--auth', 'Bearer x'], /--auth is a header/],
  ]
  for (const [name, args, message] of cases) {
    it(`when ${name}`, async () => {
      const run = await runCli(await args())
      expect(run.code).toBe(2)
      expect(run.stderr).toMatch(message)
      expect(run.stderr).not.toMatch(/\n\s+at /)
    })
  }

  it('when the target answers but no request of the plan gets an answer', async () => {
    const hangUp = await serve((req, res) => { if (req.url === '/') res.end('hello'); else req.socket.destroy() })
    try {
      const run = await runCli(['verify', 'spec/browser-sessions.yaml', '--target', hangUp.url, '--scenarios', 'scenarios/browser-sessions', '--quiet'])
      expect(run.code).toBe(2)
      expect(run.stderr).toMatch(/no request got an answer — nothing was tested/)
    } finally {
      await hangUp.close()
    }
  })
})
