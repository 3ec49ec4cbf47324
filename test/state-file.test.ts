/**
 * `standin serve --state <file>` as a user runs it, in a child process: worlds, records, keys,
 * balances and clocks survive a stop (SIGTERM) and a kill (SIGKILL, a second after the last answer),
 * lifecycles go on from where they were, and a file standin cannot use is a clear error.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync, copyFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { runCli, type CliRun } from './support/cli.ts'
import { createStandin } from '../src/index.ts'
import { openStateFile, StateFileError } from '../src/adapters/state-file.ts'

const dir = mkdtempSync(join(tmpdir(), 'standin-state-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
// In a folder that does not exist yet: serve makes it.
const file = join(dir, 'state', 'standin.db')
const serveArgs = (state: string) => ['serve', 'spec/browser-sessions.yaml', '--scenarios', 'scenarios/browser-sessions', '--clock', 'manual', '--state', state]

interface Running {
  url: string
  child: ChildProcess
  stdout(): string
  exited: Promise<CliRun>
}

/** `standin serve` on a free port; resolves once it listens. */
function start(state = file): Promise<Running> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['src/cli/main.ts', ...serveArgs(state), '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    let listening = false
    const exited = new Promise<CliRun>((done) => child.on('close', (code) => done({ code, stdout, stderr })))
    child.stderr!.on('data', (d) => { stderr += d })
    child.stdout!.on('data', (d) => {
      stdout += d
      const url = /serving .* on (http:\/\/\S+)/.exec(stdout)?.[1]
      if (url && !listening && /state: /.test(stdout)) {
        listening = true
        resolve({ url, child, stdout: () => stdout, exited })
      }
    })
    exited.then((run) => { if (!listening) reject(new Error(`standin serve exited ${run.code} before listening:\n${run.stdout}${run.stderr}`)) })
  })
}

async function json(res: Response) {
  return { status: res.status, body: res.status === 204 ? undefined : await res.json() }
}
const control = (url: string, method: string, path: string, body?: unknown) =>
  fetch(`${url}/__standin${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) }).then(json)
const api = (url: string, method: string, path: string, key: string, body?: unknown) =>
  fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) }).then(json)
const statusOf = async (url: string, id: string, key: string) => (await api(url, 'GET', `/v1/sessions/${id}`, key)).body.status

describe('standin serve --state', () => {
  // One file through three processes: stopped, then killed.
  const seen: { s1?: string; s2?: string; s3?: string; world?: { id: string; key: string; now: string }; world2?: { id: string; key: string } } = {}

  it('resumes records, a world made through the control API, its keys, balances and clock after SIGTERM', async () => {
    const first = await start()
    expect(first.stdout()).toMatch(new RegExp(`state: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(nothing to resume`))
    const s1 = await api(first.url, 'POST', '/v1/sessions', 'bsk_acme_live_1', { ttl: 600 })
    expect(s1.status).toBe(201)
    const made = await control(first.url, 'POST', '/worlds', { scenario: 'default' })
    const key = made.body.tenants[0].keys[0]
    const s2 = await api(first.url, 'POST', '/v1/sessions', key, { ttl: 600 })
    expect(s2.body.status).toBe('provisioning')
    expect((await control(first.url, 'PATCH', `/worlds/${made.body.id}/tenants/ws_acme`, { balance: 42 })).status).toBe(200)
    const clock = await control(first.url, 'POST', `/worlds/${made.body.id}/clock`, { advance: '1s' })
    first.child.kill('SIGTERM')
    expect((await first.exited).code).toBe(0)
    Object.assign(seen, { s1: s1.body.id, s2: s2.body.id, world: { id: made.body.id, key, now: clock.body.now } })

    const second = await start()
    try {
      expect(second.stdout()).toMatch(/\(2 world\(s\) resumed;/)
      const { url } = second
      expect((await api(url, 'GET', `/v1/sessions/${seen.s1}`, 'bsk_acme_live_1')).body).toEqual(s1.body)
      const world = await control(url, 'GET', `/worlds/${made.body.id}`)
      expect(world.status).toBe(200)
      expect(world.body.now).toBe(clock.body.now)
      expect(world.body.tenants.find((t: any) => t.id === 'ws_acme')).toMatchObject({ balances: { balance: 42 }, keys: made.body.tenants[0].keys })
      expect((await api(url, 'GET', `/v1/sessions/${seen.s2}`, key)).body).toEqual(s2.body)
      // Ready 2 s after creation on the world's clock: 1 s went by before the restart.
      await control(url, 'POST', `/worlds/${made.body.id}/clock`, { advance: '999ms' })
      expect(await statusOf(url, seen.s2!, key)).toBe('provisioning')
      await control(url, 'POST', `/worlds/${made.body.id}/clock`, { advance: '1ms' })
      expect(await statusOf(url, seen.s2!, key)).toBe('ready')

      // What the next phase must find after a kill.
      const s3 = await api(url, 'POST', '/v1/sessions', key, { ttl: 600 })
      expect(s3.status).toBe(201)
      const made2 = await control(url, 'POST', '/worlds', { scenario: 'flaky' })
      expect(made2.status).toBe(201)
      Object.assign(seen, { s3: s3.body.id, world2: { id: made2.body.id, key: made2.body.tenants[0].keys[0] } })
      expect((await api(url, 'POST', '/v1/sessions', seen.world2!.key, { ttl: 600 })).status).toBe(503)
    } catch (error) {
      second.child.kill('SIGKILL')
      throw error
    }
    // A second after the last answer, a kill that lets nothing run.
    await new Promise((r) => setTimeout(r, 1100))
    second.child.kill('SIGKILL')
    expect((await second.exited).code).toBe(null)
  })

  it('resumes what was answered a second before SIGKILL', async () => {
    expect(seen.world2).toBeDefined()
    const third = await start()
    try {
      const { url } = third
      const { world, world2 } = seen
      expect(await statusOf(url, seen.s2!, world!.key)).toBe('ready')
      expect(await statusOf(url, seen.s3!, world!.key)).toBe('provisioning')
      expect((await api(url, 'GET', `/v1/sessions/${seen.s1}`, 'bsk_acme_live_1')).status).toBe(200)
      expect((await control(url, 'GET', `/worlds/${world2!.id}`)).status).toBe(200)
      // The flaky world's first rule fired before the kill: its second comes next.
      expect((await api(url, 'POST', '/v1/sessions', world2!.key, { ttl: 600 })).status).toBe(500)
      // A deleted world stays deleted.
      expect((await control(url, 'DELETE', `/worlds/${world2!.id}`)).status).toBe(204)
    } finally {
      third.child.kill('SIGTERM')
    }
    expect((await third.exited).code).toBe(0)
    const db = new DatabaseSync(file, { readOnly: true })
    const ids = db.prepare('SELECT id FROM worlds').all().map((row) => row.id)
    db.close()
    expect(ids).toContain(seen.world!.id)
    expect(ids).not.toContain(seen.world2!.id)
  })

  it('says which file is wrong and how, without a stack trace, for a file it cannot use', async () => {
    const garbage = join(dir, 'garbage.db')
    writeFileSync(garbage, 'this is not a database, just some text that is long enough to look like a header\n'.repeat(20))
    const foreign = join(dir, 'foreign.db')
    const db = new DatabaseSync(foreign)
    db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)')
    db.close()
    // A standin state file with one world damaged.
    const damaged = join(dir, 'damaged.db')
    copyFileSync(file, damaged)
    const edit = new DatabaseSync(damaged)
    edit.prepare('UPDATE worlds SET head = ? WHERE id = ?').run('{"format": "standin-world", "version": 1, "id": "x"', seen.world!.id)
    edit.close()
    // A folder cannot be made where a file is.
    const underFile = join(garbage, 'state.db')
    // The command line says it as the module does, once, with no stack trace.
    const run = await runCli([...serveArgs(garbage), '--port', '0'])
    expect(run.code, run.stderr).toBe(1)
    expect(run.stderr.trim()).toBe(`standin serve: cannot use the state file ${garbage}: it is not a standin state file, or it is damaged; move it away to start afresh (file is not a database)`)
    expect(run.stdout).not.toMatch(/serving/)
    const standin = await createStandin({ spec: 'spec/browser-sessions.yaml', scenarios: 'scenarios/browser-sessions' })
    const cases: Array<[string, RegExp]> = [
      [foreign, /it is an SQLite database, but not one standin wrote \(its tables: notes\); name another file/],
      [damaged, new RegExp(`world ${seen.world!.id}: its head row is not valid JSON`)],
      [underFile, /it cannot be opened or created/],
    ]
    // One standin per file: a second one waits a moment for the first to let go, then says so.
    const held = await openStateFile(join(dir, 'held.db'), standin.worlds)
    cases.push([held.file, /another process has it open \(another standin serve --state with this file\?\) \(database is locked\)/])
    try {
      for (const [state, problem] of cases) {
        const error = await openStateFile(state, standin.worlds, { lockWaitMs: 50 }).then(() => undefined, (e: unknown) => e)
        expect(error).toBeInstanceOf(StateFileError)
        expect((error as Error).message).toMatch(new RegExp(`^cannot use the state file ${state.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `))
        expect((error as Error).message).toMatch(problem)
      }
    } finally {
      held.close()
    }
  })

  it('leaves out, with a warning, a world of a scenario the run does not have, and keeps it in the file', async () => {
    const copy = join(dir, 'other-scenarios.db')
    copyFileSync(file, copy)
    const standin = await createStandin({ spec: 'spec/browser-sessions.yaml', scenarios: 'scenarios/browser-sessions/flaky.yaml' })
    const warnings: string[] = []
    const state = await openStateFile(copy, standin.worlds, { onWarning: (w) => warnings.push(w) })
    expect(state.restored).toBe(0)
    expect(warnings).toContain(`the state file ${copy} has world ${seen.world!.id} of scenario "default", which this run does not have: left out`)
    expect(standin.worlds.get(seen.world!.id)).toBeUndefined()
    // A change to another world does not take it out of the file.
    await standin.handle(new Request('http://localhost/v1/sessions', { headers: { authorization: 'Bearer bsk_flaky_1' } }))
    state.close()
    const db = new DatabaseSync(copy, { readOnly: true })
    const ids = db.prepare('SELECT id FROM worlds').all().map((row) => row.id)
    db.close()
    expect(ids).toEqual(expect.arrayContaining([seen.world!.id, 'flaky']))
  })

  it('loads no node:sqlite until a state file is opened', () => {
    // What serve without --state loads: the library, the node door, and (imported, not used) the state file module.
    const script = `
      const { createStandin } = await import('./src/index.ts')
      await import('./src/adapters/node-http.ts')
      await import('./src/adapters/state-file.ts')
      await createStandin({ spec: 'spec/browser-sessions.yaml', scenarios: 'scenarios/browser-sessions' })
      console.log(process.moduleLoadList.filter((m) => /sqlite/i.test(m)).length)`
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 })
    expect(run.stderr).toBe('')
    expect(run.stdout.trim()).toBe('0')
  })

  it('writes only what changed: a world of 2,000 records and one request is one record row', async () => {
    const state = join(dir, 'incremental.db')
    const options = { spec: 'spec/browser-sessions.yaml', scenarios: 'scenarios/browser-sessions' }
    const standin = await createStandin(options)
    const file = await openStateFile(state, standin.worlds, { flushMs: 60_000 })
    const world = standin.world('bench')
    const tenant = world.tenants[0]!.id
    const seeded = [...world.world.store.list('session', tenant)].length
    const seed = await standin.handle(new Request(`http://localhost/__standin/worlds/${world.id}/state/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tenant, records: Array.from({ length: 2000 }, () => ({ ttl: 600 })) }) }))
    expect(seed.status).toBe(201)
    file.flush()
    expect(file.lastWrite).toMatchObject({ worlds: 1, records: seeded + 2000, removed: 0 })

    const created = await standin.handle(new Request('http://localhost/v1/sessions', { method: 'POST', headers: { authorization: `Bearer ${world.key}`, 'content-type': 'application/json' }, body: '{"ttl": 900}' }))
    expect(created.status).toBe(201)
    file.flush()
    expect(file.lastWrite).toMatchObject({ worlds: 1, records: 1, removed: 0 })

    // A record taken out is a row taken out; a timer that moves records rewrites those records.
    const model = standin.api.behaviour.resources.get('session')!
    // The first of the 2,000 (the scenario's own come before them).
    const first = [...world.world.store.list('session', tenant)][seeded]!
    world.world.remove(model, first)
    const provisioning = world.world.store.count('session', tenant, new Set(['provisioning']))
    expect(provisioning).toBe(2000) // 1,999 seeded and the one created
    world.clock.advance('2s')
    standin.worlds.changed(world.world)
    file.flush()
    expect(file.lastWrite).toMatchObject({ worlds: 1, records: provisioning, removed: 1 })
    const before = world.state('session')
    file.close()

    const again = await createStandin(options)
    const reopened = await openStateFile(state, again.worlds)
    try {
      const restored = again.worlds.get(world.id)!
      const after = [...restored.store.list('session', tenant)].map((r) => r.data)
      expect(after).toEqual(before)
      expect(after.filter((s) => s.status === 'provisioning')).toHaveLength(0)
      // The expiries are still to come, each at its time: the 1,999 seeded ones left (ttl 600) at once.
      const expired = () => [...restored.store.list('session', tenant)].filter((r) => r.state === 'expired').length
      const already = expired()
      restored.advance(598_000 - 1)
      expect(expired()).toBe(already)
      restored.advance(1)
      expect(expired()).toBe(already + 1999)
    } finally {
      reopened.close()
    }
  })
})
