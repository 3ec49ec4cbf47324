#!/usr/bin/env node
/**
 * The command line: `standin serve` runs the dev server, `standin check` lints a spec, its
 * behaviour model and its scenarios. It uses only the public entry points.
 */
import { parseArgs } from 'node:util'
import { existsSync } from 'node:fs'
import { createRequire, enableCompileCache } from 'node:module'
import type { Standin } from '../index.ts'
import { commandHelp, overview, parseOptions, type CommandSpec, type OptionSpec } from './help.ts'
import { tryCommand } from './try-command.ts'

// Node keeps compiled (and type-stripped) code on disk after the first run, in its own cache
// folder (NODE_COMPILE_CACHE, or the OS temp folder; NODE_DISABLE_COMPILE_CACHE=1 turns it off):
// the next start skips ~100 ms of parsing. Enabled before standin's modules load, hence the
// dynamic imports. Parsed spec and scenario files and validator code are kept beside it
// (src/util/disk-cache.ts).
enableCompileCache?.()
;(await import('../util/disk-cache.ts')).enableDiskCache()
// The library, loaded once a command runs: `--version` and `--help` answer without it.
let createStandin: typeof import('../index.ts').createStandin
let check: typeof import('../index.ts').check
let ConfigError: typeof import('../index.ts').ConfigError
let formatProblem: typeof import('../index.ts').formatProblem
let listen: typeof import('../adapters/node-http.ts').listen
async function loadLibrary(): Promise<void> {
  ;({ createStandin, check, ConfigError, formatProblem } = await import('../index.ts'))
  ;({ listen } = await import('../adapters/node-http.ts'))
}

/** The package's version (package.json is two folders up from src/cli/ and from dist/cli/ alike). */
const VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version

/** Every option: how parseArgs reads it, and its line in `standin <command> --help` (src/cli/help.ts). */
const OPTIONS = {
  scenarios: { type: 'string', short: 's', arg: '<dir>', help: 'the scenario files (a folder of YAML, or one file): the worlds to start', helpFor: { check: 'scenario files to check with the spec (a folder of YAML, or one file)', verify: 'scenario files: one of them (--scenario) gives the keys and records to verify with' } },
  overlay: { type: 'string', multiple: true, arg: '<file>', help: 'an OpenAPI Overlay applied to the spec first' },
  port: { type: 'string', short: 'p', arg: '<port>', help: 'the port to listen on (default 4010; 0 picks a free one)' },
  host: { type: 'string', arg: '<address>', help: 'the address to listen on (default 127.0.0.1)' },
  seed: { type: 'string', arg: '<n>', help: 'the seed for generated ids and fake values (default 1): the same seed, the same answers' },
  clock: { type: 'string', arg: 'real|manual', help: 'real time (default), or manual: time moves only when the control API moves it' },
  'control-token': { type: 'string', arg: '<token>', help: 'require this token on the control API (X-Standin-Token or Authorization: Bearer)', helpFor: { coverage: 'the token of a standin started with --control-token' } },
  'allow-host': { type: 'string', multiple: true, arg: '<name>', help: 'a Host name the control API answers to besides loopback ones' },
  'allow-origin': { type: 'string', multiple: true, arg: '<origin>', help: 'an origin whose pages may call the control API (CORS); * allows any' },
  state: { type: 'string', arg: '<file>', help: 'keep worlds, records, clocks and keys in this file (SQLite) as they change, and resume from it at start' },
  watch: { type: 'boolean', short: 'w', help: 'reload the spec, overlays and scenarios when they change, keeping worlds, records, clocks and keys' },
  proxy: { type: 'string', arg: '<base-url>', help: 'forward requests to this provider, except the operations set to mock (--mock, a scenario\'s proxy:, x-standin proxy: mock, PUT /__standin/proxy)' },
  mock: { type: 'string', multiple: true, arg: '<selector>', help: 'with --proxy, mock these operations: an operation id, tag:<name>, path:<glob>, or *' },
  forward: { type: 'string', multiple: true, arg: '<selector>', help: 'with --proxy, forward these operations (after --mock \'*\', say): a selector as for --mock' },
  'proxy-header': { type: 'string', multiple: true, arg: '<Header>=<ENV_VAR>', help: 'with --proxy, send this header to the provider with the value of that environment variable (its credentials)', helpFor: { record: 'send this header to the provider with the value of that environment variable (its credentials)' } },
  'write-overlay': { type: 'string', arg: '<file>', help: 'where the recorded examples go, as an OpenAPI Overlay (default recorded.overlay.yaml)' },
  'write-scenario': { type: 'string', arg: '<file>', help: 'where the recorded records go, as a scenario (default recorded.scenario.yaml)' },
  scrub: { type: 'string', multiple: true, arg: '<field>', help: 'also scrub fields of this name (besides authorization, cookies, passwords, secrets, tokens, keys, emails, …)' },
  keep: { type: 'string', multiple: true, arg: '<field>', help: 'do not scrub fields of this name, though a default would (nextToken)' },
  'no-default-scrub': { type: 'boolean', help: 'scrub only the --scrub fields (and values that look like credentials or emails)' },
  strict: { type: 'boolean', help: 'refuse requests that break the spec, and exit 1 when stopped if any did', helpFor: { check: 'treat warnings as problems; exit 1' } },
  url: { type: 'string', arg: '<url>', help: 'the running standin to ask (default http://127.0.0.1:4010)' },
  world: { type: 'string', arg: '<id>', help: 'one world\'s coverage (default: the whole run, every world)' },
  journal: { type: 'string', arg: '<file>', help: 'a saved journal (GET /__standin/journal) to count, instead of asking a running standin' },
  min: { type: 'string', arg: '<percent>', help: 'exit 1 when coverage is below this (90 or 90%)' },
  format: { type: 'string', arg: 'table|json|junit', help: 'what to print (default table)', helpFor: { infer: 'text (default) or json' } },
  json: { type: 'string', arg: '<file>', help: 'also write the report as JSON to this file' },
  junit: { type: 'string', arg: '<file>', help: 'also write the report as JUnit XML to this file' },
  target: { type: 'string', arg: '<url>', help: 'the server to verify (http or https), required', helpFor: { record: 'the provider to record (http or https), required' } },
  scenario: { type: 'string', arg: '<name>', help: 'which scenario of --scenarios (default: the spec\'s default scenario)' },
  auth: { type: 'string', multiple: true, arg: '"<Header>: <value>"', help: 'a header sent with every request, such as credentials' },
  timeout: { type: 'string', arg: '<duration>', help: 'how long to wait for each answer (default 10s)' },
  quiet: { type: 'boolean', short: 'q', help: 'print only the requests that broke the contract, and the summary' },
} as const satisfies Record<string, OptionSpec>

/** Every command: what `standin --help` and `standin <command> --help` say of it. */
const COMMANDS = {
  serve: {
    forms: ['<spec>'],
    summary: 'run the API described by <spec> as a local server',
    notes: [
      'Scenario keys select worlds; the control API is under /__standin/. Stop with SIGINT or SIGTERM:',
      'the run\'s violations are listed. With --strict a request that breaks the spec is refused (4xx no',
      'client retries, x-should-retry: false, x-standin-violation) and any violation makes standin exit 1.',
      'With --state, what a restart resumes: worlds (also those made through the control API), records,',
      'lifecycle timers, clocks, tenants, keys, rule counts and idempotent answers; the journal and rate',
      'windows start afresh. A change is written within about 200 ms (only what changed), so a kill -9 loses',
      'only what was answered just before it.',
      'With --watch, an edit to the spec, an overlay or a scenario file is compiled and swapped in between',
      'requests: worlds, records, clocks, keys and journals stay (records that no longer fit the new schema',
      'are listed); an edit that does not compile is listed (file, pointer, line) and the old version answers',
      'on. Journal entries carry the version that answered; GET /__standin/live lists the reloads.',
      'With --proxy, operations are forwarded to the provider (headers less hop-by-hop ones; --proxy-header',
      'sets its credentials from the environment) except those set to mock; rules and triggers still answer',
      'first (a forced 429 never reaches the provider). Its answers are checked against the spec: what breaks',
      'it is journalled as the provider\'s violation. GET/PUT/PATCH /__standin/proxy switch at run time.',
    ],
    examples: ['standin serve spec/my-api.yaml --scenarios scenarios/my-api --port 4010', 'standin serve spec/my-api.yaml --scenarios scenarios/my-api --state .standin/state.db', 'standin serve spec/my-api.yaml --scenarios scenarios/my-api --watch', 'PROVIDER_AUTH="Bearer sk_test_1" standin serve spec/my-api.yaml --proxy https://sandbox.example.com --proxy-header Authorization=PROVIDER_AUTH --mock tag:billing'],
    exits: '0 stopped; 1 the spec cannot be served, the --state file cannot be used, or (--strict) a request broke it; 2 bad usage.',
  },
  check: {
    forms: ['<spec>'],
    summary: 'lint a spec, its behaviour model (x-standin) and its scenarios',
    examples: ['standin check spec/my-api.yaml --scenarios scenarios/my-api'],
    exits: '0 sound (warnings are listed); 1 problems found, each with file, JSON pointer and line; 2 bad usage.',
  },
  coverage: {
    forms: ['', '<spec> --journal <file>'],
    summary: 'which declared statuses and error codes a client\'s requests reached',
    examples: ['standin coverage --url http://127.0.0.1:4010 --min 80 --junit reports/standin-coverage.xml', 'standin coverage spec/my-api.yaml --journal journal.json --format json'],
    exits: '0 fine; 1 below --min; 2 standin unreachable, unreadable journal, or bad usage.',
  },
  verify: {
    forms: ['<spec> --target <url>'],
    summary: 'send requests to a running server and check its answers against <spec>',
    examples: ['standin verify spec/my-api.yaml --target http://127.0.0.1:8080 --auth "Authorization: Bearer sk_test_1" --junit reports/verify.xml'],
    exits: '0 every answer kept the spec; 1 an answer broke it; 2 bad usage, unreachable target, or nothing tested.',
  },
  record: {
    forms: ['<spec> --target <url>'],
    summary: 'proxy to a real server and write its answers down as examples (an overlay) and records (a scenario)',
    notes: [
      'Point a client at standin instead of the provider; every request is forwarded (--proxy-header sets',
      'credentials from the environment). When stopped (SIGINT or SIGTERM), answers that fit the spec are',
      'written as examples of their responses, request bodies the provider took as examples of the request',
      '(an OpenAPI Overlay: the spec stays untouched; up to 3 each), and the records the answers hold as a',
      'scenario\'s records. Secrets are scrubbed by default: fields named like authorization, cookie,',
      'password, secret, token, key, email (--scrub adds, --keep exempts), emails anywhere, and values that',
      'look like credentials; a scrubbed value keeps its shape. Headers are never written down.',
    ],
    examples: ['standin record spec/my-api.yaml --target https://sandbox.example.com --proxy-header Authorization=PROVIDER_AUTH --write-overlay overlays/recorded.yaml --write-scenario scenarios/my-api/recorded.yaml   (PROVIDER_AUTH="Bearer sk_test_1" in the environment)'],
    exits: '0 written; 1 the spec cannot be served or the port taken; 2 bad usage.',
  },
  infer: {
    forms: ['<spec>'],
    summary: 'print the resources standin infers from <spec>\'s REST shape: keys, parents, operations',
    notes: ['Change what it infers with x-standin in an overlay (README: "What standin infers, and how to change it").'],
    examples: ['standin infer spec/my-api.yaml', 'standin infer spec/my-api.yaml --overlay overlays/my-api.yaml --format json'],
    exits: '0 printed; 1 the spec cannot be read; 2 bad usage.',
  },
} satisfies Record<string, CommandSpec>
type Command = keyof typeof COMMANDS

const USAGE = overview(`standin ${VERSION} — a stateful stand-in for an HTTP API, driven by its OpenAPI spec`, COMMANDS, `Exit codes: 0 fine; 1 problems found (check: problems; serve --strict: violations; coverage: below --min;
verify: the target breaks the contract); 2 could not run (bad usage, unreadable input, unreachable
server, or verify tested nothing).`)

/** Which options each command takes; any other is bad usage. */
const COMMAND_OPTIONS: Record<Command, Array<keyof typeof OPTIONS>> = {
  serve: ['scenarios', 'overlay', 'port', 'host', 'seed', 'clock', 'control-token', 'allow-host', 'allow-origin', 'state', 'strict', 'watch', 'proxy', 'mock', 'forward', 'proxy-header'],
  check: ['scenarios', 'overlay', 'strict'],
  coverage: ['url', 'world', 'journal', 'overlay', 'min', 'format', 'json', 'junit', 'control-token'],
  verify: ['target', 'scenarios', 'scenario', 'auth', 'overlay', 'json', 'junit', 'timeout', 'quiet'],
  infer: ['overlay', 'format'],
  record: ['target', 'overlay', 'port', 'host', 'proxy-header', 'write-overlay', 'write-scenario', 'scrub', 'keep', 'no-default-scrub'],
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  if (command === '--version' || command === '-v' || command === 'version') {
    console.log(VERSION)
    return 0
  }
  if (command === 'help' && rest[0] !== undefined && Object.hasOwn(COMMANDS, rest[0])) return main([rest[0], '--help'])
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE)
    return command ? 0 : 2
  }
  // Own keys only: "toString" is no command.
  const allowed = Object.hasOwn(COMMANDS, command) ? COMMAND_OPTIONS[command as Command] : undefined
  if (!allowed) {
    console.error(`standin: unknown command "${command}"\n\n${USAGE}`)
    return 2
  }
  const badUsage = (message: string) => {
    console.error(`standin ${command}: ${message}\nRun "standin ${command} --help" for its options and an example.`)
    return 2
  }
  let parsed
  try {
    parsed = parseArgs({ args: rest, allowPositionals: true, options: parseOptions(OPTIONS, allowed) as typeof OPTIONS & { help: { type: 'boolean' } } })
  } catch (error) {
    // parseArgs's own advice on positionals that start with '-' is noise here: no positional does.
    return badUsage((error as Error).message.replace(/ To specify a positional argument .*$/s, ''))
  }
  const { values, positionals } = parsed
  if (values.help) {
    console.log(commandHelp(command, COMMANDS[command as Command], OPTIONS, allowed))
    return 0
  }
  await loadLibrary()
  const spec = positionals[0]
  if (positionals.length > 1) return badUsage(`one spec file, got ${positionals.join(' ')}`)
  // Loaded only for their own commands: `serve` starts without them.
  if (command === 'coverage') return (await import('./coverage.ts')).runCoverage(spec, values)
  if (!spec) return badUsage('name the spec file')
  if (command === 'check') return runCheck(spec, values.scenarios, values.overlay, values.strict === true)
  if (command === 'verify') return (await import('./verify.ts')).runVerify(spec, values)
  if (command === 'infer') return (await import('./infer.ts')).runInfer(spec, values)
  if (command === 'record') return (await import('./record.ts')).runRecord(spec, values)
  return serve(spec, values)
}

function runCheck(spec: string, scenarios: string | undefined, overlays: string[] | undefined, strict: boolean): number {
  const result = check(spec, { scenarios, overlays, strict })
  for (const w of result.warnings) console.error(`warning: ${formatProblem(w)}`)
  const warned = result.warnings.length > 0 ? ` (${result.warnings.length} warning(s), listed above; --strict fails on them)` : ''
  if (result.ok) {
    console.log(`ok: ${spec} — ${result.operations} operations${scenarios ? `, ${result.scenarios.length} scenarios (${result.scenarios.join(', ')})` : ''}${warned}`)
    return 0
  }
  if (result.problems.length === 0) {
    console.error(`${result.warnings.length} warning(s), and --strict counts them as problems`)
    return 1
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
  const dashboard = (await import('../adapters/dashboard-files.ts')).dashboardOptions()
  let standin: Standin
  let live: import('../live/live-standin.ts').LiveStandin | undefined
  // The files --watch watches (and whose digest names each version).
  const watched = [spec, ...(values.overlay ?? []), ...(values.scenarios ? [values.scenarios] : [])]
  const proxying = (await import('./proxy-options.ts')).proxyOptions(values)
  if (proxying.problem) {
    console.error(`standin serve: ${proxying.problem}`)
    return 2
  }
  try {
    const options = {
      spec,
      scenarios: values.scenarios,
      overlays: values.overlay,
      seed: values.seed === undefined ? undefined : Number(values.seed),
      clock: values.clock ?? 'real',
      controlToken: values['control-token'],
      allowedHosts: [...(values.host ? [values.host] : []), ...(values['allow-host'] ?? [])],
      allowedOrigins: values['allow-origin'],
      strict: values.strict === true,
      // The dashboard at /__standin/ui: its files, and the last requests it shows and follows.
      ...dashboard,
      onInternalError: (error: unknown) => console.error('standin: internal error (a bug — please report it):', error),
      proxy: proxying.proxy,
    }
    if (values.watch) {
      const [{ createLiveStandin }, { fingerprintFiles }] = await Promise.all([import('../live/live-standin.ts'), import('../adapters/watch-files.ts')])
      live = await createLiveStandin({ ...options, fingerprint: () => fingerprintFiles(watched) })
      standin = live.current
    } else standin = await createStandin(options)
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`standin cannot serve ${spec}:`)
      for (const p of error.problems) console.error(`- ${formatProblem(p)}`)
      return 1
    }
    throw error
  }
  if (standin.proxy) {
    // The command line's selectors name operations of this spec (checked once it is compiled).
    const { compileRoutes } = await import('../proxy/selectors.ts')
    const { scopeOf } = await import('../proxy/proxy-switch.ts')
    const wrong = compileRoutes(proxying.proxy!.routes ?? [], scopeOf(standin.api)).problems
    if (wrong.length > 0) {
      for (const p of wrong) console.error(`standin serve: --mock/--forward ${p.selector}: ${p.message}`)
      return 2
    }
  }
  // Before listening: the first request already finds the worlds the file holds.
  let state: import('../adapters/state-file.ts').StateFile | undefined
  if (values.state !== undefined) {
    const { openStateFile, StateFileError } = await import('../adapters/state-file.ts')
    try {
      state = await openStateFile(values.state, standin.worlds, { onWarning: (message) => console.error(`standin: warning: ${message}`) })
    } catch (error) {
      if (!(error instanceof StateFileError)) throw error
      console.error(`standin serve: ${error.message}`)
      return 1
    }
  }
  let server
  try {
    server = await listen(live ? live.handle : standin.handle, { port, host: values.host })
  } catch (error) {
    state?.close()
    console.error(`standin serve: cannot listen on ${values.host ?? '127.0.0.1'}:${port}: ${(error as Error).message}`)
    return 1
  }
  const world = standin.home()
  const title = standin.api.spec.document.info?.title ?? spec
  console.log(`standin: serving ${title} on ${server.url}`)
  console.log(`  default scenario "${world.scenario}": ${world.tenants.map((t) => `${t.id} key ${t.keys[0] ?? '(none)'}`).join('; ')}`)
  console.log(`  scenarios: ${[...standin.worlds.scenarios.keys()].join(', ')} (their keys: GET ${server.url}/__standin/scenarios)`)
  console.log(`  dashboard: ${dashboardLink(server.url, values['control-token'])}`)
  const command = tryCommand(standin.api, world.key, server.url)
  if (command) console.log(`  try: ${command}`)
  if (standin.proxy) {
    const modes = Object.entries((standin.proxy.describe(standin.api, standin.worlds.scenarios.get(standin.worlds.defaultScenario)) as { operations: Record<string, string> }).operations)
    const mocked = modes.filter(([, m]) => m === 'mock').map(([id]) => id)
    console.log(`  proxy: ${standin.proxy.options.target} answers ${modes.length - mocked.length} of ${modes.length} operation(s)${mocked.length > 0 ? `; mocked: ${mocked.slice(0, 12).join(', ')}${mocked.length > 12 ? ', …' : ''}` : ''} (switch: PUT ${server.url}/__standin/proxy)`)
  }
  if (values.strict) console.log('  strict: requests that break the spec are refused, and make standin exit 1 when it stops')
  if (state) console.log(`  state: ${state.file} (${state.restored === 0 ? 'nothing to resume' : `${state.restored} world(s) resumed`}; changes written as they happen)`)
  // The spec's warnings, as `standin check` lists them (without the scenarios').
  const warnings = standin.api.warnings.length + standin.api.behaviour.errors.warnings.length
  if (warnings > 0) console.log(`  ${warnings} warning(s) about the spec (see them: standin check ${spec})`)
  let watching: import('./serve-watch.ts').Watching | undefined
  if (live) {
    const reloading = live
    watching = (await import('./serve-watch.ts')).watchAndReload(reloading, watched, { formatProblem, afterSwap: () => state?.follow(reloading.current.worlds) })
    console.log(`  watching: ${[...watching.files.folders.keys()].join(', ')} (version 1${live.hash ? `, ${live.hash}` : ''}; reloads: GET ${server.url}/__standin/live)`)
  }
  await new Promise<void>((resolve) => {
    const stop = () => resolve()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
  watching?.close()
  await server.close()
  if (live) standin = live.current
  state?.close()
  // What the run compiled since it last kept validators (src/spec/schemas.ts keeps them shortly after
  // they are compiled), for the next start.
  standin.api.registry.persist()
  return reportRun(standin, values.strict === true)
}

/**
 * The dashboard's address. With a control token, the link carries it in its fragment (never sent to
 * the server; the page keeps it for that tab) — on a terminal only: a log keeps what it is given.
 */
function dashboardLink(url: string, token: string | undefined): string {
  const page = `${url}/__standin/ui/`
  if (!token) return page
  return process.stdout.isTTY ? `${page}#token=${encodeURIComponent(token)}` : `${page}#token=<your --control-token>`
}

/** At shutdown: the run's violations, listed; in strict mode any of them fails the run. */
function reportRun(standin: Standin, strict: boolean): number {
  const found = standin.violations()
  const run = standin.worlds.run
  console.log(`standin: stopped after ${run.requests} request(s); ${found.length === 0 ? 'no contract violations' : `${found.length} contract violation(s):`}`)
  for (const v of found.slice(0, 200)) {
    const who = v.side === 'request' ? 'request (the client broke the spec)' : v.side === 'provider' ? 'provider (a proxied answer broke the spec)' : 'response (a standin bug — please report it)'
    console.log(`- ${who}: ${v.method} ${v.path} → ${v.status}${v.operation ? ` [${v.operation}]` : ''} ${v.location}${v.pointer}: ${v.message} (world ${v.world}, ${v.requestId})`)
  }
  if (found.length > 200) console.log(`  … and ${found.length - 200} more (GET /__standin/violations while standin runs)`)
  if (run.droppedViolations > 0) console.log(`  (${run.droppedViolations} more were not kept)`)
  // Findings, not violations: statuses forced (by a rule or Prefer) that the operations do not declare.
  const findings = [...run.findings.values()]
  if (findings.length > 0) console.log(`standin: ${findings.reduce((n, f) => n + f.count, 0)} forced answer(s) with a status the operation does not declare (forced-undeclared, for your review; not violations): ${findings.slice(0, 20).map((f) => `${f.operation ?? f.method} ${f.status}${f.count > 1 ? ` ×${f.count}` : ''}`).join(', ')}${findings.length > 20 ? ', …' : ''}`)
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
