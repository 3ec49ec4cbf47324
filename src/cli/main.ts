#!/usr/bin/env node
/**
 * The command line: `standin serve` runs the dev server, `standin check` lints a spec, its
 * behaviour model and its scenarios. It uses only the public entry points.
 */
import { parseArgs } from 'node:util'
import { existsSync } from 'node:fs'
import { enableCompileCache } from 'node:module'

// Node keeps compiled (and type-stripped) code on disk after the first run, in its own cache
// folder (NODE_COMPILE_CACHE, or the OS temp folder; NODE_DISABLE_COMPILE_CACHE=1 turns it off):
// the next start skips ~100 ms of parsing. Enabled before standin's modules load, hence the
// dynamic imports.
enableCompileCache?.()
const { createStandin, check, ConfigError, formatProblem } = await import('../index.ts')
const { listen } = await import('../adapters/node-http.ts')

const USAGE = `standin — a stateful stand-in for an HTTP API, driven by its OpenAPI spec

Usage:
  standin serve <spec> [--scenarios <dir>] [--overlay <file>]... [--port 4010] [--host 127.0.0.1] [--seed 1] [--clock real|manual] [--control-token <t>]
  standin check <spec> [--scenarios <dir>] [--overlay <file>]...

Exit codes: 0 fine, 1 problems found, 2 bad usage.`

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE)
    return command ? 0 : 2
  }
  let parsed
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        scenarios: { type: 'string', short: 's' },
        overlay: { type: 'string', multiple: true },
        port: { type: 'string', short: 'p' },
        host: { type: 'string' },
        seed: { type: 'string' },
        clock: { type: 'string' },
        'control-token': { type: 'string' },
      },
    })
  } catch (error) {
    console.error(`standin: ${(error as Error).message}\n\n${USAGE}`)
    return 2
  }
  const { values, positionals } = parsed
  const spec = positionals[0]
  if (!spec) {
    console.error(`standin ${command}: name the spec file\n\n${USAGE}`)
    return 2
  }
  if (command === 'check') return runCheck(spec, values.scenarios, values.overlay)
  if (command === 'serve') return serve(spec, values)
  console.error(`standin: unknown command "${command}"\n\n${USAGE}`)
  return 2
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
  await new Promise<void>((resolve) => {
    const stop = () => resolve()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
  await server.close()
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
