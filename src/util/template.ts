/**
 * Templates: any JSON value whose strings may hold `{expression}` placeholders. A string that is a
 * single placeholder yields the raw value (a number stays a number, and an undefined value drops the
 * property); a string with text around placeholders is interpolated. Compiled once at start-up.
 *
 * @example
 * compileTemplate({ error: { code: '{code}', message: 'Invalid value for field: {field}.' } })
 *   ({ code: 'invalid_field', field: 'ttl' })
 * // { error: { code: 'invalid_field', message: 'Invalid value for field: ttl.' } }
 */
import { compileExpression, type Vars } from './expression.ts'

export type Render = (vars: Vars) => unknown

const PLACEHOLDER = /\{([^{}]+)\}/g

/** Throws SyntaxError naming the bad placeholder. */
export function compileTemplate(template: unknown): Render {
  if (typeof template === 'string') return compileString(template)
  if (Array.isArray(template)) {
    const items = template.map(compileTemplate)
    return (vars) => items.map((item) => item(vars)).filter((v) => v !== undefined)
  }
  if (template !== null && typeof template === 'object') {
    const entries = Object.entries(template).map(([k, v]) => [k, compileTemplate(v)] as const)
    return (vars) => {
      const out: Record<string, unknown> = {}
      for (const [k, render] of entries) {
        const value = render(vars)
        if (value !== undefined) out[k] = value
      }
      return out
    }
  }
  return () => template
}

function compileString(template: string): Render {
  const whole = /^\{([^{}]+)\}$/.exec(template)
  if (whole) {
    const expr = compileExpression(whole[1]!)
    return (vars) => expr(vars)
  }
  if (!template.includes('{')) return () => template
  const parts: Array<string | ((v: Vars) => unknown)> = []
  let last = 0
  for (const m of template.matchAll(PLACEHOLDER)) {
    parts.push(ownCopy(template.slice(last, m.index)))
    parts.push(compileExpression(m[1]!))
    last = m.index! + m[0].length
  }
  parts.push(ownCopy(template.slice(last)))
  // Joined with +, not Array.join: V8 then keeps a long result as a pair of its parts, so a
  // computed field such as a URL ending in the record's id shares the template's text and the id
  // (32 bytes) rather than copying both (90 bytes), in each of a world's 100,000 records.
  return (vars) => {
    let out = ''
    for (const p of parts) out += typeof p === 'string' ? p : String(p(vars) ?? '')
    return out
  }
}

/** True when a string holds at least one placeholder. */
export function isTemplated(value: unknown): boolean {
  return typeof value === 'string' && /\{[^{}]+\}/.test(value)
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/**
 * A fresh copy of a string. A string sliced from a document's text keeps that text's encoding: one
 * character outside Latin-1 anywhere in a YAML file (a dash in a description) makes every slice
 * two bytes per character, and so every string rendered from it — once per record created.
 */
function ownCopy(text: string): string {
  return decoder.decode(encoder.encode(text))
}

/** Values an error's templates always have (the code, its status, the request's id and method, the time). */
const ALWAYS = new Set(['code', 'status', 'requestId', 'method', 'now'])

/**
 * The placeholders that can leave a message with a blank (`A job named  exists.`): every clause of
 * it holds one whose value may be missing — no default (`{x ?? 'y'}`), not one of the values an error
 * always has — so when they all are, no clause is left to say anything and the words around them
 * are sent as they are. Empty when some clause always stands (`Not enough credits: needs {amount}.`).
 *
 * @example
 * blankPlaceholders('A job named {name} exists.') // ['name']
 * blankPlaceholders('Not enough credits: this format needs {amount}.') // []
 */
export function blankPlaceholders(template: string): string[] {
  if (!template.includes('{')) return []
  const clauses = template.split(/(?<=[,;:.!?])\s+/).map((text) => [...text.matchAll(PLACEHOLDER)].map((m) => m[1]!.trim()).filter(mayBeMissing))
  return clauses.every((missing) => missing.length > 0) ? [...new Set(clauses.flat())] : []
}

/** An expression with no literal default at its end, reading more than the values an error always has. */
function mayBeMissing(expression: string): boolean {
  if (/\?\?\s*('[^']*'|"[^"]*"|-?\d+(\.\d+)?)\s*$/.test(expression)) return false
  // Paths read, without string literals and the names of functions called.
  const names = expression.replace(/'[^']*'|"[^"]*"/g, '').replace(/[A-Za-z_$][\w$]*\s*\(/g, '(').match(/[A-Za-z_$][\w$]*(?:\.[\w$]+)*/g) ?? []
  return names.some((name) => !ALWAYS.has(name))
}

/**
 * A message: a template string whose clauses that say a missing value are left out. `Not enough
 * credits: this format needs {amount}, the organisation has {balance}.` with neither value known is
 * `Not enough credits.` — never `needs , the organisation has .`. A placeholder with a default
 * (`{retryAfter ?? 60}`) always has a value. Clauses end at `,` `;` `:` or a sentence's end.
 *
 * @example
 * compileMessage('Invalid value for field: {field}.')({}) // 'Invalid value for field.'
 */
export function compileMessage(template: string): Render {
  const full = compileString(template)
  if (!template.includes('{')) return full
  const clauses = template.split(/(?<=[,;:.!?])\s+/).map((text) => ({
    render: compileString(text),
    values: [...text.matchAll(PLACEHOLDER)].map((m) => compileExpression(m[1]!)),
  }))
  const ending = /[.!?]\s*$/.exec(template)?.[0].trim() ?? ''
  return (vars) => {
    const missing = (clause: (typeof clauses)[number]) => clause.values.some((value) => { const v = value(vars); return v === undefined || v === null || v === '' })
    if (!clauses.some(missing)) return full(vars)
    const kept: string[] = []
    for (let i = 0; i < clauses.length; i++) {
      const clause = clauses[i]!
      if (missing(clause)) continue
      let text = String(clause.render(vars))
      // A clause that led into one left out (`… asynchronously: poll task {id}.`) ends its sentence
      // when a new sentence comes next.
      const next = clauses.findIndex((c, j) => j > i && !missing(c))
      if (next > i + 1 && /[,;:]$/.test(text) && /^[A-Z]/.test(String(clauses[next]!.render(vars)))) text = text.slice(0, -1) + '.'
      kept.push(text)
    }
    // Nothing left but the clauses' words: the template's text without its placeholders.
    const text = kept.length > 0 ? kept.join(' ') : template.replace(PLACEHOLDER, '').replace(/\s+([,;:.!?])/g, '$1').replace(/\s{2,}/g, ' ')
    const trimmed = text.replace(/[\s,;:]+$/, '')
    return /[.!?]$/.test(trimmed) ? trimmed : trimmed + ending
  }
}
