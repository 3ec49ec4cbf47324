/**
 * standin as a consumer gets it: the repo packed by `npm pack` (prepack builds dist/), installed from
 * the tarball into a fresh project, and its command and modules run with a given Node.
 *
 * The pack runs in a copy of the working tree, so that `npm test` never rewrites the repo's own
 * dist/ (nor races another run doing the same). The install is offline: the project's lockfile is
 * the repo's, cut down to what the tarball and msw need, so npm takes every package from its cache
 * (filled by the repo's own `npm ci`) and the test never reaches the network.
 */
import { spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, delimiter, dirname, join, relative, sep } from 'node:path'

export const repo = join(import.meta.dirname, '..', '..')

interface Manifest {
  name: string
  version: string
  bin?: Record<string, string>
  exports?: Record<string, string | Record<string, string>>
  engines?: { node?: string }
  dependencies?: Record<string, string>
  devDependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  peerDependenciesMeta?: Record<string, { optional?: boolean }>
  license?: string
}
export const manifest = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as Manifest

export interface Packed {
  tarball: string
  /** Every path in the tarball, relative to the package root. */
  files: string[]
}

/** Runs a command to its end, bounded: a child that hangs is killed and the run fails. */
export function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }) {
  const result = spawnSync(command, args, { cwd: options.cwd, env: options.env ?? process.env, encoding: 'utf8', timeout: options.timeoutMs ?? 120_000, killSignal: 'SIGKILL' })
  if (result.error) throw result.error
  return { code: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr }
}

/**
 * `npm pack` of a copy of the working tree: everything but node_modules, .git, build output, and the
 * tests and benchmarks, which the build does not read and the package does not ship (a `files` list
 * gone too wide still shows: src/ and scripts/ are copied, and the tarball must have neither).
 */
export function pack(work: string): Packed {
  const stage = join(work, 'stage')
  const left = new Set(['dist', 'test', 'bench', 'test-results.json'])
  cpSync(repo, stage, {
    recursive: true,
    filter: (from) => {
      const path = relative(repo, from)
      return !path.split(sep).some((part) => part === 'node_modules' || part === '.git') && !left.has(path)
    },
  })
  // The build's tools (typescript) are the repo's own.
  symlinkSync(join(repo, 'node_modules'), join(stage, 'node_modules'), 'dir')
  // The build without its type check: the suite's own type-check test checks the same sources, and
  // the check is a third of the build's time. What it emits is the same either way.
  const packed = run('npm', ['pack', '--json', '--pack-destination', work], { cwd: stage, timeoutMs: 300_000, env: { ...process.env, STANDIN_BUILD_NO_CHECK: '1' } })
  if (packed.code !== 0) throw new Error(`npm pack failed (${packed.code}):\n${packed.stdout}\n${packed.stderr}`)
  // prepack's own output (the build's) comes first on stdout; npm's JSON report is the last thing.
  const report = JSON.parse(packed.stdout.slice(packed.stdout.search(/^\[/m))) as Array<{ filename: string; files: Array<{ path: string }> }>
  return { tarball: join(work, report[0]!.filename), files: report[0]!.files.map((f) => f.path) }
}

interface LockEntry {
  version?: string
  resolved?: string
  integrity?: string
  link?: boolean
  dependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  [key: string]: unknown
}

/**
 * The lockfile of a project depending on the tarball and on `extra` packages: the tarball's entry,
 * and every package the repo's lockfile resolves for standin's dependencies and for `extra`, at the
 * same place in node_modules (a subset of a valid tree stays valid: each package still finds what
 * it found in the repo).
 */
function consumerLock(tarball: string, extra: string[]): { lock: object; dependencies: Record<string, string> } {
  const repoLock = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> }
  const all = repoLock.packages
  const find = (from: string, name: string): string | undefined => {
    for (let base = from; ; base = base.slice(0, Math.max(0, base.lastIndexOf('/node_modules/')))) {
      const at = `${base ? `${base}/` : ''}node_modules/${name}`
      if (all[at]) return at
      if (!base) return undefined
    }
  }
  const packages: Record<string, LockEntry> = {}
  const queue: Array<[string, string]> = [...Object.keys(manifest.dependencies ?? {}), ...extra].map((name) => ['', name])
  while (queue.length > 0) {
    const [from, name] = queue.shift()!
    const at = find(from, name)
    if (!at) {
      // An optional dependency for another platform is not in the lockfile: nothing to install.
      continue
    }
    if (packages[at]) continue
    // Flags of the repo's tree (dev: only a devDependency needs it) do not hold in the consumer's.
    const { dev: _dev, devOptional: _devOptional, peer: _peer, ...entry } = all[at]!
    packages[at] = entry
    for (const dep of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies })) queue.push([at, dep])
  }
  const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`
  const file = `file:${basename(tarball)}`
  const dependencies: Record<string, string> = { [manifest.name]: file }
  for (const name of extra) dependencies[name] = manifest.devDependencies?.[name] ?? manifest.peerDependencies?.[name] ?? '*'
  packages[`node_modules/${manifest.name}`] = {
    version: manifest.version, resolved: file, integrity, license: manifest.license,
    dependencies: manifest.dependencies, bin: manifest.bin, engines: manifest.engines,
    peerDependencies: manifest.peerDependencies, peerDependenciesMeta: manifest.peerDependenciesMeta,
  }
  return { dependencies, lock: { name: 'consumer', lockfileVersion: 3, requires: true, packages: { '': { name: 'consumer', dependencies }, ...packages } } }
}

export interface Consumer {
  dir: string
  /** npm's output for the install (warnings such as EBADENGINE). */
  installLog: string
}

/**
 * A fresh ESM project with the tarball and `extra` (msw) installed, offline, by npm running on
 * `node` (npm checks every package's engines against the Node it runs on).
 */
export function install(work: string, tarball: string, extra: string[], node: string): Consumer {
  const dir = join(work, 'consumer')
  mkdirSync(dir)
  cpSync(tarball, join(dir, basename(tarball)))
  const { lock, dependencies } = consumerLock(tarball, extra)
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies }, null, 2))
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify(lock, null, 2))
  const result = run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], { cwd: dir, env: withNode(node), timeoutMs: 300_000 })
  if (result.code !== 0) throw new Error(`npm ci of the tarball failed (${result.code}):\n${result.stdout}\n${result.stderr}`)
  return { dir, installLog: result.stdout + result.stderr }
}

/** The environment with `node` first on PATH: npx, npm and the bin's `#!/usr/bin/env` find it. */
export function withNode(node: string, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, PATH: `${dirname(node)}${delimiter}${env.PATH ?? ''}` }
}

export function workDir(): string {
  return mkdtempSync(join(tmpdir(), 'standin-package-'))
}

export function remove(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
}

export interface Served {
  url: string
  /** SIGTERM, then the exit code and everything printed. */
  stop(): Promise<{ code: number | null; stdout: string; stderr: string }>
}

/** `standin serve … --port 0` started, resolved once it prints the URL it serves on. */
export function startServe(bin: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<Served> {
  const child = spawn(bin, ['serve', ...args, '--port', '0', '--host', '127.0.0.1'], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => { stdout += d })
  child.stderr.on('data', (d) => { stderr += d })
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  // Never outlives the test: killed outright if it neither starts nor stops in time.
  const deadline = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs)
  const finish = async () => {
    const code = await exited
    clearTimeout(deadline)
    return { code, stdout, stderr }
  }
  return new Promise((resolve, reject) => {
    const onData = () => {
      const url = /serving .* on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1]
      if (!url) return
      child.stdout.off('data', onData)
      resolve({ url, stop: () => { child.kill('SIGTERM'); return finish() } })
    }
    child.stdout.on('data', onData)
    void exited.then(async () => reject(new Error(`standin serve exited before serving:\n${(await finish()).stdout}\n${stderr}`)))
  })
}
