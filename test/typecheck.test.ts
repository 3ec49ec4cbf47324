/**
 * The type-check (`tsc --noEmit`, tsconfig.json: src, test, bench, scripts) as a test of the suite,
 * so `npm test` runs it beside the other files rather than before them all — it is one process on
 * one core for several seconds — and a type error is counted in test-results.json like any failure.
 */
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { expect, it } from 'vitest'

const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc')

it('type-checks: tsc --noEmit finds no error', { timeout: 180_000 }, async () => {
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [TSC, '--noEmit', '--pretty', 'false'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (d) => { output += d })
    child.stderr.on('data', (d) => { output += d })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, output }))
  })
  // The diagnostics themselves, one a line, are the failure message.
  expect(output.trim().split('\n').filter(Boolean)).toEqual([])
  expect(code).toBe(0)
})
