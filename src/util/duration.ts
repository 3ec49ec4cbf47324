/**
 * Durations as people write them in scenarios and the control API: `90s`, `31m`, `2h`, `30d`,
 * `250ms`, or a plain number of seconds.
 *
 * @example
 * parseDuration('31m') // 1_860_000 (milliseconds)
 */
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value * 1000 : undefined
  if (typeof value !== 'string') return undefined
  const trimmed = value.trim()
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000
  let total = 0
  let rest = trimmed
  const part = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)/
  if (!part.test(rest)) return undefined
  while (rest.length > 0) {
    const m = part.exec(rest)
    if (!m) return undefined
    total += Number(m[1]) * UNITS[m[2]!]!
    rest = rest.slice(m[0].length)
  }
  return total
}
