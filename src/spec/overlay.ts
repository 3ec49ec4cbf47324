/**
 * OpenAPI Overlay 1.0 (https://spec.openapis.org/overlay/v1.0.0): a list of actions, each selecting
 * nodes of the document with a JSONPath `target` and merging an `update` into them or removing them.
 * It lets a user keep `x-standin` behaviour beside a provider's spec without editing it.
 *
 * Supported JSONPath: `$`, `.name`, `['name']`, `[n]`, `[*]`, `.*`, `..name`, and filters
 * `[?(@.field == 'value')]` / `!=`.
 */
import { Problems } from '../errors.ts'
import { isPlainObject } from '../util/match.ts'

type Segment =
  | { kind: 'child'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'wildcard' }
  | { kind: 'descendant'; name: string }
  | { kind: 'filter'; path: string[]; op: '==' | '!='; value: unknown }

interface Location { parent: any; key: string | number }

export function applyOverlay(doc: any, overlay: unknown, problems: Problems): any {
  if (!isPlainObject(overlay) || typeof overlay.overlay !== 'string') {
    problems.add('/overlay', 'an Overlay document needs `overlay: 1.0.0` and a list of `actions`')
    return doc
  }
  if (!Array.isArray(overlay.actions)) {
    problems.add('/actions', 'an Overlay document needs a list of `actions`')
    return doc
  }
  const root = { $: doc }
  overlay.actions.forEach((action: any, i: number) => {
    if (!isPlainObject(action) || typeof action.target !== 'string') {
      problems.add(`/actions/${i}/target`, 'each action needs a JSONPath `target` string such as "$.paths[\'/v1/items\'].post"')
      return
    }
    let segments: Segment[]
    try {
      segments = parseJsonPath(action.target)
    } catch (error) {
      problems.add(`/actions/${i}/target`, `${(error as Error).message} in JSONPath ${JSON.stringify(action.target)}`)
      return
    }
    const found = select(root, segments)
    if (found.length === 0) {
      problems.add(`/actions/${i}/target`, `JSONPath ${JSON.stringify(action.target)} selects nothing in the document`)
      return
    }
    for (const loc of found) {
      if (action.remove === true) {
        if (Array.isArray(loc.parent)) loc.parent.splice(loc.key as number, 1)
        else delete loc.parent[loc.key]
      } else if (action.update !== undefined) {
        const current = loc.parent[loc.key]
        if (Array.isArray(current)) current.push(structuredClone(action.update))
        else if (isPlainObject(current) && isPlainObject(action.update)) deepMerge(current, action.update)
        else loc.parent[loc.key] = structuredClone(action.update)
      } else {
        problems.add(`/actions/${i}`, 'an action needs `update` or `remove: true`')
      }
    }
  })
  return root.$
}

/** Objects merge recursively; anything else in the update replaces what was there. */
export function deepMerge(target: Record<string, any>, update: Record<string, any>): Record<string, any> {
  for (const [key, value] of Object.entries(update)) {
    if (isPlainObject(value) && isPlainObject(target[key])) deepMerge(target[key], value)
    else target[key] = structuredClone(value)
  }
  return target
}

function parseJsonPath(path: string): Segment[] {
  if (!path.startsWith('$')) throw new Error('a target must start with "$"')
  const segments: Segment[] = [{ kind: 'child', name: '$' }]
  let i = 1
  while (i < path.length) {
    if (path.startsWith('..', i)) {
      const m = /^\.\.([A-Za-z_$][\w$-]*)/.exec(path.slice(i))
      if (!m) throw new Error(`expected a name after ".." at ${i}`)
      segments.push({ kind: 'descendant', name: m[1]! })
      i += m[0].length
    } else if (path[i] === '.') {
      if (path[i + 1] === '*') { segments.push({ kind: 'wildcard' }); i += 2; continue }
      const m = /^\.([A-Za-z_$][\w$-]*)/.exec(path.slice(i))
      if (!m) throw new Error(`expected a name after "." at ${i}`)
      segments.push({ kind: 'child', name: m[1]! })
      i += m[0].length
    } else if (path[i] === '[') {
      const end = findBracketEnd(path, i)
      const inner = path.slice(i + 1, end).trim()
      i = end + 1
      if (inner === '*') segments.push({ kind: 'wildcard' })
      else if (/^-?\d+$/.test(inner)) segments.push({ kind: 'index', index: Number(inner) })
      else if (/^'.*'$|^".*"$/.test(inner)) segments.push({ kind: 'child', name: inner.slice(1, -1).replace(/\\(['"])/g, '$1') })
      else if (inner.startsWith('?')) segments.push(parseFilter(inner))
      else throw new Error(`unsupported selector [${inner}]`)
    } else {
      throw new Error(`unexpected "${path[i]}" at ${i}`)
    }
  }
  return segments
}

function findBracketEnd(path: string, start: number): number {
  let quote: string | null = null
  for (let i = start + 1; i < path.length; i++) {
    const c = path[i]
    if (quote) { if (c === quote && path[i - 1] !== '\\') quote = null }
    else if (c === "'" || c === '"') quote = c
    else if (c === ']') return i
  }
  throw new Error('unclosed "["')
}

function parseFilter(inner: string): Segment {
  const m = /^\?\(?\s*@((?:\.[A-Za-z_$][\w$-]*)+)\s*(==|!=)\s*(.+?)\s*\)?$/.exec(inner)
  if (!m) throw new Error(`unsupported filter [${inner}] (supported: [?(@.field == 'value')])`)
  let value: unknown
  const raw = m[3]!
  if (/^'.*'$|^".*"$/.test(raw)) value = raw.slice(1, -1)
  else if (raw === 'true' || raw === 'false') value = raw === 'true'
  else if (!Number.isNaN(Number(raw))) value = Number(raw)
  else throw new Error(`unsupported filter value ${raw}`)
  return { kind: 'filter', path: m[1]!.slice(1).split('.'), op: m[2] as '==' | '!=', value }
}

function select(root: any, segments: Segment[]): Location[] {
  let current: Location[] = [{ parent: root, key: '$' }]
  for (const seg of segments.slice(1)) {
    const next: Location[] = []
    for (const loc of current) {
      const node = loc.parent[loc.key]
      if (node === null || typeof node !== 'object') continue
      if (seg.kind === 'child' && seg.name in node) next.push({ parent: node, key: seg.name })
      else if (seg.kind === 'index' && Array.isArray(node)) {
        const index = seg.index < 0 ? node.length + seg.index : seg.index
        if (index >= 0 && index < node.length) next.push({ parent: node, key: index })
      } else if (seg.kind === 'wildcard') {
        for (const key of Array.isArray(node) ? node.keys() : Object.keys(node)) next.push({ parent: node, key })
      } else if (seg.kind === 'descendant') {
        collectDescendants(node, seg.name, next)
      } else if (seg.kind === 'filter') {
        for (const key of Array.isArray(node) ? node.keys() : Object.keys(node)) {
          let v: any = node[key]
          for (const p of seg.path) v = v?.[p]
          if ((v === seg.value) === (seg.op === '==')) next.push({ parent: node, key })
        }
      }
    }
    current = next
  }
  return current
}

function collectDescendants(node: any, name: string, out: Location[]): void {
  if (node === null || typeof node !== 'object') return
  for (const key of Array.isArray(node) ? node.keys() : Object.keys(node)) {
    if (key === name) out.push({ parent: node, key })
    collectDescendants(node[key], name, out)
  }
}
