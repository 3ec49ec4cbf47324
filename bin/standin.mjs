#!/usr/bin/env node
// A plain `env node` line: npm links this file as the command (a symlink on Linux and macOS), so
// the line is what starts it, and `env -S node <flags>` fails where env has no -S (BusyBox, as in
// Alpine images; coreutils before 8.30). The V8 flag the dev server is measured with,
// --max-semi-space-size=8 (V8's young generation kept to 8 MB a half: shorter collection pauses
// under load, ~50 MB less resident with 100,000 records; README, Performance), is given by
// package.json's start and standin scripts and the bench; elsewhere NODE_OPTIONS=--max-semi-space-size=8.
// The standin command. Plain JavaScript, so that Node starts it without loading its TypeScript
// stripper; with the compile cache on, standin's modules then load already compiled from the second
// run on (about a quarter of start-up). See src/cli/main.ts.
//
// Installed from the package, it runs the built JavaScript in dist/ (`npm run build`, run by
// prepack): Node does not strip types under node_modules, and the package ships no src/. In this
// repo, where src/ is present and Node strips types, it runs the TypeScript sources themselves, so
// `npm start`, the bench and a linked checkout never run a stale build.
import module from 'node:module'
import { existsSync, readFileSync } from 'node:fs'

// A Node below package.json's engines (npm only warns at install) gets one line, not the stack trace
// of the first built-in it lacks (this file itself parses on Node 14.8 and later: top-level await).
const floor = /(\d+)\.(\d+)\.(\d+)/.exec(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).engines?.node ?? '')
const [major, minor, patch] = process.versions.node.split('.').map(Number)
if (floor && (major - floor[1] || minor - floor[2] || patch - floor[3]) < 0) {
  console.error(`standin: needs Node ${floor.slice(1).join('.')} or later (this is ${process.version}); see https://nodejs.org`)
  process.exit(1)
}

module.enableCompileCache?.()
const source = new URL('../src/cli/main.ts', import.meta.url)
const { run } = existsSync(source) && process.features.typescript ? await import(source.href) : await import('../dist/cli/main.js')
await run(process.argv.slice(2))
