/**
 * Reads a YAML or JSON file and keeps what is needed to point at a line when something in it is wrong.
 * JSON is read with JSON.parse (a 13 MB spec in ~0.1 s, where the YAML parser takes ~12 s); YAML, and
 * JSON that JSON.parse refuses (its messages then come from the YAML parser, with line and column),
 * with the `yaml` library.
 */
import { isAscii } from 'node:buffer'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { Document } from 'yaml'
import { ConfigError } from '../errors.ts'
import { unescapeToken } from '../util/pointer.ts'
import { diskCacheOn, jsonSafe, readCached, writeCached } from '../util/disk-cache.ts'
import { jsonLines } from './json-line.ts'

const require = createRequire(import.meta.url)
/** The YAML parser, loaded when a file is parsed: a start whose files are all in the disk cache skips it (~30 ms). */
let yaml: typeof import('yaml') | undefined

export interface ParsedFile {
  file: string
  value: unknown
  /** The 1-based line of the value at a JSON pointer, when the file has one. */
  line(pointer: string): number | undefined
}

/** A file's bytes; a ConfigError naming the file when it cannot be read. */
export function readBytes(file: string): Buffer {
  try {
    return readFileSync(file)
  } catch (error) {
    throw new ConfigError([{ file, pointer: '', message: `cannot read the file (${(error as NodeJS.ErrnoException).code ?? String(error)})` }])
  }
}

/** `bytes`: the file's, when the caller has read them already. */
export function readStructuredFile(file: string, given?: Buffer): ParsedFile {
  const read = () => readBytes(file)
  let bytes: Buffer | undefined = given ?? read()
  given = undefined
  if (isJsonFile(file, bytes)) {
    const lines = hasLines(bytes)
    const json = jsonText(bytes)
    // Let go before parsing, so that the parsed objects can take the bytes' place (73 MB for GitHub's
    // dereferenced spec) rather than add to them: now, not at the next full collection (a file's
    // bytes are a buffer of their own, which no one else holds).
    if (bytes.byteOffset === 0 && bytes.length === bytes.buffer.byteLength) (bytes.buffer as ArrayBuffer & { transfer?: (length: number) => ArrayBuffer }).transfer?.(0)
    bytes = undefined
    const value = parseJson(json)
    // Nor is the text kept for the life of the process: a line is wanted only for a message, and the
    // file is read again then.
    if (value !== NOT_JSON) return { file, value: value.value, line: lines ? jsonLineFinder(() => readFileSync(file, 'utf8'), true) : () => undefined }
    // YAML in a .json file, or a syntax error: the YAML parser reads it, and says where.
    bytes = read()
  }
  const text = bytes.toString('utf8')
  // What the text parses to, kept on disk: the parser's version and the whole text are the key.
  const key = diskCacheOn() ? `yaml ${(require('yaml/package.json') as { version: string }).version}\n${text}` : undefined
  const cached = key === undefined ? undefined : readCached('parsed', key)
  if (cached) return { file, value: cached.value, line: lineFinder(text) }
  const parsed = parseStructuredText(file, text)
  // Only what JSON gives back unchanged: no shared anchors, dates or non-finite numbers. A file that
  // does not parse is not kept either: it is parsed again, and reports its problems as before.
  if (key !== undefined && jsonSafe(parsed.value)) writeCached('parsed', key, parsed.value)
  return parsed
}

/**
 * The lines of a file with these bytes, as readStructuredFile gives them, without parsing it: for a
 * document that comes from the disk cache (./document-cache.ts).
 */
export function linesOf(file: string, bytes: Buffer): ParsedFile['line'] {
  if (isJsonFile(file, bytes)) return hasLines(bytes) ? jsonLineFinder(() => readFileSync(file, 'utf8'), true) : () => undefined
  return lineFinder(bytes.toString('utf8'))
}

function isJsonFile(file: string, bytes: Buffer): boolean {
  return /\.json$/i.test(file) || bytes[skipBlankBytes(bytes)] === 0x7b
}

export function parseStructuredText(file: string, text: string): ParsedFile {
  if (looksLikeJson(file, text)) {
    const value = parseJson(text)
    if (value !== NOT_JSON) return { file, value: value.value, line: lineFinder(text) }
  }
  const { doc, lineCounter } = parse(text)
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const pos = e.linePos?.[0] ?? lineCounter.linePos(e.pos[0])
        return { file, pointer: '', message: `not valid YAML/JSON${pos ? ` at line ${pos.line}, column ${pos.col}` : ''}: ${e.message.split('\n')[0]}` }
      }),
    )
  }
  return { file, value: doc.toJS({ maxAliasCount: 1000 }), line: lineFinder(text) }
}

/** A `.json` file, or any text whose first character is `{` (JSON is YAML 1.2, so either parser reads it). */
function looksLikeJson(file: string, text: string): boolean {
  if (/\.json$/i.test(file)) return true
  const first = text.charCodeAt(skipBlank(text, 0))
  return first === 0x7b // {
}

const NOT_JSON = Symbol('not JSON')

/**
 * JSON.parse, or NOT_JSON for a text it refuses (YAML in a `.json` file, a syntax error): the YAML
 * parser then reads it as before, and says where a problem is.
 */
function parseJson(text: string): { value: unknown } | typeof NOT_JSON {
  try {
    return { value: JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) }
  } catch {
    return NOT_JSON
  }
}

/**
 * A JSON file's text as JSON.parse reads fastest: one byte a character. Non-ASCII characters (only
 * ever inside strings in JSON) become `\\uXXXX` escapes, which parse to the same strings; decoded as
 * UTF-8 instead, one such character anywhere makes the whole text two bytes a character — GitHub's
 * 73 MB spec, 146 MB, parsed ~30 % slower. The bytes are checked a block at a time (a native check
 * each); only the blocks that are not all ASCII are looked at byte by byte.
 */
function jsonText(bytes: Buffer): string {
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0
  if (start === 0 && isAscii(bytes)) return bytes.toString('latin1')
  const parts: string[] = []
  let last = start
  for (let block = start; block < bytes.length; block += ASCII_BLOCK) {
    const end = Math.min(block + ASCII_BLOCK, bytes.length)
    if (end <= last || isAscii(bytes.subarray(Math.max(block, last), end))) continue
    for (let i = Math.max(block, last); i < end; i++) {
      if (bytes[i]! < 0x80) continue
      // A run of non-ASCII bytes holds whole UTF-8 sequences.
      let j = i + 1
      while (j < bytes.length && bytes[j]! >= 0x80) j++
      parts.push(bytes.toString('latin1', last, i))
      const decoded = bytes.toString('utf8', i, j)
      let escaped = ''
      for (let k = 0; k < decoded.length; k++) escaped += `\\u${decoded.charCodeAt(k).toString(16).padStart(4, '0')}`
      parts.push(escaped)
      last = j
      i = j - 1
    }
  }
  parts.push(bytes.toString('latin1', last))
  return parts.join('')
}

const ASCII_BLOCK = 4096

/** Not a document on one or two lines (minified JSON), where every line would be 1, which says nothing. */
function hasLines(bytes: Buffer): boolean {
  const second = bytes.indexOf(10)
  const third = second === -1 ? -1 : bytes.indexOf(10, second + 1)
  if (third === -1) return false
  let i = third + 1
  while (bytes[i] === 32 || bytes[i] === 10 || bytes[i] === 13 || bytes[i] === 9) i++
  return i < bytes.length
}

function skipBlankBytes(bytes: Buffer): number {
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0
  while (bytes[i] === 32 || bytes[i] === 10 || bytes[i] === 13 || bytes[i] === 9) i++
  return i
}

function skipBlank(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i)
    if (c === 0xfeff || c === 32 || c === 10 || c === 13 || c === 9) i++
    else return i
  }
}

/**
 * Lines of a JSON text, had from `source` when the first is wanted. Made in a function of its own so
 * that the closure holds no reference to a text it reads again.
 */
function jsonLineFinder(source: () => string, letGo: boolean): ParsedFile['line'] {
  let lines: ReturnType<typeof jsonLines> | undefined
  return (pointer) => {
    if (!lines) {
      lines = jsonLines(source())
      // Problems are located together (at start-up, or one at a first use): what the scan
      // remembers, and the text read again, are let go soon after.
      if (letGo) setTimeout(() => { lines = undefined }, 1000).unref?.()
    }
    try {
      return lines(pointer)
    } catch {
      return undefined
    }
  }
}

function parse(text: string) {
  yaml ??= require('yaml') as typeof import('yaml')
  const lineCounter = new yaml.LineCounter()
  // JSON is YAML 1.2, so one parser serves both and gives positions for both.
  const doc: Document = yaml.parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true })
  return { doc, lineCounter }
}

/**
 * Lines are wanted only for a message about a problem: the text is parsed again then (JSON is
 * scanned), rather than its syntax tree kept for the life of the process.
 */
function lineFinder(text: string): ParsedFile['line'] {
  // A document on one or two lines (minified JSON): every line would be 1, which says nothing.
  const second = text.indexOf('\n')
  const third = second === -1 ? -1 : text.indexOf('\n', second + 1)
  if (third === -1 || skipBlank(text, third + 1) >= text.length) return () => undefined
  if (looksLikeJson('', text)) return jsonLineFinder(() => text, false)
  let parsed: ReturnType<typeof parse> | undefined
  return (pointer) => {
    const { doc, lineCounter } = (parsed ??= parse(text))
    const path = pointer === '' ? [] : pointer.slice(1).split('/').map(unescapeToken)
    const node = doc.getIn(path, true)
    if (!yaml!.isNode(node) || !node.range) return undefined
    return lineCounter.linePos(node.range[0]).line
  }
}
