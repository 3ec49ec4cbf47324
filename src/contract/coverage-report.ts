/**
 * Coverage as people and CI read it: a table, JSON, or JUnit XML where each operation is a test case —
 * passed when every declared outcome was reached, skipped (with what was never reached) otherwise —
 * and one more case fails when coverage is below the threshold.
 */
import type { Coverage, CoverageItem } from './coverage.ts'
import { junitXml } from './junit.ts'

export type CoverageFormat = 'table' | 'json' | 'junit'

export function formatCoverage(coverage: Coverage, format: CoverageFormat, min?: number): string {
  if (format === 'json') return JSON.stringify({ ...coverage, ...(min !== undefined ? { min, ok: coverage.percent >= min } : {}) }, null, 2) + '\n'
  if (format === 'junit') return coverageJUnit(coverage, min)
  return coverageTable(coverage, min)
}

export function itemLabel(item: CoverageItem): string {
  return item.code ? `${item.status ?? item.declared} ${item.code}` : item.declared
}

function coverageTable(coverage: Coverage, min?: number): string {
  const rows: string[][] = [['operation', 'requests', 'covered', 'reached', 'never reached']]
  for (const op of coverage.operations) {
    rows.push([
      `${op.operation} (${op.method} ${op.path})`,
      String(op.requests),
      `${op.reached}/${op.total} ${op.percent}%`,
      op.items.filter((i) => i.count > 0).map((i) => `${itemLabel(i)}×${i.count}`).join(', ') || '-',
      op.items.filter((i) => i.count === 0).map(itemLabel).join(', ') || '-',
    ])
  }
  const widths = rows[0]!.map((_, c) => Math.min(60, Math.max(...rows.map((r) => r[c]!.length))))
  const lines = rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ').trimEnd())
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '))
  const notes: string[] = []
  for (const op of coverage.operations) {
    for (const u of op.undeclared) notes.push(`${op.operation} answered ${u.status}${u.code ? ` ${u.code}` : ''} ×${u.count}, a status it does not declare`)
    for (const o of op.other) notes.push(`${op.operation} answered ${o.status}${o.code ? ` ${o.code}` : ''} ×${o.count} (declared status, code not among its own)`)
  }
  for (const u of coverage.unmatched) notes.push(`${u.method} ${u.path} ×${u.count} matched no operation`)
  if (coverage.dropped > 0) notes.push(`${coverage.dropped} request(s) answered by dropping the connection`)
  const verdict = min === undefined ? '' : coverage.percent >= min ? ` — at least ${min}%: ok` : ` — below the minimum ${min}%`
  return [
    `${coverage.title ?? coverage.spec}: ${coverage.requests} request(s)`,
    '',
    ...lines,
    '',
    ...notes.map((n) => `note: ${n}`),
    ...(notes.length ? [''] : []),
    `coverage: ${coverage.reached}/${coverage.total} declared outcomes reached (${coverage.percent}%)${verdict}`,
    '',
  ].join('\n')
}

function coverageJUnit(coverage: Coverage, min?: number): string {
  const cases = coverage.operations.map((op) => {
    const never = op.items.filter((i) => i.count === 0).map(itemLabel)
    return {
      name: `${op.operation} (${op.method} ${op.path})`,
      classname: 'standin.coverage',
      ...(never.length > 0 ? { skipped: `${op.reached}/${op.total} reached; never reached: ${never.join(', ')}` } : {}),
    }
  })
  if (min !== undefined) {
    cases.push({
      name: `coverage at least ${min}%`,
      classname: 'standin.coverage',
      ...(coverage.percent < min ? { failure: { message: `coverage ${coverage.percent}% is below the minimum ${min}% (${coverage.reached}/${coverage.total} declared outcomes reached)` } } : {}),
    } as (typeof cases)[number])
  }
  return junitXml('standin coverage', [{ name: `coverage of ${coverage.title ?? coverage.spec}`, cases }])
}
