/**
 * Builds the package: src/ compiled to JavaScript and declaration files in dist/ (tsconfig.build.json),
 * plus every file under src/ that is not TypeScript (scenario.schema.json, which the scenario loader
 * reads at run time relative to its own module; src/dashboard's page, style and script modules, which
 * `standin serve` hands out at /__standin/ui), at the same relative path. dist/ starts empty, so a
 * module deleted from src/ never lingers in the package. Run by `npm run build` and by prepack, so
 * `npm pack` and `npm publish` always ship JavaScript built from the current sources.
 */
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { join, relative, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '..')
const src = join(root, 'src')
const dist = join(root, 'dist')

rmSync(dist, { recursive: true, force: true })
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
// STANDIN_BUILD_NO_CHECK=1 (the package test, whose suite type-checks the sources itself): emit
// without checking types — the same output, in less time.
const noCheck = process.env.STANDIN_BUILD_NO_CHECK === '1' ? ['--noCheck'] : []
const compiled = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), ...noCheck], { stdio: 'inherit' })
if (compiled.status !== 0) {
  console.error('build: tsc failed')
  process.exit(1)
}

// tsc rewrites the sources' relative `.ts` imports to `.js` in the JavaScript it writes
// (rewriteRelativeImportExtensions) but not in the declarations; there they are made `.js` too,
// as every TypeScript that reads declarations (and every tool) resolves them.
let declarations = 0
for (const entry of readdirSync(dist, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.d.ts')) continue
  const file = join(entry.parentPath, entry.name)
  const text = readFileSync(file, 'utf8')
  const rewritten = text.replace(/(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]*?)\.ts\2/g, '$1$2$3.js$2')
  if (rewritten !== text) {
    writeFileSync(file, rewritten)
    declarations++
  }
}

let assets = 0
for (const entry of readdirSync(src, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || entry.name.endsWith('.ts')) continue
  const from = join(entry.parentPath, entry.name)
  const to = join(dist, relative(src, from))
  cpSync(from, to)
  assets++
}
console.log(`build: ${relative(root, dist)}/ from ${relative(root, src)}/ (${declarations} declaration file(s) with .js imports, ${assets} asset file(s) copied)`)
