/**
 * JUnit XML, the report format CI systems read (GitHub Actions reporters, GitLab, Jenkins, CircleCI):
 * `<testsuites>` of `<testsuite>`s of `<testcase>`s, each passed, failed or skipped.
 */
export interface JUnitCase {
  name: string
  classname: string
  timeMs?: number
  failure?: { message: string; details?: string }
  skipped?: string
}

export interface JUnitSuite {
  name: string
  cases: JUnitCase[]
}

export function junitXml(name: string, suites: JUnitSuite[]): string {
  const count = (list: JUnitCase[], what: 'failure' | 'skipped') => list.filter((c) => c[what] !== undefined).length
  const all = suites.flatMap((s) => s.cases)
  const lines = [`<?xml version="1.0" encoding="UTF-8"?>`, `<testsuites name="${esc(name)}" tests="${all.length}" failures="${count(all, 'failure')}" skipped="${count(all, 'skipped')}">`]
  for (const suite of suites) {
    const time = suite.cases.reduce((t, c) => t + (c.timeMs ?? 0), 0) / 1000
    lines.push(`  <testsuite name="${esc(suite.name)}" tests="${suite.cases.length}" failures="${count(suite.cases, 'failure')}" skipped="${count(suite.cases, 'skipped')}" errors="0" time="${time.toFixed(3)}">`)
    for (const c of suite.cases) {
      const open = `    <testcase name="${esc(c.name)}" classname="${esc(c.classname)}" time="${((c.timeMs ?? 0) / 1000).toFixed(3)}"`
      if (c.failure) lines.push(`${open}>`, `      <failure message="${esc(c.failure.message)}">${esc(c.failure.details ?? c.failure.message)}</failure>`, '    </testcase>')
      else if (c.skipped !== undefined) lines.push(`${open}>`, `      <skipped message="${esc(c.skipped)}"/>`, '    </testcase>')
      else lines.push(`${open}/>`)
    }
    lines.push('  </testsuite>')
  }
  lines.push('</testsuites>', '')
  return lines.join('\n')
}

/** XML 1.0 text: markup characters escaped, characters XML cannot hold dropped. */
function esc(text: string): string {
  return text
    .replace(/[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu, '')
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}
