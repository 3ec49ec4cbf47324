/**
 * The processes a benchmark starts: servers under test and child scripts. Every one is tracked and
 * stopped — when its section ends, when the run fails, and on SIGINT/SIGTERM — so a benchmark never
 * leaves a server listening behind it.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'

export interface Child {
  name: string
  process: ChildProcess
  /** The last few KB of stdout and stderr, for error messages. */
  output(): string
  /** Resolves with the first match of `pattern` in the output. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray>
  /** Resolves with everything the child wrote to stdout, once it exits with code 0. */
  result(timeoutMs: number): Promise<string>
  /** Resolves with the exit code (or the signal), or 'timeout' after stopping it; never rejects. */
  exit(timeoutMs: number): Promise<number | string>
  /** The first MB written to stdout and stderr (where `output` has only the last few KB). */
  everything(): string
  stop(): Promise<void>
}

const running = new Set<Child>()
let hooked = false

/** Starts `command args` and tracks it until it exits or is stopped. */
export function start(name: string, command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Child {
  hookExit()
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] })
  let tail = ''
  let stdout = ''
  let all = ''
  const listeners = new Set<() => void>()
  let signal: string | null = null
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code, sig) => { signal = sig; resolve(code) }))
  /** The exit code, or "timeout" once `timeoutMs` has passed without one. */
  const exitedWithin = async (timeoutMs: number): Promise<number | null | 'timeout'> => {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), timeoutMs) })
    try { return await Promise.race([exited, timeout]) } finally { clearTimeout(timer) }
  }
  const collect = (chunk: Buffer, isStdout: boolean) => {
    const text = chunk.toString()
    if (isStdout) stdout += text
    if (all.length < 2 ** 20) all += text
    tail = (tail + text).slice(-8192)
    for (const l of listeners) l()
  }
  child.stdout!.on('data', (c: Buffer) => collect(c, true))
  child.stderr!.on('data', (c: Buffer) => collect(c, false))
  const handle: Child = {
    name,
    process: child,
    output: () => tail,
    waitFor(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = pattern.exec(tail)
          if (m) { done(); resolve(m) }
        }
        const timer = setTimeout(() => { done(); reject(new Error(`${name}: no ${pattern} within ${timeoutMs} ms; output:\n${tail}`)) }, timeoutMs)
        const onExit = () => { done(); reject(new Error(`${name} exited before printing ${pattern}; output:\n${tail}`)) }
        const done = () => { clearTimeout(timer); listeners.delete(check); child.off('exit', onExit) }
        listeners.add(check)
        child.once('exit', onExit)
        check()
      })
    },
    async result(timeoutMs) {
      const code = await exitedWithin(timeoutMs)
      if (code === 'timeout') {
        await handle.stop()
        throw new Error(`${name} did not finish within ${timeoutMs} ms; output:\n${tail}`)
      }
      running.delete(handle)
      if (code !== 0) throw new Error(`${name} exited with code ${code}; output:\n${tail}`)
      return stdout
    },
    everything: () => all,
    async exit(timeoutMs) {
      const code = await exitedWithin(timeoutMs)
      if (code === 'timeout') {
        await handle.stop()
        return 'timeout'
      }
      running.delete(handle)
      return code ?? signal ?? 'unknown'
    },
    async stop() {
      running.delete(handle)
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      let timer: NodeJS.Timeout | undefined
      const killed = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => { timer = setTimeout(() => r(false), 3000) })])
      clearTimeout(timer)
      if (!killed) {
        child.kill('SIGKILL')
        await exited
      }
    },
  }
  running.add(handle)
  return handle
}

/** Stops every child still running. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((c) => c.stop()))
}

function hookExit(): void {
  if (hooked) return
  hooked = true
  // Last resort: a synchronous kill when the harness exits however it exits.
  process.once('exit', () => { for (const c of running) c.process.kill('SIGKILL') })
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\nbench: ${signal}, stopping ${running.size} process(es)`)
      void stopAll().finally(() => process.exit(130))
    })
  }
}

/** A port free on 127.0.0.1 right now (for servers that cannot be told to pick one and say which). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/** Polls until `probe` resolves true, or fails after `timeoutMs`. */
export async function until(probe: () => Promise<boolean>, timeoutMs: number, what: string, everyMs = 5): Promise<void> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    if (await probe().catch(() => false)) return
    if (performance.now() > deadline) throw new Error(`${what}: not ready within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, everyMs))
  }
}
