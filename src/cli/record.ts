/**
 * `standin record <spec> --target <url>`: a proxy in front of the provider that writes down what
 * passes through — the answers as the spec's examples (an OpenAPI Overlay) and the records they hold
 * as a scenario — with secrets scrubbed (src/record/). The files are written when it stops.
 */
import { writeFileSync, mkdirSync } from 'node:fs'
import { basename, dirname, extname } from 'node:path'
import { stringify } from 'yaml'
import { createStandin, ConfigError, formatProblem } from '../index.ts'
import { listen } from '../adapters/node-http.ts'
import { Recorder } from '../record/recorder.ts'
import { proxyOptions } from './proxy-options.ts'

export interface RecordRun {
  /** Resolves when recording should stop (default: SIGINT or SIGTERM). */
  until?: Promise<void>
  /** Told the address once it listens. */
  onListening?: (url: string) => void
  env?: Record<string, string | undefined>
}

export async function runRecord(spec: string, values: Record<string, any>, run: RecordRun = {}): Promise<number> {
  if (values.target === undefined) {
    console.error('standin record: --target <url> names the provider to record (http or https)')
    return 2
  }
  const port = values.port === undefined ? 4010 : Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`standin record: --port must be a port number, got ${values.port}`)
    return 2
  }
  const proxying = proxyOptions({ proxy: values.target, 'proxy-header': values['proxy-header'] }, run.env ?? process.env)
  if (proxying.problem) {
    console.error(`standin record: ${proxying.problem.replace('--proxy takes', '--target takes')}`)
    return 2
  }
  const overlayFile = values['write-overlay'] ?? 'recorded.overlay.yaml'
  const scenarioFile = values['write-scenario'] ?? 'recorded.scenario.yaml'
  let recorder: Recorder | undefined
  let standin
  try {
    standin = await createStandin({
      spec, overlays: values.overlay, clock: 'real', onWarning: () => {},
      // Everything goes to the provider: nothing is mocked while recording.
      proxy: { ...proxying.proxy!, routes: { '*': 'proxy' }, onExchange: (exchange) => recorder?.add(exchange) },
      onInternalError: (error) => console.error('standin: internal error (a bug — please report it):', error),
    })
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    console.error(`standin cannot record ${spec}:`)
    for (const p of error.problems) console.error(`- ${formatProblem(p)}`)
    return 1
  }
  recorder = new Recorder(standin.api, { also: values.scrub, keep: values.keep, noDefaults: values['no-default-scrub'] === true })
  let server
  try {
    server = await listen(standin.handle, { port, host: values.host })
  } catch (error) {
    console.error(`standin record: cannot listen on ${values.host ?? '127.0.0.1'}:${port}: ${(error as Error).message}`)
    return 1
  }
  console.log(`standin: recording ${values.target} through ${server.url}; stop with SIGINT or SIGTERM to write ${overlayFile} and ${scenarioFile}`)
  run.onListening?.(server.url)
  await (run.until ?? new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve())
    process.once('SIGTERM', () => resolve())
  }))
  await server.close()
  const at = new Date()
  const files = recorder.files({ scenarioName: basename(scenarioFile, extname(scenarioFile)).replace(/\.scenario$/, '').replace(/[^\w.-]/g, '-') || 'recorded', source: new URL(values.target).origin, at })
  for (const [file, content] of [[overlayFile, files.overlay], [scenarioFile, files.scenario]] as const) {
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, `# Written by standin record (${at.toISOString()}); secrets scrubbed.\n${stringify(content, { lineWidth: 0 })}`)
  }
  const r = files.report
  const scrubbed = Object.entries(r.scrubbed).map(([name, n]) => `${name} ×${n}`).join(', ')
  console.log(`standin: recorded ${r.exchanges} exchange(s): ${r.examples} example(s) in ${overlayFile}, ${r.records} record(s) in ${scenarioFile}${scrubbed ? `; scrubbed: ${scrubbed}` : ''}`)
  for (const s of r.skipped.slice(0, 20)) console.log(`  not kept: ${s.operation} ${s.status} — ${s.why}`)
  console.log(`  check them: standin check ${spec} --overlay ${overlayFile} --scenarios ${scenarioFile}`)
  return 0
}
