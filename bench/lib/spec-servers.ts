/**
 * standin and Prism served on any document, started the same way: a child process each on a free
 * loopback port, timed from spawning to the first answer of one real request. The big-spec and
 * corpus benchmarks use it; the callers stop the child.
 */
import { STANDIN_NODE_FLAGS, PRISM_FLAGS, prismEntry } from './systems.ts'
import { freePort, start, type Child } from './processes.ts'
import { firstAnswer, type Probe, type Started } from './first-answer.ts'

export type Peer = 'standin' | 'prism'
export const PEERS: Peer[] = ['standin', 'prism']

/** The command line of each: standin's CLI as `npx standin serve` runs it, `prism mock` as the throughput section runs it. */
export function serveArgs(peer: Peer, doc: string, port: number | string): string[] {
  return peer === 'standin'
    ? [...STANDIN_NODE_FLAGS, 'bin/standin.mjs', 'serve', doc, '--host', '127.0.0.1', '--port', String(port)]
    : [prismEntry().file, 'mock', doc, '-h', '127.0.0.1', '-p', String(port), ...PRISM_FLAGS]
}

/** The command line for a report, with Prism's entry file shortened to `prism`. */
export function describeCommand(peer: Peer, doc = '<doc>'): string {
  return `node ${serveArgs(peer, doc, '<port>').join(' ').replace(prismEntry().file, 'prism')}`
}

export interface Served { child: Child; url: string; started: Started }

/** Starts `peer` on `doc` and waits for the answer to `probe` (or for the process to exit, or `timeoutMs`). */
export async function serveAndAsk(peer: Peer, doc: string, probe: Probe, options: { env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<Served> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const t0 = performance.now()
  const child = start(`${peer} on ${doc}`, process.execPath, serveArgs(peer, doc, port), { env: options.env })
  const started = await firstAnswer(child, url, probe, t0, options.timeoutMs)
  return { child, url, started }
}
