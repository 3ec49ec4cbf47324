/**
 * `standin serve --watch --proxy` as a user runs it (one child process): the command line's wiring of
 * the reload, the provider's credentials from the environment, the run-time switch kept through a
 * reload. The provider is a small server of the test's own on 127.0.0.1.
 */
import { afterAll, expect, it } from 'vitest'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serve, startServe } from './support/cli.ts'

const dir = mkdtempSync(join(tmpdir(), 'standin-live-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

it('reloads an edited scenario, forwards with the environment\'s credentials, and keeps the run-time switch', async () => {
  const spec = join(dir, 'notes.yaml')
  copyFileSync(join(import.meta.dirname, 'fixtures/live/notes.yaml'), spec)
  mkdirSync(join(dir, 'scenarios'))
  const scenario = join(dir, 'scenarios', 'default.yaml')
  const SCENARIO = 'tenants:\n  - id: team_a\n    keys: [{ token: nk_live_alpha }]\n'
  writeFileSync(scenario, SCENARIO)
  const seen: Array<{ url: string; auth?: string }> = []
  const provider = await serve((req, res) => {
    seen.push({ url: req.url!, auth: req.headers.authorization })
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ data: [{ id: 'p_1', text: 'from the provider' }] }))
  })
  process.env.H19_PROVIDER_AUTH = 'Bearer from-the-environment'
  const served = await startServe([spec, '--scenarios', join(dir, 'scenarios'), '--watch', '--proxy', provider.url, '--proxy-header', 'Authorization=H19_PROVIDER_AUTH', '--mock', 'createNote'])
  delete process.env.H19_PROVIDER_AUTH
  const key = { authorization: 'Bearer nk_live_alpha', 'content-type': 'application/json' }
  try {
    expect((await fetch(`${served.url}/v1/notes`, { method: 'POST', headers: key, body: '{"text":"mocked"}' })).status).toBe(201)
    expect(seen).toEqual([])
    expect((await (await fetch(`${served.url}/v1/notes`, { headers: key })).json()).data[0].id).toBe('p_1')
    expect(seen).toEqual([{ url: '/v1/notes', auth: 'Bearer from-the-environment' }])
    const put = await fetch(`${served.url}/__standin/proxy`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ routes: { getNote: 'mock' } }) })
    expect(put.status).toBe(200)

    writeFileSync(scenario, `${SCENARIO}rules:\n  - { operation: listNotes, status: 429 }\n`)
    // Bounded poll for the watcher's reload (not a guess at how long it takes).
    let version = 1
    for (let i = 0; i < 200 && version < 2; i++) {
      await new Promise((r) => setTimeout(r, 25))
      version = (await (await fetch(`${served.url}/__standin/live`)).json()).version
    }
    expect(version).toBe(2)
    expect((await fetch(`${served.url}/v1/notes`, { headers: key })).status).toBe(429)
    expect(seen).toHaveLength(1)
    expect((await (await fetch(`${served.url}/__standin/proxy`)).json()).routes).toEqual({ getNote: 'mock' })
    // The note made before the reload is still there (listed by the mock, now that listNotes is switched to it).
    await fetch(`${served.url}/__standin/proxy`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ routes: { listNotes: 'mock' } }) })
    writeFileSync(scenario, SCENARIO)
    for (let i = 0; i < 200 && version < 3; i++) {
      await new Promise((r) => setTimeout(r, 25))
      version = (await (await fetch(`${served.url}/__standin/live`)).json()).version
    }
    expect(version).toBe(3)
    const listed = await (await fetch(`${served.url}/v1/notes`, { headers: key })).json()
    expect(listed.data.map((n: any) => n.text)).toEqual(['mocked'])
  } finally {
    const run = await served.stop()
    await provider.close()
    expect(run.stdout).toMatch(/reloaded — version 2 \(\w{12}\) answers; 1 world\(s\) and 1 record\(s\) carried over/)
    expect(run.stdout).toMatch(/proxy: http:\/\/127\.0\.0\.1:\d+ answers 5 of 6 operation\(s\); mocked: createNote/)
  }
})
