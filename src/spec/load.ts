/**
 * Loading a spec: the root file (YAML or JSON; Swagger 2.0 converted to OpenAPI 3.0), every
 * external `$ref` bundled into one document, Overlay files applied on top, and the whole made into
 * schemas Ajv compiles (./normalize.ts). Everything after this works on one document with local refs
 * only, so validators can be registered once and compiled by JSON pointer.
 */
import { dirname, resolve } from 'node:path'
import { ConfigError, Problems, type ConfigProblem } from '../errors.ts'
import { linesOf, readBytes, readStructuredFile, type ParsedFile } from './read-file.ts'
import { cachedDocument, documentKey, keepDocument, type Loaded } from './document-cache.ts'
import { applyOverlay } from './overlay.ts'
import { normalizeDocument } from './normalize.ts'
import { convertSwagger, isSwagger2 } from './swagger.ts'
import { escapeToken, unescapeToken } from '../util/pointer.ts'
import { isPlainObject } from '../util/match.ts'

export interface LoadedSpec {
  file: string
  document: any
  version: '3.0' | '3.1'
  /** Line of a pointer in the root file, for messages. */
  line(pointer: string): number | undefined
  /** Where a pointer of the document was written: its file (a bundled one's own), its pointer there (a Swagger file's, for a converted one), and its line when the file has lines. */
  locate(pointer: string): Location
  /** What loading worked around: each names the keyword it dropped or changed. */
  warnings: ConfigProblem[]
  /** Every schema `format` the document names. */
  formats: string[]
  /** Set when the file is Swagger 2.0, converted to OpenAPI 3.0 to load. */
  convertedFrom?: 'swagger 2.0'
}

export interface Location {
  file: string
  pointer: string
  line?: number
  /** Said when the pointer has no counterpart in the file as written. */
  note?: string
}

/** A problem at a pointer of the loaded document, told where the user wrote it (file, pointer, line). */
export function locateProblem(spec: LoadedSpec, problem: ConfigProblem): ConfigProblem {
  if (problem.file !== spec.file) return problem
  const at = spec.locate(problem.pointer)
  const where = at.line !== undefined ? ` (line ${at.line})` : at.note ? ` (${at.note})` : ''
  return { ...problem, file: at.file, pointer: at.pointer, message: problem.message + where }
}

/** Where bundled external documents live inside the root document. */
export const BUNDLE_KEY = 'x-standin-bundled'

export interface LoadOptions {
  overlays?: string[]
}

/** Loads, bundles and overlays a spec; throws ConfigError listing every problem found. */
export function loadSpec(file: string, options: LoadOptions = {}): LoadedSpec {
  const rootFile = resolve(file)
  // Held in a list, to be taken out of it: nothing here keeps the bytes while the file is parsed.
  const bytes = [readBytes(rootFile)]
  // What an earlier start made of the same file (./document-cache.ts): no parsing, no normalising.
  const key = options.overlays?.length ? undefined : documentKey(bytes[0]!)
  const kept = key === undefined ? undefined : cachedDocument(key)
  if (kept) return fromEntry(rootFile, kept, linesOf(rootFile, bytes[0]!))
  const root = readStructuredFile(rootFile, bytes.pop())
  let doc: any = root.value
  const problems = new Problems(root.file)
  if (!isPlainObject(doc)) throw new ConfigError([{ file: root.file, pointer: '', message: 'a spec must be an OpenAPI document (an object with `openapi`, `info` and `paths`)' }])
  let toOriginal: ((pointer: string) => string | undefined) | undefined
  if (isSwagger2(doc)) {
    if (!isPlainObject(doc.paths)) problems.add('/paths', 'the document has no `paths` object')
    problems.throwIfAny()
    const converted = convertSwagger(doc)
    doc = converted.document as Record<string, any>
    toOriginal = converted.toOriginal
  }
  const version = String(doc.openapi ?? '')
  if (!/^3\.[01]\.\d+/.test(version)) {
    problems.add(doc.swagger !== undefined ? '/swagger' : '/openapi', `standin reads OpenAPI 3.0 and 3.1 documents, and Swagger 2.0; this one says ${doc.swagger !== undefined ? `swagger: ${JSON.stringify(doc.swagger)}` : `openapi: ${JSON.stringify(doc.openapi ?? null)}`}`)
  }
  if (!isPlainObject(doc.paths)) problems.add('/paths', 'the document has no `paths` object')
  problems.throwIfAny()

  const bundles = bundleExternalRefs(doc, root.file, problems)
  let document: any = doc
  for (const overlayFile of options.overlays ?? []) {
    const overlay = readStructuredFile(resolve(overlayFile))
    const overlayProblems = new Problems(overlay.file)
    document = applyOverlay(document, overlay.value, overlayProblems)
    problems.list.push(...overlayProblems.list)
  }
  problems.throwIfAny()

  const locate = (pointer: string): Location => {
    const bundled = new RegExp(`^/${BUNDLE_KEY}/([^/]+)(.*)$`).exec(pointer)
    if (bundled) {
      const parsed = bundles.get(unescapeToken(bundled[1]!))
      if (parsed) return { file: parsed.file, pointer: bundled[2]!, line: parsed.line(bundled[2]!) }
    }
    if (toOriginal) {
      const original = toOriginal(pointer)
      if (original === undefined) return { file: root.file, pointer, note: 'a pointer in the document as converted from Swagger 2.0 to OpenAPI 3.0' }
      return { file: root.file, pointer: original, line: root.line(original) }
    }
    return { file: root.file, pointer, line: root.line(pointer) }
  }
  const loaded: LoadedSpec = {
    file: root.file, document, version: version.startsWith('3.1') ? '3.1' : '3.0', line: (p) => locate(p).line, locate,
    warnings: [], formats: [], ...(toOriginal ? { convertedFrom: 'swagger 2.0' as const } : {}),
  }
  const { formats } = normalizeDocument(document, loaded.version, (pointer, message) => problems.warn(pointer, message))
  loaded.formats = formats
  loaded.warnings = problems.warnings.map((w) => locateProblem(loaded, w))
  // A document of this one file is kept for the next start, and used with its equal parts shared.
  if (key !== undefined && bundles.size === 0 && !toOriginal && problems.warnings.every((w) => w.file === root.file)) {
    loaded.document = keepDocument(key, { document, version: loaded.version, formats, warnings: problems.warnings.map(({ pointer, message }) => ({ pointer, message })) })
  }
  return loaded
}

/** The spec as loadSpec makes it, from what an earlier start kept of its file. */
function fromEntry(file: string, kept: Loaded, line: ParsedFile['line']): LoadedSpec {
  const loaded: LoadedSpec = {
    file, document: kept.document, version: kept.version, line, locate: (pointer) => ({ file, pointer, line: line(pointer) }),
    warnings: [], formats: kept.formats,
  }
  loaded.warnings = kept.warnings.map(({ pointer, message }) => locateProblem(loaded, { file, pointer, message, severity: 'warning' }))
  return loaded
}

type Where = { up: Where; token: string | number } | undefined

function pointerOf(at: Where): string {
  return at ? `${pointerOf(at.up)}/${escapeToken(at.token)}` : ''
}

/**
 * Replaces `$ref: other.yaml#/x` with `$ref: '#/x-standin-bundled/<n>/x'` and stores each external
 * document (its own local refs rewritten) under the root's `x-standin-bundled`.
 */
function bundleExternalRefs(doc: Record<string, any>, rootFile: string, problems: Problems): Map<string, ParsedFile> {
  const bundled = new Map<string, string>() // absolute file -> bundle id
  const files = new Map<string, ParsedFile>() // bundle id -> its file
  const store: Record<string, unknown> = {}
  // Where a node is, as a chain built into a pointer only for a message: every node of a 73 MB
  // document is visited, and its pointer's text is wanted for almost none of them.
  const visit = (node: any, file: string, base: string, at: Where): void => {
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) visit(node[i], file, base, { up: at, token: i })
      return
    }
    if (!isPlainObject(node)) return
    if (typeof node.$ref === 'string') {
      const ref = node.$ref
      const hash = ref.indexOf('#')
      const target = hash === -1 ? ref : ref.slice(0, hash)
      const fragment = hash === -1 ? '' : ref.slice(hash + 1)
      if (target === '') {
        if (base) node.$ref = `#${base}${fragment}`
      } else if (/^[a-z]+:\/\//i.test(target)) {
        // Degraded, not refused: what the remote document says is not checked here.
        problems.warn(`${pointerOf(at)}/$ref`, `remote $ref ${JSON.stringify(ref)} is not fetched: anything is accepted here (save the document beside the spec and refer to it by path)`, file)
        delete node.$ref
      } else {
        const abs = resolve(dirname(file), target)
        let id = bundled.get(abs)
        if (id === undefined) {
          id = String(bundled.size)
          bundled.set(abs, id)
          let parsed: ParsedFile
          try {
            parsed = readStructuredFile(abs)
          } catch (error) {
            const list: ConfigProblem[] = error instanceof ConfigError ? error.problems : []
            problems.add(`${pointerOf(at)}/$ref`, `cannot load ${JSON.stringify(target)}: ${list.map((p) => p.message).join('; ') || String(error)}`, file)
            return
          }
          store[id] = parsed.value
          files.set(id, parsed)
          visit(parsed.value, abs, `/${BUNDLE_KEY}/${escapeToken(id)}`, undefined)
        }
        node.$ref = `#/${BUNDLE_KEY}/${escapeToken(id)}${fragment}`
      }
    }
    for (const key in node) if (key !== '$ref') visit(node[key], file, base, { up: at, token: key })
  }
  visit(doc, rootFile, '', undefined)
  if (bundled.size > 0) doc[BUNDLE_KEY] = store
  return files
}
