/**
 * `standin record`: a recording session against a provider of the test's own on 127.0.0.1 writes an
 * overlay of examples and a scenario of records that `standin check` accepts, with no secret left in
 * them; a standin started from them answers with the recorded (scrubbed) data.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createServer, type Server } from 'node:http'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { check, createStandin } from '../src/index.ts'
import { runRecord } from '../src/cli/record.ts'
import { Scrubber } from '../src/record/scrub.ts'
import { parse } from 'yaml'

const spec = join(import.meta.dirname, 'fixtures/live/notes.yaml')
const dir = mkdtempSync(join(tmpdir(), 'standin-record-'))
const SECRETS = ['jane.doe@corp.example', 'corp.example', 'sk_live_51HxYzSecretValue99', 'real-client-secret', 'provider-secret-from-env', 'sessionsecret']

let provider: Server
let providerUrl: string
const authSeen: string[] = []
beforeAll(async () => {
  provider = createServer((req, res) => {
    authSeen.push(String(req.headers.authorization))
    let body = ''
    req.on('data', (c) => { body += c })
    req.on('end', () => {
      const send = (status: number, value: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'set-cookie': 'sid=sessionsecret; HttpOnly' })
        res.end(JSON.stringify(value))
      }
      const path = req.url!.split('?')[0]
      if (path === '/v1/me') return send(200, { id: 'u_1', email: 'jane.doe@corp.example', apiToken: 'sk_live_51HxYzSecretValue99' })
      if (path === '/v1/notes' && req.method === 'GET') return send(200, { data: [{ id: 'n_1', text: 'mail jane.doe@corp.example', author: 'jane.doe@corp.example' }, { id: 'n_2', text: 'plain' }] })
      if (path === '/v1/notes' && req.method === 'POST') return send(201, { id: 'n_3', ...JSON.parse(body) })
      if (path === '/v1/notes/bad') return send(200, { id: 'bad', text: 42 })
      if (path?.startsWith('/v1/notes/')) return send(200, { id: path.slice(10), text: 'one note' })
      send(404, { error: { code: 'not_found', message: 'nothing here' } })
    })
  })
  await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve))
  providerUrl = `http://127.0.0.1:${(provider.address() as { port: number }).port}`
})
afterAll(async () => {
  await new Promise((resolve) => provider.close(resolve))
  rmSync(dir, { recursive: true, force: true })
})

it('writes an overlay and a scenario that check accepts, with no secret left in them', async () => {
  const overlay = join(dir, 'recorded.overlay.yaml')
  const scenario = join(dir, 'scenarios', 'recorded.yaml')
  let stop!: () => void
  let listening!: (url: string) => void
  const url = new Promise<string>((resolve) => { listening = resolve })
  const done = runRecord(spec, { target: providerUrl, port: '0', 'proxy-header': ['Authorization=PROVIDER_AUTH'], 'write-overlay': overlay, 'write-scenario': scenario }, {
    until: new Promise<void>((resolve) => { stop = resolve }), onListening: listening, env: { PROVIDER_AUTH: 'Bearer provider-secret-from-env' },
  })
  const base = await url
  const client = { authorization: 'Bearer real-client-secret', 'content-type': 'application/json' }
  for (const [method, path, body] of [['GET', '/v1/me'], ['GET', '/v1/notes'], ['GET', '/v1/notes/n_1'], ['POST', '/v1/notes', { text: 'written by jane.doe@corp.example' }], ['GET', '/v1/notes/bad'], ['GET', '/v1/nope']] as const) {
    const res = await fetch(`${base}${path}`, { method, headers: client, body: body && JSON.stringify(body) })
    await res.arrayBuffer()
  }
  stop()
  expect(await done).toBe(0)
  // The provider had the credentials of the environment, not the client's.
  expect(new Set(authSeen)).toEqual(new Set(['Bearer provider-secret-from-env']))

  const written = readFileSync(overlay, 'utf8') + readFileSync(scenario, 'utf8')
  for (const secret of SECRETS) expect(written).not.toContain(secret)
  const result = check(spec, { overlays: [overlay], scenarios: scenario })
  expect(result.problems).toEqual([])
  expect(result).toMatchObject({ ok: true, scenarios: ['recorded'] })

  // Started from them: the recorded answers and records, scrubbed.
  const standin = await createStandin({ spec, overlays: [overlay], scenarios: scenario, onWarning: () => {} })
  const key = standin.home('recorded').key
  const me = await standin.handle(new Request('http://localhost/v1/me', { headers: { authorization: `Bearer ${key}` } }))
  expect(await me.json()).toEqual({ id: 'u_1', email: 'user1@example.com', apiToken: 'sk_live_00AaAaAaaaaaAaaaa00' })
  const notes = await (await standin.handle(new Request('http://localhost/v1/notes', { headers: { authorization: `Bearer ${key}` } }))).json()
  expect(notes.data.map((n: any) => n.id).sort()).toEqual(['n_1', 'n_2', 'n_3'])
  // A record as it was last seen (n_1 was listed, then read), emails made up.
  expect(notes.data.find((n: any) => n.id === 'n_1')).toEqual({ id: 'n_1', text: 'one note' })
  expect(notes.data.find((n: any) => n.id === 'n_3')).toEqual({ id: 'n_3', text: 'written by user1@example.com' })
  expect(readFileSync(overlay, 'utf8')).toContain('author: user1@example.com')
  // What the client sent, as the request body's example.
  const recorded = parse(readFileSync(overlay, 'utf8'))
  const request = recorded.actions.find((a: any) => a.target === "$['paths']['/notes']['post']['requestBody']['content']['application/json']")
  expect(request.update.examples['recorded-1'].value).toEqual({ text: 'written by user1@example.com' })
  // The answer that broke the spec is not an example.
  expect(written).not.toMatch(/text: 42/)
})

it('scrubs the fields the user names, and keeps those the user exempts', () => {
  const scrubber = new Scrubber({ also: ['internalRef'], keep: ['nextToken'] })
  expect(scrubber.scrub({ internalRef: 'INV-2024-0042', nextToken: 'page_2', password: 'hunter2', nested: { Authorization: 'Basic dXNlcjpwYXNz' }, note: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln' })).toEqual({
    internalRef: 'AAA-0000-0000', nextToken: 'page_2', password: 'aaaaaa0', nested: { Authorization: 'Basic aAAaaaaaAAAa' }, note: 'aaAaaAaaAaAAAaA0AaA0.aaAaaAAaAaAaAa0.a0aa',
  })
  // Words that only look like an auth scheme are prose, not credentials.
  expect(new Scrubber().scrub({ plan: 'Basic plan', note: 'Token expired', auth: 'Bearer abcdefgh12345' })).toEqual({ plan: 'Basic plan', note: 'Token expired', auth: 'Bearer aaaaaaaa00000' })
  expect(new Scrubber({ noDefaults: true }).scrub({ password: 'hunter2', contact: 'a@b.example' })).toEqual({ password: 'hunter2', contact: 'user1@example.com' })
})
