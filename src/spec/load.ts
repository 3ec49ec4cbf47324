/**
 * Loading a spec: the root file (YAML or JSON), every external `$ref` bundled into one document, and
 * Overlay files applied on top. Everything after this works on one document with local refs only, so
 * validators can be registered once and compiled by JSON pointer.
 */
import { dirname, resolve } from 'node:path'
import { ConfigError, Problems, type ConfigProblem } from '../errors.ts'
import { readStructuredFile, type ParsedFile } from './read-file.ts'
import { applyOverlay } from './overlay.ts'
import { escapeToken } from '../util/pointer.ts'
import { isPlainObject } from '../util/match.ts'

export interface LoadedSpec {
  file: string
  document: any
  version: '3.0' | '3.1'
  /** Line of a pointer in the root file, for messages. */
  line(pointer: string): number | undefined
}

/** Where bundled external documents live inside the root document. */
export const BUNDLE_KEY = 'x-standin-bundled'

export interface LoadOptions {
  overlays?: string[]
}

/** Loads, bundles and overlays a spec; throws ConfigError listing every problem found. */
export function loadSpec(file: string, options: LoadOptions = {}): LoadedSpec {
  const root = readStructuredFile(resolve(file))
  const doc = root.value
  const problems = new Problems(root.file)
  if (!isPlainObject(doc)) throw new ConfigError([{ file: root.file, pointer: '', message: 'a spec must be an OpenAPI document (an object with `openapi`, `info` and `paths`)' }])
  const version = String(doc.openapi ?? '')
  if (!/^3\.[01]\.\d+/.test(version)) {
    problems.add('/openapi', `standin reads OpenAPI 3.0 and 3.1 documents; this one says openapi: ${JSON.stringify(doc.openapi ?? null)}${doc.swagger ? ' (Swagger 2.0: convert it to OpenAPI 3 first)' : ''}`)
  }
  if (!isPlainObject(doc.paths)) problems.add('/paths', 'the document has no `paths` object')
  problems.throwIfAny()

  bundleExternalRefs(doc, root.file, problems)
  let document: any = doc
  for (const overlayFile of options.overlays ?? []) {
    const overlay = readStructuredFile(resolve(overlayFile))
    const overlayProblems = new Problems(overlay.file)
    document = applyOverlay(document, overlay.value, overlayProblems)
    problems.list.push(...overlayProblems.list)
  }
  problems.throwIfAny()
  return { file: root.file, document, version: version.startsWith('3.1') ? '3.1' : '3.0', line: (p) => root.line(p) }
}

/**
 * Replaces `$ref: other.yaml#/x` with `$ref: '#/x-standin-bundled/<n>/x'` and stores each external
 * document (its own local refs rewritten) under the root's `x-standin-bundled`.
 */
function bundleExternalRefs(doc: Record<string, any>, rootFile: string, problems: Problems): void {
  const bundled = new Map<string, string>() // absolute file -> bundle id
  const store: Record<string, unknown> = {}
  const visit = (node: any, file: string, base: string, ptr: string): void => {
    if (Array.isArray(node)) return node.forEach((item, i) => visit(item, file, base, `${ptr}/${i}`))
    if (!isPlainObject(node)) return
    if (typeof node.$ref === 'string') {
      const ref = node.$ref
      const hash = ref.indexOf('#')
      const target = hash === -1 ? ref : ref.slice(0, hash)
      const fragment = hash === -1 ? '' : ref.slice(hash + 1)
      if (target === '') {
        if (base) node.$ref = `#${base}${fragment}`
      } else if (/^[a-z]+:\/\//i.test(target)) {
        problems.add(`${ptr}/$ref`, `remote $ref ${JSON.stringify(ref)} is not supported: save the document beside the spec and refer to it by path`, file)
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
            problems.add(`${ptr}/$ref`, `cannot load ${JSON.stringify(target)}: ${list.map((p) => p.message).join('; ') || String(error)}`, file)
            return
          }
          store[id] = parsed.value
          visit(parsed.value, abs, `/${BUNDLE_KEY}/${escapeToken(id)}`, '')
        }
        node.$ref = `#/${BUNDLE_KEY}/${escapeToken(id)}${fragment}`
      }
    }
    for (const [key, value] of Object.entries(node)) if (key !== '$ref') visit(value, file, base, `${ptr}/${escapeToken(key)}`)
  }
  visit(doc, rootFile, '', '')
  if (bundled.size > 0) doc[BUNDLE_KEY] = store
}
