/**
 * REST inference on a spec with no x-standin, in the shapes real APIs have: records found by the
 * field their path parameter names (an issue by its number, a repository by owner and name), scoped
 * by every parent, readable through another path that names the same resource, made from the spec's
 * examples, and the same every time they are read.
 */
import { describe, expect, it } from 'vitest'
import { createStandin, type Standin } from '../src/index.ts'
import { runCli } from './support/cli.ts'

const TRACKER = 'test/fixtures/rest/tracker.yaml'
const PAYMENTS = 'test/fixtures/rest/payments.yaml'

function client(standin: Standin, world = standin.world()) {
  return async (method: string, path: string, body?: unknown, form?: URLSearchParams) => {
    const res = await standin.handle(new Request(`http://localhost${path}`, {
      method,
      headers: { 'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json', 'x-standin-world': world.id },
      body: form ?? (body === undefined ? undefined : JSON.stringify(body)),
    }))
    const text = await res.text()
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined }
  }
}

describe('a code host\'s REST shape, inferred', () => {
  it('starts with the records the examples show, and 404s a repository nobody made', async () => {
    const call = client(await createStandin({ spec: TRACKER }))
    const seeded = await call('GET', '/repos/octocat/Hello-World')
    expect(seeded).toMatchObject({ status: 200, body: { name: 'Hello-World', full_name: 'octocat/Hello-World', watchers: 80, language: 'Ruby' } })
    expect((await call('GET', '/repos/octocat/nothing-here')).status).toBe(404)
    expect((await call('GET', '/repos/octocat/nothing-here/issues')).status).toBe(404)
    expect((await call('GET', '/repos/octocat/nothing-here/topics')).status).toBe(404)
    expect((await call('GET', '/repos/octocat/Hello-World/issues/1347')).body).toMatchObject({ number: 1347, title: 'Found a bug' })
  })

  it('reads back a repository made through another path, by owner and name, made from the example', async () => {
    const call = client(await createStandin({ spec: TRACKER }))
    const created = await call('POST', '/user/repos', { name: 'sprocket', description: 'Gears.' })
    expect(created.status).toBe(201)
    // The request body over the example, the example's names of itself retargeted; not random fakes.
    expect(created.body).toMatchObject({ name: 'sprocket', description: 'Gears.', full_name: 'octocat/sprocket', url: 'https://api.example.com/repos/octocat/sprocket', watchers: 80, language: 'Ruby', owner: { login: 'octocat' } })
    expect(created.body.id).not.toBe(1296269)
    const read = await call('GET', `/repos/${created.body.owner.login}/sprocket`)
    expect(read).toMatchObject({ status: 200, body: created.body })
    expect((await call('GET', '/repos/octocat/sprocket')).body).toEqual(read.body)
    // Made under an organisation: owned by it, and read back under its name.
    const inOrg = await call('POST', '/orgs/acme/repos', { name: 'widgets' })
    expect(inOrg.body).toMatchObject({ name: 'widgets', full_name: 'acme/widgets', owner: { login: 'acme' }, url: 'https://api.example.com/repos/acme/widgets' })
    expect((await call('GET', '/repos/acme/widgets')).body).toEqual(inOrg.body)
    expect((await call('DELETE', '/repos/octocat/sprocket')).status).toBe(204)
    expect((await call('GET', '/repos/octocat/sprocket')).status).toBe(404)
  })

  it('numbers issues per repository, finds them by number, and keeps them in their repository', async () => {
    const call = client(await createStandin({ spec: TRACKER }))
    await call('POST', '/user/repos', { name: 'one' })
    await call('POST', '/user/repos', { name: 'two' })
    const first = await call('POST', '/repos/octocat/one/issues', { title: 'First' })
    const second = await call('POST', '/repos/octocat/one/issues', { title: 'Second' })
    const other = await call('POST', '/repos/octocat/two/issues', { title: 'Elsewhere' })
    expect([first.status, first.body.number, second.body.number, other.body.number]).toEqual([201, 1, 2, 1])
    expect(first.body).toMatchObject({ title: 'First', url: 'https://api.example.com/repos/octocat/one/issues/1', repository_url: 'https://api.example.com/repos/octocat/one' })
    // After the example's issue 1347, the example repository's next is 1348.
    expect((await call('POST', '/repos/octocat/Hello-World/issues', { title: 'Next' })).body.number).toBe(1348)

    expect((await call('GET', '/repos/octocat/one/issues/2')).body).toEqual(second.body)
    expect((await call('GET', '/repos/octocat/two/issues/2')).status).toBe(404)
    const updated = await call('PATCH', '/repos/octocat/one/issues/1', { title: 'First, edited', state: 'closed' })
    expect(updated).toMatchObject({ status: 200, body: { number: 1, title: 'First, edited', state: 'closed' } })
    expect((await call('GET', '/repos/octocat/one/issues/1')).body).toEqual(updated.body)

    const titles = async (repo: string, query = '') => ((await call('GET', `/repos/octocat/${repo}/issues${query}`)).body as Array<{ title: string }>).map((i) => i.title)
    expect(await titles('one')).toEqual(['Second'])
    expect(await titles('one', '?state=closed')).toEqual(['First, edited'])
    expect(await titles('two')).toEqual(['Elsewhere'])
    expect(await titles('two', '?per_page=1&page=2')).toEqual([])
    expect((await call('POST', '/repos/octocat/missing/issues', { title: 'Lost' })).status).toBe(404)
  })

  it('makes a record a PUT names where it is not there, and replaces it where it is', async () => {
    const call = client(await createStandin({ spec: TRACKER }))
    expect((await call('GET', '/repos/octocat/Hello-World/labels/bug')).status).toBe(404)
    const made = await call('PUT', '/repos/octocat/Hello-World/labels/bug', { color: 'ff0000' })
    expect(made).toMatchObject({ status: 201, body: { name: 'bug', color: 'ff0000', id: expect.any(Number) } })
    expect((await call('GET', '/repos/octocat/Hello-World/labels/bug')).body).toEqual(made.body)
    expect(await call('PUT', '/repos/octocat/Hello-World/labels/bug', { color: '00ff00' })).toMatchObject({ status: 200, body: { id: made.body.id, name: 'bug', color: '00ff00' } })
    expect((await call('PUT', '/repos/octocat/missing/labels/bug', { color: 'ff0000' })).status).toBe(404)
  })

  it('answers 404 for a record not there where the operation declares no 404: a finding, not a violation', async () => {
    const standin = await createStandin({ spec: TRACKER })
    const world = standin.world()
    const call = client(standin, world)
    expect(await call('GET', '/repos/octocat/Hello-World/readme')).toMatchObject({ status: 200, body: { content: '# Hello' } })
    expect((await call('GET', '/repos/octocat/nothing-here/readme')).status).toBe(404)
    expect(world.journal.query({ status: 404 })).toEqual([expect.objectContaining({ violations: [], finding: { kind: 'undeclared-not-found', message: expect.stringContaining('getReadme does not declare 404') } })])
    expect(world.violations()).toEqual([])
  })

  it('keeps records apart by a path parameter that names no resource', async () => {
    const call = client(await createStandin({ spec: TRACKER }))
    const team = await call('POST', '/enterprises/acme/teams', { name: 'Core' })
    expect(team.status).toBe(201)
    expect((await call('GET', '/enterprises/acme/teams')).body).toEqual([team.body])
    expect((await call('GET', '/enterprises/other/teams')).body).toEqual([])
    expect((await call('GET', `/enterprises/acme/teams/${team.body.slug}`)).body).toEqual(team.body)
    expect((await call('GET', `/enterprises/other/teams/${team.body.slug}`)).status).toBe(404)
  })

  it('answers what state does not hold with the example, the same on every read', async () => {
    const call = client(await createStandin({ spec: TRACKER }))
    const topics = await call('GET', '/repos/octocat/Hello-World/topics')
    expect(topics).toMatchObject({ status: 200, body: { names: ['octocat', 'atom'] } })
    const created = await call('POST', '/repos/octocat/Hello-World/issues', { title: 'Stable' })
    const reads = await Promise.all([1, 2, 3].map(() => call('GET', `/repos/octocat/Hello-World/issues/${created.body.number}`)))
    for (const read of reads) expect(read.body).toEqual(created.body)
  })
})

describe('a payments API\'s REST shape, inferred', () => {
  const form = (call: ReturnType<typeof client>, path: string, fields: Record<string, string>) => call('POST', path, undefined, new URLSearchParams(fields))

  it('makes ids like the example\'s, finds a customer by its id, updates by POST, lists in the envelope, deletes', async () => {
    const call = client(await createStandin({ spec: PAYMENTS }))
    const jenny = await form(call, '/v1/customers', { name: 'Jenny', email: 'jenny@example.com' })
    expect(jenny).toMatchObject({ status: 200, body: { object: 'customer', name: 'Jenny', email: 'jenny@example.com', created: 1680000000, livemode: false } })
    expect(jenny.body.id).toMatch(/^cus_[A-Za-z0-9]{14}$/)
    expect(jenny.body.id).not.toBe('cus_9s6XKzkNRiz8i3')
    expect((await call('GET', `/v1/customers/${jenny.body.id}`)).body).toEqual(jenny.body)
    expect((await form(call, `/v1/customers/${jenny.body.id}`, { name: 'Jenny Rosen' })).body).toMatchObject({ id: jenny.body.id, name: 'Jenny Rosen' })
    const page = await call('GET', '/v1/customers?email=jenny@example.com')
    expect(page.body).toMatchObject({ object: 'list', has_more: false, data: [{ id: jenny.body.id, name: 'Jenny Rosen' }] })
    expect(await call('DELETE', `/v1/customers/${jenny.body.id}`)).toMatchObject({ status: 200, body: { id: jenny.body.id, object: 'customer', deleted: true } })
    expect((await call('GET', `/v1/customers/${jenny.body.id}`)).status).toBe(404)
  })
})

describe('what standin infers, shown and changed', () => {
  it('standin infer prints each resource, its key, its parent and its operations', async () => {
    const run = await runCli(['infer', TRACKER])
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('Tracker: 4 resource(s), 4 inferred from REST shape')
    expect(run.stdout).toMatch(/^repository {2}#\/components\/schemas\/repository {2}\(inferred\)\n {2}key: owner\.login \+ name; id: id \(integer\)$/m)
    expect(run.stdout).toMatch(/^ {2}key: number, numbered 1, 2, … per repository; id: id \(integer\)\n {2}parent: repository$/m)
    expect(run.stdout).toMatch(/^ {4}create +POST \/user\/repos +createRepo$/m)
    expect(run.stdout).toMatch(/read +GET \/repos\/\{owner\}\/\{repo\}\/issues\/\{issue_number\} +getIssue {2}\[\{owner\}\/\{repo\} → repository\.owner\.login \+ name, \{issue_number\} → issue\.number\]/)
    const json = JSON.parse((await runCli(['infer', TRACKER, '--format', 'json'])).stdout)
    expect(json.resources.find((r: { name: string }) => r.name === 'issue')).toMatchObject({ key: ['number'], sequence: 'number', parent: 'repository', examples: 1 })
  })

  it('follows an overlay\'s x-standin: a key of its own, an operation with no state', async () => {
    const call = client(await createStandin({ spec: TRACKER, overlays: ['test/fixtures/rest/tracker-overlay.yaml'] }))
    // Found by id now: the example issue's id is 1 (its number 1347).
    expect((await call('GET', '/repos/octocat/Hello-World/issues/1')).body).toMatchObject({ id: 1, number: 1347 })
    expect((await call('GET', '/repos/octocat/Hello-World/issues/1347')).status).toBe(404)
    expect(await call('GET', '/repos/octocat/nothing-here/topics')).toMatchObject({ status: 200, body: { names: ['octocat', 'atom'] } })
    const run = await runCli(['infer', TRACKER, '--overlay', 'test/fixtures/rest/tracker-overlay.yaml'])
    expect(run.stdout).toContain('key: id, numbered 1, 2, … per resource; id: id (integer)')
    expect(run.stdout).toContain('1 operation(s) act on no resource')
  })
})
