/**
 * Runs before every test file (vitest setupFiles). A response standin sent that breaks the spec fails
 * the test that caused it: self-check violations are standin bugs, never noise.
 */
import { afterEach } from 'vitest'
import { describeViolations, takeResponseViolations } from './self-check.ts'
import { reportCpu } from './cpu-report.ts'

// STANDIN_TEST_CPU=<file>: each file's CPU seconds appended to it (test/support/cpu-report.ts).
if (process.env.STANDIN_TEST_CPU) reportCpu(process.env.STANDIN_TEST_CPU)

afterEach(() => {
  const found = takeResponseViolations()
  if (found.length > 0) throw new Error(`standin sent ${found.length} response(s) that break the spec (self-check):\n${describeViolations(found)}`)
})
