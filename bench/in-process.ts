/**
 * In-process: the per-request cost of standin's msw handlers under `setupServer` (msw/node), against
 * a bare msw handler answering a fixed body, in one process of its own (msw patches globals).
 *
 *   node bench/in-process.ts [rounds] [requests-per-round]
 *
 * Requests are sequential `fetch` calls intercepted by msw, each body read to the end. The two
 * handler sets take turns on one msw server (resetHandlers), round by round, so machine noise
 * falls on both alike; the result is the median microseconds per request over the rounds. The core
 * called directly (no msw) is reported too. Prints one JSON line.
 */
import { setupServer } from 'msw/node'
import { http, HttpResponse, type RequestHandler } from 'msw'
import { createStandin } from '../src/index.ts'
import { handlersFor } from '../src/adapters/msw.ts'
import { median, sig } from './lib/stats.ts'

const BASE = 'https://api.browser-sessions.example'
const KEY = 'bsk_bench_1'
const SESSION = 'sess_bench0000000000000000001'

const rounds = Number(process.argv[2] ?? 7)
const perRound = Number(process.argv[3] ?? 500)

const standin = await createStandin({ spec: 'spec/browser-sessions.yaml', scenarios: 'scenarios/browser-sessions', baseUrl: BASE, clock: 'real' })

// What standin answers, served as fixed bodies by the bare handlers.
const sessionBody = await (await standin.handle(getRequest())).json()
const createdBody = await (await standin.handle(createRequest())).json()

const bare: RequestHandler[] = [
  http.get(`${BASE}/v1/sessions/:id`, () => HttpResponse.json(sessionBody)),
  http.post(`${BASE}/v1/sessions`, async ({ request }) => {
    await request.text()
    return HttpResponse.json(createdBody, { status: 201 })
  }),
]
const ours = handlersFor(standin)

function getRequest(): Request {
  return new Request(`${BASE}/v1/sessions/${SESSION}`, { headers: { authorization: `Bearer ${KEY}` } })
}
function createRequest(): Request {
  return new Request(`${BASE}/v1/sessions`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: '{"ttl":120}' })
}

const workloads = {
  get: { make: getRequest, expect: 200 },
  create: { make: createRequest, expect: 201 },
}

async function round(send: (request: Request) => Promise<Response>, make: () => Request, expect: number): Promise<number> {
  const t0 = performance.now()
  for (let i = 0; i < perRound; i++) {
    const res = await send(make())
    await res.arrayBuffer()
    if (res.status !== expect) throw new Error(`expected ${expect}, got ${res.status}`)
  }
  return ((performance.now() - t0) * 1000) / perRound
}

const server = setupServer(...ours)
server.listen({ onUnhandledFrame: 'error' })
const viaFetch = (request: Request) => fetch(request)
const direct = (request: Request) => standin.handle(request)
const results: Record<string, object> = {}
try {
  for (const [name, w] of Object.entries(workloads)) {
    const times = { standin: [] as number[], bare: [] as number[], core: [] as number[] }
    // Warm-up: the JIT, for each.
    server.resetHandlers(...ours); await round(viaFetch, w.make, w.expect)
    server.resetHandlers(...bare); await round(viaFetch, w.make, w.expect)
    await round(direct, w.make, w.expect)
    for (let r = 0; r < rounds; r++) {
      server.resetHandlers(...ours)
      times.standin.push(await round(viaFetch, w.make, w.expect))
      server.resetHandlers(...bare)
      times.bare.push(await round(viaFetch, w.make, w.expect))
      times.core.push(await round(direct, w.make, w.expect))
    }
    const standinUs = median(times.standin)
    const bareUs = median(times.bare)
    results[name] = { standinUs: sig(standinUs), bareUs: sig(bareUs), ratio: sig(standinUs / bareUs), coreUs: sig(median(times.core)) }
  }
} finally {
  server.close()
}
console.log(JSON.stringify({ rounds, requestsPerRound: perRound, ...results }))
