/**
 * Async jobs that fail on their own, sync ceilings and expiring keys, on a small fixture API
 * (test/fixtures/jobs.yaml): lifecycle timers with `when`, `chance` and `set`; a variant that
 * answers an error after acting; a generic trigger name answered with the API's own code of that
 * status; scenario keys that expire on the world clock.
 */
import { describe, expect, it } from 'vitest'
import { createStandin, type Standin } from '../src/index.ts'
import { check } from '../src/index.ts'
import { selfChecked } from './support/self-check.ts'
import { tempFiles } from './support/files.ts'

const OPTIONS = { spec: 'test/fixtures/jobs.yaml', scenarios: 'test/fixtures/jobs' }

async function open(seed?: number, scenario?: string) {
  const standin: Standin = await createStandin(selfChecked({ ...OPTIONS, seed }))
  const handle = standin.world(scenario)
  const [steady, , , shaky] = [...handle.world.keys.values()].map((k) => k.token)
  const send = async (method: string, path: string, key: string | undefined, json?: unknown, headers: Record<string, string> = {}) => {
    const res = await standin.handle(new Request(`https://api.jobs.example${path}`, {
      method, body: json === undefined ? undefined : JSON.stringify(json),
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(json === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    }))
    const text = await res.text()
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined }
  }
  return { standin, world: handle.world, send, steady: steady!, shaky: shaky!, keys: [...handle.world.keys.values()].map((k) => k.token) }
}

describe('jobs that fail on their own', () => {
  it('a timer with `when` moves only the records it holds for, writing its `set` fields: a refused input fails with its reason', async () => {
    const { world, send, steady } = await open()
    const bad = await send('POST', '/jobs', steady, { input: 'bad data', async: true })
    const good = await send('POST', '/jobs', steady, { input: 'fine data', async: true })
    expect([bad.status, good.status]).toEqual([202, 202])
    world.advance(1000)
    expect((await send('GET', `/jobs/${bad.body.id}`, steady)).body.status).toBe('running')
    world.advance(1000)
    expect((await send('GET', `/jobs/${bad.body.id}`, steady)).body).toMatchObject({ status: 'failed', error: { code: 'bad_input', message: 'The worker refused "bad data".' } })
    world.advance(10_000)
    const done = (await send('GET', `/jobs/${good.body.id}`, steady)).body
    expect(done.status).toBe('done')
    expect(done.error).toBeUndefined()
  })

  it('a timer with `chance` fails records at the tenant\'s rate, drawn from the world\'s seed: the same seed, the same jobs fail', async () => {
    const outcomes = async (seed: number) => {
      const { world, send, shaky, steady } = await open(seed)
      const ids: string[] = []
      for (let i = 0; i < 40; i++) ids.push((await send('POST', '/jobs', shaky, { input: `job ${i}`, async: true })).body.id)
      const calm = (await send('POST', '/jobs', steady, { input: 'calm', async: true })).body.id
      world.advance(10_000)
      const states = await Promise.all(ids.map(async (id) => (await send('GET', `/jobs/${id}`, shaky)).body))
      for (const s of states.filter((s) => s.status === 'failed')) expect(s.error).toEqual({ code: 'oops', message: 'The worker crashed.' })
      expect((await send('GET', `/jobs/${calm}`, steady)).body.status).toBe('done')
      return states.map((s) => s.status).join(',')
    }
    const first = await outcomes(7)
    const failed = first.split(',').filter((s) => s === 'failed').length
    // Half of forty, give or take what a fair coin does.
    expect(failed).toBeGreaterThan(8)
    expect(failed).toBeLessThan(32)
    expect(first.split(',').every((s) => s === 'failed' || s === 'done')).toBe(true)
    expect(await outcomes(7)).toBe(first)
    expect(await outcomes(8)).not.toBe(first)
  })

  it('a tenant\'s rate set through the control API applies to its next jobs', async () => {
    const { standin, world, send, steady } = await open()
    const res = await standin.handle(new Request(`https://api.jobs.example/__standin/worlds/${world.id}/tenants/team_steady`, {
      method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ flags: { failureRate: 1 } }),
    }))
    expect(res.status).toBe(200)
    const job = (await send('POST', '/jobs', steady, { input: 'doomed', async: true })).body
    world.advance(3000)
    expect((await send('GET', `/jobs/${job.id}`, steady)).body).toMatchObject({ status: 'failed', error: { code: 'oops' } })
  })
})

describe('a variant that answers an error after acting', () => {
  it('a sync job of the slow kind is 408 with its id; the job was made and goes on as an async one', async () => {
    const { world, send, steady } = await open()
    const slow = await send('POST', '/jobs', steady, { input: 'big', kind: 'slow' })
    expect(slow.status).toBe(408)
    expect(slow.body).toEqual({ error: { code: 'ceiling', message: `Too slow for a sync answer: poll job ${slow.body.job_id}.` }, job_id: expect.stringMatching(/^job_/) })
    expect((await send('GET', `/jobs/${slow.body.job_id}`, steady)).body.status).toBe('queued')
    world.advance(10_000)
    expect((await send('GET', `/jobs/${slow.body.job_id}`, steady)).body.status).toBe('done')
    // A quick one is done at once; an error with no job made carries no job id.
    expect((await send('POST', '/jobs', steady, { input: 'small' })).status).toBe(201)
    expect((await send('GET', '/jobs/job_nope', steady)).body).toEqual({ error: { code: 'no_such_job', message: 'No such job.' } })
  })

  it('a job made this way counts toward a limit of what was created (it started); not toward one of successes', async () => {
    const { send, steady: hasty } = await open(undefined, 'limited')
    expect((await send('POST', '/jobs', hasty, { input: 'x' })).status).toBe(201)
    expect((await send('POST', '/jobs', hasty, { input: '' })).status).toBe(400)
    expect((await send('POST', '/jobs', hasty, { input: 'x', kind: 'slow' })).status).toBe(408)
    expect((await send('POST', '/jobs', hasty, { input: 'x', kind: 'slow' })).status).toBe(408)
    expect((await send('POST', '/jobs', hasty, { input: 'x' })).status).toBe(429)

    const { dir, file } = tempFiles('jobs-successes')
    file('limited.yaml', 'limits: { job-starts: 3 }\ntenants: [{ id: t, keys: [{ token: key_t }] }]\n')
    const spec = tempFiles('jobs-successes-spec').file('jobs.yaml', readFixture().replace('error: slow_down, counts: created', 'error: slow_down, counts: successes'))
    const standin = await createStandin(selfChecked({ spec, scenarios: dir }))
    const post = async (json: unknown) => (await standin.handle(new Request('https://api.jobs.example/jobs', { method: 'POST', headers: { authorization: 'Bearer key_t', 'content-type': 'application/json' }, body: JSON.stringify(json) }))).status
    expect([await post({ input: 'x', kind: 'slow' }), await post({ input: 'x', kind: 'slow' }), await post({ input: 'x' }), await post({ input: 'x' }), await post({ input: 'x' }), await post({ input: 'x' })]).toEqual([408, 408, 201, 201, 201, 429])
  })

  it('check refuses a limit that counts something else', () => {
    const { file } = tempFiles('jobs-counts')
    const result = check(file('jobs.yaml', readFixture().replace('counts: created', 'counts: starts')))
    expect(result.problems.map((p) => [p.pointer, p.message])).toEqual([['/paths/~1jobs/post/x-standin/limits/0/counts', expect.stringMatching(/^counts is requests, successes or created, not "starts"/)]])
  })

  it('check refuses a variant with an error and a status, or an error the catalogue lacks', () => {
    const { file } = tempFiles('jobs-variant')
    const text = readFixture().replace('{ when: { body.kind: slow }, error: ceiling }', '{ when: { body.kind: slow }, error: celing, status: 201 }')
    const result = check(file('jobs.yaml', text))
    expect(result.ok).toBe(false)
    expect(result.problems.map((p) => p.message).join('\n')).toMatch(/leave out status, response and headers[\s\S]*"celing" is not in x-standin.errors.catalogue. Did you mean "ceiling"\?/)
  })
})

describe('unique fields: 409 by natural state', () => {
  it('a second job with a name in use is the unique error, naming it', async () => {
    const { send, steady } = await open()
    expect((await send('POST', '/jobs', steady, { input: 'a', name: 'nightly' })).status).toBe(201)
    const again = await send('POST', '/jobs', steady, { input: 'b', name: 'nightly' })
    expect([again.status, again.body.error]).toEqual([409, { code: 'name_taken', message: 'Name taken: a job named nightly exists.' }])
    // Forced, with no name to say, the clause that needs it is left out.
    const forced = await send('POST', '/jobs', steady, { input: 'c' }, { 'x-standin-error': 'name_taken' })
    expect(forced.body.error.message).toBe('Name taken.')
  })
})

describe('check: messages that can be sent with a blank', () => {
  it('warns of a message every clause of which needs a value that may be missing; not of one with a clause that stands, or defaults', () => {
    const { file } = tempFiles('jobs-blank')
    const text = readFixture()
      .replace("'Name taken: a job named {body.name} exists.'", "'A job named {body.name} exists.'")
      .replace("'Too slow for a sync answer: poll job {record.id}.'", "'Poll job {record.id ?? 0}, {code} ({status}).'")
    const result = check(file('jobs.yaml', text))
    expect(result.problems).toEqual([])
    expect(result.warnings.map((w) => [w.pointer, w.message])).toEqual([[
      '/x-standin/errors/catalogue/name_taken/message',
      '"A job named {body.name} exists." can be sent with a blank: every clause holds a value that may be missing ({body.name}), as when the error is forced. Give it a default ({body.name ?? \'…\'}) or add a clause that needs no value.',
    ]])
    expect(check(OPTIONS.spec).warnings).toEqual([])
  })
})

describe('a generic trigger name', () => {
  it('is answered with the API\'s own code of that status; a status the API has no code for is still refused', async () => {
    const { send, steady } = await open()
    const limited = await send('GET', '/jobs/job_x', steady, undefined, { 'x-standin-error': 'rate_limited' })
    expect([limited.status, limited.body.error.code, limited.headers.get('retry-after')]).toEqual([429, 'slow_down', '1'])
    const missing = await send('GET', '/jobs/job_x', steady, undefined, { 'x-standin-error': 'not_found' })
    expect([missing.status, missing.body.error.code]).toEqual([404, 'no_such_job'])
    // Two 401 codes: the one the API gives an unknown key.
    const unauthorized = await send('GET', '/jobs/job_x', steady, undefined, { 'x-standin-error': 'unauthorized' })
    expect([unauthorized.status, unauthorized.body.error.code]).toEqual([401, 'denied'])
    const teapot = await send('GET', '/jobs/job_x', steady, undefined, { 'x-standin-error': 'payment_required' })
    expect([teapot.status, teapot.body.error.code, teapot.headers.get('x-standin-refused')]).toEqual([400, 'bad_input', '"payment_required" is not in this API\'s error catalogue'])
  })
})

describe('keys that expire', () => {
  it('a key past its date-time, or past a duration after the world started on its clock, gets the expired code', async () => {
    const { world, send, keys } = await open()
    const [, dated, brief] = keys
    expect((await send('GET', '/jobs/job_x', dated)).body.error.code).toBe('key_expired')
    expect((await send('GET', '/jobs/job_x', brief)).body.error.code).toBe('no_such_job')
    world.advance(10 * 60_000)
    expect((await send('GET', '/jobs/job_x', brief)).body.error.code).toBe('key_expired')
    // A reset starts the clock, and the key's time, again.
    world.reset()
    expect((await send('GET', '/jobs/job_x', brief)).body.error.code).toBe('no_such_job')
  })

  it('the control API expires a key (a duration from now, or a date-time), clears its expiry, or revokes it', async () => {
    const { standin, world, send, steady } = await open()
    const patch = async (key: string, body: unknown) => {
      const res = await standin.handle(new Request(`https://api.jobs.example/__standin/worlds/${world.id}/keys/${key}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }))
      return { status: res.status, body: await res.json() as any }
    }
    expect((await patch(steady, { expiresAt: '1m' })).body.expiresAt).toBe(new Date(world.clock.now() + 60_000).toISOString())
    expect((await send('GET', '/jobs/job_x', steady)).body.error.code).toBe('no_such_job')
    world.advance(60_000)
    expect((await send('GET', '/jobs/job_x', steady)).body.error.code).toBe('key_expired')
    await patch(steady, { expiresAt: null })
    expect((await send('GET', '/jobs/job_x', steady)).body.error.code).toBe('no_such_job')
    await patch(steady, { expiresAt: '2020-01-01T00:00:00Z' })
    expect((await send('GET', '/jobs/job_x', steady)).body.error.code).toBe('key_expired')
    await patch(steady, { expiresAt: null, revoked: true })
    // No `revoked` code in this API: the document's unknown one.
    expect((await send('GET', '/jobs/job_x', steady)).body.error.code).toBe('denied')
    expect(await patch(steady, { expiresAt: 'soon' })).toEqual({ status: 400, body: { error: { code: 'invalid_patch', message: '"expiresAt" is a date-time, a duration from the world\'s now (0s, 10m), or null.' } } })
    expect((await patch(steady, { scopes: [] })).status).toBe(400)
    expect((await patch('key_nobody', { revoked: true })).status).toBe(404)
  })

  it('a scenario key whose expiresAt is neither a date-time nor a duration is refused by check', () => {
    const { dir, file } = tempFiles('jobs-keys')
    file('bad.yaml', 'tenants: [{ id: t, keys: [{ token: k, expiresAt: soon }] }]\n')
    const result = check(OPTIONS.spec, { scenarios: dir })
    expect(result.problems.map((p) => p.message)).toContain('"soon" is neither a date-time (2026-01-01T00:00:00Z) nor a duration after the world starts (10m)')
  })
})

function readFixture(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (globalThis as any).process.getBuiltinModule('node:fs').readFileSync(OPTIONS.spec, 'utf8')
}
