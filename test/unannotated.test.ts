/**
 * A provider's published spec with no x-standin and no security scheme (test/fixtures/unannotated):
 * errors come out in the shape each operation declares, with a message saying what was wrong; forced
 * outcomes look real (Retry-After, the declared rate-limit headers, any status, undeclared ones
 * journalled as findings); scenario keys select their worlds from any credential a client sends.
 */
import { describe, expect, it } from 'vitest'
import { check, compileApi } from '../src/index.ts'
import { tryCommand } from '../src/cli/try-command.ts'
import { describeDoors, type Client } from './support/doors.ts'
import { tempFiles } from './support/files.ts'
import { startServe } from './support/cli.ts'

const SPEC = 'test/fixtures/unannotated/api.yaml'
const OPTIONS = {
  spec: SPEC,
  clock: 'manual' as const,
  scenarios: [
    { name: 'default', clock: { start: '2026-01-01T00:00:00Z' }, tenants: [{ id: 'acme', keys: [{ token: 'tok_default' }] }] },
    {
      name: 'limited',
      clock: { start: '2026-01-01T00:00:00Z' },
      tenants: [{ id: 'busy', keys: [{ token: 'tok_limited' }] }],
      rules: [{ operation: 'getRateLimit', status: 429, retryAfter: 3 }, { operation: 'getRepo', error: 'service_unavailable', retryAfter: '2m' }],
    },
  ],
}
const JAN_1 = Date.parse('2026-01-01T00:00:00Z') / 1000

async function send(client: Client, method: string, path: string, init: RequestInit = {}) {
  const res = await client.fetch(`/v3${path}`, { method, ...init })
  const text = await res.text()
  return { status: res.status, headers: res.headers, type: res.headers.get('content-type'), body: text ? JSON.parse(text) : undefined }
}
const json = (body: unknown): RequestInit => ({ headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

describeDoors('an unannotated spec', OPTIONS, (client) => {
  describe('errors in the shape each operation declares', () => {
    const cases: Array<[string, string, string, RequestInit, number, string | null, unknown]> = [
      ['an unknown path: the document\'s usual 404 ({message, documentation_url})', 'GET', '/nowhere', {}, 404, 'application/json',
        { message: 'No operation matches GET /v3/nowhere.', documentation_url: 'https://docs.unannotated.test/rest', status: '404' }],
      ['a wrong method, with Allow', 'DELETE', '/rate_limit', {}, 405, 'application/json',
        { message: 'Method DELETE is not allowed on /v3/rate_limit (allowed: GET).', documentation_url: 'https://docs.unannotated.test/rest', status: '405' }],
      ['a missing body field: 422, as the operation declares, naming the pointer', 'POST', '/repos/octo/hello/issues', json({}), 422, 'application/json',
        { message: 'Missing required field /title in the request body.', documentation_url: 'https://docs.unannotated.test/rest/issues#create' }],
      ['a field of the wrong type, naming the pointer and the rule', 'POST', '/repos/octo/hello/issues', json({ title: 5 }), 422, 'application/json',
        { message: 'Invalid value in the request body at /title: title must be string.', documentation_url: 'https://docs.unannotated.test/rest/issues#create' }],
      ['a bad path parameter: a problem+json under 4XX, message in detail, reason in title', 'GET', '/things/nope', {}, 400, 'application/problem+json',
        { type: 'about:blank', title: 'Bad Request', status: 400, detail: 'Invalid path parameter "id": id must match pattern "^th_[a-z0-9]+$".', instance: '/v3/things/nope' }],
      ['a missing api-version under `default` only: the parameter named in error.message', 'GET', '/widgets/w1', {}, 400, 'application/json',
        { error: { code: 'invalid_request', message: 'Missing required query parameter "api-version".' } }],
      ['an OAuth error: the enumerated code closest to the cause, the message in error_description', 'POST', '/oauth/token', json({ grant_type: 'password' }), 400, 'application/json',
        { error: 'invalid_request', error_description: 'Invalid value in the request body at /grant_type: grant_type must be equal to one of the allowed values.' }],
      ['one of two shapes a bare message fits both of: the first, with all it may hold, so it fits that one alone', 'PATCH', '/repos/octo/hello', json({ name: '' }), 422, 'application/json',
        { message: 'Invalid value in the request body at /name: name must NOT have fewer than 1 characters.', documentation_url: expect.any(String), errors: expect.arrayContaining([expect.objectContaining({ code: expect.any(String) })]) }],
      ['a list of errors in `detail` (FastAPI): one item, its required fields made, the message in msg', 'POST', '/items', json({}), 422, 'application/json',
        { detail: [{ loc: expect.any(Array), msg: 'Missing required field /name in the request body.', type: expect.any(String) }] }],
      ['a list of errors as the whole body: one, the code and message in it', 'GET', '/batch', {}, 400, 'application/json',
        [{ code: 'invalid_request', message: 'Missing required query parameter "size".' }]],
    ]
    for (const [name, method, path, init, status, type, body] of cases) {
      it(name, async () => {
        const reply = await send(client(), method, path, init)
        expect({ status: reply.status, type: reply.type, body: reply.body }).toEqual({ status, type, body })
        if (status === 405) expect(reply.headers.get('allow')).toBe('GET')
      })
    }
  })

  describe('forced outcomes that look real', () => {
    it('Prefer: code=429 on an operation that declares no 429: the API\'s shape, Retry-After, journalled as forced-undeclared, no violation', async () => {
      const reply = await send(client(), 'GET', '/repos/octo/hello', { headers: { prefer: 'code=429' } })
      expect(reply.status).toBe(429)
      expect(reply.headers.get('retry-after')).toBe('1')
      expect(reply.body).toEqual({ message: 'Too many requests. Retry after 1 second.', documentation_url: 'https://docs.unannotated.test/rest', status: '429' })
      const world = client().standin.worlds.default
      const entry = world.journal.all().at(-1)!
      expect(entry).toMatchObject({ status: 429, code: 'rate_limited', cause: 'trigger', violations: [], finding: { kind: 'forced-undeclared', message: expect.stringContaining('getRepo does not declare 429') } })
      expect([...client().standin.worlds.run.findings.values()]).toContainEqual({ operation: 'getRepo', method: 'GET', status: 429, kind: 'forced-undeclared', count: 1 })
      expect(client().standin.violations()).not.toContainEqual(expect.objectContaining({ operation: 'getRepo', status: 429 }))
    })

    it('Prefer: code=429, retry-after=7 where 429 declares rate-limit headers: consistent with each other and the world\'s clock', async () => {
      const reply = await send(client(), 'GET', '/rate_limit', { headers: { prefer: 'code=429, retry-after=7' } })
      expect(reply.status).toBe(429)
      expect(Object.fromEntries(['retry-after', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'].map((h) => [h, reply.headers.get(h)])))
        .toEqual({ 'retry-after': '7', 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(JAN_1 + 7) })
      expect(client().standin.worlds.default.journal.all().at(-1)!.finding).toBeUndefined()
    })

    it('a forced 403 carries its response\'s rate-limit headers; a forced 503 Retry-After 5 by default', async () => {
      const forbidden = await send(client(), 'GET', '/repos/octo/hello', { headers: { prefer: 'code=403' } })
      expect([forbidden.status, forbidden.headers.get('x-ratelimit-remaining'), forbidden.headers.get('x-ratelimit-reset'), forbidden.headers.get('retry-after')]).toEqual([403, '4999', String(JAN_1 + 60), null])
      const unavailable = await send(client(), 'GET', '/repos/octo/hello', { headers: { prefer: 'code=503' } })
      expect([unavailable.status, unavailable.headers.get('retry-after'), unavailable.body.message]).toEqual([503, '5', 'The service is temporarily unavailable. Retry after 5 seconds.'])
    })

    it('an error the operation declares as text only is answered as text, in its declared type', async () => {
      const res = await client().fetch('/v3/health', { headers: { prefer: 'code=503' } })
      expect([res.status, res.headers.get('content-type'), res.headers.get('retry-after'), await res.text()]).toEqual([503, 'text/plain', '5', 'The service is temporarily unavailable. Retry after 5 seconds.'])
    })

    it('every status from 200 to 599 can be asked for', async () => {
      for (const status of [202, 304, 409, 418, 451, 502, 504]) {
        const reply = await send(client(), 'GET', '/rate_limit', { headers: { prefer: `code=${status}` } })
        expect(reply.status).toBe(status)
      }
      expect(client().standin.violations('response')).toEqual([])
    })

    it('X-Standin-Error naming a code the API does not have is refused as a mistake of the test, clearly marked', async () => {
      const reply = await send(client(), 'GET', '/rate_limit', { headers: { 'x-standin-error': 'teapot' } })
      expect(reply.status).toBe(400)
      expect(reply.headers.get('x-standin-refused')).toBe('"teapot" is not in this API\'s error catalogue')
      expect(reply.body.message).toMatch(/"teapot" is not an error code of this API \(invalid_request, .*rate_limited/)
    })
  })

  describe('worlds by token, though the spec declares no security scheme', () => {
    const forms: Array<[string, string, RequestInit]> = [
      ['Authorization: Bearer', '', { headers: { authorization: 'Bearer tok_limited' } }],
      ['Authorization: token', '', { headers: { authorization: 'token tok_limited' } }],
      ['Basic, the key as user name', '', { headers: { authorization: `Basic ${btoa('tok_limited:x-oauth-basic')}` } }],
      ['Basic, the key as password', '', { headers: { authorization: `Basic ${btoa('octocat:tok_limited')}` } }],
      ['a query key (access_token)', '?access_token=tok_limited', {}],
      ['any query parameter whose value is a key', '?sig=tok_limited', {}],
      ['a cookie', '', { headers: { cookie: 'theme=dark; session=tok_limited' } }],
    ]
    for (const [name, query, init] of forms) {
      it(`${name} selects the key's world (its rule forces a 429 with Retry-After 3)`, async () => {
        const reply = await send(client(), 'GET', `/rate_limit${query}`, init)
        expect([reply.status, reply.headers.get('retry-after')]).toEqual([429, '3'])
      })
    }

    it('the default world\'s key, or none, reaches the default world; a rule\'s retryAfter is a duration too', async () => {
      expect((await send(client(), 'GET', '/rate_limit', { headers: { authorization: 'Bearer tok_default' } })).status).toBe(200)
      expect((await send(client(), 'GET', '/rate_limit')).status).toBe(200)
      const unavailable = await send(client(), 'GET', '/repos/octo/hello', { headers: { authorization: 'token tok_limited' } })
      expect([unavailable.status, unavailable.headers.get('retry-after')]).toEqual([503, '120'])
    })
  })
}, ['core', 'node'])

describe('check and the serve banner on an unannotated spec', () => {
  const { file } = tempFiles('unannotated')

  it('check warns about a rule forcing a status its operation does not declare', () => {
    const dir = file('scenarios/limited.yaml', 'rules:\n  - { operation: getRepo, status: 429 }\n  - { operation: getRateLimit, status: 429 }\n').replace(/limited\.yaml$/, '')
    const result = check(SPEC, { scenarios: dir })
    expect(result.ok).toBe(true)
    expect(result.warnings).toEqual([expect.objectContaining({ pointer: '/rules/0/status', message: expect.stringMatching(/forces 429 on getRepo, which does not declare it/) })])
  })

  it('standin serve: the banner\'s command works on the spec served, and the findings are listed at shutdown, apart from violations', async () => {
    const dir = file('serve/default.yaml', 'tenants:\n  - { id: acme, keys: [{ token: tok_banner }] }\n').replace(/default\.yaml$/, '')
    const serving = await startServe([SPEC, '--scenarios', dir])
    const url = serving.url
    const ok = await fetch(`${url}/v3/rate_limit`, { headers: { authorization: 'Bearer tok_banner' } })
    expect(ok.status).toBe(200)
    expect((await fetch(`${url}/v3/repos/octo/hello`, { headers: { prefer: 'code=429' } })).status).toBe(429)
    const run = await serving.stop()
    expect(run.stdout).toContain(`try: curl -H 'Authorization: Bearer tok_banner' '${url}/v3/rate_limit'`)
    expect(run.stdout).toMatch(/no contract violations/)
    expect(run.stdout).toMatch(/1 forced answer\(s\) with a status the operation does not declare .*: getRepo 429/)
  })

  it('the banner\'s command is a real path of the spec, under its base path, with the key where its scheme wants it', () => {
    expect(tryCommand(compileApi(SPEC), 'tok_default', 'http://127.0.0.1:4010')).toBe("curl -H 'Authorization: Bearer tok_default' 'http://127.0.0.1:4010/v3/rate_limit'")
    expect(tryCommand(compileApi('test/fixtures/widgets.yaml'), 'k1', 'http://127.0.0.1:4010')).toMatch(/^curl -H 'X-Api-Key: k1' 'http:\/\/127\.0\.0\.1:4010\/widgets'$/)
  })
})
