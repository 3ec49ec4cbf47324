/**
 * Prism (@stoplight/prism-cli) as an independent referee: `prism proxy <spec> <upstream> --errors`
 * validates every request and every upstream response against the spec. Run on the pinned Node
 * (Prism 5.16 needs >= 24.18): process.execPath with Prism's own entry file, never a global prism.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createRequire } from 'node:module'
import { closedPort } from './cli.ts'

const require = createRequire(import.meta.url)
const PRISM = require.resolve('@stoplight/prism-cli/dist/index.js')

export interface PrismProxy {
  url: string
  stop(): Promise<void>
}

/** Starts `prism proxy` in front of `upstream`; resolves once it listens (its start-up takes a second or two). */
export async function startPrismProxy(spec: string, upstream: string): Promise<PrismProxy> {
  const port = new URL(await closedPort()).port
  const child = spawn(process.execPath, [PRISM, 'proxy', spec, upstream, '--errors', '--host', '127.0.0.1', '--port', port], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const exited = new Promise<void>((done) => child.once('exit', () => done()))
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await exited
  }
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const onData = (d: Buffer) => {
        output += d
        const m = /Prism is listening on (http:\/\/\S+)/.exec(output)
        if (m) resolve(m[1]!)
      }
      child.stdout!.on('data', onData)
      child.stderr!.on('data', onData)
      child.once('exit', (code) => reject(new Error(`prism exited (${code}) before listening:\n${output}`)))
    })
    // Keep reading its log so a full pipe never blocks it.
    drain(child)
    return { url, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

function drain(child: ChildProcess): void {
  child.stdout!.resume()
  child.stderr!.resume()
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
