/**
 * Reading a request body within the spec's size limit and parsing it by content type. A body over
 * the limit is not read to the end; malformed JSON is noted, not thrown, so the validate stage can
 * answer it in the API's own envelope.
 */
import type { Context } from '../core/context.ts'

export async function readBody(ctx: Context, maxBytes: number): Promise<void> {
  const request = ctx.request
  if (ctx.method === 'GET' || ctx.method === 'HEAD') return
  const declared = Number(request.headers.get('content-length') ?? NaN)
  let bytes: Uint8Array
  if (Number.isFinite(declared)) {
    if (declared > maxBytes) {
      ctx.bodyProblem = 'tooLarge'
      // Not awaited: some bodies (msw's interceptor) settle a cancel only when the client finishes sending.
      void request.body?.cancel().catch(() => {})
      return
    }
    if (declared === 0) return
    // The length is known and within the limit: read the body whole, without a stream reader.
    try {
      bytes = new Uint8Array(await request.arrayBuffer())
    } catch {
      ctx.bodyProblem = 'malformed'
      return
    }
  } else {
    if (request.body === null) return
    const read = await readLimited(request.body, maxBytes)
    if (read === 'malformed' || read === 'tooLarge') {
      ctx.bodyProblem = read
      return
    }
    bytes = read
  }
  if (bytes.byteLength === 0) return
  let text: string
  try {
    text = utf8.decode(bytes)
  } catch {
    ctx.bodyProblem = 'malformed'
    return
  }
  ctx.bodyText = text
  const type = ctx.contentType ?? ''
  if (isJson(type)) {
    try {
      ctx.body = JSON.parse(text)
    } catch {
      ctx.bodyProblem = 'malformed'
    }
  } else if (type === 'application/x-www-form-urlencoded') {
    ctx.body = Object.fromEntries(new URLSearchParams(text))
  } else {
    ctx.body = text
  }
}

/** A body of unknown length, read until it ends or passes `maxBytes`. */
async function readLimited(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<Uint8Array | 'malformed' | 'tooLarge'> {
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
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const c of chunks) { bytes.set(c, offset); offset += c.byteLength }
  return bytes
}

// Stateless between whole-buffer decodes, so one serves every request.
const utf8 = new TextDecoder('utf-8', { fatal: true })

export function isJson(mediaType: string): boolean {
  return mediaType === 'application/json' || /^application\/[\w.+-]*\+json$/.test(mediaType) || mediaType === 'text/json'
}

/** `application/json; charset=utf-8` -> `application/json`. */
export function mediaTypeOf(header: string | null | undefined): string | undefined {
  if (!header) return undefined
  return header.split(';')[0]!.trim().toLowerCase() || undefined
}
