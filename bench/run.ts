/**
 * standin's benchmarks, side by side with Prism and a bare node:http server, in one run.
 *
 *   npm run bench                                   everything (about ten minutes, half of it big-spec)
 *   npm run bench -- --duration 3 --rounds 2        shorter measurements
 *   npm run bench -- --only throughput,cold         some sections (the others keep their last results)
 *   npm run bench -- --markdown                     also print the tables as Markdown
 *
 * Sections: throughput (GET, create, 429 against each system), cold (process start to first
 * answer), scale (100,000 sessions in one world), inprocess (msw handlers), store (MemoryStore
 * against @msw/data), big-spec (GitHub's published description, plain and dereferenced: cold and
 * warm start, memory, first requests; bench/big-spec.ts). The corpus run is a script of its own
 * (`npm run bench:corpus`, bench/corpus.ts). Results go to bench/results.json; every section records the machine and its
 * load average, since the machine may be shared. Ratios are taken between runs made back to back
 * in the same round, so a slow minute slows both sides of a ratio.
 */
import { parseArgs } from 'node:util'
import { readFileSync, writeFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { drive, type LoadResult } from './lib/load.ts'
import { start, stopAll, freePort, until } from './lib/processes.ts'
import { machine, load, type Machine } from './lib/machine.ts'
import { median, sig } from './lib/stats.ts'
import { BIG_SPEC_HEADER, bigSpec, bigSpecRows, bigSpecTargets } from './big-spec.ts'
import { markdown as mdTable, num, ratio, text, type Row } from './lib/table.ts'
import {
  PRISM_FLAGS, SCENARIOS, SPEC, STANDIN_COMMAND, STANDIN_NODE_FLAGS, WORKLOADS, ok, prismEntry, startBare, startPrism, startStandin,
  type System, type SystemName, type WorkloadName,
} from './lib/systems.ts'

const SECTIONS = ['throughput', 'cold', 'scale', 'inprocess', 'store', 'big-spec'] as const
type Section = (typeof SECTIONS)[number]
const RESULTS = 'bench/results.json'
const CONNECTIONS = 10

interface Settings { duration: number; rounds: number; warmup: number; coldRuns: number; sections: Section[]; markdown: boolean }

function settings(): Settings {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '5' },
      rounds: { type: 'string', default: '3' },
      only: { type: 'string' },
      markdown: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  if (values.help) {
    console.log(readFileSync(new URL(import.meta.url), 'utf8').split('*/')[0])
    process.exit(0)
  }
  const duration = Number(values.duration)
  const rounds = Number(values.rounds)
  if (!(duration >= 1 && duration <= 600) || !Number.isInteger(rounds) || rounds < 1 || rounds > 20) {
    console.error('bench: --duration is seconds per measurement (1–600), --rounds a whole number (1–20)')
    process.exit(2)
  }
  const sections = values.only ? values.only.split(',').map((s) => s.trim()) : [...SECTIONS]
  const unknown = sections.filter((s) => !(SECTIONS as readonly string[]).includes(s))
  if (unknown.length > 0) {
    console.error(`bench: unknown section(s) ${unknown.join(', ')}; sections are ${SECTIONS.join(', ')}`)
    process.exit(2)
  }
  return { duration, rounds, warmup: Math.min(2, duration), coldRuns: 5, sections: sections as Section[], markdown: values.markdown }
}

interface Stamp { at: string; machine: Machine; load: { before: number; after: number } }

async function stamped<T extends object>(body: () => Promise<T>): Promise<T & Stamp> {
  const before = load()
  const at = new Date().toISOString()
  const result = await body()
  return { ...result, at, machine: machine(), load: { before, after: load() } }
}

// ---------------------------------------------------------------- throughput

interface Measured { rps: number; p50: number; p99: number; serverCpuUs?: number; bytesPerResponse: number; unexpected: number; statuses: Record<string, number> }
interface WorkloadResult {
  title: string
  systems: Record<SystemName, Measured & { rounds: LoadResult[]; request: string }>
  /** Medians of the ratios taken round by round. */
  ratios: { rpsVsPrism: number; rpsVsBare: number; rpsVsBareCoalesced: number }
}

async function throughput(s: Settings) {
  const systems: System[] = []
  try {
    // One at a time: starting Prism is CPU-heavy and should not overlap anything measured.
    systems.push(await startStandin(), await startPrism(), await startBare(), await startBare(true))
    const workloads: Partial<Record<WorkloadName, WorkloadResult>> = {}
    for (const name of Object.keys(WORKLOADS) as WorkloadName[]) {
      const rounds = new Map<SystemName, LoadResult[]>(systems.map((sys) => [sys.name, []]))
      for (const sys of systems) {
        await drive(sys.url, sys.shapes[name], { connections: CONNECTIONS, seconds: s.warmup, pid: sys.child.process.pid })
      }
      for (let r = 0; r < s.rounds; r++) {
        // A different system goes first each round: none always gets the quiet start.
        const order = systems.map((_, i) => systems[(i + r) % systems.length]!)
        for (const sys of order) {
          const result = await drive(sys.url, sys.shapes[name], { connections: CONNECTIONS, seconds: s.duration, pid: sys.child.process.pid })
          rounds.get(sys.name)!.push(result)
          progress(`${name} round ${r + 1}/${s.rounds} ${sys.name}: ${num(result.rps)} rps, p99 ${num(result.p99)} ms, server CPU ${num(result.serverCpuUs, 0)} µs/request${result.unexpected ? `, ${result.unexpected} unexpected` : ''}`)
        }
      }
      const per = (sys: SystemName) => rounds.get(sys)!
      const pairRatio = (other: SystemName) => median(per('standin').map((x, i) => x.rps / per(other)[i]!.rps))
      workloads[name] = {
        title: WORKLOADS[name],
        systems: Object.fromEntries(systems.map((sys) => {
          const list = per(sys.name)
          const shape = sys.shapes[name]
          const statuses: Record<string, number> = {}
          for (const x of list) for (const [code, n] of Object.entries(x.statuses)) statuses[code] = (statuses[code] ?? 0) + n
          return [sys.name, {
            rps: sig(median(list.map((x) => x.rps))),
            p50: sig(median(list.map((x) => x.p50))),
            p99: sig(median(list.map((x) => x.p99))),
            serverCpuUs: list.every((x) => x.serverCpuUs !== undefined) ? sig(median(list.map((x) => x.serverCpuUs!))) : undefined,
            bytesPerResponse: Math.round(median(list.map((x) => x.bytesPerResponse))),
            unexpected: list.reduce((n, x) => n + x.unexpected, 0),
            statuses,
            request: `${shape.method} ${shape.path}${shape.headers.prefer ? ` (Prefer: ${shape.headers.prefer})` : ''} → ${shape.expect}`,
            rounds: list.map((x) => ({ ...x, rps: sig(x.rps), p50: sig(x.p50), p99: sig(x.p99), serverCpuUs: x.serverCpuUs === undefined ? undefined : sig(x.serverCpuUs), bytesPerResponse: Math.round(x.bytesPerResponse) })),
          }]
        })) as WorkloadResult['systems'],
        ratios: { rpsVsPrism: sig(pairRatio('prism')), rpsVsBare: sig(pairRatio('bare')), rpsVsBareCoalesced: sig(pairRatio('bare-coalesced')) },
      }
    }
    return {
      settings: { connections: CONNECTIONS, secondsPerRun: s.duration, rounds: s.rounds, warmupSeconds: s.warmup },
      prism: { version: prismEntry().version, command: `prism mock ${SPEC} ${PRISM_FLAGS.join(' ')}` },
      standin: { command: `node ${STANDIN_COMMAND.join(' ')} (node:http door; bench scenario)` },
      limitRequests: Object.fromEntries(systems.map((sys) => [sys.name, sys.limitNote])),
      workloads,
    }
  } finally {
    await Promise.all(systems.map((sys) => sys.child.stop()))
  }
}

// ---------------------------------------------------------------- cold start

async function coldStart(s: Settings) {
  const runs = { standin: [] as number[], prism: [] as number[] }
  // A compile cache of this run's own, empty at first, for both: standin's command turns Node's
  // cache on, and with NODE_COMPILE_CACHE set Prism's code is cached the same way. The first run
  // of each fills it (reported apart); the median is what a developer sees from then on.
  const cache = mkdtempSync(join(tmpdir(), 'standin-bench-cache-'))
  const env = { ...process.env, NODE_COMPILE_CACHE: cache }
  try {
    for (let i = 0; i < s.coldRuns; i++) {
      for (const name of ['standin', 'prism'] as const) {
        const port = await freePort()
        const args = name === 'standin'
          ? [...STANDIN_COMMAND, '--port', String(port)]
          : [prismEntry().file, 'mock', SPEC, '-h', '127.0.0.1', '-p', String(port), ...PRISM_FLAGS]
        const url = `http://127.0.0.1:${port}`
        const t0 = performance.now()
        const child = start(`${name} (cold start)`, process.execPath, args, { env })
        try {
          await until(() => ok(url), 60_000, name, 2)
          runs[name].push(Math.round(performance.now() - t0))
        } finally {
          await child.stop()
        }
        progress(`cold start ${i + 1}/${s.coldRuns} ${name}: ${runs[name].at(-1)} ms`)
      }
    }
  } finally {
    rmSync(cache, { recursive: true, force: true })
  }
  return {
    what: 'ms from spawning the process to the first 200 of a GET (polled every 2 ms); both with a fresh NODE_COMPILE_CACHE, filled by the first run',
    standin: { command: `node ${STANDIN_COMMAND.join(' ')}`, medianMs: median(runs.standin), firstRunMs: runs.standin[0], runsMs: runs.standin },
    prism: { command: `node ${prismEntry().file} mock ${SPEC} ${PRISM_FLAGS.join(' ')}`, medianMs: median(runs.prism), firstRunMs: runs.prism[0], runsMs: runs.prism },
  }
}

// ---------------------------------------------------------------- child scripts

async function child(name: string, args: string[], timeoutMs: number, env?: NodeJS.ProcessEnv): Promise<any> {
  const c = start(name, process.execPath, args, env ? { env } : undefined)
  const out = await c.result(timeoutMs)
  const last = out.trim().split('\n').at(-1) ?? ''
  try {
    return JSON.parse(last)
  } catch {
    throw new Error(`${name} printed no JSON result; output:\n${c.output()}`)
  }
}

async function scale() {
  // As standin's command runs: its V8 flags, and Node's compile cache (filled by the first child, so
  // the measured ones load their code compiled, without the TypeScript stripper, as a second start does).
  const cache = mkdtempSync(join(tmpdir(), 'standin-bench-cache-'))
  const env = { ...process.env, NODE_COMPILE_CACHE: cache }
  const run = (what: string[]) => ['--expose-gc', ...STANDIN_NODE_FLAGS, 'bench/scale.ts', ...what]
  try {
    await child('scale (fills the compile cache)', run(['memory', '10']), 120_000, env)
    const small = await child('scale memory 1,000', run(['memory', '1000']), 120_000, env)
    progress(`scale: RSS with 1,000 sessions ${small.after.rssMB} MB`)
    const large = await child('scale memory 100,000', run(['memory', '100000']), 300_000, env)
    progress(`scale: RSS with 100,000 sessions ${large.after.rssMB} MB`)
    const cost = await child('scale cost', run(['cost', '1000', '100000']), 600_000, env)
    return scaleResult(small, large, cost)
  } finally {
    rmSync(cache, { recursive: true, force: true })
  }
}

function scaleResult(small: any, large: any, cost: any) {
  progress(`scale: GET ${cost.small.getUs} → ${cost.large.getUs} us, create ${cost.small.createUs} → ${cost.large.createUs} us`)
  return {
    what: 'one world of N sessions (one tenant, half ready, half closed), in a process of its own run with standin\'s V8 flags and a warm compile cache; RSS after a full GC; per-request cost through the core (standin.handle), median of alternating rounds',
    memory: { 1000: small, 100000: large, heapBytesPerSession: Math.round(((large.settled.heapMB - small.settled.heapMB) * 2 ** 20) / 99_000) },
    cost: { ...cost, getRatio: sig(cost.large.getUs / cost.small.getUs), createRatio: sig(cost.large.createUs / cost.small.createUs) },
  }
}

async function inProcess() {
  const result = await child('in-process', ['bench/in-process.ts'], 600_000)
  progress(`in-process: GET ${result.get.standinUs} vs ${result.get.bareUs} us, create ${result.create.standinUs} vs ${result.create.bareUs} us`)
  return { what: 'sequential fetch() intercepted by msw setupServer: standin\'s handlers against a bare msw handler returning a fixed body; µs per request, median of alternating rounds', ...result }
}

async function store() {
  const result = await child('store', ['--expose-gc', 'bench/store.ts'], 600_000)
  progress('store: done')
  return { what: 'MemoryStore (src/world/store.ts) against @msw/data Collection; µs per operation on ids spread over the collection; heap the records take', ...result }
}

// ---------------------------------------------------------------- targets and report

interface Target { name: string; want: string; got: string; met: boolean | undefined }

function targets(r: any): Target[] {
  const list: Target[] = []
  const add = (name: string, want: string, value: number | undefined, met: (v: number) => boolean, show: (v: number) => string) => {
    list.push({ name, want, got: value === undefined ? 'not measured' : show(value), met: value === undefined ? undefined : met(value) })
  }
  const w = r.throughput?.workloads
  add('GET: standin ÷ Prism requests/s', '≥ 8×', w?.get?.ratios.rpsVsPrism, (v) => v >= 8, ratio)
  add('create: standin ÷ Prism requests/s', '≥ 6×', w?.create?.ratios.rpsVsPrism, (v) => v >= 6, ratio)
  add('GET: standin ÷ bare node:http requests/s', '≥ 0.5×', w?.get?.ratios.rpsVsBare, (v) => v >= 0.5, ratio)
  add('create: standin ÷ bare node:http requests/s', '≥ 0.5×', w?.create?.ratios.rpsVsBare, (v) => v >= 0.5, ratio)
  for (const name of ['get', 'create', 'limit'] as const) {
    add(`${name}: standin p99`, '≤ 3 ms', w?.[name]?.systems.standin.p99, (v) => v <= 3, (v) => `${num(v)} ms`)
  }
  add('cold start (median of 5)', '≤ 300 ms', r.coldStart?.standin.medianMs, (v) => v <= 300, (v) => `${Math.round(v)} ms`)
  add('resident memory, 100,000 sessions', '≤ 150 MB', r.scale?.memory[100000].after.rssMB, (v) => v <= 150, (v) => `${num(v, 0)} MB`)
  add('  …after a last-resort GC (what the data needs)', '≤ 150 MB', r.scale?.memory[100000].settled?.rssMB, (v) => v <= 150, (v) => `${num(v, 0)} MB`)
  add('GET at 100,000 ÷ at 1,000 records', '≤ 1.25× (noise)', r.scale?.cost.getRatio, (v) => v <= 1.25, ratio)
  add('create at 100,000 ÷ at 1,000 records', '≤ 1.25× (noise)', r.scale?.cost.createRatio, (v) => v <= 1.25, ratio)
  add('in-process GET: standin ÷ bare msw handler', '≤ 2×', r.inProcess?.get.ratio, (v) => v <= 2, ratio)
  add('in-process create: standin ÷ bare msw handler', '≤ 2×', r.inProcess?.create.ratio, (v) => v <= 2, ratio)
  for (const name of ['get', 'create', 'limit'] as const) {
    for (const sys of ['standin', 'prism', 'bare', 'bare-coalesced'] as const) {
      const m = w?.[name]?.systems[sys]
      const total = m ? m.rounds.reduce((n: number, x: LoadResult) => n + x.requests, 0) : 0
      if (m && m.unexpected > total * 0.001) list.push({ name: `${name}: ${sys} answered as expected`, want: '≥ 99.9%', got: `${m.unexpected} of ${total} unexpected`, met: false })
    }
  }
  list.push(...bigSpecTargets(r.bigSpec))
  return list
}

function report(r: any, md: boolean): string {
  const out: string[] = []
  const t = (header: string[], rows: Row[]) => out.push(md ? mdTable(header, rows) : text(header, rows), '')
  const tp = r.throughput
  if (tp) {
    out.push(`Throughput — ${tp.settings.connections} connections, ${tp.settings.secondsPerRun} s per run, median of ${tp.settings.rounds} rounds; Prism ${tp.prism.version} (${PRISM_FLAGS.join(' ')}); load average ${tp.load.before} → ${tp.load.after} on ${tp.machine.cpus} cores`, '')
    const rows: Row[] = []
    for (const [name, w] of Object.entries<WorkloadResult>(tp.workloads)) {
      const s = w.systems
      rows.push([w.title, ...(['standin', 'prism', 'bare'] as const).flatMap((sys) => [num(s[sys].rps, 0), num(s[sys].p50), num(s[sys].p99)]), ratio(w.ratios.rpsVsPrism), ratio(w.ratios.rpsVsBare)])
      void name
    }
    t(['workload', 'standin rps', 'p50 ms', 'p99 ms', 'Prism rps', 'p50 ms', 'p99 ms', 'bare rps', 'p50 ms', 'p99 ms', 'standin÷Prism', 'standin÷bare'], rows)
    // Not a target: the bare server answering the way standin's door does (bench/servers/bare.ts).
    const coalesced = Object.values<WorkloadResult>(tp.workloads).filter((w) => w.systems['bare-coalesced']).map((w): Row => {
      const b = w.systems['bare-coalesced']
      return [w.title, num(b.rps, 0), num(b.p50), num(b.p99), ratio(w.ratios.rpsVsBareCoalesced)]
    })
    if (coalesced.length > 0) t(['bare, answers coalesced as standin\'s door does', 'rps', 'p50 ms', 'p99 ms', 'standin÷it'], coalesced)
    const cpu = Object.values<WorkloadResult>(tp.workloads).map((w): Row => {
      const c = (sys: SystemName) => w.systems[sys]?.serverCpuUs
      return [w.title, num(c('standin'), 0), num(c('prism'), 0), num(c('bare'), 0), num(c('bare-coalesced'), 0), `${num(w.systems.standin.bytesPerResponse, 0)} / ${num(w.systems.prism.bytesPerResponse, 0)} / ${num(w.systems.bare.bytesPerResponse, 0)}`]
    })
    t(['server CPU per request (µs, user+system)', 'standin', 'Prism', 'bare', 'bare coalesced', 'bytes/response s/P/b'], cpu)
  }
  const cs = r.coldStart
  if (cs) t(['cold start', 'median ms', 'first run ms (empty cache)', 'runs ms'], [['standin', cs.standin.medianMs, cs.standin.firstRunMs, cs.standin.runsMs.join(', ')], ['Prism', cs.prism.medianMs, cs.prism.firstRunMs, cs.prism.runsMs.join(', ')]])
  const sc = r.scale
  if (sc) {
    t(['scale (one world)', '1,000 sessions', '100,000 sessions', 'ratio'], [
      ['resident memory (RSS after full GC)', `${num(sc.memory[1000].after.rssMB, 0)} MB`, `${num(sc.memory[100000].after.rssMB, 0)} MB`, ''],
      ['RSS after a last-resort GC', `${num(sc.memory[1000].settled?.rssMB, 0)} MB`, `${num(sc.memory[100000].settled?.rssMB, 0)} MB`, ''],
      ['JS heap used', `${num(sc.memory[1000].after.heapMB, 0)} MB`, `${num(sc.memory[100000].after.heapMB, 0)} MB`, ''],
      ['GET a session (µs, through the core)', num(sc.cost.small.getUs, 1), num(sc.cost.large.getUs, 1), ratio(sc.cost.getRatio)],
      ['create a session (µs, cap checked)', num(sc.cost.small.createUs, 1), num(sc.cost.large.createUs, 1), ratio(sc.cost.createRatio)],
    ])
  }
  const ip = r.inProcess
  if (ip) {
    t(['in-process (msw setupServer)', 'standin µs/request', 'bare msw handler µs', 'ratio', 'core alone µs'], [
      ['GET a session', num(ip.get.standinUs, 1), num(ip.get.bareUs, 1), ratio(ip.get.ratio), num(ip.get.coreUs, 1)],
      ['create a session', num(ip.create.standinUs, 1), num(ip.create.bareUs, 1), ratio(ip.create.ratio), num(ip.create.coreUs, 1)],
    ])
  }
  const st = r.store
  if (st) {
    const row = (label: string, x: any): Row => [label, num(x.getUs, 2), num(x.updateUs, 2), num(x.deleteAndInsertUs, 2), `${num(x.heapMB, 1)} MB`]
    t(['store (µs per op)', 'get by id', 'change state', 'delete + insert', 'heap'], [
      row('MemoryStore, 1,000', st.memoryStore[1000]), row('MemoryStore, 100,000', st.memoryStore[100000]),
      row('@msw/data, 1,000', st.mswData[1000]), row('@msw/data, 100,000', st.mswData[100000]),
    ])
  }
  const bs = r.bigSpec
  if (bs) {
    out.push(`Big spec — ${bs.package}, standin beside Prism on the same document; load average ${bs.load.before} → ${bs.load.after} on ${bs.machine.cpus} cores`, '')
    t(BIG_SPEC_HEADER, bigSpecRows(bs))
  }
  t(['target', 'wanted', 'measured', ''], targets(r).map((x) => [x.name, x.want, x.got, x.met === undefined ? '–' : x.met ? 'met' : 'MISSED']))
  return out.join('\n')
}

function progress(line: string): void {
  process.stderr.write(`  ${line}\n`)
}

async function main(): Promise<void> {
  const s = settings()
  const previous = existsSync(RESULTS) ? JSON.parse(readFileSync(RESULTS, 'utf8')) : {}
  const results: any = { ...previous }
  const m = machine()
  console.error(`bench: ${m.cpus} cores (${m.cpuModel}), Node ${m.node}, load average ${load()}; sections: ${s.sections.join(', ')}`)
  if (s.sections.includes('throughput')) results.throughput = await stamped(() => throughput(s))
  if (s.sections.includes('cold')) results.coldStart = await stamped(() => coldStart(s))
  if (s.sections.includes('scale')) results.scale = await stamped(scale)
  if (s.sections.includes('inprocess')) results.inProcess = await stamped(inProcess)
  if (s.sections.includes('store')) results.store = await stamped(store)
  if (s.sections.includes('big-spec')) results.bigSpec = await stamped(() => bigSpec(progress))
  results.targets = targets(results)
  writeFileSync(RESULTS, JSON.stringify(results, null, 2) + '\n')
  console.log('\n' + report(results, false))
  if (s.markdown) console.log('\n' + report(results, true))
  console.error(`bench: results in ${RESULTS}`)
}

main().catch(async (error) => {
  console.error('bench failed:', error instanceof Error ? error.message : error)
  await stopAll()
  process.exitCode = 1
})
