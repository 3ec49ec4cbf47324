/**
 * Running the standin CLI as a user does — a child process on the pinned Node (process.execPath) —
 * and small node:http servers that stand for providers, each stopped by the test that starts it.
 */
import { spawn } from 'node:child_process'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { readdirSync, existsSync } from 'node:fs'
import { basename, join } from 'node:path'

export interface CliRun {
  code: number | null
  stdout: string
  stderr: string
}

export function runCli(args: string[]): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['src/cli/main.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => { stdout += d })
    child.stderr.on('data', (d) => { stderr += d })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

export interface TestServer {
  url: string
  close(): Promise<void>
}

/** A loopback server on a free port, answering with `handler`. */
export function serve(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<TestServer> {
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (d) => { body += d })
    req.on('end', () => handler(req, res, body))
  })
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () => new Promise<void>((done) => { server.close(() => done()); server.closeAllConnections() }),
      })
    })
  })
}

/** A port nothing listens on: one that was free a moment ago. */
export async function closedPort(): Promise<string> {
  const s = await serve((_req, res) => res.end())
  await s.close()
  return s.url
}

/** Every bundled spec, with its scenarios folder when there is one. */
export function bundledSpecs(): Array<{ name: string; spec: string; scenarios?: string }> {
  return readdirSync('spec').filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => {
    const name = basename(f).replace(/\.ya?ml$/, '')
    const scenarios = join('scenarios', name)
    return { name, spec: join('spec', f), ...(existsSync(scenarios) ? { scenarios } : {}) }
  })
}

export interface Serving {
  url: string
  /** Stops it (SIGTERM) and resolves with how it exited. */
  stop(): Promise<CliRun>
}

/** `standin serve …` as a child process on a free port; resolves once it listens. */
export function startServe(args: string[]): Promise<Serving> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['src/cli/main.ts', 'serve', ...args, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    let listening = false
    const exited = new Promise<CliRun>((done) => child.on('close', (code) => done({ code, stdout, stderr })))
    child.stderr.on('data', (d) => { stderr += d })
    child.stdout.on('data', (d) => {
      stdout += d
      const url = /serving .* on (http:\/\/\S+)/.exec(stdout)?.[1]
      if (url && !listening) {
        listening = true
        resolve({ url, stop: () => { child.kill('SIGTERM'); return exited } })
      }
    })
    exited.then((run) => { if (!listening) reject(new Error(`standin serve exited ${run.code} before listening:\n${run.stdout}${run.stderr}`)) })
  })
}
