/**
 * The loaded document, normalised, kept in the disk cache (src/util/disk-cache.ts) with each
 * repeated part once (./shared-nodes.ts): a start on a spec file that has not changed reads that
 * entry instead of parsing and normalising the file — GitHub's dereferenced spec, 73 MB, in ~0.1 s
 * rather than ~0.6 s.
 *
 * The key is everything the entry depends on: the file's bytes (by their SHA-256) and the code that
 * reads, bundles and normalises a spec (the text of those modules). Only a document made from its
 * one file is kept: none that bundles other files, is converted from Swagger 2.0 or has overlays
 * (their own files and mappings would be more to key and keep).
 */
import { readFileSync } from 'node:fs'
import { diskCacheOn, digestOf, readCached, writeCached } from '../util/disk-cache.ts'
import { readShared, shareNodes } from './shared-nodes.ts'

/** What loading a spec makes of its file, besides the document's lines. */
export interface Loaded {
  document: any
  version: '3.0' | '3.1'
  formats: string[]
  /** Loading's warnings, each at a pointer of the root file. */
  warnings: Array<{ pointer: string; message: string }>
}

const KIND = 'spec'

/** The modules whose code makes the document an entry holds, by name beside this one. */
const MODULES = ['load', 'read-file', 'normalize', 'pattern', 'shared-nodes', 'document-cache', '../util/pointer', '../util/match']
let code: string | undefined

/** The text of those modules (TypeScript in the repo, JavaScript in the package), read once a process. */
function codeKey(): string | undefined {
  if (code !== undefined) return code
  const extension = /\.[cm]?[jt]s$/.exec(new URL(import.meta.url).pathname)?.[0] ?? '.js'
  try {
    code = MODULES.map((name) => digestOf(readFileSync(new URL(`./${name}${extension}`, import.meta.url)))).join(' ')
  } catch {
    // A module not where it is expected (a bundler's single file): no entries.
    code = ''
  }
  return code || undefined
}

/**
 * The key of the entry for a spec file with these bytes (taken before parsing, so that the bytes can
 * go while the file is parsed); undefined when the disk cache is off.
 */
export function documentKey(bytes: Uint8Array): string | undefined {
  const modules = diskCacheOn() ? codeKey() : undefined
  return modules === undefined ? undefined : `${modules}\n${digestOf(bytes)}`
}

/** What an earlier start made of the file the key is for; undefined when there is no such entry. */
export function cachedDocument(key: string): Loaded | undefined {
  const entry = readCached(KIND, key)?.value
  if (!entry || typeof entry !== 'object') return undefined
  const { version, formats, warnings, written } = entry as Record<string, unknown>
  if ((version !== '3.0' && version !== '3.1') || !Array.isArray(formats) || !Array.isArray(warnings)) return undefined
  const document = readShared(written)
  return document === undefined ? undefined : { document, version, formats: formats as string[], warnings: warnings as Loaded['warnings'] }
}

/**
 * Keeps what loading made of the file the key is for, and gives back the document with its equal
 * parts shared (the same document, in less memory), or `loaded.document` as it is when it cannot be
 * kept.
 */
export function keepDocument(key: string, loaded: Loaded): any {
  const shared = shareNodes(loaded.document)
  if (!shared) return loaded.document
  writeCached(KIND, key, { version: loaded.version, formats: loaded.formats, warnings: loaded.warnings, written: shared.written })
  return shared.document
}
