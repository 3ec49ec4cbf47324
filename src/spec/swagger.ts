/**
 * Swagger 2.0 documents, converted to OpenAPI 3.0 when they are loaded, and the way back from a
 * pointer in the converted document to the place in the Swagger file it came from — so a message
 * about a schema names the line the user wrote.
 *
 * The converter is @scalar/openapi-upgrader (maintained, two small dependencies, synchronous).
 * swagger2openapi, the long-time choice, was weighed: its last release is from 2021, it brings ~40
 * packages (an HTTP client, a CLI parser), and it converts only asynchronously — which would have
 * made compileApi and check, synchronous public functions, asynchronous for every caller.
 */
import { createRequire } from 'node:module'
import { isPlainObject } from '../util/match.ts'
import { escapeToken, get, unescapeToken } from '../util/pointer.ts'

const require = createRequire(import.meta.url)

export function isSwagger2(doc: unknown): boolean {
  return isPlainObject(doc) && String(doc.swagger ?? '').startsWith('2.')
}

/** The OpenAPI 3.0 document a Swagger 2.0 one says, and the way back to the original's pointers. */
export function convertSwagger(original: Record<string, any>): { document: any; toOriginal(pointer: string): string | undefined } {
  // Loaded only for a Swagger document; the converter changes what it is given, hence the copy.
  const { upgradeFromTwoToThree } = require('@scalar/openapi-upgrader/2.0-to-3.0') as typeof import('@scalar/openapi-upgrader/2.0-to-3.0')
  const document = upgradeFromTwoToThree(structuredClone(original) as any) as any
  return { document, toOriginal: (pointer) => toOriginal(original, pointer) }
}

/**
 * Where a pointer of the converted document was in the Swagger file: definitions became
 * components/schemas, a response's schema moved under content/<type>, body and form parameters
 * became a requestBody, the other parameters' types moved into a schema. Undefined when the place
 * has no counterpart there.
 */
function toOriginal(original: Record<string, any>, pointer: string): string | undefined {
  const tokens = pointer.split('/').slice(1).map(unescapeToken)
  const out = (...parts: Array<string | number>) => '/' + parts.map(escapeToken).join('/')
  const exists = (p: string) => (get(original, p) !== undefined ? p : undefined)
  const [a, b, c, d, ...rest] = tokens
  if (a === 'components') {
    const section = ({ schemas: 'definitions', parameters: 'parameters', responses: 'responses', securitySchemes: 'securityDefinitions', requestBodies: 'parameters' } as Record<string, string>)[b ?? '']
    if (!section || c === undefined) return undefined
    if (b === 'responses') return exists(out(section, c, ...responseRest([d, ...rest].filter((t) => t !== undefined) as string[])))
    if (b === 'requestBodies') return exists(out(section, c, ...bodyRest(original[section]?.[c], [d, ...rest].filter((t) => t !== undefined) as string[])))
    if (b === 'parameters') return exists(out(section, c, ...paramRest([d, ...rest].filter((t) => t !== undefined) as string[])))
    return exists(out(section, ...tokens.slice(2)))
  }
  if (a === 'paths' && b !== undefined) {
    if (c === undefined) return exists(out('paths', b))
    const item = original.paths?.[b]
    // Path-level parameters: /paths/<p>/parameters/<i>/...
    if (c === 'parameters' && d !== undefined) return exists(out('paths', b, 'parameters', keptIndex(original, item?.parameters, Number(d)), ...paramRest(rest)))
    const operation = item?.[c]
    const [kind, index, ...more] = tokens.slice(3)
    if (kind === 'responses' && index !== undefined) return exists(out('paths', b, c, 'responses', index, ...responseRest(more)))
    if (kind === 'requestBody') {
      const inBodyOf = tokens.slice(4)
      const params: any[] = Array.isArray(operation?.parameters) ? operation.parameters : []
      const body = params.findIndex((p) => inBody(original, p) === 'body')
      if (body !== -1) return exists(out('paths', b, c, 'parameters', body, ...bodyRest(params[body], inBodyOf)))
      // Form fields: .../schema/properties/<name>/... is the formData parameter of that name.
      const [content, , schema, properties, name, ...inside] = inBodyOf
      if (content === 'content' && schema === 'schema' && properties === 'properties' && name !== undefined) {
        const field = params.findIndex((p) => p?.in === 'formData' && p?.name === name)
        if (field !== -1) return exists(out('paths', b, c, 'parameters', field, ...inside))
      }
      return undefined
    }
    if (kind === 'parameters' && index !== undefined) return exists(out('paths', b, c, 'parameters', keptIndex(original, operation?.parameters, Number(index)), ...paramRest(more)))
    return exists(out(...tokens))
  }
  if (a === 'servers') return exists('/host') ?? exists('/basePath')
  return exists(pointer)
}

/** Body and form parameters left the list when converted: the index of the n-th one that stayed. */
function keptIndex(original: Record<string, any>, list: unknown, index: number): number {
  const params: unknown[] = Array.isArray(list) ? list : []
  let seen = -1
  for (let i = 0; i < params.length; i++) if (!inBody(original, params[i]) && ++seen === index) return i
  return index
}

/** 'body' or 'formData' for a parameter (or a $ref to one) the conversion moved into a requestBody. */
function inBody(original: Record<string, any>, param: any): 'body' | 'formData' | undefined {
  const resolved = typeof param?.$ref === 'string' && param.$ref.startsWith('#') ? get(original, param.$ref.slice(1)) as any : param
  return resolved?.in === 'body' || resolved?.in === 'formData' ? resolved.in : undefined
}

/** A response's `content/<type>/schema/...` was its `schema/...`. */
function responseRest(rest: string[]): string[] {
  if (rest[0] === 'content' && rest[2] === 'schema') return ['schema', ...rest.slice(3)]
  // A header's type, format, pattern … were the header's own.
  if (rest[0] === 'headers' && rest[2] === 'schema') return rest.slice(0, 2).concat(rest.slice(3))
  if (rest[0] === 'content' && rest[2] === 'examples') return ['examples', rest[1]!]
  return rest
}

/** A request body's `content/<type>/schema/...` was the body parameter's `schema/...`. */
function bodyRest(_param: unknown, rest: string[]): string[] {
  if (rest[0] === 'content' && rest[2] === 'schema') return ['schema', ...rest.slice(3)]
  return rest
}

/** A parameter's `schema/...` was the parameter itself (type, format, pattern beside its name). */
function paramRest(rest: string[]): string[] {
  return rest[0] === 'schema' ? rest.slice(1) : rest
}
