/** Plain-text tables for the terminal, and the same rows as Markdown for the README. */
export type Row = Array<string | number>

export function text(header: string[], rows: Row[]): string {
  const cells = [header, ...rows].map((r) => r.map(String))
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i]?.length ?? 0)))
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd()
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n')
}

export function markdown(header: string[], rows: Row[]): string {
  const line = (r: Row) => `| ${r.map(String).join(' | ')} |`
  return [line(header), `|${header.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`, ...rows.map(line)].join('\n')
}

/** 12345.6 -> "12,346"; 1.234 -> "1.23". */
export function num(value: number | undefined, digits = 2): string {
  if (value === undefined || !Number.isFinite(value)) return '–'
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US')
  return value.toFixed(digits)
}

export function ratio(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '–' : `${value >= 10 ? value.toFixed(1) : value.toFixed(2)}×`
}
