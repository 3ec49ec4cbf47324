/**
 * The command the serve banner suggests: a real GET of the spec being served (under its server's base
 * path, path parameters filled from their examples), with the key where the spec's first security
 * scheme wants it — or `Authorization: Bearer`, which selects the key's world whatever the spec
 * declares.
 */
import type { Api } from '../api.ts'
import { basePath, keyPlacement, parameterExample } from '../spec/request-parts.ts'

export function tryCommand(api: Api, key: string | undefined, url: string): string | undefined {
  const ops = api.operations
  const op = ops.find((o) => o.method === 'GET' && !o.path.includes('{') && !o.parameters.some((p) => p.required && p.in !== 'path'))
    ?? ops.find((o) => o.method === 'GET') ?? ops[0]
  if (!op) return undefined
  const path = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(parameterExample(api, op.parameters.find((p) => p.name === name && p.in === 'path')) ?? '1'))
  const base = basePath(api)
  const query: string[] = []
  for (const p of op.parameters) {
    if (p.required && p.in === 'query') query.push(`${encodeURIComponent(p.name)}=${encodeURIComponent(parameterExample(api, p) ?? '1')}`)
  }
  const flags: string[] = []
  if (op.method !== 'GET') flags.push(`-X ${op.method}`)
  if (key) {
    const at = keyPlacement(api, op)
    if (at.basic) flags.push(`-u '${key}:'`)
    else if (at.in === 'header') flags.push(`-H '${at.name === 'authorization' ? 'Authorization' : at.name}: ${at.prefix ?? ''}${key}'`)
    else if (at.in === 'query') query.push(`${encodeURIComponent(at.name)}=${encodeURIComponent(key)}`)
    else flags.push(`-b '${at.name}=${key}'`)
  }
  const target = `${url}${base}${path}${query.length > 0 ? `?${query.join('&')}` : ''}`
  return `curl ${[...flags, `'${target}'`].join(' ')}`
}
