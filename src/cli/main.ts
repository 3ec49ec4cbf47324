#!/usr/bin/env node
/**
 * The command line: `standin serve` runs the dev server, `standin check` lints a spec, its
 * behaviour model and its scenarios. It uses only the public entry points.
 */
import { parseArgs } from 'node:util'
import { existsSync } from 'node:fs'
import { enableCompileCache } from 'node:module'
import type { Standin } from '../index.ts'

// Node keeps compiled (and type-stripped) code on disk after the first run, in its own cache
// folder (NODE_COMPILE_CACHE, or the OS temp folder; NODE_DISABLE_COMPILE_CACHE=1 turns it off):
// the next start skips ~100 ms of parsing. Enabled before standin's modules load, hence the
// dynamic imports. Parsed spec and scenario files and validator code are kept beside it
// (src/util/disk-cache.ts).
enableCompileCache?.()
;(await import('../util/disk-cache.ts')).enableDiskCache()
const { createStandin, check, ConfigError, formatProblem } = await import('../index.ts')
const { listen } = await import('../adapters/node-http.ts')

const USAGE = `standin — a stateful stand-in for an HTTP API, driven by its OpenAPI spec

Usage:
  standin serve <spec> [--scenarios <dir>] [--overlay <file>]... [--port 4010] [--host 127.0.0.1] [--seed 1] [--clock real|manual] [--control-token <t>] [--allow-host <name>]... [--allow-origin <origin>]... [--strict]
  standin check <spec> [--scenarios <dir>] [--overlay <file>]...
  standin coverage [--url http://127.0.0.1:4010] [--world <id>] [--min <percent>] [--format table|json|junit] [--json <file>] [--junit <file>]
  standin coverage <spec> --journal <file> [--overlay <file>]... [--min <percent>] [--format …] [--json <file>] [--junit <file>]
  standin verify <spec> --target <url> [--scenarios <dir> [--scenario <name>]] [--auth "<Header>: <value>"]... [--overlay <file>]... [--json <file>] [--junit <file>] [--timeout 10s] [--quiet]

serve --strict: a request that breaks the spec is refused (4xx no client retries, x-should-retry: false,
x-standin-violation), and the run's violations, listed when standin stops (SIGINT or SIGTERM), make it exit 1.

Exit codes: 0 fine; 1 problems found (check: problems; serve --strict: violations; coverage: below --min;
verify: the target breaks the contract); 2 could not run (bad usage, unreadable input, unreachable
server, or verify tested nothing).`

const OPTIONS = {
  scenarios: { type: 'string', short: 's' },
  overlay: { type: 'string', multiple: true },
  port: { type: 'string', short: 'p' },
  host: { type: 'string' },
  seed: { type: 'string' },
  clock: { type: 'string' },
  'control-token': { type: 'string' },
  'allow-host': { type: 'string', multiple: true },
  'allow-origin': { type: 'string', multiple: true },
  strict: { type: 'boolean' },
  url: { type: 'string' },
  world: { type: 'string' },
  journal: { type: 'string' },
  min: { type: 'string' },
  format: { type: 'string' },
  json: { type: 'string' },
  junit: { type: 'string' },
  target: { type: 'string' },
  scenario: { type: 'string' },
  auth: { type: 'string', multiple: true },
  timeout: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
} as const

/** Which options each command takes; any other is bad usage. */
const COMMAND_OPTIONS: Record<string, Array<keyof typeof OPTIONS>> = {
  serve: ['scenarios', 'overlay', 'port', 'host', 'seed', 'clock', 'control-token', 'allow-host', 'allow-origin', 'strict'],
  check: ['scenarios', 'overlay'],
  coverage: ['url', 'world', 'journal', 'overlay', 'min', 'format', 'json', 'junit', 'control-token'],
  verify: ['target', 'scenarios', 'scenario', 'auth', 'overlay', 'json', 'junit', 'timeout', 'quiet'],
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE)
    return command ? 0 : 2
  }
  const allowed = COMMAND_OPTIONS[command]
  if (!allowed) {
    console.error(`standin: unknown command "${command}"\n\n${USAGE}`)
    return 2
  }
  let parsed
  try {
    parsed = parseArgs({ args: rest, allowPositionals: true, options: Object.fromEntries(allowed.map((o) => [o, OPTIONS[o]])) as typeof OPTIONS })
  } catch (error) {
    console.error(`standin ${command}: ${(error as Error).message}\n\n${USAGE}`)
    return 2
  }
  const { values, positionals } = parsed
  const spec = positionals[0]
  if (positionals.length > 1) {
    console.error(`standin ${command}: one spec file, got ${positionals.join(' ')}\n\n${USAGE}`)
    return 2
  }
  // Loaded only for their own commands: `serve` starts without them.
  if (command === 'coverage') return (await import('./coverage.ts')).runCoverage(spec, values)
  if (!spec) {
    console.error(`standin ${command}: name the spec file\n\n${USAGE}`)
    return 2
  }
  if (command === 'check') return runCheck(spec, values.scenarios, values.overlay)
  if (command === 'verify') return (await import('./verify.ts')).runVerify(spec, values)
  return serve(spec, values)
}

function runCheck(spec: string, scenarios: string | undefined, overlays: string[] | undefined): number {
  const result = check(spec, { scenarios, overlays })
  if (result.ok) {
    console.log(`ok: ${spec} — ${result.operations} operations${scenarios ? `, ${result.scenarios.length} scenarios (${result.scenarios.join(', ')})` : ''}`)
    return 0
  }
  console.error(`${result.problems.length} problem(s):`)
  for (const p of result.problems) console.error(`- ${formatProblem(p)}`)
  return 1
}

async function serve(spec: string, values: Record<string, any>): Promise<number> {
  const port = values.port === undefined ? 4010 : Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`standin serve: --port must be a port number, got ${values.port}`)
    return 2
  }
  if (values.clock !== undefined && values.clock !== 'real' && values.clock !== 'manual') {
    console.error('standin serve: --clock is real or manual')
    return 2
  }
  let standin
  try {
    standin = await createStandin({
      spec,
      scenarios: values.scenarios,
      overlays: values.overlay,
      seed: values.seed === undefined ? undefined : Number(values.seed),
      clock: values.clock ?? 'real',
      controlToken: values['control-token'],
      allowedHosts: [...(values.host ? [values.host] : []), ...(values['allow-host'] ?? [])],
      allowedOrigins: values['allow-origin'],
      strict: values.strict === true,
      onInternalError: (error) => console.error('standin: internal error (a bug — please report it):', error),
    })
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`standin cannot serve ${spec}:`)
      for (const p of error.problems) console.error(`- ${formatProblem(p)}`)
      return 1
    }
    throw error
  }
  let server
  try {
    server = await listen(standin.handle, { port, host: values.host })
  } catch (error) {
    console.error(`standin serve: cannot listen on ${values.host ?? '127.0.0.1'}:${port}: ${(error as Error).message}`)
    return 1
  }
  const world = standin.home()
  const title = standin.api.spec.document.info?.title ?? spec
  console.log(`standin: serving ${title} on ${server.url}`)
  console.log(`  default scenario "${world.scenario}": ${world.tenants.map((t) => `${t.id} key ${t.keys[0] ?? '(none)'}`).join('; ')}`)
  console.log(`  scenarios: ${[...standin.worlds.scenarios.keys()].join(', ')} (their keys: GET ${server.url}/__standin/scenarios)`)
  const first = standin.api.operations.find((o) => o.method === 'GET' && !o.path.includes('{')) ?? standin.api.operations[0]
  if (first && world.key) console.log(`  try: curl -H 'Authorization: Bearer ${world.key}' ${server.url}${first.path}`)
  if (values.strict) console.log('  strict: requests that break the spec are refused, and make standin exit 1 when it stops')
  await new Promise<void>((resolve) => {
    const stop = () => resolve()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
  await server.close()
  return reportRun(standin, values.strict === true)
}

/** At shutdown: the run's violations, listed; in strict mode any of them fails the run. */
function reportRun(standin: Standin, strict: boolean): number {
  const found = standin.violations()
  const run = standin.worlds.run
  console.log(`standin: stopped after ${run.requests} request(s); ${found.length === 0 ? 'no contract violations' : `${found.length} contract violation(s):`}`)
  for (const v of found.slice(0, 200)) {
    const who = v.side === 'request' ? 'request (the client broke the spec)' : 'response (a standin bug — please report it)'
    console.log(`- ${who}: ${v.method} ${v.path} → ${v.status}${v.operation ? ` [${v.operation}]` : ''} ${v.location}${v.pointer}: ${v.message} (world ${v.world}, ${v.requestId})`)
  }
  if (found.length > 200) console.log(`  … and ${found.length - 200} more (GET /__standin/violations while standin runs)`)
  if (run.droppedViolations > 0) console.log(`  (${run.droppedViolations} more were not kept)`)
  if (strict && found.length + run.droppedViolations > 0) {
    console.error('standin: strict mode — the run broke the contract, exiting 1')
    return 1
  }
  return 0
}

/** Runs the command line with these arguments; sets the exit code. bin/standin.mjs calls it. */
export function run(argv: string[]): Promise<void> {
  return main(argv).then((code) => { process.exitCode = code }, (error) => {
    console.error('standin: unexpected failure (a bug — please report it):', error)
    process.exitCode = 1
  })
}

if (!existsSync(process.argv[1] ?? '') || import.meta.url.endsWith(process.argv[1]!.split('/').pop()!)) {
  void run(process.argv.slice(2))
}
