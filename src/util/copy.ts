/**
 * A deep copy of JSON-like data (objects, arrays, primitives) for a record seeded from a scenario,
 * which the world may then change without changing the scenario. Unlike structuredClone it shares
 * strings, which cannot change anyway: a world seeded with 100,000 records keeps one copy of each.
 *
 * @example
 * const copy = copyData({ id: 'sess_1', tags: ['a'] }) // new object and array, same strings
 */
export function copyData<T>(value: T): T {
  if (Array.isArray(value)) return value.map(copyData) as T
  if (value instanceof Date) return new Date(value.getTime()) as T
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(value)) out[key] = copyData((value as Record<string, unknown>)[key])
    return out as T
  }
  return value
}
