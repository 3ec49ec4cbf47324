/**
 * The package as a consumer gets it, not the repo: `npm pack` (which builds dist/), the tarball
 * installed into a fresh project, then `npx standin --version`, every `--help`, `check` and `serve`
 * on a bundled spec, and the README's install example as plain Node ESM — on the lowest Node
 * package.json's engines claims (test/node-floor) and on the Node the repo runs on (24).
 * What works in the repo but breaks once installed (a bin or an export pointing at TypeScript, a
 * file the build leaves out, a run-time import of a devDependency) fails here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readFileSync, writeFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { join, posix } from 'node:path'
import { install, manifest, pack, remove, repo, run, startServe, withNode, workDir, type Consumer, type Packed } from './support/packed.ts'

const floorNode = join(repo, 'test', 'node-floor', 'node_modules', 'node', 'bin', 'node')
const floor = /^>=\s*(\d+\.\d+\.\d+)$/.exec(manifest.engines?.node ?? '')?.[1]
const nodes = [
  { label: `the lowest supported Node (${floor})`, path: floorNode },
  { label: `Node ${process.versions.node} (the repo's)`, path: process.execPath },
]
const LONG = 300_000

let work: string
let packed: Packed
let consumer: Consumer

beforeAll(() => {
  work = workDir()
  packed = pack(work)
  consumer = install(work, packed.tarball, ['msw'], floorNode)
}, 2 * LONG)

afterAll(() => {
  if (work) remove(work)
})

describe('the tarball', () => {
  it('holds the built JavaScript, its declarations and the bundled APIs — no sources, tests or bench', () => {
    const files = new Set(packed.files)
    for (const target of exportTargets()) expect(files, target).toContain(target)
    for (const bin of Object.values(manifest.bin ?? {})) expect(files, bin).toContain(bin.replace(/^\.\//, ''))
    expect(files).toContain('dist/scenario/scenario.schema.json')
    // The dashboard's page, style and script modules, served by `standin serve` from the package.
    for (const file of ['index.html', 'style.css', 'app.js', 'api.js', 'dom.js', 'views/journal.js']) expect(files).toContain(`dist/dashboard/${file}`)
    expect(files).toContain('spec/browser-sessions.yaml')
    expect(files).toContain('scenarios/browser-sessions/default.yaml')
    expect(packed.files.filter((f) => /^(src|test|bench|scripts|\.ci)\//.test(f) || /\.ts$/.test(f) && !f.endsWith('.d.ts'))).toEqual([])
  })

  it('holds every file its JavaScript imports and the dashboard\'s page loads (a module the build leaves out breaks only once installed)', () => {
    const files = new Set(packed.files)
    const root = join(consumer.dir, 'node_modules', manifest.name)
    const missing = [...imports()].flatMap(([file, specifiers]) => specifiers.filter((s) => s.startsWith('.'))
      .map((s) => posix.normalize(posix.join(posix.dirname(file), s))).filter((target) => !files.has(target)).map((target) => `${file} -> ${target}`))
    // The page names its style and script by their served paths, /__standin/ui/<file>.
    const page = readFileSync(join(root, 'dist', 'dashboard', 'index.html'), 'utf8')
    const named = [...page.matchAll(/(?:src|href)="\/__standin\/ui\/([^"#?]+)"/g)].map((m) => `dist/dashboard/${m[1]}`)
    expect(named).toEqual(expect.arrayContaining(['dist/dashboard/app.js', 'dist/dashboard/style.css']))
    expect([...missing, ...named.filter((f) => !files.has(f))]).toEqual([])
  })

  it('points every export and the bin at JavaScript, each entry with its types', () => {
    for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
      if (subpath === './package.json') continue
      expect(target, subpath).toEqual({ types: expect.stringMatching(/^\.\/dist\/.*\.d\.ts$/), default: expect.stringMatching(/^\.\/dist\/.*\.js$/) })
    }
    for (const bin of Object.values(manifest.bin ?? {})) expect(bin).toMatch(/\.m?js$/)
  })

  it('declarations import each other as .js, as every TypeScript and tool reads them', () => {
    const root = join(consumer.dir, 'node_modules', manifest.name)
    const tsImports = packed.files.filter((f) => f.endsWith('.d.ts')).filter((f) => /(?:\bfrom\s*|\bimport\s*\(?\s*)['"]\.{1,2}\/[^'"]*\.ts['"]/.test(readFileSync(join(root, f), 'utf8')))
    expect(tsImports).toEqual([])
  })

  it('is mapped, export by export, to its sources in the repo (tsconfig.json paths; vitest.config.ts derives its own)', async () => {
    const { parseConfigFileTextToJson } = (await import('typescript')).default
    const paths = (parseConfigFileTextToJson('tsconfig.json', readFileSync(join(repo, 'tsconfig.json'), 'utf8')).config as { compilerOptions: { paths: Record<string, string[]> } }).compilerOptions.paths
    const expected = Object.fromEntries(Object.keys(manifest.exports ?? {}).filter((s) => s !== './package.json').map((subpath) => [
      manifest.name + subpath.slice(1), [exportOf(subpath).replace(/^\.\/dist\//, './src/').replace(/\.js$/, '.ts')],
    ]))
    expect(paths).toEqual(expected)
  })

  it('starts its command with a line every env understands (BusyBox\'s, as in Alpine, has no -S)', () => {
    for (const bin of Object.values(manifest.bin ?? {})) {
      expect(readFileSync(join(consumer.dir, 'node_modules', manifest.name, bin), 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node')
    }
  })

  it('imports at run time only Node built-ins, its dependencies and its peers', () => {
    const allowed = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {}), manifest.name])
    const stray = [...imports()].flatMap(([file, specifiers]) => specifiers.filter((s) => !s.startsWith('.') && !allowed.has(packageOf(s))).map((s) => `${file}: ${s}`))
    expect(stray).toEqual([])
  })

  it('loads its optional peer msw only through standin/msw: the command, standin and standin/node never do', () => {
    const graph = imports()
    const reach = (entry: string) => {
      const seen = new Set<string>()
      const packages = new Set<string>()
      const visit = (file: string) => {
        if (seen.has(file)) return
        seen.add(file)
        for (const specifier of graph.get(file) ?? []) {
          if (specifier.startsWith('.')) visit(posix.normalize(posix.join(posix.dirname(file), specifier)))
          else packages.add(packageOf(specifier))
        }
      }
      visit(entry)
      return { files: seen, packages }
    }
    const bin = reach(Object.values(manifest.bin ?? {})[0]!.replace(/^\.\//, ''))
    // The command reaches the built CLI, and through it the library (a guard against an edge not seen).
    expect([...bin.files]).toEqual(expect.arrayContaining(['dist/cli/main.js', 'dist/index.js', 'dist/adapters/node-http.js']))
    expect(bin.packages).not.toContain('msw')
    expect(reach(exportOf('.').slice(2)).packages).not.toContain('msw')
    expect(reach(exportOf('./node').slice(2)).packages).not.toContain('msw')
    expect(reach(exportOf('./msw').slice(2)).packages).toContain('msw')
  })
})

describe('installed in a fresh project', () => {
  it(`is tested on the Node engines claims as its lowest (${manifest.engines?.node})`, () => {
    expect(floor, 'engines.node is ">=x.y.z"').toBeDefined()
    expect(run(floorNode, ['--version'], { cwd: repo }).stdout.trim()).toBe(`v${floor}`)
    // The floor's own `node` must not have become the repo's (node_modules/.bin/node).
    expect(process.versions.node).not.toBe(floor)
  })

  it('installs on the lowest supported Node with no engine warning', () => {
    expect(consumer.installLog).not.toMatch(/EBADENGINE/)
  })

  it('type-checks a consumer\'s TypeScript against the declarations', () => {
    writeFileSync(join(consumer.dir, 'types.ts'), `
      import { createStandin, check, type Standin } from 'standin'
      import { handlersFor } from 'standin/msw'
      import { listen } from 'standin/node'
      const standin: Standin = await createStandin({ spec: 'spec.yaml' })
      const handlers: unknown[] = handlersFor(standin)
      const ok: boolean = check('spec.yaml').ok
      const count: number = standin.world('default').journal.count({ status: 429 })
      // @ts-expect-error an option createStandin does not have
      await createStandin({ spek: 'spec.yaml' })
      export { handlers, ok, count, listen }
    `)
    writeFileSync(join(consumer.dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2023', strict: true, noEmit: true, skipLibCheck: true, types: [] },
      files: ['types.ts'],
    }))
    const tsc = run(process.execPath, [join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], { cwd: consumer.dir })
    expect(tsc.stdout + tsc.stderr).toBe('')
    expect(tsc.code).toBe(0)
  }, LONG)

  describe.each(nodes)('on $label', ({ path }) => {
    const env = () => withNode(path)
    const bin = () => join(consumer.dir, 'node_modules', '.bin', 'standin')
    const standin = (...args: string[]) => run(bin(), args, { cwd: consumer.dir, env: env() })
    const spec = `node_modules/${manifest.name}/spec/browser-sessions.yaml`
    const scenarios = `node_modules/${manifest.name}/scenarios/browser-sessions`

    it('npx standin --version prints the package version', () => {
      // --offline: the installed bin or nothing, never a download.
      const result = run('npx', ['--offline', 'standin', '--version'], { cwd: consumer.dir, env: env() })
      expect(result.stderr).toBe('')
      expect(result.stdout.trim()).toBe(manifest.version)
      expect(result.code).toBe(0)
    }, LONG)

    it('prints its help and every command\'s, each with its options and an example; refuses an unknown option', () => {
      const top = standin('--help')
      expect(top.code).toBe(0)
      const commands = [.../^Commands:\n((?: {2}.*\n)+)/m.exec(top.stdout)![1]!.matchAll(/^ {2}(\w+)\b/gm)].map((m) => m[1]!)
      expect(commands).toEqual(expect.arrayContaining(['serve', 'check', 'coverage', 'verify']))
      for (const command of commands) {
        const help = standin(command, '--help')
        expect(help.code, `${command} --help`).toBe(0)
        expect(help.stdout).toMatch(new RegExp(`^Usage:\\n {2}standin ${command}\\b`, 'm'))
        expect(help.stdout).toMatch(/^Options:\n( {2}.*--[a-z-]+.* {2}\S.*\n)+/m)
        expect(help.stdout).toMatch(new RegExp(`^Examples?:\\n {2}standin ${command} `, 'm'))
      }
      expect(standin('check', '-h').stdout).toBe(standin('check', '--help').stdout)
      expect(standin('check', '--help').stdout).toMatch(/--strict +treat warnings as problems; exit 1/)
      const bad = standin('serve', spec, '--no-such-option')
      expect(bad.code).toBe(2)
      expect(bad.stderr).toMatch(/^standin serve: Unknown option '--no-such-option'/)
    }, LONG)

    it('checks a bundled spec and its scenarios', () => {
      const result = standin('check', spec, '--scenarios', scenarios)
      expect(result.stdout).toMatch(new RegExp(`^ok: ${spec} — \\d+ operations, \\d+ scenarios`))
      expect(result.code).toBe(0)
    }, LONG)

    it('serves a bundled spec on loopback, answers, and stops cleanly on SIGTERM', async () => {
      const served = await startServe(bin(), [spec, '--scenarios', scenarios], { cwd: consumer.dir, env: env(), timeoutMs: LONG / 2 })
      let stopped
      try {
        const res = await fetch(`${served.url}/v1/sessions`, { headers: { authorization: 'Bearer bsk_acme_live_1' } })
        expect(res.status).toBe(200)
        expect(await res.json()).toMatchObject({ data: expect.any(Array) })
        // The dashboard, from the package's own files, linked from the banner.
        const page = await fetch(`${served.url}/__standin/ui/`)
        expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8'])
        expect(await page.text()).toContain('<script type="module" src="/__standin/ui/app.js">')
        expect((await fetch(`${served.url}/__standin/ui/views/journal.js`)).status).toBe(200)
      } finally {
        stopped = await served.stop()
      }
      expect(stopped.stderr).toBe('')
      expect(stopped.stdout).toMatch(/standin: stopped after 1 request\(s\); no contract violations/)
      expect(stopped.stdout).toContain(`dashboard: ${served.url}/__standin/ui/`)
      expect(stopped.code).toBe(0)
    }, LONG)

    it('runs the README\'s install example as plain Node ESM', () => {
      writeFileSync(join(consumer.dir, 'example.mjs'), readmeExample())
      const result = run(path, ['example.mjs'], { cwd: consumer.dir, env: env() })
      expect(result.stderr).toBe('')
      expect(result.stdout).toBe('429 concurrency_limit\n201\n')
      expect(result.code).toBe(0)
    }, LONG)
  })
})

/**
 * What each JavaScript file of the tarball imports (static, for its side effects, dynamic, require,
 * import.meta.resolve), by its path in the package; Node's built-ins left out.
 */
function imports(): Map<string, string[]> {
  const root = join(consumer.dir, 'node_modules', manifest.name)
  const graph = new Map<string, string[]>()
  for (const file of packed.files.filter((f) => /\.m?js$/.test(f))) {
    const code = readFileSync(join(root, file), 'utf8').replace(/\/\*[\s\S]*?\*\/|^\s*\/\/.*$/gm, '')
    const found = [...code.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*|\bimport\.meta\.resolve\s*\(\s*)['"]([^'"]+)['"]/g)].map((m) => m[1]!)
    graph.set(file, found.filter((s) => !s.startsWith('node:') && !builtinModules.includes(s)))
  }
  return graph
}

/** The package a bare specifier names: `ajv/dist/2020` → ajv, `@faker-js/faker/locale/en` → @faker-js/faker. */
function packageOf(specifier: string): string {
  return specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/')
}

/** The JavaScript an export of package.json points at. */
function exportOf(subpath: string): string {
  const target = manifest.exports?.[subpath]
  return typeof target === 'string' ? target : target!.default!
}

/** Every file the exports map names. */
function exportTargets(): string[] {
  return Object.values(manifest.exports ?? {}).flatMap((t) => typeof t === 'string' ? [t] : Object.values(t)).map((t) => t.replace(/^\.\//, ''))
}

/** The README's install section's library example (the block that imports standin/msw). */
function readmeExample(): string {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8')
  const install = readme.slice(readme.indexOf('\n## Install'), readme.indexOf('\n## ', readme.indexOf('\n## Install') + 1))
  const block = [...install.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!).find((code) => code.includes("from 'standin/msw'"))
  if (!block) throw new Error('README.md: no ```js block importing standin/msw under ## Install')
  return block
}

