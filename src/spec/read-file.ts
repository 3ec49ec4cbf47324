/**
 * Reads a YAML or JSON file and keeps what is needed to point at a line when something in it is wrong.
 */
import { readFileSync } from 'node:fs'
import { LineCounter, parseDocument, isNode, type Document } from 'yaml'
import { ConfigError } from '../errors.ts'
import { unescapeToken } from '../util/pointer.ts'

export interface ParsedFile {
  file: string
  value: unknown
  /** The 1-based line of the value at a JSON pointer, when the file has one. */
  line(pointer: string): number | undefined
}

export function readStructuredFile(file: string): ParsedFile {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new ConfigError([{ file, pointer: '', message: `cannot read the file (${(error as NodeJS.ErrnoException).code ?? String(error)})` }])
  }
  return parseStructuredText(file, text)
}

export function parseStructuredText(file: string, text: string): ParsedFile {
  const lineCounter = new LineCounter()
  // JSON is YAML 1.2, so one parser serves both and gives positions for both.
  const doc: Document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true })
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const pos = e.linePos?.[0] ?? lineCounter.linePos(e.pos[0])
        return { file, pointer: '', message: `not valid YAML/JSON${pos ? ` at line ${pos.line}, column ${pos.col}` : ''}: ${e.message.split('\n')[0]}` }
      }),
    )
  }
  const value = doc.toJS({ maxAliasCount: 1000 })
  return {
    file,
    value,
    line(pointer) {
      const path = pointer === '' ? [] : pointer.slice(1).split('/').map(unescapeToken)
      const node = doc.getIn(path, true)
      if (!isNode(node) || !node.range) return undefined
      return lineCounter.linePos(node.range[0]).line
    },
  }
}
