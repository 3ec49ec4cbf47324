/**
 * How a request to an operation is written, for the tools that write one for a person (the serve
 * banner's curl command, the dashboard's try-it form): the server's base path, a parameter's example,
 * and where the key goes.
 */
import type { Api } from '../api.ts'
import type { OperationModel } from './model.ts'
import { isPlainObject } from '../util/match.ts'

/** The first server's base path (`/v1` of `https://api.example.com/v1`), as requests may carry it. */
export function basePath(api: Api): string {
  const servers = api.spec.document.servers
  const first = Array.isArray(servers) ? servers[0] : undefined
  try {
    return new URL(String(first?.url ?? ''), 'http://localhost').pathname.replace(/\/+$/, '')
  } catch {
    return ''
  }
}

/** A parameter's example as text: its own example(s), else its schema's example, default or first enum value. */
export function parameterExample(api: Api, parameter: { pointer?: string; schemaPointer?: string } | undefined): string | undefined {
  if (!parameter) return undefined
  const raw = parameter.pointer ? api.registry.resolve({ $ref: `#${parameter.pointer}` }).schema : undefined
  const schema = parameter.schemaPointer ? api.schemaAt(parameter.schemaPointer) : undefined
  const value = raw?.example ?? (isPlainObject(raw?.examples) ? Object.values<any>(raw.examples)[0]?.value : undefined)
    ?? schema?.example ?? schema?.default ?? (Array.isArray(schema?.enum) ? schema.enum[0] : undefined)
  return value === undefined || value === null ? undefined : typeof value === 'object' ? JSON.stringify(value) : String(value)
}

export interface KeyPlacement { in: 'header' | 'query' | 'cookie'; name: string; prefix?: string; basic?: boolean }

/**
 * Where the key goes, as the operation's first security scheme wants it (else Authorization: Bearer,
 * which selects the key's world whatever the spec declares).
 */
export function keyPlacement(api: Api, op: OperationModel): KeyPlacement {
  const required = op.security[0] ? [...op.security[0].keys()][0] : undefined
  const scheme = (required ? api.behaviour.schemes.get(required) : undefined) ?? api.behaviour.schemeList[0]
  if (!scheme || scheme.kind === 'bearer') return { in: 'header', name: 'authorization', prefix: 'Bearer ' }
  if (scheme.kind === 'basic') return { in: 'header', name: 'authorization', basic: true }
  if (scheme.in === 'query' || scheme.in === 'cookie') return { in: scheme.in, name: scheme.parameter! }
  return { in: 'header', name: scheme.parameter! }
}
