/**
 * Parsed files in the disk cache (src/util/disk-cache.ts): a file whose text has not changed is read
 * from its entry, with the same value parsing gives; a changed file, a value JSON cannot carry, and a
 * file that does not parse are parsed every time; problems found later still name their line.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { check } from '../src/index.ts'
import { disableDiskCache, enableDiskCache } from '../src/util/disk-cache.ts'
import { readStructuredFile } from '../src/spec/read-file.ts'
import { tempFiles } from './support/files.ts'

const { dir, file } = tempFiles('disk-cache')
let folders = 0

/** A fresh cache folder of this test's own, in use until the test ends. */
function cacheOn(): { entries(): string[]; entry(): string } {
  const folder = join(dir, `cache-${folders++}`)
  enableDiskCache(folder)
  const entries = () => readdirSync(folder).map((name) => join(folder, name))
  return { entries, entry: () => entries()[0]! }
}

afterEach(() => disableDiskCache())

describe('the parse cache', () => {
  it('keeps what a file parses to, gives it back while the text is the same, and parses a changed file again', () => {
    const spec = file('keep.yaml', 'openapi: 3.1.0\nlist: [1, 2.5, "x", null, true]\nnested: { a: { b: [] } }\n__proto__: { p: 1 }\n')
    const parsed = readStructuredFile(spec).value
    const cache = cacheOn()
    expect(readStructuredFile(spec).value).toEqual(parsed)
    expect(cache.entries()).toHaveLength(1)
    // The next read takes the entry's value, not a parse (marked here to tell them apart).
    const kept = JSON.parse(readFileSync(cache.entry(), 'utf8'))
    writeFileSync(cache.entry(), JSON.stringify({ ...kept, value: { ...kept.value, marked: true } }))
    expect(readStructuredFile(spec).value).toEqual({ ...(parsed as object), marked: true })
    // The same name with another key (as a hash collision would have it) is not used.
    writeFileSync(cache.entry(), JSON.stringify({ ...kept, key: `${kept.key}# other\n`, value: { marked: true } }))
    expect(readStructuredFile(spec).value).toEqual(parsed)
    writeFileSync(spec, 'openapi: 3.1.0\nlist: [2]\n')
    expect(readStructuredFile(spec).value).toEqual({ openapi: '3.1.0', list: [2] })
  })

  it('does not keep values JSON would change, nor files that do not parse', () => {
    const cache = cacheOn()
    const shared = readStructuredFile(file('anchors.yaml', 'a: &x { k: 1 }\nb: *x\n')).value as any
    expect(shared.a).toBe(shared.b)
    expect(readStructuredFile(file('numbers.yaml', 'big: .inf\nnot: .nan\n')).value).toEqual({ big: Infinity, not: NaN })
    const broken = file('broken.yaml', 'a: [1\n')
    const problem = () => { try { readStructuredFile(broken) } catch (error) { return (error as Error).message } }
    expect(problem()).toMatch(/not valid YAML\/JSON at line 2/)
    expect(problem()).toEqual(problem())
    expect(cache.entries()).toEqual([])
  })

  it('keeps at most 200 entries, removing the oldest', () => {
    const cache = cacheOn()
    for (let i = 0; i < 201; i++) readStructuredFile(file(`many/${i}.yaml`, `n: ${i}\n`))
    expect(cache.entries().length).toBeLessThanOrEqual(200)
    const kept = cache.entries().map((entry) => JSON.parse(readFileSync(entry, 'utf8')).value.n)
    expect(kept).toContain(200)
  })

  it('still names the line of a problem when the spec comes from its entry', () => {
    const spec = file('lines.yaml', `openapi: 3.1.0
info: { title: x, version: '1' }
x-standin:
  errors:
    catalogue:
      out_of_stock: { status: 4099, message: Gone }
paths: {}
`)
    const before = check(spec).problems
    expect(before[0]!.message).toMatch(/\(line 6\)$/)
    const cache = cacheOn()
    expect(check(spec).problems).toEqual(before)
    expect(cache.entries()).toHaveLength(1)
    expect(check(spec).problems).toEqual(before)
  })
})
