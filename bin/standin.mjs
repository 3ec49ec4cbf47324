#!/usr/bin/env node
// The standin command. Plain JavaScript, so that Node starts it without loading its TypeScript
// stripper; with the compile cache on, standin's own modules then load already stripped and
// compiled from the second run on (about a quarter of start-up). See src/cli/main.ts.
import { enableCompileCache } from 'node:module'

enableCompileCache?.()
const { run } = await import('../src/cli/main.ts')
await run(process.argv.slice(2))
