/**
 * Which operations a proxy setting names: an operation id (`createNote`), a tag (`tag:billing`), a
 * path template glob (`path:/notes/*`, `*` one segment, `**` any number), or `*` (every operation).
 * A setting maps selectors to `mock` or `proxy`; where several name one operation, the most specific
 * wins (operation id, then path, then tag, then `*`), and among equals the one written last.
 */
import type { OperationModel } from '../spec/model.ts'
import { suggest } from '../errors.ts'

export type ProxyMode = 'mock' | 'proxy'
export const PROXY_MODES: readonly ProxyMode[] = ['mock', 'proxy']

/** A setting, compiled: each selector's match, rank and mode, in the order written. */
export type ProxyRoutes = Array<{ selector: string; rank: number; mode: ProxyMode; matches: (op: OperationModel, tags: readonly string[]) => boolean }>

/** What a selector is checked against: the operations, and the tags the document gives them. */
export interface SelectorScope {
  operations: readonly OperationModel[]
  tagsOf(op: OperationModel): readonly string[]
}

/** Compiles a setting (`{selector: mode}` in order); each problem names the selector and says what is wrong. */
export function compileRoutes(setting: Record<string, unknown> | Array<[string, unknown]>, scope: SelectorScope | undefined): { routes: ProxyRoutes; problems: Array<{ selector: string; message: string }> } {
  const routes: ProxyRoutes = []
  const problems: Array<{ selector: string; message: string }> = []
  for (const [selector, mode] of Array.isArray(setting) ? setting : Object.entries(setting)) {
    if (mode !== 'mock' && mode !== 'proxy') {
      problems.push({ selector, message: `"${selector}" is set to ${JSON.stringify(mode)}: it is mock or proxy` })
      continue
    }
    const compiled = compileSelector(selector, scope)
    if ('problem' in compiled) problems.push({ selector, message: compiled.problem })
    else routes.push({ selector, mode, ...compiled })
  }
  return { routes, problems }
}

function compileSelector(selector: string, scope: SelectorScope | undefined): { rank: number; matches: ProxyRoutes[number]['matches'] } | { problem: string } {
  if (selector === '*') return { rank: 0, matches: () => true }
  if (selector.startsWith('tag:')) {
    const tag = selector.slice(4)
    if (scope) {
      const known = new Set(scope.operations.flatMap((op) => [...scope.tagsOf(op)]))
      if (!known.has(tag)) return { problem: `no operation has tag "${tag}"${known.size > 0 ? ` (tags: ${[...known].join(', ')})` : ''}.${suggest(tag, known)}` }
    }
    return { rank: 1, matches: (_op, tags) => tags.includes(tag) }
  }
  if (selector.startsWith('path:') || selector.startsWith('/')) {
    const glob = selector.startsWith('/') ? selector : selector.slice(5)
    const pattern = new RegExp(`^${glob.split(/(\*\*|\*)/).map((part) => (part === '**' ? '.*' : part === '*' ? '[^/]*' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))).join('')}$`)
    if (scope && !scope.operations.some((op) => pattern.test(op.path))) return { problem: `no path of the spec matches "${glob}" (paths are the spec's templates, such as ${scope.operations[0]?.path ?? '/things/{id}'})` }
    return { rank: 2, matches: (op) => pattern.test(op.path) }
  }
  if (scope && !scope.operations.some((op) => op.id === selector)) {
    return { problem: `no operation "${selector}"; a selector is an operation id, tag:<name>, path:<glob> or *.${suggest(selector, scope.operations.map((o) => o.id))}` }
  }
  return { rank: 3, matches: (op) => op.id === selector }
}

/** The tags the document gives an operation (none when the document is not at hand). */
export function operationTags(api: { spec?: { document?: unknown } }, op: OperationModel): readonly string[] {
  const item = (api.spec?.document as any)?.paths?.[op.path]?.[op.method.toLowerCase()]
  return Array.isArray(item?.tags) ? item.tags.map(String) : []
}

/** The mode a setting gives an operation, or undefined when none of its selectors names it. */
export function modeIn(routes: ProxyRoutes, op: OperationModel, tags: readonly string[]): ProxyMode | undefined {
  let best: ProxyRoutes[number] | undefined
  for (const route of routes) if ((best === undefined || route.rank >= best.rank) && route.matches(op, tags)) best = route
  return best?.mode
}
