/**
 * The big-spec section of `npm run bench` (`--only big-spec`): GitHub's published description (npm
 * `@octokit/openapi`, 13 MB, and its dereferenced variant, 73 MB), standin beside Prism on the same
 * document in the same run. For each document and each of the two:
 *
 * - cold start: a fresh NODE_COMPILE_CACHE folder, so Node's compile cache and standin's disk cache
 *   (kept in that folder, src/util/disk-cache.ts) are both empty; spawn to the first answer of
 *   `GET /repos/octocat/Hello-World`, polled every 10 ms;
 * - resident memory (VmRSS, and the peak VmHWM) and the CPU time the server used (user + system,
 *   steadier than wall time on a shared machine), right after that first answer;
 * - operations asked for the first time: five requests no start of this run has sent before (four
 *   GETs and a POST with a body), each timed alone, then once more (compiled by then);
 * - warm start: the same again with the folder the cold start filled, and five other operations.
 *
 * A start that takes longer than three minutes, or a server that exits, is recorded as such with
 * the end of its output; every process is stopped when its start is measured.
 */
import { createRequire } from 'node:module'
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { send, type Probe } from './lib/first-answer.ts'
import { memoryOf } from './lib/memory.ts'
import { cpuOf } from './lib/load.ts'
import { PEERS, describeCommand, serveAndAsk, type Peer } from './lib/spec-servers.ts'
import { prismEntry } from './lib/systems.ts'
import { median } from './lib/stats.ts'
import { num, ratio, type Row } from './lib/table.ts'

const START_TIMEOUT_MS = 180_000
const REQUEST_TIMEOUT_MS = 60_000

export const BIG_DOCUMENTS = { plain: 'generated/api.github.com.json', deref: 'generated/api.github.com.deref.json' } as const
type DocumentName = keyof typeof BIG_DOCUMENTS

/** A request and the operation it is for (method and path template, checked against the document). */
interface Ask extends Probe { operation: string }

const REPO = '/repos/octocat/Hello-World'
const JSON_BODY = { 'content-type': 'application/json', accept: 'application/json' }
const get = (operation: string, path: string): Ask => ({ operation: `GET ${operation}`, method: 'GET', path, headers: { accept: 'application/json' } })
const post = (operation: string, path: string, body: unknown): Ask => ({ operation: `POST ${operation}`, method: 'POST', path, headers: JSON_BODY, body: JSON.stringify(body) })

/** What every start waits for. No security scheme is declared, so no credentials. */
const PROBE = get('/repos/{owner}/{repo}', REPO)

/** Asked after a start, one each: a different five for the cold and the warm start, so none was asked before in the run. */
const FIRST_ASKED: Record<'cold' | 'warm', Ask[]> = {
  cold: [
    get('/users/{username}', '/users/octocat'),
    get('/repos/{owner}/{repo}/issues', `${REPO}/issues`),
    get('/orgs/{org}', '/orgs/github'),
    get('/repos/{owner}/{repo}/pulls/{pull_number}', `${REPO}/pulls/1347`),
    post('/repos/{owner}/{repo}/issues', `${REPO}/issues`, { title: 'Found a bug', body: 'I\'m having a problem with this.', labels: ['bug'] }),
  ],
  warm: [
    get('/repos/{owner}/{repo}/releases', `${REPO}/releases`),
    get('/repos/{owner}/{repo}/commits', `${REPO}/commits`),
    get('/users/{username}/repos', '/users/octocat/repos'),
    get('/repos/{owner}/{repo}/issues/{issue_number}/comments', `${REPO}/issues/1347/comments`),
    post('/user/repos', '/user/repos', { name: 'Hello-World', description: 'This is your first repo!', private: false }),
  ],
}

interface Asked { operation: string; status?: number; ms?: number; againMs?: number; failure?: string }

export interface StartResult {
  /** Spawn to the first answer, ms; absent when there was none. */
  ms?: number
  status?: number
  /** CPU time (user + system, all threads) the server used until then: steadier than `ms` on a busy machine. */
  cpuMs?: number
  failure?: string
  /** The end of the server's output, when it failed. */
  output?: string
  memory?: { rssMB: number; peakMB: number }
  asked: Asked[]
  /** Median of the first requests to operations not asked before. */
  firstRequestMs?: number
  memoryAfterAsking?: { rssMB: number; peakMB: number }
  /** standin's disk cache once the server stopped: entries and MB. */
  diskCache?: { entries: number; MB: number }
}

type PeerResult = { cold: StartResult; warm: StartResult }
export interface BigSpecResult {
  what: string
  package: string
  documents: Record<DocumentName, { file: string; MB: number; standin: PeerResult; prism: PeerResult }>
  commands: Record<Peer, string>
}

function packageDir(): { dir: string; version: string } {
  const manifest = createRequire(import.meta.url).resolve('@octokit/openapi/package.json')
  return { dir: dirname(manifest), version: (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version }
}

/** Every request is for an operation the document has: a newer @octokit/openapi that drops one fails here, not in a table. */
function checkOperations(file: string): void {
  const doc = JSON.parse(readFileSync(file, 'utf8')) as { paths: Record<string, Record<string, unknown>> }
  for (const ask of [PROBE, ...FIRST_ASKED.cold, ...FIRST_ASKED.warm]) {
    const [method, path] = ask.operation.split(' ') as [string, string]
    if (!doc.paths[path]?.[method.toLowerCase()]) throw new Error(`big-spec: ${file} has no operation ${ask.operation}; update bench/big-spec.ts`)
  }
}

export async function bigSpec(progress: (line: string) => void): Promise<BigSpecResult> {
  const pkg = packageDir()
  const files = Object.fromEntries(Object.entries(BIG_DOCUMENTS).map(([name, file]) => [name, relative(process.cwd(), join(pkg.dir, file))])) as Record<DocumentName, string>
  checkOperations(files.plain)
  const documents = {} as BigSpecResult['documents']
  for (const name of Object.keys(files) as DocumentName[]) {
    const file = files[name]
    const peers = {} as Record<Peer, PeerResult>
    for (const peer of PEERS) {
      const cache = mkdtempSync(join(tmpdir(), 'standin-bench-big-'))
      // Also when the run is interrupted (processes.ts stops the servers and exits).
      const remove = () => rmSync(cache, { recursive: true, force: true })
      process.once('exit', remove)
      try {
        const cold = await startOnce(peer, file, cache, FIRST_ASKED.cold)
        progress(`big-spec ${name} ${peer} cold: ${summary(cold)}`)
        const warm = await startOnce(peer, file, cache, FIRST_ASKED.warm)
        progress(`big-spec ${name} ${peer} warm: ${summary(warm)}`)
        peers[peer] = { cold, warm }
      } finally {
        remove()
        process.off('exit', remove)
      }
    }
    documents[name] = { file, MB: Math.round(statSync(file).size / 1e6), ...peers }
  }
  return {
    what: 'GitHub\'s published description, plain and dereferenced; per peer a cold start (fresh NODE_COMPILE_CACHE: Node\'s compile cache and standin\'s disk cache empty) and a warm one (the folder the cold start filled): ms from spawn to the first answer of GET /repos/octocat/Hello-World (polled every 10 ms, 180 s cap), the server CPU time (user + system), VmRSS and VmHWM then, and five operations asked for the first time after each start (median; each then asked again)',
    package: `@octokit/openapi ${pkg.version}`,
    documents,
    commands: { standin: describeCommand('standin'), prism: `${describeCommand('prism')} (Prism ${prismEntry().version})` },
  }
}

async function startOnce(peer: Peer, file: string, cache: string, asks: Ask[]): Promise<StartResult> {
  const result = await measure(peer, file, cache, asks)
  // After the server stopped: standin also saves what it compiled when it stops.
  return { ...result, diskCache: diskCache(peer, cache) }
}

async function measure(peer: Peer, file: string, cache: string, asks: Ask[]): Promise<StartResult> {
  const env = { ...process.env, NODE_COMPILE_CACHE: cache }
  const { child, url, started } = await serveAndAsk(peer, file, PROBE, { env, timeoutMs: START_TIMEOUT_MS })
  try {
    if (!started.ok) return { failure: started.failure, output: lastLines(started.output, 12), asked: [] }
    const memory = memoryOf(child.process.pid)
    const cpu = cpuOf(child.process.pid)
    const asked: Asked[] = []
    for (const ask of asks) {
      try {
        const first = await send(url, ask, REQUEST_TIMEOUT_MS)
        const again = await send(url, ask, REQUEST_TIMEOUT_MS)
        asked.push({ operation: ask.operation, status: first.status, ms: tenth(first.ms), againMs: tenth(again.ms) })
      } catch (error) {
        asked.push({ operation: ask.operation, failure: (error as Error).message })
      }
    }
    const answered = asked.filter((a) => a.ms !== undefined).map((a) => a.ms!)
    return {
      ms: Math.round(started.ms),
      status: started.answer.status,
      cpuMs: cpu === undefined ? undefined : Math.round(cpu / 1000),
      memory,
      asked,
      firstRequestMs: answered.length === asks.length ? tenth(median(answered)) : undefined,
      memoryAfterAsking: memoryOf(child.process.pid),
    }
  } finally {
    await child.stop()
  }
}

/** The last `n` whole lines of a process's output (its tail may start mid-line). */
function lastLines(output: string, n: number): string {
  return output.split('\n').slice(1).slice(-n).join('\n')
}

function tenth(ms: number): number {
  return Math.round(ms * 10) / 10
}

/** standin keeps its entries in a `standin` folder in Node's compile cache folder (src/util/disk-cache.ts), one per Node version under NODE_COMPILE_CACHE. */
function diskCache(peer: Peer, cache: string): StartResult['diskCache'] {
  if (peer !== 'standin') return undefined
  const found = { entries: 0, MB: 0 }
  for (const dir of [join(cache, 'standin'), ...readdirSync(cache).map((name) => join(cache, name, 'standin'))]) {
    try {
      const names = readdirSync(dir)
      found.entries += names.length
      found.MB += names.reduce((n, name) => n + statSync(join(dir, name)).size, 0) / 1e6
    } catch {
      // Not there.
    }
  }
  return { entries: found.entries, MB: Math.round(found.MB * 10) / 10 }
}

function summary(r: StartResult): string {
  if (r.ms === undefined) return `${r.failure}: ${lastLine(r.output)}`
  const bad = r.asked.filter((a) => a.status === undefined || a.status >= 500)
  return `${r.ms} ms to ${r.status} (CPU ${r.cpuMs ?? '?'} ms), RSS ${r.memory?.rssMB ?? '?'} MB, first requests ${r.asked.map((a) => a.ms ?? 'failed').join(' / ')} ms${bad.length ? ` (${bad.length} failed or 5xx)` : ''}${r.diskCache ? `; disk cache ${r.diskCache.entries} entries, ${r.diskCache.MB} MB` : ''}`
}

function lastLine(output: string | undefined): string {
  const lines = (output ?? '').trim().split('\n').filter((l) => l.trim())
  return (lines.find((l) => /problem|error|cannot/i.test(l)) ?? lines.at(-1) ?? '(no output)').slice(0, 300)
}

// ---------------------------------------------------------------- targets and tables

interface Target { name: string; want: string; got: string; met: boolean | undefined }

/** Answered without a 5xx: a start that answered 500 did not start in any sense a client cares about. */
function answered(r: StartResult | undefined): r is StartResult & { ms: number } {
  return r?.ms !== undefined && (r.status ?? 500) < 500
}

const seconds = (ms: number) => `${num(ms / 1000)} s`

export function bigSpecTargets(b: BigSpecResult | undefined): Target[] {
  const list: Target[] = []
  const add = (name: string, want: string, r: StartResult | undefined, value: (r: StartResult & { ms: number }) => number | undefined, met: (v: number) => boolean, show: (v: number) => string) => {
    if (!b || !r) return void list.push({ name, want, got: 'not measured', met: undefined })
    if (!answered(r)) return void list.push({ name, want, got: r.failure ?? `answered ${r.status}`, met: false })
    const v = value(r)
    list.push({ name, want, got: v === undefined ? 'not measured' : show(v), met: v === undefined ? false : met(v) })
  }
  const d = b?.documents
  add('big spec (GitHub, 13 MB): cold start', '≤ 2 s', d?.plain.standin.cold, (r) => r.ms, (v) => v <= 2000, seconds)
  const prismDeref = d?.deref.prism.cold
  add('big spec (GitHub deref, 73 MB): cold start ÷ Prism\'s', '≤ 0.5×', d?.deref.standin.cold, (r) => (answered(prismDeref) ? r.ms / prismDeref.ms : undefined), (v) => v <= 0.5, ratio)
  add('big spec (GitHub): RSS after start', '≤ 250 MB', d?.plain.standin.cold, (r) => r.memory?.rssMB, (v) => v <= 250, (v) => `${v} MB`)
  add('big spec (GitHub deref): RSS after start', '≤ 500 MB', d?.deref.standin.cold, (r) => r.memory?.rssMB, (v) => v <= 500, (v) => `${v} MB`)
  add('big spec (GitHub): warm start', '≤ 1 s', d?.plain.standin.warm, (r) => r.ms, (v) => v <= 1000, seconds)
  add('big spec (GitHub deref): warm start', '≤ 1 s', d?.deref.standin.warm, (r) => r.ms, (v) => v <= 1000, seconds)
  for (const doc of ['plain', 'deref'] as const) {
    for (const start of ['cold', 'warm'] as const) {
      const name = `big spec (GitHub${doc === 'deref' ? ' deref' : ''}): first request to an uncompiled operation, after a ${start} start (median of 5)`
      const r = d?.[doc].standin[start]
      const bad = r?.asked.filter((a) => a.status === undefined || a.status >= 500).length ?? 0
      if (bad > 0) list.push({ name, want: '≤ 50 ms, no 5xx', got: `${bad} of ${r!.asked.length} failed or 5xx`, met: false })
      else add(name, '≤ 50 ms, no 5xx', r, (x) => x.firstRequestMs, (v) => v <= 50, (v) => `${num(v, 1)} ms`)
    }
  }
  return list
}

/** One row per document, start and peer, for the report. */
export function bigSpecRows(b: BigSpecResult): Row[] {
  const rows: Row[] = []
  for (const [name, d] of Object.entries(b.documents)) {
    for (const start of ['cold', 'warm'] as const) {
      for (const peer of PEERS) {
        const r = d[peer][start]
        const label = `${name === 'deref' ? 'deref' : 'plain'} ${d.MB} MB, ${start}, ${peer}`
        if (r.ms === undefined) {
          rows.push([label, r.failure ?? 'failed', '', '', '', '', ''])
          continue
        }
        const firsts = r.asked.map((a) => (a.ms === undefined ? 'failed' : a.status !== undefined && a.status >= 500 ? `${a.status}!` : num(a.ms, 0))).join(' / ')
        const again = median(r.asked.filter((a) => a.againMs !== undefined).map((a) => a.againMs!))
        rows.push([label, `${seconds(r.ms)} → ${r.status}`, r.cpuMs === undefined ? '–' : seconds(r.cpuMs), `${r.memory?.rssMB ?? '–'} MB (peak ${r.memory?.peakMB ?? '–'})`, r.firstRequestMs === undefined ? 'failed' : `${num(r.firstRequestMs, 1)} ms`, firsts, `${num(again, 1)} ms`])
      }
    }
  }
  return rows
}

export const BIG_SPEC_HEADER = ['big spec (GitHub)', 'start → first answer', 'server CPU to it', 'RSS after start', 'first request, uncompiled (median)', 'each (ms)', 'asked again (median)']
