/**
 * A request as the core reads it: method, path, query, headers as a plain object, the body read
 * whole within a size limit, and the Web Request only for what needs one (the control API). Each
 * door makes its own: msw hands the core a Request (`incomingOf` below); the node:http door reads the
 * IncomingMessage directly, so a simple request never builds a URL, a Headers or a Request.
 */

/** The body, read: its bytes, none at all, more than the limit (not read to the end), or cut off. */
export type BodyRead = Uint8Array | null | 'tooLarge' | 'malformed'

export interface Incoming {
  /** As sent; the core upper-cases it. */
  readonly method: string
  /** Absolute. */
  readonly url: string
  /** The URL's path, percent-encoded as a URL holds it (`/v1/things/a%20b`). */
  readonly path: string
  /** `?a=1&b=2`, or ''. */
  readonly search: string
  /** Lower-case names; a repeated header's values joined with `, `, as Web Headers join them. */
  readonly headers: Record<string, string>
  /** The peer address, for loopback-only control; absent for in-process doors (msw). */
  readonly remoteAddress?: string
  /** Fires when the client goes away (streams and held requests stop on it). */
  readonly signal?: AbortSignal
  /** Whether the request has a body at all (as its framing says), before reading it. */
  readonly hasBody: boolean
  /** The whole body, reading no more than `maxBytes` of it. */
  body(maxBytes: number): Promise<BodyRead>
  /** The Web Request, for the few stages that want one. */
  toRequest(): Request
}

/** What a door knows besides the Request itself. */
export interface RequestInfo {
  /** The peer address, for loopback-only control; absent for in-process doors (msw). */
  remoteAddress?: string
  /** Fires when the client goes away (streams stop on it). */
  signal?: AbortSignal
}

/** An Incoming over a Web Request (the msw door, `standin.handle`). */
export function incomingOf(request: Request, info: RequestInfo = {}): Incoming {
  const url = new URL(request.url)
  const headers: Record<string, string> = {}
  request.headers.forEach((value, name) => { headers[name] = value })
  return {
    method: request.method,
    url: request.url,
    path: url.pathname,
    search: url.search,
    headers,
    remoteAddress: info.remoteAddress,
    signal: info.signal ?? request.signal,
    hasBody: request.body !== null,
    body: (maxBytes) => readRequestBody(request, maxBytes),
    toRequest: () => request,
  }
}

async function readRequestBody(request: Request, maxBytes: number): Promise<BodyRead> {
  const declared = Number(request.headers.get('content-length') ?? NaN)
  if (Number.isFinite(declared)) {
    if (declared > maxBytes) {
      // Not awaited: some bodies (msw's interceptor) settle a cancel only when the client finishes sending.
      void request.body?.cancel().catch(() => {})
      return 'tooLarge'
    }
    if (declared === 0) return null
    // The length is known and within the limit: read the body whole, without a stream reader.
    try {
      return new Uint8Array(await request.arrayBuffer())
    } catch {
      return 'malformed'
    }
  }
  if (request.body === null) return null
  return readLimited(request.body, maxBytes)
}

/** A body of unknown length, read until it ends or passes `maxBytes`. */
async function readLimited(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<BodyRead> {
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>
    try {
      chunk = await reader.read()
    } catch {
      return 'malformed'
    }
    if (chunk.done) break
    size += chunk.value.byteLength
    if (size > maxBytes) {
      void reader.cancel().catch(() => {})
      return 'tooLarge'
    }
    chunks.push(chunk.value)
  }
  return concat(chunks, size)
}

export function concat(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const c of chunks) { bytes.set(c, offset); offset += c.byteLength }
  return bytes
}

/** `?a=1&a=2&b=` → `{ a: ['1', '2'], b: '' }`. */
export function queryOf(search: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {}
  if (search === '' || search === '?') return query
  for (const [name, value] of new URLSearchParams(search)) {
    const existing = query[name]
    query[name] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value]
  }
  return query
}
