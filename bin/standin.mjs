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
import { existsSync } from 'node:fs'

module.enableCompileCache?.()
const source = new URL('../src/cli/main.ts', import.meta.url)
const { run } = existsSync(source) && process.features.typescript ? await import(source.href) : await import('../dist/cli/main.js')
await run(process.argv.slice(2))
