/**
 * Why a server did not load a document and answer, in a few words that group: the message a server
 * printed, without the file, pointer, line and numbers that differ from document to document.
 */

/** The line of a failed start's output that says why (standin's first problem; Prism's fatal error), as printed. */
export function causeLine(output: string): string {
  const lines = output.replace(/\x1b\[[0-9;]*m/g, '').split('\n').map((l) => l.trim()).filter((l) => l.length > 0)
  // standin: "standin cannot serve <doc>:" then "- <file>#<pointer>: <message>"; check: "N problem(s):" then the same.
  const header = lines.findIndex((l) => /cannot serve|problem\(s\):|unexpected failure/.test(l))
  if (header >= 0) return (lines[header + 1]?.startsWith('- ') ? lines[header + 1]! : lines[header]!).replace(/^- /, '')
  // Prism: "[8:01:02 AM] › [CLI] ✖  fatal     <message>", or an uncaught error.
  const fatal = lines.find((l) => /\bfatal\b|\berror\b/i.test(l) && !/^at /.test(l))
  return fatal ?? lines.at(-1) ?? '(no output)'
}

/** The same message for the same cause, whatever the document: file, pointer, line, numbers and long quotes left out. */
export function cause(line: string): string {
  return line
    .replace(/^\[[^\]]*\]\s*›\s*\[\w+\]\s*\S*\s*(fatal|error)?\s*/i, '')
    .replace(/\S*#\/\S*?:\s/, '')
    .replace(/#\/\S*/g, '<pointer>')
    .replace(/\S*\/api\/\S+\.(json|ya?ml)\S*/g, '<document>')
    .replace(/\s*\(line \d+\)/g, '')
    .replace(/"[^"]{41,}"/g, '"…"')
    .replace(/'[^']{41,}'/g, '\'…\'')
    .replace(/\d+/g, 'N')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 160)
}

/** Causes by how many documents they stopped, most first, each with up to three documents as examples. */
export function topCauses(failures: Array<{ doc: string; cause: string }>, limit = 10): Array<{ cause: string; documents: number; examples: string[] }> {
  const groups = new Map<string, string[]>()
  for (const f of failures) groups.set(f.cause, [...(groups.get(f.cause) ?? []), f.doc])
  return [...groups.entries()]
    .sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]))
    .slice(0, limit)
    .map(([c, docs]) => ({ cause: c, documents: docs.length, examples: docs.slice(0, 3) }))
}
