/**
 * The command the serve banner suggests: a real GET of the spec being served (under its server's base
 * path, path parameters filled from their examples), with the key where the spec's first security
 * scheme wants it — or `Authorization: Bearer`, which selects the key's world whatever the spec
 * declares.
 */
import type { Api } from '../api.ts'
import { isPlainObject } from '../util/match.ts'

export function tryCommand(api: Api, key: string | undefined, url: string): string | undefined {
  const ops = api.operations
  const op = ops.find((o) => o.method === 'GET' && !o.path.includes('{') && !o.parameters.some((p) => p.required && p.in !== 'path'))
    ?? ops.find((o) => o.method === 'GET') ?? ops[0]
  if (!op) return undefined
  const path = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(exampleOf(api, op.parameters.find((p) => p.name === name && p.in === 'path')) ?? '1'))
  const base = basePath(api)
  const query: string[] = []
  for (const p of op.parameters) {
    if (p.required && p.in === 'query') query.push(`${encodeURIComponent(p.name)}=${encodeURIComponent(exampleOf(api, p) ?? '1')}`)
  }
  const flags: string[] = []
  if (op.method !== 'GET') flags.push(`-X ${op.method}`)
  if (key) {
    const required = op.security[0] ? [...op.security[0].keys()][0] : undefined
    const scheme = (required ? api.behaviour.schemes.get(required) : undefined) ?? api.behaviour.schemeList[0]
    if (!scheme || scheme.kind === 'bearer') flags.push(`-H 'Authorization: Bearer ${key}'`)
    else if (scheme.kind === 'basic') flags.push(`-u '${key}:'`)
    else if (scheme.in === 'header') flags.push(`-H '${scheme.parameter}: ${key}'`)
    else if (scheme.in === 'query') query.push(`${encodeURIComponent(scheme.parameter!)}=${encodeURIComponent(key)}`)
    else flags.push(`-b '${scheme.parameter}=${key}'`)
  }
  const target = `${url}${base}${path}${query.length > 0 ? `?${query.join('&')}` : ''}`
  return `curl ${[...flags, `'${target}'`].join(' ')}`
}

/** The first server's base path (`/v1` of `https://api.example.com/v1`), as requests may carry it. */
function basePath(api: Api): string {
  const servers = api.spec.document.servers
  const first = Array.isArray(servers) ? servers[0] : undefined
  try {
    return new URL(String(first?.url ?? ''), 'http://localhost').pathname.replace(/\/+$/, '')
  } catch {
    return ''
  }
}

function exampleOf(api: Api, parameter: { pointer?: string; schemaPointer?: string } | undefined): string | undefined {
  if (!parameter) return undefined
  const raw = parameter.pointer ? api.registry.resolve({ $ref: `#${parameter.pointer}` }).schema : undefined
  const schema = parameter.schemaPointer ? api.schemaAt(parameter.schemaPointer) : undefined
  const value = raw?.example ?? (isPlainObject(raw?.examples) ? Object.values<any>(raw.examples)[0]?.value : undefined)
    ?? schema?.example ?? schema?.default ?? (Array.isArray(schema?.enum) ? schema.enum[0] : undefined)
  return value === undefined || value === null ? undefined : String(value)
}
