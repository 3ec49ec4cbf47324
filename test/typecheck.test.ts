/**
 * The type-check (`tsc --noEmit`, tsconfig.json: src, test, bench, scripts) as a test of the suite,
 * so `npm test` runs it beside the other files rather than before them all — it is one process on
 * one core for several seconds — and a type error is counted in test-results.json like any failure.
 *
 * Incremental: tsc keeps what it found per file in a build-info file (node_modules/.cache/standin/),
 * and the next run checks again only the files that changed and those whose view of them did —
 * half the CPU time of a full check once the file is there (a clean checkout has none: a full
 * check). An error is kept in that file too and reported again until it is fixed. Each run works on
 * its own copy and moves it into place when done, so runs side by side never read a half-written one.
 */
import { spawn } from 'node:child_process'
import { copyFileSync, mkdirSync, renameSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { expect, it } from 'vitest'

const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc')
const BUILD_INFO = join(import.meta.dirname, '..', 'node_modules', '.cache', 'standin', 'typecheck.tsbuildinfo')

it('type-checks: tsc --noEmit finds no error', { timeout: 180_000 }, async () => {
  const mine = `${BUILD_INFO}.${process.pid}`
  mkdirSync(dirname(BUILD_INFO), { recursive: true })
  try {
    copyFileSync(BUILD_INFO, mine)
  } catch {
    // None yet: a full check.
  }
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [TSC, '--noEmit', '--pretty', 'false', '--incremental', '--tsBuildInfoFile', mine], { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (d) => { output += d })
    child.stderr.on('data', (d) => { output += d })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, output }))
  })
  try {
    renameSync(mine, BUILD_INFO)
  } catch {
    rmSync(mine, { force: true })
  }
  // The diagnostics themselves, one a line, are the failure message.
  expect(output.trim().split('\n').filter(Boolean)).toEqual([])
  expect(code).toBe(0)
})
