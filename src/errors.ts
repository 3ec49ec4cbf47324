/**
 * The two kinds of "no" in standin.
 *
 * `ApiError` is the mocked API refusing a request: it is rendered in the API's own envelope with a
 * code from the spec's error catalogue. `ConfigError` is standin itself being misconfigured: it names
 * the file and the JSON pointer of what is wrong and says how to fix it.
 */

/** The API says no: rendered through the spec's error envelope and catalogue. */
export class ApiError extends Error {
  readonly code: string
  readonly vars: Record<string, unknown>
  readonly headers: Record<string, string>
  /** The status answered, when not the code's own: a forced status, a built-in code mapped to the API's. */
  readonly status?: number
  constructor(code: string, vars: Record<string, unknown> = {}, headers: Record<string, string> = {}, status?: number) {
    // An API's refusal is an answer, not a bug: a stack trace would say nothing, and capturing one
    // cost more than the rest of a 429 (a fifth of the server's time under a stream of them).
    const limit = Error.stackTraceLimit
    Error.stackTraceLimit = 0
    super(code)
    Error.stackTraceLimit = limit
    this.name = 'ApiError'
    this.code = code
    this.vars = vars
    this.headers = headers
    if (status !== undefined) this.status = status
  }
}

/**
 * One problem in a spec, overlay or scenario file. A problem stops standin from serving; a
 * `warning` does not: it says which one check is off (a schema keyword standin cannot compile was
 * dropped) and why. `standin check` lists both, and `--strict` counts warnings as problems.
 */
export interface ConfigProblem {
  file: string
  pointer: string
  message: string
  /** Set on warnings only. */
  severity?: 'warning'
}

/** standin is misconfigured: every problem names its file and JSON pointer. */
export class ConfigError extends Error {
  readonly problems: ConfigProblem[]
  /** Warnings found before the problems stopped the compilation, for check to list as well. */
  readonly warnings: ConfigProblem[]
  constructor(problems: ConfigProblem[], warnings: ConfigProblem[] = []) {
    super(problems.map(formatProblem).join('\n'))
    this.name = 'ConfigError'
    this.problems = problems
    this.warnings = warnings
  }
}

export function formatProblem(p: ConfigProblem): string {
  return `${p.file}#${p.pointer}: ${p.message}`
}

/** Collects problems while compiling so that `standin check` can list every one, not just the first. */
export class Problems {
  readonly list: ConfigProblem[] = []
  readonly warnings: ConfigProblem[] = []
  readonly file: string
  constructor(file: string) {
    this.file = file
  }
  add(pointer: string, message: string, file = this.file): void {
    this.list.push({ file, pointer, message })
  }
  /** Something standin works around by leaving one check out: it still serves. */
  warn(pointer: string, message: string, file = this.file): void {
    this.warnings.push({ file, pointer, message, severity: 'warning' })
  }
  throwIfAny(): void {
    if (this.list.length > 0) throw new ConfigError(this.list, this.warnings)
  }
}

/** "Did you mean …?" for names a user mistyped. */
export function suggest(name: string, candidates: Iterable<string>): string {
  let best = ''
  let bestDistance = Infinity
  for (const candidate of candidates) {
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase())
    if (d < bestDistance) {
      bestDistance = d
      best = candidate
    }
  }
  return best && bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? ` Did you mean "${best}"?` : ''
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = tmp
    }
  }
  return row[b.length]!
}
