/**
 * Where a schema Ajv refuses is at fault: not the top of a response schema, but the keyword. What
 * normalisation (./normalize.ts) did not mend is found by compiling less and less: the deepest
 * sub-schema that still does not compile on its own, then the one keyword of it that does not
 * compile alone. Only when compiling throws (`standin check` compiles every validator at once);
 * otherwise the pointer asked about is the answer.
 */
import { isPlainObject } from '../util/match.ts'
import { escapeToken, get } from '../util/pointer.ts'
import { refToPointer, type SchemaRegistry } from './schemas.ts'
import { LIST, MAP, ONE } from './normalize.ts'

type Purpose = Parameters<SchemaRegistry['compileSchema']>[0]

export function faultAt(registry: SchemaRegistry, purpose: Purpose, pointer: string): string {
  const fails = (schema: object) => {
    try {
      registry.compileSchema(purpose, schema)
      return false
    } catch {
      return true
    }
  }
  let at = pointer
  const seen = new Set<string>()
  descend: for (let depth = 0; depth < 64 && !seen.has(at); depth++) {
    seen.add(at)
    const node: any = get(registry.document, at)
    if (!isPlainObject(node)) break
    for (const sub of subschemas(node, at)) {
      if (fails(registry.ref(sub))) {
        at = sub
        continue descend
      }
    }
    // Every sub-schema compiles: the fault is one of this schema's own keywords.
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' || MAP.includes(key) || LIST.includes(key) || ONE.includes(key)) continue
      if (fails({ [key]: value })) return `${at}/${escapeToken(key)}`
    }
    break
  }
  return at
}

function subschemas(node: Record<string, any>, at: string): string[] {
  const out: string[] = []
  if (typeof node.$ref === 'string' && node.$ref.startsWith('#')) out.push(refToPointer(node.$ref))
  for (const key of MAP) if (isPlainObject(node[key])) for (const name of Object.keys(node[key])) out.push(`${at}/${key}/${escapeToken(name)}`)
  for (const key of LIST) if (Array.isArray(node[key])) node[key].forEach((_: unknown, i: number) => out.push(`${at}/${key}/${i}`))
  for (const key of ONE) {
    if (Array.isArray(node[key])) node[key].forEach((_: unknown, i: number) => out.push(`${at}/${key}/${i}`))
    else if (isPlainObject(node[key])) out.push(`${at}/${escapeToken(key)}`)
  }
  return out
}
