/**
 * Request data built from the spec: valid bodies and parameters (the spec's examples first, then data
 * generated from the schema) and deliberately invalid ones, each checked against the spec's own
 * validators so a "valid" sample really is valid and an "invalid" one really is not.
 */
import type { Api } from '../api.ts'
import type { OperationModel, ParameterModel } from '../spec/model.ts'
import { get } from '../util/pointer.ts'
import { isPlainObject } from '../util/match.ts'
import { isJson } from '../validate/body.ts'

export interface BodySample {
  contentType: string
  value: unknown
  /** Sent as it is (a body of a media type other than JSON: an upload's bytes), not as JSON. */
  text?: string
  /** Where it came from, for the report: `example`, `generated`, `empty`. */
  source: string
}

export interface InvalidBody {
  contentType: string
  value: unknown
  /** What is wrong, and where (a JSON pointer). */
  what: string
}

/** A body the spec accepts for the operation, or undefined when it takes none (or none JSON). */
export function validBody(api: Api, op: OperationModel, random: () => number): BodySample | undefined {
  const media = jsonMedia(op)
  if (!media) return textBody(op)
  const [contentType, m] = media
  const valid = (value: unknown) => !m.validate || m.validate(structuredClone(value)) === true
  const raw = m.schemaPointer ? get(api.spec.document, m.schemaPointer.replace(/\/schema$/, '')) as any : undefined
  const examples = [raw?.example, ...(isPlainObject(raw?.examples) ? Object.values<any>(raw.examples).map((e) => e?.value) : []), m.schemaPointer ? api.schemaAt(m.schemaPointer)?.example : undefined]
  for (const example of examples) if (example !== undefined && valid(example)) return { contentType, value: example, source: 'example' }
  if (m.schemaPointer) {
    const schema = api.schemaAt(m.schemaPointer)
    for (let attempt = 0; attempt < 5; attempt++) {
      const value = api.fake(schema, random)
      if (value !== undefined && valid(value)) return { contentType, value, source: 'generated' }
    }
  }
  if (valid({})) return { contentType, value: {}, source: 'empty' }
  return undefined
}

/** Bodies the spec refuses: a property of the wrong type, a required property left out, the wrong root type. */
export function invalidBodies(api: Api, op: OperationModel, valid: unknown): InvalidBody[] {
  const media = jsonMedia(op)
  if (!media || !media[1].validate || !media[1].schemaPointer) return []
  const [contentType, m] = media
  const schema = api.schemaAt(m.schemaPointer!)
  const invalid = (value: unknown) => m.validate!(structuredClone(value)) === false
  const candidates: Array<{ value: unknown; what: string }> = []
  const properties = isPlainObject(schema?.properties) ? Object.entries<any>(schema.properties) : []
  const base = isPlainObject(valid) ? valid : {}
  for (const [name, prop] of properties) {
    const wrong = wrongType(prop)
    if (wrong !== undefined) { candidates.push({ value: { ...base, [name]: wrong }, what: `/${name} of the wrong type` }); break }
  }
  for (const [name, prop] of properties) {
    const out = outOfRange(prop)
    if (out !== undefined) { candidates.push({ value: { ...base, [name]: out }, what: `/${name} out of range` }); break }
  }
  const required = Array.isArray(schema?.required) ? (schema.required as string[]) : []
  if (required.length > 0) {
    const { [required[0]!]: _dropped, ...rest } = base
    candidates.push({ value: rest, what: `/${required[0]} (required) left out` })
  }
  candidates.push({ value: Array.isArray(valid) ? {} : [], what: 'the wrong type at the root' })
  const out: InvalidBody[] = []
  for (const c of candidates) {
    if (out.length >= 2) break
    if (invalid(c.value)) out.push({ contentType, value: c.value, what: c.what })
  }
  return out
}

/** A value for a parameter the spec accepts: its example, an enum value, its default, or a generated one. */
export function paramValue(api: Api, param: ParameterModel, random: () => number): string | undefined {
  const raw: any = param.pointer ? get(api.spec.document, param.pointer) : undefined
  const schema = param.schemaPointer ? api.schemaAt(param.schemaPointer) : undefined
  const example = raw?.example ?? (isPlainObject(raw?.examples) ? Object.values<any>(raw.examples)[0]?.value : undefined) ?? schema?.example
  const value = example ?? (Array.isArray(schema?.enum) ? schema.enum[0] : undefined) ?? schema?.default ?? (schema ? api.fake(schema, random) : 'x')
  if (value === undefined || value === null) return undefined
  return Array.isArray(value) ? value.map(String).join(',') : typeof value === 'object' ? JSON.stringify(value) : String(value)
}

/** Values that break a parameter's schema (or leave out a required one), strongest first. */
export function invalidParamValues(api: Api, param: ParameterModel): Array<{ value: string | undefined; what: string }> {
  const schema = param.schemaPointer ? api.schemaAt(param.schemaPointer) : undefined
  const out: Array<{ value: string | undefined; what: string }> = []
  if (param.required && param.in !== 'path') out.push({ value: undefined, what: `${param.in} parameter ${param.name} (required) left out` })
  if (!isPlainObject(schema)) return out
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type
  if (typeof schema.maximum === 'number') out.push({ value: String(schema.maximum + 1), what: `${param.name} above its maximum ${schema.maximum}` })
  if (typeof schema.minimum === 'number') out.push({ value: String(schema.minimum - 1), what: `${param.name} below its minimum ${schema.minimum}` })
  if (type === 'integer' || type === 'number') out.push({ value: 'not-a-number', what: `${param.name} not a number` })
  if (type === 'boolean') out.push({ value: 'maybe', what: `${param.name} not a boolean` })
  if (Array.isArray(schema.enum)) out.push({ value: 'not-one-of-the-values', what: `${param.name} not one of ${schema.enum.join(', ')}` })
  if (typeof schema.maxLength === 'number') out.push({ value: 'x'.repeat(schema.maxLength + 1), what: `${param.name} longer than ${schema.maxLength}` })
  if (typeof schema.minLength === 'number' && schema.minLength > 0 && param.in !== 'path') out.push({ value: '', what: `${param.name} shorter than ${schema.minLength}` })
  return out
}

/**
 * A body of another media type (an upload, plain text), when its schema takes any string or none: a
 * few bytes of text, sent as they are.
 */
function textBody(op: OperationModel): BodySample | undefined {
  for (const [contentType, m] of op.body?.contentTypes ?? []) {
    const text = 'standin sample body'
    if (!m.validate || m.validate(text) === true) return { contentType, value: text, text, source: 'text' }
  }
  return undefined
}

function jsonMedia(op: OperationModel) {
  if (!op.body) return undefined
  for (const entry of op.body.contentTypes) if (isJson(entry[0])) return entry
  return undefined
}

function wrongType(prop: any): unknown {
  if (!isPlainObject(prop)) return undefined
  const type = Array.isArray(prop.type) ? prop.type : prop.type === undefined ? undefined : [prop.type]
  if (!type) return Array.isArray(prop.enum) ? '__not_one_of_the_values__' : undefined
  if (type.includes('string')) return type.includes('number') || type.includes('integer') ? { wrong: true } : 12345
  if (type.includes('integer') || type.includes('number')) return 'not-a-number'
  if (type.includes('boolean')) return 'yes'
  if (type.includes('array')) return 'not-an-array'
  if (type.includes('object')) return 'not-an-object'
  return undefined
}

function outOfRange(prop: any): unknown {
  if (!isPlainObject(prop)) return undefined
  if (typeof prop.maximum === 'number') return prop.maximum + 1
  if (typeof prop.minimum === 'number') return prop.minimum - 1
  if (typeof prop.maxLength === 'number') return 'x'.repeat(prop.maxLength + 1)
  if (Array.isArray(prop.enum) && prop.enum.every((v: unknown) => typeof v === 'string')) return '__not_one_of_the_values__'
  return undefined
}
