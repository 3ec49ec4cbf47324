#!/usr/bin/env -S node --max-semi-space-size=8
// --max-semi-space-size=8 (here, and in package.json's start and standin scripts): V8's young
// generation kept to 8 MB a half, where it would grow to 32 MB once many objects survive (a world
// loaded, records created under load) and stay committed: shorter collection pauses under load, and
// ~50 MB less resident with 100,000 records. Measured in bench/ (README, Performance).
// The standin command. Plain JavaScript, so that Node starts it without loading its TypeScript
// stripper; with the compile cache on, standin's own modules then load already stripped and
// compiled from the second run on (about a quarter of start-up). See src/cli/main.ts.
import { enableCompileCache } from 'node:module'

enableCompileCache?.()
const { run } = await import('../src/cli/main.ts')
await run(process.argv.slice(2))
