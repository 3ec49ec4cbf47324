/**
 * A real client's journey on a real published spec: `@octokit/rest`, with its throttling and retry
 * plugins, against standin serving GitHub's own description (npm `@octokit/openapi`) over HTTP on
 * 127.0.0.1 — no overlay, no x-standin. Everything it relies on is inferred from the spec: issues
 * found by number in their repository, a repository made through `POST /user/repos` read back by
 * owner and name, answers made from the spec's examples, errors in GitHub's own shape.
 */
import { createRequire } from 'node:module'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Octokit } from '@octokit/rest'
import { retry } from '@octokit/plugin-retry'
import { throttling } from '@octokit/plugin-throttling'
import { createStandin, type Standin, type WorldHandle } from '../src/index.ts'
import { listen, type Listening } from '../src/adapters/node-http.ts'

const SPEC = createRequire(import.meta.url).resolve('@octokit/openapi/generated/api.github.com.json')
const Client = Octokit.plugin(throttling, retry)
// The throttling plugin spaces writes 1 s apart and notifying writes (issues) 3 s, as GitHub asks of
// clients; the journey keeps its limiters but not their spacing, which is not what it tests.
const Bottleneck = createRequire(createRequire(import.meta.url).resolve('@octokit/plugin-throttling'))('bottleneck/light.js') as {
  Group: new (options: Record<string, unknown>) => unknown
}

let standin: Standin
let server: Listening
/** What the throttling plugin was told to wait, in seconds, by kind. */
const waits: Array<[string, number]> = []

/** A client of a fresh world of a scenario: its key, and the world named in a header too. */
function octokit(world: WorldHandle) {
  const client = new Client({
    baseUrl: server.url,
    auth: world.key,
    // Waits are Retry-After × this many ms: the test honours the header without sleeping seconds.
    throttle: {
      write: new Bottleneck.Group({ maxConcurrent: 1, minTime: 0 }) as never,
      notifications: new Bottleneck.Group({ maxConcurrent: 1, minTime: 0 }) as never,
      retryAfterBaseValue: 1,
      onRateLimit: (after: number) => { waits.push(['primary', after]); return true },
      onSecondaryRateLimit: (after: number) => { waits.push(['secondary', after]); return true },
    },
    retry: { retryAfterBaseValue: 1 },
    log: { debug() {}, info() {}, warn() {}, error() {} },
  })
  client.hook.before('request', (options) => { options.headers['x-standin-world'] = world.id })
  return client
}

beforeAll(async () => {
  const started = performance.now()
  standin = await createStandin({
    spec: SPEC,
    scenarios: [{
      name: 'default',
      description: 'One user, as the spec\'s examples have it.',
      tenants: [{ id: 'octocat', keys: [{ token: 'ghp_journey_default' }] }],
    }, {
      name: 'throttled',
      tenants: [{ id: 'octocat', keys: [{ token: 'ghp_journey_throttled' }] }],
      description: 'The first read of an issue is over the primary rate limit, the first update hits a secondary one.',
      rules: [
        { operation: 'issues/get', nth: 1, times: 1, status: 429, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '0' } },
        {
          operation: 'issues/update', nth: 1, times: 1, status: 403, headers: { 'retry-after': '7' },
          body: { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits' },
        },
      ],
    }],
  })
  server = await listen(standin.handle, { port: 0, host: '127.0.0.1' })
  // Start-up of GitHub's 1,223 operations, reported for the suite's time budget.
  console.log(`octokit journey: GitHub's spec served after ${Math.round(performance.now() - started)} ms`)
}, 120_000)

afterAll(async () => {
  await server?.close()
})

describe('@octokit/rest against GitHub\'s published spec', () => {
  it('creates an issue, reads it by number, updates it, lists it under its repository only', async () => {
    const gh = octokit(standin.world())
    const repo = (await gh.repos.createForAuthenticatedUser({ name: 'journey', description: 'Made by the journey test.' })).data
    expect(repo).toMatchObject({ name: 'journey', description: 'Made by the journey test.', full_name: `${repo.owner.login}/journey` })
    const owner = repo.owner.login
    // Read back through another path: GET /repos/{owner}/{repo}.
    expect((await gh.repos.get({ owner, repo: 'journey' })).data).toEqual(repo)

    const created = await gh.issues.create({ owner, repo: 'journey', title: 'Found a bug', body: 'It hurts.' })
    expect(created.status).toBe(201)
    expect(created.data).toMatchObject({ number: 1, title: 'Found a bug', body: 'It hurts.', state: 'open' })
    const second = await gh.issues.create({ owner, repo: 'journey', title: 'Another' })
    expect(second.data.number).toBe(2)

    const read = await gh.issues.get({ owner, repo: 'journey', issue_number: 1 })
    expect(read.data).toEqual(created.data)
    const updated = await gh.issues.update({ owner, repo: 'journey', issue_number: 1, title: 'Found a bug, fixed', state: 'closed' })
    expect(updated.data).toMatchObject({ number: 1, title: 'Found a bug, fixed', state: 'closed' })
    expect((await gh.issues.get({ owner, repo: 'journey', issue_number: 1 })).data).toMatchObject({ title: 'Found a bug, fixed', state: 'closed' })

    const open = await gh.issues.listForRepo({ owner, repo: 'journey' })
    expect(open.data.map((i) => i.number)).toEqual([2])
    const closed = await gh.issues.listForRepo({ owner, repo: 'journey', state: 'closed' })
    expect(closed.data.map((i) => i.title)).toEqual(['Found a bug, fixed'])
    // state=all: a value the parameter offers that an issue's state never holds — no filter.
    const all = await gh.issues.listForRepo({ owner, repo: 'journey', state: 'all' })
    expect(all.data.map((i) => i.number).sort()).toEqual([1, 2])
    // The spec's example repository exists (and keeps its example issue); the new issues are not in it.
    await gh.repos.createForAuthenticatedUser({ name: 'elsewhere' })
    expect((await gh.issues.listForRepo({ owner, repo: 'elsewhere' })).data).toEqual([])
    await expect(gh.issues.get({ owner, repo: 'elsewhere', issue_number: 2 })).rejects.toMatchObject({ status: 404 })
  })

  it('comments on an issue: the issue\'s comments list what was made on it, the repository\'s lists them all', async () => {
    const gh = octokit(standin.world())
    const owner = (await gh.repos.createForAuthenticatedUser({ name: 'talk' })).data.owner.login
    await gh.issues.create({ owner, repo: 'talk', title: 'First' })
    await gh.issues.create({ owner, repo: 'talk', title: 'Second' })
    expect((await gh.issues.listComments({ owner, repo: 'talk', issue_number: 1 })).data).toEqual([])
    const made = (await gh.issues.createComment({ owner, repo: 'talk', issue_number: 2, body: 'Me too' })).data
    // It names itself and its issue as GitHub does: its own id, issue 2 of this repository.
    expect(made).toMatchObject({ body: 'Me too', url: `https://api.github.com/repos/${owner}/talk/issues/comments/${made.id}`, issue_url: `https://api.github.com/repos/${owner}/talk/issues/2` })
    const other = (await gh.issues.createComment({ owner, repo: 'talk', issue_number: 1, body: 'On the first' })).data
    expect((await gh.issues.listComments({ owner, repo: 'talk', issue_number: 2 })).data).toEqual([made])
    expect((await gh.issues.listComments({ owner, repo: 'talk', issue_number: 1 })).data.map((c) => c.body)).toEqual(['On the first'])
    expect((await gh.issues.getComment({ owner, repo: 'talk', comment_id: other.id })).data).toEqual(other)
    expect((await gh.issues.listCommentsForRepo({ owner, repo: 'talk' })).data.map((c) => c.id).sort()).toEqual([made.id, other.id].sort())
    await gh.issues.deleteComment({ owner, repo: 'talk', comment_id: made.id })
    expect((await gh.issues.listComments({ owner, repo: 'talk', issue_number: 2 })).data).toEqual([])
    await expect(gh.issues.listComments({ owner, repo: 'talk', issue_number: 9 })).rejects.toMatchObject({ status: 404 })
    // The example issue's comments are the example comment.
    expect((await gh.issues.listComments({ owner: 'octocat', repo: 'Hello-World', issue_number: 1347 })).data.map((c) => c.body)).toEqual(['Me too'])
  })

  it('answers the spec\'s examples where state holds nothing, the same every time', async () => {
    const gh = octokit(standin.world())
    const seeded = (await gh.repos.get({ owner: 'octocat', repo: 'Hello-World' })).data
    // The examples say 80 watchers and no language (null), not a random number and string.
    expect(seeded).toMatchObject({ full_name: 'octocat/Hello-World', watchers: 80, language: null })
    expect((await gh.repos.get({ owner: 'octocat', repo: 'Hello-World' })).data).toEqual(seeded)
    const topics = await gh.repos.getAllTopics({ owner: 'octocat', repo: 'Hello-World' })
    expect(topics.data).toEqual((await gh.repos.getAllTopics({ owner: 'octocat', repo: 'Hello-World' })).data)
  })

  it('answers a repository nobody made 404, in GitHub\'s error shape', async () => {
    const gh = octokit(standin.world())
    const error = await gh.repos.get({ owner: 'octocat', repo: 'no-such-repo' }).then(() => undefined, (e: { status: number; response: { data: Record<string, unknown> } }) => e)
    if (!error) throw new Error('a repository nobody made was found')
    expect(error.status).toBe(404)
    // GitHub's basic-error: a message (and documentation_url, url, status), no envelope of standin's.
    // documentation_url: where the spec documents the operation (its externalDocs), as GitHub links it.
    expect(error.response.data).toMatchObject({ message: expect.any(String), documentation_url: 'https://docs.github.com/rest/repos/repos#get-a-repository' })
    expect(Object.keys(error.response.data).filter((k) => !['message', 'documentation_url', 'url', 'status'].includes(k))).toEqual([])
    await expect(gh.issues.create({ owner: 'octocat', repo: 'no-such-repo', title: 'Lost' })).rejects.toMatchObject({ status: 404 })
  })

  it('honours a forced 429 and a secondary-rate-limit 403 through the plugins, then succeeds', async () => {
    const world = standin.world('throttled')
    const gh = octokit(world)
    await gh.repos.createForAuthenticatedUser({ name: 'throttled' })
    const owner = (await gh.users.getAuthenticated()).data.login
    await gh.issues.create({ owner, repo: 'throttled', title: 'Slow down' })
    waits.length = 0
    expect((await gh.issues.get({ owner, repo: 'throttled', issue_number: 1 })).data.title).toBe('Slow down')
    expect((await gh.issues.update({ owner, repo: 'throttled', issue_number: 1, title: 'Slowed down' })).data.title).toBe('Slowed down')
    expect(waits).toEqual([['primary', expect.any(Number)], ['secondary', 7]])
    expect(world.journal.count({ operation: 'issues/get', status: 429 })).toBe(1)
    expect(world.journal.count({ operation: 'issues/update', status: 403 })).toBe(1)
    expect(world.journal.count({ operation: 'issues/update', status: 200 })).toBe(1)
  })

  it('answers Prefer: code=429 with Retry-After, in GitHub\'s error shape, though issues/get does not declare 429', async () => {
    const world = standin.world()
    const res = await fetch(`${server.url}/repos/octocat/Hello-World/issues/1347`, { headers: { authorization: `token ${world.key}`, prefer: 'code=429', 'x-standin-world': world.id } })
    expect(res.status).toBe(429)
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(await res.json()).toMatchObject({ message: expect.any(String) })
  })
})
