/**
 * What a start works out from files that seldom change — parsed spec and scenario files, validator
 * code — kept on disk for the next start. Entries live beside Node's compile cache (NODE_COMPILE_CACHE,
 * or the OS temp folder; NODE_DISABLE_COMPILE_CACHE=1 turns both off), in a folder of the current
 * user's; the command line turns it on.
 *
 * An entry is found by a hash of its key and used only when the key it holds is the same, whole (a
 * file's text, a document), so it is never stale. Reading and writing are best effort: any failure
 * is a miss.
 */
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { getCompileCacheDir } from 'node:module'
import { join } from 'node:path'

/** The entry format: bump it when what an entry holds changes. */
const FORMAT = 1
/** Entries beyond this (of files that have changed since, or temporary ones) are removed, oldest first. */
const MAX_ENTRIES = 200

let folder: string | undefined

/**
 * Keeps entries from now on, in `dir` (by default beside Node's compile cache, when that is on:
 * enable it first). Does nothing when the folder cannot be made, or belongs to another user.
 */
export function enableDiskCache(dir = defaultFolder()): void {
  if (!dir) return
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    // Another user's folder is not trusted: its entries would decide what a spec says, and validator code is run.
    if (typeof process.getuid === 'function' && statSync(dir).uid !== process.getuid()) return
    folder = dir
  } catch {
    // No cache.
  }
}

export function disableDiskCache(): void {
  folder = undefined
}

/** Whether entries are kept: callers skip building keys when not. */
export function diskCacheOn(): boolean {
  return folder !== undefined
}

function defaultFolder(): string | undefined {
  const compileCache = getCompileCacheDir?.()
  return compileCache ? join(compileCache, 'standin') : undefined
}

interface Entry {
  format: number
  kind: string
  key: string
  value: unknown
}

/** The value kept for `key`, if there is one. */
export function readCached(kind: string, key: string): { value: unknown } | undefined {
  if (!folder) return undefined
  try {
    const entry = JSON.parse(readFileSync(entryFile(folder, kind, key), 'utf8')) as Entry
    if (entry.format === FORMAT && entry.kind === kind && entry.key === key) return { value: entry.value }
  } catch {
    // No entry, or an unreadable one: a miss.
  }
  return undefined
}

/** Keeps `value` (JSON) for `key`. */
export function writeCached(kind: string, key: string, value: unknown): void {
  if (!folder) return
  const file = entryFile(folder, kind, key)
  const entry: Entry = { format: FORMAT, kind, key, value }
  try {
    const temporary = `${file}.${process.pid}.tmp`
    writeFileSync(temporary, JSON.stringify(entry), { mode: 0o600 })
    renameSync(temporary, file)
    prune(folder)
  } catch {
    // A read-only or full disk: no entry.
  }
}

/** Named by a hash of the key; the key inside the entry decides whether it is the same. */
function entryFile(dir: string, kind: string, key: string): string {
  // FNV-1a over UTF-16 code units.
  let hash = 0x811c9dc5
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193)
  return join(dir, `${kind}-${(hash >>> 0).toString(16).padStart(8, '0')}-${key.length.toString(16)}.json`)
}

function prune(dir: string): void {
  const names = readdirSync(dir).filter((name) => name.endsWith('.json'))
  if (names.length <= MAX_ENTRIES) return
  const byAge = names.map((name) => ({ name, at: statSync(join(dir, name)).mtimeMs })).sort((a, b) => a.at - b.at)
  for (const { name } of byAge.slice(0, names.length - MAX_ENTRIES * 0.75)) rmSync(join(dir, name), { force: true })
}

/** JSON.parse(JSON.stringify(value)) would give back the same value (no shared or cyclic objects). */
export function jsonSafe(value: unknown, seen = new Set<object>()): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0)
  if (typeof value !== 'object' || seen.has(value)) return false
  seen.add(value)
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!(i in value) || !jsonSafe(value[i], seen)) return false
    return true
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return false
  for (const item of Object.values(value)) if (!jsonSafe(item, seen)) return false
  return true
}
