/**
 * Where the suite's CPU time goes, file by file: `STANDIN_TEST_CPU=/tmp/cpu.tsv npm test` appends a
 * line per test file: its path, the CPU seconds of the worker while its hooks and tests ran (its
 * imports and top-level code come before and are not counted), those of the child processes it
 * started and waited for (the CLI, Prism, tsc, npm, Chromium), and the wall seconds. On a shared
 * machine the wall time says how busy the machine was; the CPU seconds say what a file costs.
 * Linux only (/proc); elsewhere the children are not counted. Off unless the variable is set.
 */
import { afterAll, beforeAll, expect } from 'vitest'
import { appendFileSync, readFileSync } from 'node:fs'
import { relative } from 'node:path'

interface Cpu { worker: number; children: number }

/** Seconds of CPU so far: this process's, and its waited-for children's (/proc/self/stat fields 14–17). */
function cpuNow(): Cpu {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ')
    const ticks = (at: number) => Number(fields[at - 3])
    // USER_HZ is 100 on every Linux Node runs on.
    return { worker: (ticks(14) + ticks(15)) / 100, children: (ticks(16) + ticks(17)) / 100 }
  } catch {
    const { user, system } = process.cpuUsage()
    return { worker: (user + system) / 1e6, children: 0 }
  }
}

export function reportCpu(file: string): void {
  let start: Cpu
  let startedAt = 0
  beforeAll(() => {
    start = cpuNow()
    startedAt = performance.now()
  })
  // Registered first in the file, so (hooks run as a stack) the last afterAll to run: the file's own cleanup counts.
  afterAll(() => {
    const end = cpuNow()
    const path = relative(process.cwd(), expect.getState().testPath ?? '?')
    appendFileSync(file, `${path}\t${(end.worker - start.worker).toFixed(2)}\t${(end.children - start.children).toFixed(2)}\t${((performance.now() - startedAt) / 1000).toFixed(1)}\n`)
  })
}
