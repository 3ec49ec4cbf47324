/**
 * A schema `pattern` as Ajv compiles it: with the `u` flag, as JSON Schema has it (Ajv's docs:
 * "By default Ajv uses unicode flag "u" with "pattern" and "patternProperties", as per JSON Schema
 * spec"). Ajv's `unicodeRegExp: false` would compile every pattern without it instead: the patterns
 * written for non-unicode engines would compile, but the ones written for JSON Schema would change
 * meaning (`\p{L}` would match the letters "p{L}", `.` half an emoji). So the flag stays, and a
 * pattern that does not compile with it is rewritten into the same regular expression in the syntax
 * the flag accepts: what a pattern means without the flag (ECMA-262 Annex B: `\_` is "_", a lone `{`
 * or `]` is itself, `[\w-.]` holds a "-") is what it means after. A few other engines' forms whose
 * meaning is not in doubt are translated too: PCRE's `\A` and `\z` anchors, POSIX/Java classes
 * (`\p{Alnum}`, `[[:alpha:]]`).
 */

/** What became of a pattern: kept, rewritten into `pattern`, or not compilable at all. */
export type PatternFix = { pattern: string; rewritten: boolean } | undefined

export function unicodePattern(source: string): PatternFix {
  if (compiles(source)) return { pattern: source, rewritten: false }
  let rewritten: string
  try {
    rewritten = rewrite(source)
  } catch {
    return undefined
  }
  return rewritten !== source && compiles(rewritten) ? { pattern: rewritten, rewritten: true } : undefined
}

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern, 'u')
    return true
  } catch {
    return false
  }
}

/** POSIX and Java class names, as the characters they stand for (ASCII, as in those engines by default). */
const NAMED: Record<string, string> = {
  alpha: 'A-Za-z', alnum: 'A-Za-z0-9', digit: '0-9', upper: 'A-Z', lower: 'a-z', xdigit: '0-9A-Fa-f',
  space: '\\s', blank: ' \\t', punct: '!-\\/:-@\\[-`{-~', word: '\\w', cntrl: '\\x00-\\x1F\\x7F',
  graph: '!-~', print: ' -~', ascii: '\\x00-\\x7F',
}

/** One pass over the pattern, copying each piece in a form the `u` flag accepts. */
function rewrite(source: string): string {
  let out = ''
  let inClass = false
  /** Whether the last thing written in a class is a class escape (`\w`): a "-" after it is literal. */
  let lastWasClassEscape = false
  /** Whether the last thing written outside a class can take a quantifier. */
  let quantifiable = false
  for (let i = 0; i < source.length; ) {
    const c = source[i]!
    if (c === '\\') {
      const d = source[i + 1]
      const escape = readEscape(source, i, inClass)
      i = escape.end
      if (inClass && escape.classEscape && source[i] === '-' && source[i + 1] !== ']') {
        out += escape.text + '\\-'
        i++
        lastWasClassEscape = false
        continue
      }
      out += escape.text
      lastWasClassEscape = inClass && escape.classEscape
      quantifiable = !inClass && d !== 'b' && d !== 'B' && escape.text !== '^' && escape.text !== '$'
      continue
    }
    if (inClass) {
      if (c === ']') {
        inClass = false
        quantifiable = true
        out += c
        i++
        continue
      }
      if (c === '[' && source[i + 1] === ':') {
        const end = source.indexOf(':]', i + 2)
        const name = end === -1 ? undefined : source.slice(i + 2, end)
        if (name !== undefined && NAMED[name.toLowerCase()] !== undefined) {
          out += NAMED[name.toLowerCase()]
          i = end + 2
          lastWasClassEscape = true
          continue
        }
      }
      if (c === '-' && (lastWasClassEscape || (source[i + 1] === '\\' && /[dDwWsS]/.test(source[i + 2] ?? '')))) {
        out += '\\-'
        i++
        lastWasClassEscape = false
        continue
      }
      lastWasClassEscape = false
      out += c
      i++
      continue
    }
    if (c === '[') {
      inClass = true
      lastWasClassEscape = false
      out += c
      i++
      // `[]` and `[^]` hold a "]" that closes them at once; `[]a]` in other engines holds a "]".
      if (source[i] === '^') { out += '^'; i++ }
      continue
    }
    if (c === '{') {
      const quantifier = /^\{\d+(,\d*)?\}/.exec(source.slice(i))?.[0]
      if (quantifier && quantifiable) {
        out += quantifier
        i += quantifier.length
        if (source[i] === '?') { out += '?'; i++ }
        quantifiable = false
        continue
      }
      out += '\\{'
      i++
      quantifiable = true
      continue
    }
    if (c === '}' || c === ']') {
      out += '\\' + c
      i++
      quantifiable = true
      continue
    }
    out += c
    i++
    quantifiable = !'(|^$*+?'.includes(c)
  }
  return out
}

interface Escape { text: string; end: number; classEscape: boolean }

/** An escape at `i` (a backslash), as it reads without the `u` flag, in the syntax the flag accepts. */
function readEscape(source: string, i: number, inClass: boolean): Escape {
  const d = source[i + 1]
  const plain = (text: string, length = 2): Escape => ({ text, end: i + length, classEscape: false })
  if (d === undefined) return plain('\\\\', 1)
  if ('dDwWsS'.includes(d)) return { text: '\\' + d, end: i + 2, classEscape: true }
  if ('nrtfv'.includes(d)) return plain('\\' + d)
  if (d === 'b') return plain('\\b')
  if (d === 'B') return inClass ? plain('B') : plain('\\B')
  if ('^$\\.*+?()[]{}|/'.includes(d)) return plain('\\' + d)
  if (d === '-') return inClass ? plain('\\-') : plain('-')
  if (d === 'c') return /[A-Za-z]/.test(source[i + 2] ?? '') ? plain('\\c' + source[i + 2], 3) : plain('\\\\c')
  if (d === 'x') {
    const hex = /^[0-9A-Fa-f]{2}/.exec(source.slice(i + 2))?.[0]
    return hex ? plain('\\x' + hex, 4) : plain('x')
  }
  if (d === 'u') {
    const hex = /^[0-9A-Fa-f]{4}/.exec(source.slice(i + 2))?.[0]
    if (hex) return plain('\\u' + hex, 6)
    const braced = /^\{[0-9A-Fa-f]+\}/.exec(source.slice(i + 2))?.[0]
    if (braced && compiles('\\u' + braced)) return plain('\\u' + braced, 2 + braced.length)
    return plain('u')
  }
  if (d === 'p' || d === 'P') {
    const braced = /^\{([A-Za-z_=]+)\}/.exec(source.slice(i + 2))
    if (braced) {
      const length = 2 + braced[0].length
      if (compiles(`\\${d}${braced[0]}`)) return { text: `\\${d}${braced[0]}`, end: i + length, classEscape: true }
      const chars = NAMED[braced[1]!.toLowerCase().replace(/^is/, '')]
      if (chars !== undefined) {
        const text = d === 'p' ? (inClass ? chars : `[${chars}]`) : (inClass ? undefined : `[^${chars}]`)
        if (text !== undefined) return { text, end: i + length, classEscape: true }
      }
    }
    return plain(d)
  }
  if (d === 'k') {
    return /^<[A-Za-z_$][\w$]*>/.test(source.slice(i + 2)) ? plain('\\k') : plain('k')
  }
  if (/[0-9]/.test(d)) {
    const digits = /^[0-9]+/.exec(source.slice(i + 1))![0]
    // A back-reference to a group the pattern has; else, without the flag, an octal escape (`\037`).
    if (d !== '0' && !inClass && Number(digits) <= capturingGroups(source)) return plain('\\' + digits, 1 + digits.length)
    const octal = /^[0-7]{1,3}/.exec(digits)?.[0]
    if (octal && Number.parseInt(octal, 8) <= 0xff) return plain('\\x' + Number.parseInt(octal, 8).toString(16).padStart(2, '0'), 1 + octal.length)
    return plain(d)
  }
  // PCRE's anchors: the start and end of the subject.
  if (!inClass && d === 'A') return plain('^')
  if (!inClass && (d === 'z' || d === 'Z')) return plain('$')
  // Any other escape is the character itself without the flag; escaped again where it is special.
  return plain(/[A-Za-z0-9_]/.test(d) || !'^$\\.*+?()[]{}|/-'.includes(d) ? d : '\\' + d)
}

/** How many capturing groups a pattern has: `(`, and `(?<name>`, not escaped and not in a class. */
function capturingGroups(source: string): number {
  let count = 0
  let inClass = false
  for (let i = 0; i < source.length; i++) {
    const c = source[i]
    if (c === '\\') i++
    else if (inClass) inClass = c !== ']'
    else if (c === '[') inClass = true
    else if (c === '(' && (source[i + 1] !== '?' || (source[i + 2] === '<' && source[i + 3] !== '=' && source[i + 3] !== '!'))) count++
  }
  return count
}
