/** JSON pointers (RFC 6901), used to name places in specs and scenarios. */
export function escapeToken(token: string | number): string {
  if (typeof token === 'number') return String(token)
  // Most tokens need nothing: no new string, no regex (a spec walk escapes millions of them).
  if (token.indexOf('~') === -1 && token.indexOf('/') === -1) return token
  return token.replace(/~/g, '~0').replace(/\//g, '~1')
}

export function unescapeToken(token: string): string {
  if (token.indexOf('~') === -1) return token
  return token.replace(/~1/g, '/').replace(/~0/g, '~')
}

export function pointer(...tokens: Array<string | number>): string {
  return tokens.map((t) => '/' + escapeToken(t)).join('')
}

export function join(base: string, ...tokens: Array<string | number>): string {
  return base + pointer(...tokens)
}

/** Reads the value at a pointer, or undefined. */
export function get(doc: unknown, ptr: string): unknown {
  if (ptr === '' || ptr === '/') return doc
  let node: any = doc
  for (const raw of ptr.replace(/^\//, '').split('/')) {
    if (node == null || typeof node !== 'object') return undefined
    node = node[unescapeToken(raw)]
  }
  return node
}
