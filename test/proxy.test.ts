/**
 * `standin serve --proxy`: some operations mocked, the rest forwarded to the provider — here a small
 * server of the test's own on 127.0.0.1 — through the node door. Forced errors never reach the
 * provider; a provider answer that breaks the spec is journalled as the provider's violation.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createStandin, type Standin } from '../src/index.ts'
import { listen } from '../src/adapters/node-http.ts'

const spec = join(import.meta.dirname, 'fixtures/live/notes.yaml')
const dir = mkdtempSync(join(tmpdir(), 'standin-proxy-'))
const scenario = join(dir, 'default.yaml')
writeFileSync(scenario, `tenants:
  - id: team_a
    keys: [{ token: nk_live_alpha }]
    records:
      note:
        - { id: note_1, text: mocked note }
proxy:
  tag:account: mock
rules:
  - { operation: getNote, match: { headers: { x-test-limit: '1' } }, status: 429 }
`)

/** The "real API": what it was sent, and answers of its own (one of them breaking the spec). */
const seen: Array<{ method: string; url: string; headers: IncomingHttpHeaders; body: string; bytes: Buffer }> = []
let provider: Server
let providerUrl: string
let endStream: () => void = () => {}
beforeAll(async () => {
  provider = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => { chunks.push(c) })
    req.on('end', () => {
      const bytes = Buffer.concat(chunks)
      const body = bytes.toString('utf8')
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body, bytes })
      if (req.url?.endsWith('/attachment')) { res.writeHead(204); return res.end() }
      const send = (status: number, value: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', 'x-provider': 'yes', ...headers })
        res.end(JSON.stringify(value))
      }
      const path = req.url!.split('?')[0]
      if (path === '/v1/notes' && req.method === 'GET') return send(200, { data: [{ id: 'p_1', text: 'from the provider' }] })
      if (path === '/v1/notes' && req.method === 'POST') return send(201, { id: 'p_2', ...JSON.parse(body) })
      // Breaks its own contract: text is a string in the spec.
      if (path === '/v1/notes/broken-json') {
        res.writeHead(200, { 'content-type': 'application/json' })
        return res.end('{"id": "broken-json", "text": ')
      }
      if (path === '/v1/events') {
        // A stream that stays open until the test has read its first event through standin.
        res.writeHead(200, { 'content-type': 'text/event-stream' })
        res.write('data: first\n\n')
        endStream = () => res.end('data: last\n\n')
        return
      }
      if (req.url?.startsWith('/v1/notes/')) return send(200, { id: req.url.slice(10), text: 42 })
      send(404, { error: { code: 'not_found', message: 'nothing here' } })
    })
  })
  await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve))
  const address = provider.address() as { port: number }
  providerUrl = `http://127.0.0.1:${address.port}`
})
afterAll(async () => {
  await new Promise((resolve) => provider.close(resolve))
  rmSync(dir, { recursive: true, force: true })
})
beforeEach(() => { seen.length = 0 })

/** A request through node:http, so that hop-by-hop headers can be sent at all. */
function send(url: string, method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<{ status: number; headers: IncomingHttpHeaders; body: any }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${path}`, { method, headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers } }, (res) => {
      let text = ''
      res.on('data', (c) => { text += c })
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text ? JSON.parse(text) : undefined }))
    })
    req.on('error', reject)
    req.end(body === undefined ? undefined : JSON.stringify(body))
  })
}

describe('--proxy: mock some operations, forward the rest', () => {
  let standin: Standin
  let server: Awaited<ReturnType<typeof listen>>
  const key = { authorization: 'Bearer nk_live_alpha' }
  beforeAll(async () => {
    standin = await createStandin({
      spec, scenarios: scenario, onWarning: () => {},
      proxy: { target: `${providerUrl}/v1`, routes: { createNote: 'mock' }, headers: { authorization: 'Bearer provider-secret-from-env' } },
    })
    server = await listen(standin.handle, { port: 0 })
  })
  afterAll(() => server.close())

  it('mocks an operation set to mock: the provider sees nothing', async () => {
    const res = await send(server.url, 'POST', '/v1/notes', key, { text: 'kept by standin' })
    expect(res.status).toBe(201)
    expect(res.headers['x-provider']).toBeUndefined()
    expect(seen).toEqual([])
    expect(standin.home().state('note').map((n) => n.text)).toContain('kept by standin')
  })

  it('forwards a proxied one with its headers, less hop-by-hop ones, with the provider\'s credentials', async () => {
    const res = await send(server.url, 'GET', '/v1/notes?limit=5', { ...key, 'x-client-header': 'kept', connection: 'keep-alive, x-hop', 'x-hop': 'dropped', 'keep-alive': 'timeout=5', 'proxy-authorization': 'Basic c2VjcmV0' })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ data: [{ id: 'p_1', text: 'from the provider' }] })
    expect(res.headers['x-provider']).toBe('yes')
    expect(seen).toHaveLength(1)
    expect(seen[0]!.url).toBe('/v1/notes?limit=5')
    expect(seen[0]!.headers['x-client-header']).toBe('kept')
    expect(seen[0]!.headers.authorization).toBe('Bearer provider-secret-from-env')
    for (const hop of ['x-hop', 'keep-alive', 'proxy-authorization']) expect(seen[0]!.headers[hop]).toBeUndefined()
    const entry = standin.home().journal.query({ operation: 'listNotes' }).at(-1)!
    expect(entry).toMatchObject({ status: 200, cause: 'proxy', tenant: 'team_a', violations: [] })
  })

  it('refuses a request with no credential itself where the provider\'s own replace the client\'s: the provider could not tell', async () => {
    const res = await send(server.url, 'GET', '/v1/notes', {})
    expect(res.status).toBe(401)
    expect(seen).toEqual([])
    // A credential standin does not know is still the provider's to judge.
    const other = await send(server.url, 'GET', '/v1/notes', { authorization: 'Bearer somebody-elses' })
    expect(other.status).toBe(200)
    expect(seen).toHaveLength(1)
  })

  it('answers a forced error on a proxied operation itself: the provider never sees the request', async () => {
    const res = await send(server.url, 'GET', '/v1/notes', { ...key, prefer: 'code=429' })
    expect(res.status).toBe(429)
    expect(res.headers['x-provider']).toBeUndefined()
    expect(seen).toEqual([])
    expect(standin.home().journal.query({ operation: 'listNotes', status: 429 })).toHaveLength(1)
    // A scenario's rule, the same.
    const ruled = await send(server.url, 'GET', '/v1/notes/p_1', { ...key, 'x-test-limit': '1' })
    expect(ruled.status).toBe(429)
    expect(seen).toEqual([])
    expect(standin.home().journal.query({ operation: 'getNote' }).at(-1)).toMatchObject({ status: 429, cause: 'rule' })
  })

  it('journals a provider answer that breaks the spec as the provider\'s violation, and passes it on', async () => {
    const res = await send(server.url, 'GET', '/v1/notes/p_9', key)
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ id: 'p_9', text: 42 })
    const entry = standin.home().journal.query({ operation: 'getNote' }).at(-1)!
    expect(entry.violations).toEqual([expect.objectContaining({ side: 'provider', location: 'body', pointer: '/text' })])
    expect(standin.violations('provider').filter((v) => v.operation === 'getNote' && v.pointer === '/text')).toHaveLength(1)
    expect(standin.violations('response')).toEqual([])
  })

  it('passes a provider\'s stream on as it comes, and a body that says JSON but is not verbatim (a violation)', async () => {
    const res = await fetch(`${server.url}/v1/events`, { headers: key })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    const reader = res.body!.getReader()
    // The first event arrives while the provider still holds the stream open: nothing waits for its end.
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('data: first\n\n')
    endStream()
    let rest = ''
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += new TextDecoder().decode(chunk.value)
    expect(rest).toBe('data: last\n\n')

    const raw = await fetch(`${server.url}/v1/notes/broken-json`, { headers: key })
    expect(await raw.text()).toBe('{"id": "broken-json", "text": ')
    const entry = standin.home().journal.query({ operation: 'getNote' }).at(-1)!
    expect(entry.violations).toEqual([expect.objectContaining({ side: 'provider', message: expect.stringMatching(/not JSON/) })])
  })

  it('forwards a body byte for byte (an upload need not be text), and refuses one over the limit itself', async () => {
    const bytes = new Uint8Array([0xff, 0x00, 0xfe, 0x80, 0x41])
    const res = await fetch(`${server.url}/v1/notes/p_1/attachment`, { method: 'PUT', headers: { ...key, 'content-type': 'application/octet-stream' }, body: bytes })
    expect(res.status).toBe(204)
    expect([...seen[0]!.bytes]).toEqual([...bytes])
    seen.length = 0
    const big = await fetch(`${server.url}/v1/notes/p_1/attachment`, { method: 'PUT', headers: { ...key, 'content-type': 'application/octet-stream' }, body: new Uint8Array(standin.api.behaviour.maxBodyBytes + 1) })
    // Refused as the mock refuses a body over the limit (in the API's envelope), never forwarded cut short.
    expect(big.status).toBeGreaterThanOrEqual(400)
    expect((await big.json()).error.message).toMatch(/larger than|too large/i)
    expect(seen).toEqual([])
  })

  it('takes the scenario\'s setting (tag:account is mocked in its worlds)', async () => {
    const res = await send(server.url, 'GET', '/v1/me', key)
    expect(res.status).toBe(200)
    expect(seen).toEqual([])
  })

  it('switches at run time through the control API, and refuses selectors that name nothing', async () => {
    const put = await fetch(`${server.url}/__standin/proxy`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ routes: { 'path:/notes': 'mock' } }) })
    expect(put.status).toBe(200)
    const described = await put.json()
    expect(described.operations).toMatchObject({ listNotes: 'mock', createNote: 'mock', getNote: 'proxy', getAccount: 'mock' })
    expect(described.providerHeaders).toEqual(['authorization'])
    expect(JSON.stringify(described)).not.toContain('provider-secret')
    const res = await send(server.url, 'GET', '/v1/notes', key)
    expect(res.body.data.map((n: any) => n.text)).toContain('mocked note')
    expect(seen).toEqual([])

    const wrong = await fetch(`${server.url}/__standin/proxy`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ routes: { getNotes: 'mock', 'tag:nope': 'proxy' } }) })
    expect(wrong.status).toBe(400)
    expect((await wrong.json()).error.message).toMatch(/no operation "getNotes".*Did you mean "getNote"\?.*no operation has tag "nope"/)
    // Taken out again (PATCH with null): the provider answers listNotes once more.
    await fetch(`${server.url}/__standin/proxy`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ routes: { 'path:/notes': null } }) })
    expect((await send(server.url, 'GET', '/v1/notes', key)).body.data[0].id).toBe('p_1')
  })

  it('answers 502 in the API\'s envelope when the provider cannot be reached', async () => {
    const gone = await createStandin({ spec, scenarios: scenario, onWarning: () => {}, proxy: { target: 'http://127.0.0.1:9' } })
    const res = await gone.handle(new Request('http://localhost/v1/notes', { headers: key }))
    expect(res.status).toBe(502)
    expect(await res.json()).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } })
  })
})

describe('standin serve --proxy on the command line', () => {
  it('reads the provider\'s credentials from the environment, and says what is wrong otherwise', async () => {
    const { proxyOptions } = await import('../src/cli/proxy-options.ts')
    expect(proxyOptions({ proxy: 'https://sandbox.example.com/v1', mock: ['tag:account'], forward: ['getAccount'], 'proxy-header': ['Authorization=PROVIDER_AUTH'] }, { PROVIDER_AUTH: 'Bearer sk_test_1' })).toEqual({
      proxy: { target: 'https://sandbox.example.com/v1', routes: [['tag:account', 'mock'], ['getAccount', 'proxy']], headers: { authorization: 'Bearer sk_test_1' } },
    })
    expect(proxyOptions({ proxy: 'https://x.example', 'proxy-header': ['Authorization=UNSET_VAR'] }, {}).problem).toMatch(/UNSET_VAR is not set/)
    expect(proxyOptions({ proxy: 'https://x.example', 'proxy-header': ['Authorization: Bearer literal'] }, {}).problem).toMatch(/<Header>=<ENV_VAR>/)
    expect(proxyOptions({ proxy: 'ftp://x.example' }, {}).problem).toMatch(/http or https/)
    expect(proxyOptions({ mock: ['getNote'] }, {}).problem).toMatch(/go with --proxy/)
  })

  it('checks a scenario\'s setting: a selector that names nothing is a problem at its pointer', async () => {
    const { check } = await import('../src/index.ts')
    const file = join(dir, 'wrong.yaml')
    writeFileSync(file, 'proxy:\n  getNotes: mock\n  path:/nowhere/*: proxy\n  tag:notes: sometimes\n')
    const result = check(spec, { scenarios: file })
    expect(result.ok).toBe(false)
    // The file's shape first: a mode is mock or proxy.
    expect(result.problems).toEqual([expect.objectContaining({ pointer: '/proxy/tag:notes' })])
    writeFileSync(file, 'proxy:\n  getNotes: mock\n  path:/nowhere/*: proxy\n')
    const named = check(spec, { scenarios: file })
    expect(named.problems.map((p) => p.pointer)).toEqual(['/proxy/getNotes', '/proxy/path:~1nowhere~1*'])
    expect(named.problems[0]!.message).toMatch(/Did you mean "getNote"\?/)
  })

  it('takes an overlay\'s setting (x-standin: {proxy: mock} on an operation), below the command line\'s', async () => {
    const overlays = [join(import.meta.dirname, 'fixtures/live/mock-get-note.overlay.yaml')]
    const plain = await createStandin({ spec, overlays, onWarning: () => {}, proxy: { target: 'http://127.0.0.1:9' } })
    expect((plain.proxy!.describe(plain.api, undefined) as any).operations).toEqual({ listNotes: 'proxy', createNote: 'proxy', getNote: 'mock', attachFile: 'proxy', streamEvents: 'proxy', getAccount: 'proxy' })
    const flagged = await createStandin({ spec, overlays, onWarning: () => {}, proxy: { target: 'http://127.0.0.1:9', routes: { '*': 'mock', getNote: 'proxy' } } })
    expect((flagged.proxy!.describe(flagged.api, undefined) as any).operations).toEqual({ listNotes: 'mock', createNote: 'mock', getNote: 'proxy', attachFile: 'mock', streamEvents: 'mock', getAccount: 'mock' })
  })
})
