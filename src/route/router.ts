/**
 * Routing: method + path to an operation. Path templates are compiled once into a segment trie, so a
 * lookup costs the depth of the path, not the number of operations. Literal segments win over
 * parameters (`/sessions/current` before `/sessions/{id}`), as OpenAPI asks.
 */
import type { OperationModel } from '../spec/model.ts'

interface Node {
  literal: Map<string, Node>
  param?: { node: Node; names: string[] }
  /** Whole-segment templates such as `{id}.json` or `v{version}` are matched by regex. */
  patterns: Array<{ re: RegExp; names: string[]; node: Node }>
  operations: Map<string, OperationModel>
}

export interface RouteMatch {
  operation: OperationModel
  params: Record<string, string>
}

export type RouteResult = { match: RouteMatch } | { allowed: string[] } | undefined

const node = (): Node => ({ literal: new Map(), patterns: [], operations: new Map() })

export class Router {
  private readonly root = node()
  /** Server base paths (`/v1` from `servers: [{url: https://api.x.com/v1}]`) that requests may carry. */
  private readonly bases: string[]
  /**
   * Paths without parameters, as a request spells them most often (no trailing slash, nothing
   * percent-encoded): found in one lookup, with no segments split off. Anything else walks the trie.
   */
  private readonly statics = new Map<string, Node>()

  constructor(operations: OperationModel[], basePaths: string[] = []) {
    this.bases = [...new Set(basePaths.map((b) => b.replace(/\/+$/, '')).filter(Boolean))].sort((a, b) => b.length - a.length)
    for (const op of operations) this.add(op)
    for (const op of operations) {
      if (op.path.includes('{')) continue
      const segments = split(op.path)
      const found = walk(this.root, segments, 0, [])
      if (found) this.statics.set(`/${segments.join('/')}`, found)
    }
  }

  private add(op: OperationModel): void {
    let current = this.root
    for (const segment of split(op.path)) {
      const whole = /^\{([^}]+)\}$/.exec(segment)
      if (whole) {
        current.param ??= { node: node(), names: [] }
        current.param.names.push(whole[1]!)
        current = current.param.node
      } else if (segment.includes('{')) {
        const names: string[] = []
        const source = segment.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{([^}]+)\\?\}/g, (_, name: string) => { names.push(name); return '([^/]+)' })
        let entry = current.patterns.find((p) => p.re.source === `^${source}$`)
        if (!entry) current.patterns.push((entry = { re: new RegExp(`^${source}$`), names, node: node() }))
        current = entry.node
      } else {
        let next = current.literal.get(segment)
        if (!next) current.literal.set(segment, (next = node()))
        current = next
      }
    }
    current.operations.set(op.method, op)
  }

  /** The operation for a request, the methods allowed on a known path, or undefined. */
  match(method: string, pathname: string): RouteResult {
    let result = this.find(method, pathname)
    for (const base of this.bases) {
      if (result && 'match' in result) break
      if (pathname === base || pathname.startsWith(base + '/')) {
        const stripped = this.find(method, pathname.slice(base.length) || '/')
        if (stripped && ('match' in stripped || !result)) result = stripped
      }
    }
    return result
  }

  private find(method: string, pathname: string): RouteResult {
    const exact = pathname.indexOf('%') === -1 ? this.statics.get(pathname) : undefined
    if (exact) {
      const op = exact.operations.get(method) ?? (method === 'HEAD' ? exact.operations.get('GET') : undefined)
      if (op) return { match: { operation: op, params: {} } }
    }
    const segments = split(pathname)
    for (let i = 0; i < segments.length; i++) {
      const decoded = safeDecode(segments[i]!)
      if (decoded === undefined) return undefined
      segments[i] = decoded
    }
    const values: string[] = []
    const found = walk(this.root, segments, 0, values)
    if (!found) return undefined
    const op = found.operations.get(method) ?? (method === 'HEAD' ? found.operations.get('GET') : undefined)
    if (!op) return { allowed: [...found.operations.keys()] }
    const params: Record<string, string> = {}
    // Each operation may name its parameters differently at the same position.
    const own = this.paramNames(op)
    for (let i = 0; i < own.length; i++) params[own[i]!] = values[i] ?? ''
    return { match: { operation: op, params } }
  }

  private readonly names = new Map<OperationModel, string[]>()

  private paramNames(op: OperationModel): string[] {
    let names = this.names.get(op)
    if (!names) this.names.set(op, (names = [...op.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!)))
    return names
  }
}

/** The node a path ends at; `values` holds the parameter values on the way (as found, on success). */
function walk(n: Node, segments: string[], i: number, values: string[]): Node | undefined {
  if (i === segments.length) return n.operations.size > 0 ? n : undefined
  const segment = segments[i]!
  const lit = n.literal.get(segment)
  if (lit) {
    const r = walk(lit, segments, i + 1, values)
    if (r) return r
  }
  const depth = values.length
  for (const p of n.patterns) {
    const m = p.re.exec(segment)
    if (m) {
      for (let k = 1; k < m.length; k++) values.push(m[k]!)
      const r = walk(p.node, segments, i + 1, values)
      if (r) return r
      values.length = depth
    }
  }
  if (n.param && segment !== '') {
    values.push(segment)
    const r = walk(n.param.node, segments, i + 1, values)
    if (r) return r
    values.length = depth
  }
  return undefined
}

function split(path: string): string[] {
  let end = path.length
  while (end > 0 && path.charCodeAt(end - 1) === 47 /* / */) end--
  return end === 0 ? [] : path.slice(1, end).split('/')
}

function safeDecode(segment: string): string | undefined {
  if (!segment.includes('%')) return segment
  try { return decodeURIComponent(segment) } catch { return undefined }
}
