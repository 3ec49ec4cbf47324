/**
 * The three systems a run compares, how each is started on loopback, and what each workload asks of
 * it. standin runs its own CLI (the node:http door) with the bench scenario; Prism runs `prism mock`
 * on the same spec; the bare server answers fixed bodies. Each is a child process of its own, so the
 * load generator (this process) never shares a thread with the server it measures.
 */
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { readFileSync } from 'node:fs'
import { freePort, start, until, type Child } from './processes.ts'
import type { RequestShape } from './load.ts'

export const SPEC = 'spec/browser-sessions.yaml'
export const SCENARIOS = 'scenarios/browser-sessions'
/** From scenarios/browser-sessions/bench.yaml. */
export const BENCH_KEY = 'bsk_bench_1'
export const READ_SESSION = 'sess_bench0000000000000000001'
export const LIMITED_SESSION = 'sess_bench0000000000000000002'
/** The V8 flags standin runs with in this repo (package.json's start and standin scripts; NODE_OPTIONS for the installed command). */
export const STANDIN_NODE_FLAGS = ['--max-semi-space-size=8']
/** standin as `npm start` and the `standin` command run it. */
export const STANDIN_COMMAND = [...STANDIN_NODE_FLAGS, 'bin/standin.mjs', 'serve', SPEC, '--scenarios', SCENARIOS]

export type SystemName = 'standin' | 'prism' | 'bare' | 'bare-coalesced'
export type WorkloadName = 'get' | 'create' | 'limit'

export const WORKLOADS: Record<WorkloadName, string> = {
  get: 'GET an existing session',
  create: 'POST a session (validated, stored)',
  limit: 'request refused by a limit (429)',
}

export interface System {
  name: SystemName
  url: string
  child: Child
  /** What each workload sends to this system. */
  shapes: Record<WorkloadName, RequestShape>
  /** How the 429 is reached, for the report. */
  limitNote: string
}

const auth = { authorization: `Bearer ${BENCH_KEY}` }
const json = { ...auth, 'content-type': 'application/json' }

/** The same requests for every system, but for how each produces a 429. */
function shapes(limit: RequestShape): Record<WorkloadName, RequestShape> {
  return {
    get: { method: 'GET', path: `/v1/sessions/${READ_SESSION}`, headers: auth, expect: 200 },
    create: { method: 'POST', path: '/v1/sessions', headers: json, body: '{"ttl":120}', expect: 201 },
    limit,
  }
}

const limitPath = `/v1/sessions/${LIMITED_SESSION}/preview-token`

export async function startStandin(): Promise<System> {
  const child = start('standin', process.execPath, [...STANDIN_COMMAND, '--port', '0'])
  const url = (await child.waitFor(/serving .* on (http:\/\/\S+)/, 30_000))[1]!
  return {
    name: 'standin', url, child,
    shapes: shapes({ method: 'POST', path: limitPath, headers: auth, expect: 429 }),
    limitNote: 'preview tokens of one session past its 10-per-minute rate limit (natural state, limits stage)',
  }
}

export function prismEntry(): { file: string; version: string } {
  const require = createRequire(import.meta.url)
  const manifest = require.resolve('@stoplight/prism-cli/package.json')
  const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string; bin: string | Record<string, string> }
  const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin.prism!
  return { file: join(dirname(manifest), bin), version: pkg.version }
}

/** Prism's flags: static mock, logging at `error` — its fastest setting measured here (PRISM-NOTES.md). */
export const PRISM_FLAGS = ['-v', 'error']

export async function startPrism(port?: number): Promise<System> {
  port ??= await freePort()
  const child = start('prism', process.execPath, [prismEntry().file, 'mock', SPEC, '-h', '127.0.0.1', '-p', String(port), ...PRISM_FLAGS])
  const url = `http://127.0.0.1:${port}`
  await until(() => ok(url), 60_000, 'prism')
  return {
    name: 'prism', url, child,
    shapes: shapes({ method: 'POST', path: limitPath, headers: { ...auth, prefer: 'code=429' }, expect: 429 }),
    limitNote: 'the same request with `Prefer: code=429` (Prism has no state, so no natural limit)',
  }
}

/** The bare server; `coalesced`, writing its answers as standin's door does (see bench/servers/bare.ts). */
export async function startBare(coalesced = false): Promise<System> {
  const name = coalesced ? 'bare-coalesced' : 'bare'
  const child = start(name, process.execPath, ['bench/servers/bare.ts', '0', ...(coalesced ? ['--coalesce'] : [])])
  const url = (await child.waitFor(/listening on (http:\/\/\S+)/, 30_000))[1]!
  return {
    name, url, child,
    shapes: shapes({ method: 'POST', path: limitPath, headers: auth, expect: 429 }),
    limitNote: 'a fixed 429 body',
  }
}

/** A GET of the read session answers 200. */
export async function ok(base: string): Promise<boolean> {
  const res = await fetch(`${base}/v1/sessions/${READ_SESSION}`, { headers: auth })
  await res.arrayBuffer()
  return res.status === 200
}
