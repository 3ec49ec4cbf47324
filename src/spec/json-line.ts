/**
 * Lines of the values at JSON pointers in a JSON text, found by scanning the text rather than
 * parsing it into a syntax tree: problems in a 73 MB document are located in about one pass over it
 * (~0.2 s), where a YAML syntax tree of it would take a minute and gigabytes. The members of each
 * object or array walked through are remembered, so many problems in one part cost one scan of it.
 */
import { unescapeToken } from '../util/pointer.ts'

/**
 * @example
 * jsonLines('{\n  "a": {\n    "b": 1\n  }\n}')('/a/b') // 3
 */
export function jsonLines(text: string): (pointer: string) => number | undefined {
  /** Container offset -> where each member's value starts. */
  const members = new Map<number, Map<string, number>>()
  let lineStarts: Int32Array | undefined
  return (pointer) => {
    let i = skipSpace(text, 0)
    for (const token of pointer === '' ? [] : pointer.slice(1).split('/').map(unescapeToken)) {
      let known = members.get(i)
      if (!known) members.set(i, (known = scanMembers(text, i)))
      const at = known.get(token)
      if (at === undefined) return undefined
      i = at
    }
    if (i >= text.length) return undefined
    lineStarts ??= newlines(text)
    // The number of newlines before i, plus one.
    let low = 0
    let high = lineStarts.length
    while (low < high) {
      const mid = (low + high) >>> 1
      if (lineStarts[mid]! < i) low = mid + 1
      else high = mid
    }
    return low + 1
  }
}

/** The members of the object or array starting at `i`, each by its key (an array's by index) with its value's offset. */
function scanMembers(text: string, i: number): Map<string, number> {
  const out = new Map<string, number>()
  const open = text[i]
  if (open !== '{' && open !== '[') return out
  i = skipSpace(text, i + 1)
  for (let index = 0; i < text.length && text[i] !== '}' && text[i] !== ']'; index++) {
    let key = String(index)
    if (open === '{') {
      if (text[i] !== '"') return out
      const end = stringEnd(text, i)
      key = JSON.parse(text.slice(i, end)) as string
      i = skipSpace(text, end)
      if (text[i] !== ':') return out
      i = skipSpace(text, i + 1)
    }
    out.set(key, i)
    i = skipSpace(text, valueEnd(text, i))
    if (text[i] !== ',') return out
    i = skipSpace(text, i + 1)
  }
  return out
}

function newlines(text: string): Int32Array {
  let count = 0
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) count++
  const out = new Int32Array(count)
  let n = 0
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) out[n++] = at
  return out
}

function skipSpace(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i)
    if (c === 32 || c === 10 || c === 13 || c === 9) i++
    else return i
  }
}

/** The index just past the string starting at `i` (at its quote). */
function stringEnd(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    const c = text.charCodeAt(j)
    if (c === 92) j++ // a backslash: the next character is escaped
    else if (c === 34) return j + 1
  }
  return text.length
}

/** The index just past the value starting at `i`. */
function valueEnd(text: string, i: number): number {
  const c = text.charCodeAt(i)
  if (c === 34) return stringEnd(text, i)
  if (c !== 123 && c !== 91) {
    let j = i
    for (; j < text.length; j++) {
      const d = text.charCodeAt(j)
      if (d === 44 || d === 125 || d === 93 || d === 32 || d === 10 || d === 13 || d === 9) break
    }
    return j
  }
  let depth = 0
  for (let j = i; j < text.length; j++) {
    const d = text.charCodeAt(j)
    if (d === 34) j = stringEnd(text, j) - 1
    else if (d === 123 || d === 91) depth++
    else if ((d === 125 || d === 93) && --depth === 0) return j + 1
  }
  return text.length
}
