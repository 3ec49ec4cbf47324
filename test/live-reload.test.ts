/**
 * `standin serve --watch`: the files reloaded while a client is mid-session — the next answer
 * changes, the client's world, key, records, clock and journal stay; a change that does not compile
 * leaves the old version answering, with its problems named by file, pointer and line.
 */
import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLiveStandin, type LiveStandin } from '../src/live/live-standin.ts'
import { watchFiles } from '../src/adapters/watch-files.ts'
import { listen } from '../src/adapters/node-http.ts'

const dir = mkdtempSync(join(tmpdir(), 'standin-live-'))
const spec = join(dir, 'notes.yaml')
const scenarios = join(dir, 'scenarios')
const scenarioFile = join(scenarios, 'default.yaml')
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const SCENARIO = `tenants:
  - id: team_a
    keys: [{ token: nk_live_alpha }]
    records:
      note:
        - { id: note_1, text: first }
`

beforeEach(() => {
  copyFileSync(join(import.meta.dirname, 'fixtures/live/notes.yaml'), spec)
  rmSync(scenarios, { recursive: true, force: true })
  mkdirSync(scenarios, { recursive: true })
  writeFileSync(scenarioFile, SCENARIO)
})

async function call(live: LiveStandin, method: string, path: string, key?: string, body?: unknown) {
  const res = await live.handle(new Request(`http://localhost${path}`, {
    method,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  }))
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : undefined }
}

describe('reloading the files of a running standin', () => {
  it('changes the next answer after a rule is edited, keeping the client\'s world, key, records, clock and journal', async () => {
    const live = await createLiveStandin({ spec, scenarios, clock: 'manual', onWarning: () => {} })
    // A client mid-session: its own world (fresh key), a note made, its clock moved on.
    const made = await call(live, 'POST', '/__standin/worlds', undefined, { scenario: 'default' })
    expect(made.status).toBe(201)
    const worldId: string = made.body.id
    const key: string = made.body.tenants[0].keys[0]
    const created = await call(live, 'POST', '/v1/notes', key, { text: 'kept across the reload' })
    expect(created.status).toBe(201)
    await call(live, 'POST', `/__standin/worlds/${worldId}/clock`, undefined, { advance: '2h' })
    const clockBefore = (await call(live, 'GET', `/__standin/worlds/${worldId}/clock`)).body.epochMs
    expect((await call(live, 'GET', `/v1/notes/${created.body.id}`, key)).status).toBe(200)

    // The edit: every getNote of this scenario's worlds is now refused.
    writeFileSync(scenarioFile, `${SCENARIO}rules:\n  - operation: getNote\n    status: 429\n`)
    const report = await live.reload()
    expect(report).toMatchObject({ ok: true, version: 2, problems: [], unfinished: 0 })
    expect(report.carried).toMatchObject({ worlds: 2, droppedWorlds: [], droppedRecords: [], restartedRules: [], misfits: [] })

    expect((await call(live, 'GET', `/v1/notes/${created.body.id}`, key)).status).toBe(429)
    const list = await call(live, 'GET', '/v1/notes', key)
    expect(list.status).toBe(200)
    expect(list.body.data.map((n: any) => n.text)).toContain('kept across the reload')
    expect((await call(live, 'GET', `/__standin/worlds/${worldId}/clock`)).body.epochMs).toBe(clockBefore)
    // The journal goes on, and says which version answered each request.
    const journal = (await call(live, 'GET', `/__standin/worlds/${worldId}/journal`)).body
    expect(journal.map((e: any) => [e.operation, e.status, e.version])).toEqual([
      ['createNote', 201, 1], ['getNote', 200, 1], ['getNote', 429, 2], ['listNotes', 200, 2],
    ])
    expect((await call(live, 'GET', '/__standin')).body.version).toBe(2)
    // The run's tally goes on too: coverage counts the requests of both versions.
    expect(live.current.worlds.run.requests).toBe(4)
  })

  it('keeps the old version answering when the edit does not compile, and names file, pointer and line', async () => {
    const live = await createLiveStandin({ spec, scenarios, clock: 'manual', onWarning: () => {} })
    writeFileSync(scenarioFile, `${SCENARIO}rules:\n  - operation: getNotes\n    status: 429\n`)
    const report = await live.reload()
    expect(report.ok).toBe(false)
    expect(report.version).toBe(1)
    expect(report.problems).toHaveLength(1)
    expect(report.problems[0]).toMatchObject({ file: scenarioFile, pointer: '/rules/0/operation' })
    expect(report.problems[0]!.message).toMatch(/getNotes.*getNote/)
    // The rule's operation is on line 8 of the file.
    expect(report.problems[0]!.message).toMatch(/\(line 8\)$/)
    expect((await call(live, 'GET', '/v1/notes/note_1', 'nk_live_alpha')).status).toBe(200)

    // A spec that does not parse: the YAML's line is named.
    writeFileSync(spec, readFileSync(spec, 'utf8').replace('paths:', 'paths:\n  bad: [unclosed'))
    const broken = await live.reload()
    expect(broken.ok).toBe(false)
    expect(broken.problems[0]!.file).toBe(spec)
    expect(JSON.stringify(broken.problems[0])).toMatch(/line/)
    expect((await call(live, 'GET', '/__standin/live')).body).toMatchObject({ version: 1, reloads: [{ ok: false }, { ok: false }] })
  })

  it('reports records that no longer fit the schema, and those of a resource gone, without dropping them silently', async () => {
    const live = await createLiveStandin({ spec, scenarios, clock: 'manual', onWarning: () => {} })
    expect((await call(live, 'POST', '/v1/notes', 'nk_live_alpha', { text: 'a rather long note' })).status).toBe(201)
    writeFileSync(spec, readFileSync(spec, 'utf8').replace('        text: { type: string }\n        author', '        text: { type: string, maxLength: 10 }\n        author'))
    const report = await live.reload()
    expect(report.ok).toBe(true)
    expect(report.carried!.misfits).toEqual([expect.objectContaining({ world: 'default', resource: 'note', pointer: '/text', message: expect.stringMatching(/10 characters/) })])
    // Kept all the same: the client still finds it.
    expect((await call(live, 'GET', '/v1/notes', 'nk_live_alpha')).body.data).toHaveLength(2)
  })

  it('lets requests under way finish on the old version before the swap', async () => {
    const live = await createLiveStandin({ spec, scenarios, clock: 'manual', onWarning: () => {} })
    // A body that is still arriving holds its request open inside the core.
    let send!: (chunk: string) => void
    let end!: () => void
    const body = new ReadableStream<Uint8Array>({ start(c) { send = (s) => c.enqueue(new TextEncoder().encode(s)); end = () => c.close() } })
    const pending = live.handle(new Request('http://localhost/v1/notes', { method: 'POST', headers: { authorization: 'Bearer nk_live_alpha', 'content-type': 'application/json' }, body, duplex: 'half' } as RequestInit))
    send('{"text":')
    writeFileSync(scenarioFile, `${SCENARIO}rules:\n  - operation: createNote\n    status: 429\n`)
    const reloading = live.reload()
    // The swap waits for the request under way; finish it, and it is answered by version 1.
    await new Promise((r) => setImmediate(r))
    send('"in flight"}')
    end()
    expect((await pending).status).toBe(201)
    const report = await reloading
    expect(report).toMatchObject({ ok: true, unfinished: 0 })
    // Its note was made before the worlds were carried over: it is there in version 2.
    expect((await call(live, 'GET', '/v1/notes', 'nk_live_alpha')).body.data.map((n: any) => n.text)).toContain('in flight')
    expect((await call(live, 'POST', '/v1/notes', 'nk_live_alpha', { text: 'now refused' })).status).toBe(429)
  })

  it('reloads on its own when a watched file changes (node door, --watch as the CLI wires it)', async () => {
    let files: ReturnType<typeof watchFiles> | undefined
    const live = await createLiveStandin({ spec, scenarios, clock: 'manual', onWarning: () => {}, fingerprint: () => files?.fingerprint() })
    files = watchFiles([spec, scenarios], () => void live.reload(), { debounceMs: 20 })
    const server = await listen(live.handle, { port: 0 })
    try {
      const before = files.fingerprint()
      writeFileSync(scenarioFile, `${SCENARIO}rules:\n  - operation: listNotes\n    status: 429\n`)
      // Bounded poll for the watcher's event (not a guess at how long it takes).
      for (let i = 0; i < 200 && live.version < 2; i++) await new Promise((r) => setTimeout(r, 25))
      expect(live.version).toBe(2)
      expect(live.hash).not.toBe(before)
      const res = await fetch(`${server.url}/v1/notes`, { headers: { authorization: 'Bearer nk_live_alpha' } })
      expect(res.status).toBe(429)
    } finally {
      files.close()
      await server.close()
    }
  })
})

describe('rule counts across a reload', () => {
  it('keeps the count of a rule left as it was, and starts afresh one that changed', async () => {
    copyFileSync(join(import.meta.dirname, 'fixtures/live/notes.yaml'), spec)
    writeFileSync(scenarioFile, `${SCENARIO}rules:\n  - { operation: getNote, nth: 2, times: 1, status: 429 }\n  - { operation: listNotes, nth: 2, times: 1, status: 429 }\n`)
    const live = await createLiveStandin({ spec, scenarios, clock: 'manual', onWarning: () => {} })
    for (const path of ['/v1/notes/note_1', '/v1/notes']) expect((await call(live, 'GET', path, 'nk_live_alpha')).status).toBe(200)
    // The first rule stays; the second now waits for the third call.
    writeFileSync(scenarioFile, `${SCENARIO}rules:\n  - { operation: getNote, nth: 2, times: 1, status: 429 }\n  - { operation: listNotes, nth: 3, times: 1, status: 429 }\n`)
    const report = await live.reload()
    expect(report.carried!.restartedRules).toEqual([{ world: 'default', rule: 1 }])
    expect((await call(live, 'GET', '/v1/notes/note_1', 'nk_live_alpha')).status).toBe(429)
    expect((await call(live, 'GET', '/v1/notes', 'nk_live_alpha')).status).toBe(200)
    expect((await call(live, 'GET', '/v1/notes', 'nk_live_alpha')).status).toBe(200)
    expect((await call(live, 'GET', '/v1/notes', 'nk_live_alpha')).status).toBe(429)
  })
})

describe('rate windows across a reload', () => {
  it('keeps what a window counted, and applies a changed limit at once', async () => {
    copyFileSync(join(import.meta.dirname, 'fixtures/live/notes.yaml'), spec)
    writeFileSync(scenarioFile, SCENARIO)
    const overlay = join(dir, 'limits.overlay.yaml')
    const limitOf = (n: number) => `overlay: 1.0.0\ninfo: { title: a read limit, version: 1.0.0 }\nactions:\n  - target: $.paths['/notes/{noteId}'].get\n    update:\n      x-standin:\n        limits: [{ id: reads, kind: rate, limit: ${n}, window: 60s, per: key, error: rate_limited }]\n`
    writeFileSync(overlay, limitOf(2))
    const live = await createLiveStandin({ spec, scenarios, overlays: [overlay], clock: 'manual', onWarning: () => {} })
    const read = async () => (await call(live, 'GET', '/v1/notes/note_1', 'nk_live_alpha')).status
    expect([await read(), await read()]).toEqual([200, 200])
    writeFileSync(scenarioFile, `${SCENARIO}description: edited\n`)
    expect((await live.reload()).ok).toBe(true)
    expect(await read()).toBe(429)
    writeFileSync(overlay, limitOf(3))
    expect((await live.reload()).ok).toBe(true)
    expect([await read(), await read()]).toEqual([200, 429])
  })
})

describe('a state file across a reload', () => {
  it('follows the reloaded worlds: what they hold after the reload is what a restart resumes', async () => {
    copyFileSync(join(import.meta.dirname, 'fixtures/live/notes.yaml'), spec)
    writeFileSync(scenarioFile, SCENARIO)
    const { openStateFile } = await import('../src/adapters/state-file.ts')
    const file = join(dir, 'state.db')
    const live = await createLiveStandin({ spec, scenarios, clock: 'manual', onWarning: () => {} })
    const state = await openStateFile(file, live.current.worlds, { flushMs: 5 })
    expect((await call(live, 'POST', '/v1/notes', 'nk_live_alpha', { text: 'before' })).status).toBe(201)
    writeFileSync(scenarioFile, `${SCENARIO}description: edited\n`)
    expect((await live.reload()).ok).toBe(true)
    state.follow(live.current.worlds)
    expect((await call(live, 'POST', '/v1/notes', 'nk_live_alpha', { text: 'after' })).status).toBe(201)
    state.close()
    const again = await createLiveStandin({ spec, scenarios, clock: 'manual', onWarning: () => {} })
    const resumed = await openStateFile(file, again.current.worlds)
    try {
      expect((await call(again, 'GET', '/v1/notes', 'nk_live_alpha')).body.data.map((n: any) => n.text)).toEqual(['first', 'before', 'after'])
    } finally {
      resumed.close()
    }
  })
})
