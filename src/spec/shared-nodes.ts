/**
 * A document whose equal parts are one object each. A dereferenced spec writes every schema out in
 * every place it is used: GitHub's 73 MB one has ~360,000 objects of only ~25,000 different texts
 * (its simple-user alone is written thousands of times). Made one object per text, the document
 * takes a fraction of the memory, and written down with each repeated part once (./document-cache.ts)
 * it is ~4 MB, read back in ~40 ms where parsing the file takes ~300.
 *
 * Only the loaded document, once normalised, is shared this way: nothing after loading changes a
 * node in a way that depends on where it is, except `reachable` (src/spec/schemas.ts), which deletes
 * `$id` and `$schema` from schemas — a node holding either is never shared (nor any node holding it).
 */
import { isPlainObject } from '../util/match.ts'

/** Stands for a repeated part in the written form: `{"$standin-shared": <its index in the table>}`. */
const MARK = '$standin-shared'

/** The written form: each repeated part once in `table`, referred to by index. */
export interface SharedForm {
  table: unknown[]
  root: unknown
}

class NotShareable extends Error {}

/**
 * `doc` with every object (or array) equal in text to an earlier one replaced by that one, in place,
 * and its written form; undefined when the document holds what the written form cannot carry (a
 * value JSON does not give back as it is, an object with the key `$standin-shared`), or is nested
 * beyond what a walk can follow.
 */
export function shareNodes(doc: object): { document: object; written: SharedForm } | undefined {
  const ids = new Map<string, number>() // an object's text (strings and children by id) -> its id
  const canonical: object[] = []
  const counts: number[] = []
  // Strings (keys and values) by id: an object's text is a few characters a key, not its strings
  // written out again (a 73 MB document's worth of text made and dropped).
  const strings = new Map<string, number>()
  const stringId = (value: string): number => {
    let id = strings.get(value)
    if (id === undefined) strings.set(value, (id = strings.size))
    return id
  }
  let unique = 0
  // Bottom up: each object's children are made canonical first, and its text names them by id, so
  // each object is described by its own keys only.
  const visit = (node: object): number => {
    let text: string
    if (Array.isArray(node)) {
      text = '['
      for (let i = 0; i < node.length; i++) text += child(node, i, node[i]) + ','
    } else {
      if (Object.getPrototypeOf(node) !== Object.prototype || Object.hasOwn(node, MARK)) throw new NotShareable()
      text = '{'
      for (const key in node) text += stringId(key) + ':' + child(node, key, (node as Record<string, unknown>)[key]) + ','
      const own = node as Record<string, unknown>
      if (typeof own.$id === 'string' || typeof own.$schema === 'string') text += `u${unique++}`
    }
    let id = ids.get(text)
    if (id === undefined) {
      id = canonical.length
      ids.set(text, id)
      canonical.push(node)
      counts.push(0)
    }
    counts[id]!++
    return id
  }
  const child = (parent: any, key: string | number, value: unknown): string => {
    if (typeof value === 'string') return `s${stringId(value)}`
    if (value === null) return 'z'
    if (typeof value === 'boolean') return value ? 't' : 'f'
    if (typeof value === 'number') {
      if (!Number.isFinite(value) || Object.is(value, -0)) throw new NotShareable()
      return `n${value}`
    }
    if (typeof value !== 'object') throw new NotShareable()
    const id = visit(value)
    if (canonical[id] !== value) put(parent, key, canonical[id])
    return `#${id}`
  }
  let root: number
  try {
    root = visit(doc)
  } catch (error) {
    if (error instanceof NotShareable || error instanceof RangeError) return undefined
    throw error
  }

  const index = new Map<object, number>()
  for (let id = 0; id < canonical.length; id++) if (counts[id]! > 1) index.set(canonical[id]!, -1)
  const table: unknown[] = []
  const write = (node: unknown, top: boolean): unknown => {
    if (node === null || typeof node !== 'object') return node
    const slot = top ? undefined : index.get(node)
    if (slot !== undefined) {
      if (slot !== -1) return { [MARK]: slot }
      const at = table.length
      index.set(node, at)
      table.push(null)
      table[at] = write(node, true)
      return { [MARK]: at }
    }
    if (Array.isArray(node)) return node.map((item) => write(item, false))
    const out: Record<string, unknown> = {}
    for (const key in node) put(out, key, write((node as Record<string, unknown>)[key], false))
    return out
  }
  return { document: canonical[root]!, written: { table, root: write(canonical[root]!, true) } }
}

/**
 * The document a written form stands for, each repeated part one object wherever it is; undefined
 * when `written` is not one (an entry of another version).
 */
export function readShared(written: unknown): object | undefined {
  if (!isPlainObject(written) || !Array.isArray(written.table) || !isPlainObject(written.root)) return undefined
  const table = written.table as unknown[]
  const made: Array<object | undefined> = new Array(table.length)
  const part = (slot: unknown): object => {
    if (typeof slot !== 'number' || !(slot in table)) throw new NotShareable()
    let node = made[slot]
    if (node === undefined) {
      const value = table[slot]
      if (value === null || typeof value !== 'object') throw new NotShareable()
      made[slot] = node = value
      fill(value)
    }
    return node
  }
  // In place: the parsed entry's own objects become the document's.
  const fill = (node: object): void => {
    // Written only where a part is put in: most objects hold none.
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const value = node[i]
        if (value !== null && typeof value === 'object') {
          const made = resolve(value)
          if (made !== value) node[i] = made
        }
      }
      return
    }
    const own = node as Record<string, unknown>
    for (const key in own) {
      const value = own[key]
      if (value !== null && typeof value === 'object') {
        const made = resolve(value)
        if (made !== value) put(own, key, made)
      }
    }
  }
  const resolve = (value: unknown): unknown => {
    if (value === null || typeof value !== 'object') return value
    if (!Array.isArray(value) && Object.hasOwn(value, MARK)) return part((value as Record<string, unknown>)[MARK])
    fill(value)
    return value
  }
  try {
    fill(written.root)
  } catch (error) {
    if (error instanceof NotShareable || error instanceof RangeError) return undefined
    throw error
  }
  return written.root
}

/** `out[key] = value`, as an own property even for `__proto__` (a property a schema may well name). */
function put(out: any, key: string | number, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
  else out[key] = value
}
