/**
 * A problem's line, added where its message does not say one yet (a scenario's problems name file
 * and pointer only): a reload's report is read by someone with the file open in an editor.
 */
import type { ConfigProblem } from '../errors.ts'
import { readStructuredFile, type ParsedFile } from '../spec/read-file.ts'

export function withLines(problems: ConfigProblem[]): ConfigProblem[] {
  const files = new Map<string, ParsedFile | undefined>()
  return problems.map((p) => {
    if (/\bline \d+/.test(p.message) || !/\.(ya?ml|json)$/i.test(p.file)) return p
    if (!files.has(p.file)) {
      // A file that does not read or parse has said so in its own problem, with the line.
      try { files.set(p.file, readStructuredFile(p.file)) } catch { files.set(p.file, undefined) }
    }
    let line: number | undefined
    try { line = files.get(p.file)?.line(p.pointer) } catch { line = undefined }
    return line === undefined ? p : { ...p, message: `${p.message} (line ${line})` }
  })
}
