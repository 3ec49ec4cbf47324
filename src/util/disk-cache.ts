/**
 * What a start works out from files that seldom change — parsed spec and scenario files, validator
 * code — kept on disk for the next start. Entries live beside Node's compile cache (NODE_COMPILE_CACHE,
 * or the OS temp folder; NODE_DISABLE_COMPILE_CACHE=1 turns both off), in a folder of the current
 * user's; the command line turns it on.
 *
 * An entry's key is everything its value depends on (a file's text, a schema and what it refers
 * to); the entry is named by, and holds, the key's SHA-256, and is used only when that is the same,
 * so it is never stale, and a 13 MB text costs 64 characters of entry. Reading and writing are best
 * effort: any failure is a miss.
 */
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { getCompileCacheDir } from 'node:module'
import { join } from 'node:path'

/** The entry format: bump it when what an entry holds changes. */
const FORMAT = 2
/**
 * Entries of a kind beyond this (of files that have changed since, or temporary ones) are removed,
 * oldest first. Validators are kept one per schema: a big spec has thousands. A loaded document
 * (src/spec/document-cache.ts) can be megabytes: a few are kept.
 */
const MAX_ENTRIES: Record<string, number> = { validators: 20_000, spec: 20 }
const DEFAULT_MAX_ENTRIES = 200
/** Entries written by this process, per kind. */
const writes = new Map<string, number>()

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
    const digest = digestOf(key)
    const entry = JSON.parse(readFileSync(entryFile(folder, kind, digest), 'utf8')) as Entry
    if (entry.format === FORMAT && entry.kind === kind && entry.key === digest) return { value: entry.value }
  } catch {
    // No entry, or an unreadable one: a miss.
  }
  return undefined
}

/** Keeps `value` (JSON) for `key`. */
export function writeCached(kind: string, key: string, value: unknown): void {
  if (!folder) return
  const digest = digestOf(key)
  const file = entryFile(folder, kind, digest)
  const entry: Entry = { format: FORMAT, kind, key: digest, value }
  try {
    const temporary = `${file}.${process.pid}.tmp`
    writeFileSync(temporary, JSON.stringify(entry), { mode: 0o600 })
    renameSync(temporary, file)
    // A kind of many entries is pruned every hundredth write (listing 20,000 names takes a while).
    const written = writes.get(kind) ?? 0
    writes.set(kind, written + 1)
    if ((MAX_ENTRIES[kind] ?? DEFAULT_MAX_ENTRIES) <= 1000 || written % 100 === 0) prune(folder, kind)
  } catch {
    // A read-only or full disk: no entry.
  }
}

/** SHA-256 of a key (or of a file's bytes, which a key may then hold instead of the whole text), in hex. */
export function digestOf(key: string | Uint8Array): string {
  return createHash('sha256').update(key).digest('hex')
}

/** Named by the key's digest; the digest inside the entry decides whether it is the same. */
function entryFile(dir: string, kind: string, digest: string): string {
  return join(dir, `${kind}-${digest.slice(0, 24)}.json`)
}

function prune(dir: string, kind: string): void {
  const max = MAX_ENTRIES[kind] ?? DEFAULT_MAX_ENTRIES
  // `${kind}-` followed by the digest's hex (kinds may share a prefix: `scenario-validator`).
  const own = new RegExp(`^${kind.replace(/[^a-z0-9]/gi, '\\$&')}-[0-9a-f]{24}\\.json$`)
  const names = readdirSync(dir).filter((name) => own.test(name))
  if (names.length <= max) return
  const byAge = names.map((name) => ({ name, at: statSync(join(dir, name)).mtimeMs })).sort((a, b) => a.at - b.at)
  for (const { name } of byAge.slice(0, names.length - Math.floor(max * 0.75))) rmSync(join(dir, name), { force: true })
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
