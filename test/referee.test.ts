/**
 * The independent referee: every bundled spec's scenario traffic replayed through
 * `prism proxy <spec> <standin> --errors`. Nobody here wrote Prism; it judges every answer standin
 * sends against the spec and says so in its `sl-violations` header (or refuses the answer with a 500
 * `#VIOLATIONS`). Requests Prism refuses to forward (they break the spec) are replayed to standin
 * directly, which must refuse them too and journal the violation.
 *
 * Traffic per scenario: the verify plan built from the spec (valid requests with each of the
 * scenario's keys and records, requests broken on purpose, no credentials, unknown ids) plus
 * `Prefer: code=NNN` for every declared status of every operation, in three passes with the world's
 * clock moved between them in the default scenario's world (lifecycles advance: provisioning → ready
 * → expired), once in every other scenario's; the Prefer requests in the first pass only, since a
 * forced answer does not move with the clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readdirSync } from 'node:fs'
import { createStandin, type Standin } from '../src/index.ts'
import { listen, type Listening } from '../src/adapters/node-http.ts'
import { EVENT_STREAM, planCases, PlanState } from '../src/contract/plan.ts'
import type { World } from '../src/world/world.ts'
import { runCases, type CaseResult } from '../src/contract/run.ts'
import { fixturesFor } from '../src/contract/verify.ts'
import { bundledSpecs } from './support/cli.ts'
import { prismAnswer, prismFindings, startPrismProxy, type PrismProxy } from './support/prism.ts'
import { selfChecked } from './support/self-check.ts'

const PASSES = ['0s', '10s', '2h']
/** Marks an answer the referee leaves out (made up here, never sent by standin or Prism). */
const EXCLUDED = 'x-referee-excluded'

// The specs are refereed side by side (each with its own standin and Prism, in processes of their own),
// and so are the scenarios of each: a referee's exchange crosses four processes' event loops, so
// with one exchange at a time every process would mostly wait.
describe.concurrent.each(bundledSpecs())('Prism referee over $name', ({ spec, scenarios }) => {
  let standin: Standin
  /** A second standin, strict, for requests Prism would not forward: it must refuse them too. */
  let strict: Standin
  let server: Listening
  let prism: PrismProxy
  const forwarded = new Map<string, Set<number>>()
  /** Operations whose real event streams (not a Prefer answer) Prism judged. */
  const streamsJudged = new Set<string>()

  beforeAll(async () => {
    standin = await createStandin(selfChecked({ spec, scenarios, clock: 'manual' }))
    strict = await createStandin(selfChecked({ spec, scenarios, clock: 'manual', strict: true }))
    server = await listen(standin.handle, { port: 0 })
    prism = await startPrismProxy(spec, server.url)
  }, 60_000)
  afterAll(async () => {
    await prism?.stop()
    await server?.close()
  })

  /**
   * Operations that answer with a redirect: Prism's proxy follows a `Location` — off loopback, to the
   * API's CDN — so their requests go to standin directly, judged by its self-check (which fails the
   * suite on any violation), not by Prism.
   */
  const redirecting = () => new Set(standin.api.operations.filter((op) => op.responses.some((r) => typeof r.status === 'number' && r.status >= 300 && r.status < 400)).map((op) => op.id))

  const names = scenarios ? scenarioNames(spec, scenarios) : ['default']
  // Scenarios run side by side: each has its own world (its keys reach only it), on one standin and one Prism.
  // Some 600 exchanges through Prism each, side by side with the others: on a busy machine a scenario
  // takes far longer than the suite's 20 s per test, which is a guard against a hang, not a budget.
  it.concurrent.for(names)('finds no violation in the traffic of scenario %s', { timeout: 180_000 }, async (name, { expect }) => {
    const scenario = standin.worlds.scenarios.get(name)
    // Signed-token keys are names in the scenario: the tokens are the ones its world minted (the
    // strict standin's world of the same scenario mints the same ones).
    const fixtures = fixturesFor(standin.api, { scenario, tokenFor: (key) => standin.worlds.home(name).tokenFor(key) })
    // `Prefer: code=NNN` for every declared status (two thirds of the plan) in the first pass only:
    // a forced answer does not depend on the clock, so the later passes (lifecycles moved on) send
    // what does — the plan's own requests.
    const firstCases = planCases(standin.api, fixtures, { preferEveryStatus: true, malformed: false })
    const laterCases = planCases(standin.api, fixtures, { preferEveryStatus: false, malformed: false })
    const state = new PlanState(fixtures)
    const findings: string[] = []
    const judgedOps = new Set<string>()
    // The clock's later passes in the default scenario's world: the others differ from it by their
    // rules and records, judged at the start; a lifecycle moving on is the same in each.
    const passes = name === standin.worlds.defaultScenario ? PASSES : PASSES.slice(0, 1)
    for (const pass of passes) {
      const cases = pass === PASSES[0] ? firstCases : laterCases
      await advance(name, pass)
      // Which requests standin answered by dropping the connection (a scenario's fault rule): Prism
      // can only say the upstream hung up, so those are left out of the judgement.
      const world = standin.worlds.home(name)
      const droppedByStandin = new Set<CaseResult>()
      const dropped = droppedCounter(world)
      const results = await runCases(standin.api, cases, fixtures, {
        base: prism.url, send: (r) => sendThroughPrism(r, world), timeoutMs: 15_000,
        onResult: (r) => { if (dropped() > 0) droppedByStandin.add(r) },
      }, state)
      for (const r of results) {
        if (r.skipped !== undefined || droppedByStandin.has(r) || r.headers?.has(EXCLUDED)) continue
        const at = `${r.request!.method} ${new URL(r.request!.url).pathname} (${r.operation}: ${r.name}, pass ${pass})`
        if (r.status === undefined) { findings.push(`${at}: no answer through Prism: ${r.error}`); continue }
        const own = prismAnswer(r.headers, r.body)
        if (own === 'UNPROCESSABLE_ENTITY' || own === 'UNAUTHORIZED') {
          // Prism would not forward it: standin must refuse the same request on its own.
          findings.push(...await sameVerdictDirect(r, own, at, name))
          continue
        }
        if (own !== undefined) { findings.push(`${at}: Prism refused standin's answer (${own}): ${r.body?.slice(0, 500)}`); continue }
        judgedOps.add(r.operation)
        for (const f of prismFindings(r.headers)) findings.push(`${at} → ${r.status}: Prism ${f.severity} at ${f.location.join('.')}: ${f.message}`)
        for (const p of r.problems) findings.push(`${at} → ${r.status}: ${p}`)
        if (r.kind === 'streamed' && r.status === 200 && r.headers?.get('content-type')?.startsWith(EVENT_STREAM)) streamsJudged.add(r.operation)
        const seen = forwarded.get(r.operation) ?? new Set()
        seen.add(r.status)
        forwarded.set(r.operation, seen)
      }
    }
    expect(findings).toEqual([])
    // Prism judged answers of every operation in this scenario (not only its own refusals).
    expect([...judgedOps].sort()).toEqual(standin.api.operations.map((o) => o.id).filter((id) => !redirecting().has(id)).sort())
  })

  // Not concurrent: a group of its own, run once every scenario of this spec is done.
  it('judged every operation and every status it declares', { concurrent: false }, () => {
    const missing: string[] = []
    for (const op of standin.api.operations) {
      if (redirecting().has(op.id)) continue
      for (const r of op.responses) {
        if (typeof r.status === 'number' && !r.range && !forwarded.get(op.id)?.has(r.status)) missing.push(`${op.id} ${r.status}`)
      }
    }
    expect(missing).toEqual([])
    const streaming = standin.api.operations.filter((op) => op.responses.some((r) => r.contentTypes.has(EVENT_STREAM))).map((op) => op.id)
    expect([...streamsJudged].sort()).toEqual(streaming.sort())
  })

  async function advance(world: string, by: string): Promise<void> {
    if (by === '0s') return
    const res = await fetch(`${server.url}/__standin/worlds/${world}/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ advance: by }) })
    expect(res.status).toBe(200)
  }

  /**
   * Prism answers only once the upstream answer is complete, and a stream on a manual clock sends its
   * events only as the clock moves: so once standin has opened the stream, its world's clock is moved
   * on a minute. A stream a scenario stalls or drops on purpose is left out of the judgement.
   */
  async function sendThroughPrism(request: Request, world: World): Promise<Response> {
    const url = new URL(request.url)
    const routed = standin.api.router.match(request.method, url.pathname)
    if (routed && 'match' in routed && redirecting().has(routed.match.operation.id)) {
      const direct = await fetch(new Request(server.url + url.pathname + url.search, request), { redirect: 'manual' })
      await direct.arrayBuffer()
      return new Response(null, { status: 204, headers: { [EXCLUDED]: 'a redirecting operation: Prism would follow its Location off loopback' } })
    }
    if (!(request.headers.get('accept') ?? '').includes(EVENT_STREAM)) return fetch(request)
    const before = world.journal.all().length
    const local = new AbortController()
    let settled = false
    const pending = fetch(request, { signal: AbortSignal.any([request.signal, local.signal]) }).finally(() => { settled = true })
    while (!settled && world.journal.all().length === before) await new Promise((resolve) => setTimeout(resolve, 1))
    if (settled) return pending
    world.advance(60_000)
    const outcome = world.journal.all().at(-1)?.stream?.outcome
    if (outcome === 'stalled' || outcome === 'dropped') {
      local.abort()
      await pending.catch(() => {})
      return new Response(null, { status: 204, headers: { [EXCLUDED]: `the stream was ${outcome} on purpose by a scenario` } })
    }
    return pending
  }

  /**
   * How many requests of this world standin answered by dropping the connection since the last call
   * (scenarios run side by side: per world). Reads only the entries journalled since, not the whole
   * journal on every answer.
   */
  function droppedCounter(world: World): () => number {
    let seen = world.journal.all().length
    return () => {
      const entries = world.journal.all()
      let dropped = 0
      for (; seen < entries.length; seen++) if (entries[seen]!.status === 0) dropped++
      return dropped
    }
  }

  /**
   * Replays a request Prism would not forward to the strict standin (same scenarios, worlds of its
   * own, so the traffic under judgement is not disturbed), which must refuse it too: a 4xx, and a
   * journalled violation when Prism found the request breaks the spec.
   */
  async function sameVerdictDirect(r: CaseResult, prismSaid: string, at: string, scenario: string): Promise<string[]> {
    const world = strict.worlds.home(scenario)
    const before = world.violations('request').length
    const sent = r.sent!
    const res = await strict.handle(new Request(`http://standin.referee${sent.path}`, { method: sent.method, headers: sent.headers, body: sent.body }))
    await res.arrayBuffer()
    const journalled = world.violations('request').length - before
    const why = `Prism: ${r.body?.slice(0, 400)}`
    if (prismSaid === 'UNAUTHORIZED') return res.status === 401 || res.status === 403 ? [] : [`${at}: Prism found no credentials, standin answered ${res.status} (${why})`]
    if (res.status < 400 || res.status >= 500) return [`${at}: Prism found the request breaks the spec, strict standin answered ${res.status} (${why})`]
    return journalled > 0 ? [] : [`${at}: Prism found the request breaks the spec, standin journalled no violation (${why})`]
  }
})

function scenarioNames(_spec: string, dir: string): string[] {
  // The scenario files of the folder, as standin names them (file name without extension).
  return readdirSync(dir).filter((f) => /\.ya?ml$|\.json$/i.test(f) && !f.endsWith('.schema.json')).map((f) => f.replace(/\.(ya?ml|json)$/i, '')).sort()
}

