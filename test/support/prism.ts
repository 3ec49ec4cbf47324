/**
 * Prism (@stoplight/prism-cli) as an independent referee: `prism proxy <spec> <upstream> --errors`
 * validates every request and every upstream response against the spec. Run on the pinned Node
 * (Prism 5.16 needs >= 24.18): process.execPath with Prism's own entry file, never a global prism.
 */
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { closedPort } from './cli.ts'

const require = createRequire(import.meta.url)
const PRISM = require.resolve('@stoplight/prism-cli/dist/index.js')

export interface PrismProxy {
  url: string
  stop(): Promise<void>
}

/**
 * Starts `prism proxy` in front of `upstream`; resolves once it answers (its start-up takes a second
 * or two).
 *
 * Prism runs with its log at `fatal`: at `info` it writes some 400 bytes of pretty-printed log per
 * exchange (a megabyte per spec's traffic), which costs it a third of its CPU time and the test
 * worker the reading of it; nothing here reads that log, Prism's verdicts come in its
 * `sl-violations` header and its own problem answers. A start-up failure is still logged (fatal) and
 * shown. At `fatal` Prism does not say when it listens, so it is asked: a probe to a path no spec
 * has must come back as Prism's own NO_PATH_MATCHED_ERROR naming that path — which also proves the
 * answer is this Prism's, not another process's that took the port.
 */
export async function startPrismProxy(spec: string, upstream: string): Promise<PrismProxy> {
  const port = new URL(await closedPort()).port
  const child = spawn(process.execPath, [PRISM, 'proxy', spec, upstream, '--errors', '--verboseLevel', 'fatal', '--host', '127.0.0.1', '--port', port], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const collect = (d: Buffer) => { output = (output + d).slice(-20_000) }
  // Keep reading its output so a full pipe never blocks it.
  child.stdout!.on('data', collect)
  child.stderr!.on('data', collect)
  let exitedWith: string | undefined
  const exited = new Promise<void>((done) => child.once('exit', (code, signal) => { exitedWith = `${code ?? signal}`; done() }))
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await exited
  }
  const url = `http://127.0.0.1:${port}`
  const probe = `/__standin-referee-probe-${process.pid}-${port}`
  try {
    for (;;) {
      if (exitedWith !== undefined) throw new Error(`prism exited (${exitedWith}) before listening:\n${output}`)
      if (await isPrism(url, probe)) return { url, stop }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  } catch (error) {
    await stop()
    throw error
  }
}

/** Whether what listens at `url` is a Prism serving a spec: its own 404 for `probe`, by name. */
async function isPrism(url: string, probe: string): Promise<boolean> {
  try {
    const res = await fetch(url + probe, { signal: AbortSignal.timeout(5_000) })
    const body = await res.text()
    return res.status === 404 && body.includes('prism/errors#NO_PATH_MATCHED_ERROR') && body.includes(probe)
  } catch {
    return false
  }
}

export interface PrismFinding {
  location: string[]
  severity: string
  code?: string | number
  message: string
}

/** What Prism found wrong with an exchange it forwarded (the `sl-violations` header), or nothing. */
export function prismFindings(headers: Headers | undefined): PrismFinding[] {
  const raw = headers?.get('sl-violations')
  if (!raw) return []
  try {
    return JSON.parse(raw) as PrismFinding[]
  } catch {
    return [{ location: [], severity: 'Error', message: `unreadable sl-violations header: ${raw.slice(0, 200)}` }]
  }
}

/** Did Prism answer itself (a request it would not forward, or a response it refused), and with what? */
export function prismAnswer(headers: Headers | undefined, body: string | undefined): string | undefined {
  if (!headers?.get('content-type')?.startsWith('application/problem+json')) return undefined
  const type = /"type"\s*:\s*"https:\/\/stoplight\.io\/prism\/errors#([A-Z_]+)"/.exec(body ?? '')?.[1]
  return type
}
