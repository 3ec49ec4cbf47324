/**
 * Scale: one world holding many sessions, in a process of its own.
 *
 *   node --expose-gc bench/scale.ts memory <records>       resident memory with one world of <records> sessions
 *                                                          (after a regular full GC, and after a last-resort one)
 *   node --expose-gc bench/scale.ts cost <small> <large>   per-request cost of a GET and a create at both sizes
 *
 * Requests go through the core (`standin.handle`, Request in, Response out — every stage of the
 * pipeline, no socket), so what is timed is standin's own work on state. Both worlds live in the
 * same process and are measured in alternating rounds, so machine noise falls on both alike. A
 * create passes the concurrency cap check (the scenario lifts the cap, so the check counts sessions
 * and lets the create through). Prints one JSON line.
 */
import { createStandin, type Standin } from '../src/index.ts'
import { getHeapSpaceStatistics } from 'node:v8'
import { median, sig } from './lib/stats.ts'

const SPEC = 'spec/browser-sessions.yaml'

/**
 * A scenario with one tenant and `n` sessions: every other one ready, the rest closed. Parsed from
 * JSON text, as a scenario read from a file is (flat strings); the text is written into a buffer
 * rather than built from 100,000 objects first, which would grow V8's young generation before
 * standin has built anything and count that against it.
 */
export function scaleScenario(name: string, n: number, token: string): Record<string, unknown> {
  const head = JSON.stringify({
    name,
    limits: { 'session-creations': 1_000_000_000, 'concurrent-sessions': 1_000_000_000 },
    tenants: [{ id: `ws_${name}`, balance: 1_000_000, keys: [{ token }], records: { session: [] } }],
  })
  const cut = head.lastIndexOf('[]') + 1
  // A session's JSON is under 80 bytes.
  const text = Buffer.alloc(Buffer.byteLength(head) + n * 80)
  let at = text.write(head.slice(0, cut), 0)
  for (let i = 0; i < n; i++) {
    at += text.write(`${i > 0 ? ',' : ''}{"id":"${sessionId(name, i)}","status":"${i % 2 === 0 ? 'ready' : 'closed'}","ttl":3600}`, at)
  }
  at += text.write(head.slice(cut), at)
  return JSON.parse(text.toString('utf8', 0, at))
}

function sessionId(name: string, i: number): string {
  // The spec's id format: sess_ and 24 letters or digits.
  return `sess_${name.replace(/[^A-Za-z0-9]/g, '').slice(0, 8).padEnd(8, 'x')}${String(i).padStart(16, '0')}`
}

type Gc = (options?: { type: 'major'; execution: 'sync'; flavor: 'regular' | 'last-resort' }) => void

/**
 * Memory after a full GC. A `last-resort` GC also gives back what V8 keeps committed but empty
 * (chiefly a young generation grown while loading): what the data itself needs, where the regular
 * figure is what a process shows in `top`.
 */
function gcAndMeasure(flavor: 'regular' | 'last-resort' = 'regular'): { rssMB: number; heapMB: number; youngMB: number } {
  const gc = (globalThis as { gc?: Gc }).gc
  if (!gc) throw new Error('run with --expose-gc')
  gc({ type: 'major', execution: 'sync', flavor }); gc({ type: 'major', execution: 'sync', flavor })
  const m = process.memoryUsage()
  // The young generation's reserved size (both semi-spaces), empty after a full GC but resident:
  // V8 grows it while much of what is allocated survives, as when a world is built.
  const young = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0
  return { rssMB: sig(m.rss / 2 ** 20), heapMB: sig(m.heapUsed / 2 ** 20), youngMB: sig(young / 2 ** 20) }
}

async function build(name: string, n: number): Promise<{ standin: Standin; token: string; ids: string[]; buildMs: number }> {
  const token = `bsk_${name}_1`
  const scenario = scaleScenario(name, n, token)
  const t0 = performance.now()
  const standin = await createStandin({ spec: SPEC, scenarios: [scenario], clock: 'real' })
  const buildMs = performance.now() - t0
  // Ready sessions, spread over the whole collection.
  const ids: string[] = []
  for (let i = 0; i < 1000; i++) ids.push(sessionId(name, (Math.floor((i * n) / 1000) & ~1) % n))
  return { standin, token, ids, buildMs }
}

async function memory(n: number): Promise<object> {
  const before = gcAndMeasure()
  const { standin, buildMs } = await build(`m${n}`, n)
  const after = gcAndMeasure()
  const settled = gcAndMeasure('last-resort')
  return { records: standin.home(`m${n}`).state('session').length, buildMs: Math.round(buildMs), before, after, settled }
}

/** Microseconds per request for `ops` sequential requests. */
async function round(standin: Standin, make: (i: number) => Request, expect: number, ops: number): Promise<number> {
  const t0 = performance.now()
  for (let i = 0; i < ops; i++) {
    const res = await standin.handle(make(i))
    await res.arrayBuffer()
    if (res.status !== expect) throw new Error(`expected ${expect}, got ${res.status}`)
  }
  return ((performance.now() - t0) * 1000) / ops
}

async function cost(small: number, large: number, rounds = 9, ops = 2000): Promise<object> {
  const worlds = [await build(`s${small}`, small), await build(`l${large}`, large)]
  const base = 'https://api.browser-sessions.example'
  const get = (w: (typeof worlds)[number]) => (i: number) => new Request(`${base}/v1/sessions/${w.ids[i % w.ids.length]}`, { headers: { authorization: `Bearer ${w.token}` } })
  const create = (w: (typeof worlds)[number]) => () => new Request(`${base}/v1/sessions`, { method: 'POST', headers: { authorization: `Bearer ${w.token}`, 'content-type': 'application/json' }, body: '{"ttl":120}' })
  const times = worlds.map(() => ({ get: [] as number[], create: [] as number[] }))
  // Warm-up: the JIT, on both worlds.
  for (const w of worlds) { await round(w.standin, get(w), 200, ops); await round(w.standin, create(w), 201, 200) }
  for (let r = 0; r < rounds; r++) {
    for (const [i, w] of worlds.entries()) {
      times[i]!.get.push(await round(w.standin, get(w), 200, ops))
      // Fewer creates than reads: each one adds a record, and the sizes should stay what they say.
      times[i]!.create.push(await round(w.standin, create(w), 201, ops / 4))
    }
  }
  const sizes = worlds.map((w, i) => ({
    recordsAtStart: i === 0 ? small : large,
    recordsAtEnd: w.standin.home(i === 0 ? `s${small}` : `l${large}`).state('session').length,
    getUs: sig(median(times[i]!.get)),
    createUs: sig(median(times[i]!.create)),
  }))
  return { rounds, getOpsPerRound: ops, createOpsPerRound: ops / 4, small: sizes[0], large: sizes[1] }
}

const [mode, a, b] = import.meta.main ? process.argv.slice(2) : []
if (mode === 'memory') console.log(JSON.stringify(await memory(Number(a))))
else if (mode === 'cost') console.log(JSON.stringify(await cost(Number(a), Number(b))))
else if (mode !== undefined) {
  console.error('usage: scale.ts memory <records> | cost <small> <large>')
  process.exitCode = 2
}
