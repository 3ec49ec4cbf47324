/**
 * A forced outcome that looks real: a forced 429 or 503 says when to retry (`Retry-After`), and a
 * forced error carries the rate-limit headers the spec declares for that response, consistent with
 * each other and with the world's clock — nothing left on a 429, a reset in the future. Clients'
 * throttling and retry logic (which reads these headers) then engages as it would on the real API.
 */
import type { Api } from '../api.ts'
import type { ResponseModel } from '../spec/model.ts'
import { isPlainObject } from '../util/match.ts'

/** Seconds a forced 429 / 503 tells the client to wait, unless a rule, the request or the catalogue says. */
export const DEFAULT_RETRY_AFTER: Record<number, number> = { 429: 1, 503: 5 }

interface DeclaredHeader { name: string; kind: Kind; required: boolean; example: unknown; schema: any }
type Kind = 'retry-after' | 'remaining' | 'reset' | 'limit' | 'used' | 'other'

const declaredByResponse = new WeakMap<ResponseModel, DeclaredHeader[]>()

/** The response's declared headers as written (names, examples, schemas), read once per response. */
function declaredHeaders(api: Api, response: ResponseModel): DeclaredHeader[] {
  let list = declaredByResponse.get(response)
  if (list) return list
  list = []
  const raw = api.registry.resolve({ $ref: `#${escapePointer(response.pointer)}` }).schema
  for (const [name, h] of Object.entries<any>(isPlainObject(raw?.headers) ? raw.headers : {})) {
    const header = api.registry.resolve(h).schema
    if (!isPlainObject(header)) continue
    const schema = header.schema === undefined ? undefined : api.registry.dereference(header.schema)
    const examples = isPlainObject(header.examples) ? Object.values<any>(header.examples).map((e) => api.registry.resolve(e).schema?.value) : []
    const example = header.example ?? examples[0] ?? schema?.example ?? (Array.isArray(schema?.examples) ? schema.examples[0] : undefined) ?? schema?.default
    list.push({ name, kind: kindOf(name.toLowerCase()), required: header.required === true, example, schema })
  }
  declaredByResponse.set(response, list)
  return list
}

function kindOf(name: string): Kind {
  if (name === 'retry-after') return 'retry-after'
  if (!/rate-?limit|quota/.test(name)) return 'other'
  if (/remaining/.test(name)) return 'remaining'
  if (/reset/.test(name)) return 'reset'
  if (/used/.test(name)) return 'used'
  if (/limit$/.test(name)) return 'limit'
  return 'other'
}

/**
 * The headers a forced answer adds: the rate-limit ones the response declares, the required ones,
 * and `Retry-After` on a 429 or 503 (`retryAfter` seconds) — none the answer already has.
 */
export function forcedHeaders(api: Api, response: ResponseModel | undefined, status: number, retryAfter: number | undefined, now: number, random: () => number, have: Array<[string, string]>): Array<[string, string]> {
  const out: Array<[string, string]> = []
  const has = (name: string) => have.some(([n]) => n.toLowerCase() === name) || out.some(([n]) => n.toLowerCase() === name)
  const declared = response ? declaredHeaders(api, response) : []
  const limit = numberOf(declared.find((h) => h.kind === 'limit')?.example) ?? 60
  const wait = retryAfter ?? 60
  for (const h of declared) {
    const lower = h.name.toLowerCase()
    if (lower === 'content-type' || has(lower)) continue
    let value: unknown
    switch (h.kind) {
      case 'retry-after': value = retryAfter === undefined ? (h.required ? h.example ?? 1 : undefined) : retryValue(h, retryAfter, now); break
      case 'remaining': value = status === 429 ? 0 : numberOf(h.example) ?? Math.max(0, limit - 1); break
      case 'used': value = status === 429 ? limit : numberOf(h.example) ?? 1; break
      case 'limit': value = limit; break
      case 'reset': value = resetValue(h, wait, now); break
      default: value = h.required || /rate-?limit/.test(lower) ? h.example ?? (h.schema ? api.fake(h.schema, random) : undefined) : undefined
    }
    if (value !== undefined && value !== null) out.push([lower, String(value)])
  }
  if (retryAfter !== undefined && (status === 429 || status === 503) && !has('retry-after')) out.push(['Retry-After', String(retryAfter)])
  return out
}

/** A reset as the API writes it: epoch seconds (an example past 10^9), epoch ms, a date, else seconds from now. */
function resetValue(h: DeclaredHeader, wait: number, now: number): unknown {
  const example = numberOf(h.example)
  const at = now + wait * 1000
  if (h.schema?.format === 'date-time' || (typeof h.example === 'string' && example === undefined && !Number.isNaN(Date.parse(h.example)))) return new Date(at).toISOString()
  if (example !== undefined && example > 1e12) return at
  if (example !== undefined && example > 1e9) return Math.ceil(at / 1000)
  return wait
}

/** Retry-After in seconds, or as an HTTP date where the spec's example is one. */
function retryValue(h: DeclaredHeader, seconds: number, now: number): unknown {
  if (typeof h.example === 'string' && numberOf(h.example) === undefined && !Number.isNaN(Date.parse(h.example))) return new Date(now + seconds * 1000).toUTCString()
  return seconds
}

function numberOf(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN
  return Number.isFinite(n) ? n : undefined
}

/** The pointer as a `$ref` fragment carries it (the registry URI-decodes refs). */
function escapePointer(pointer: string): string {
  return pointer.replace(/%/g, '%25')
}
