/**
 * Reading a request body within the spec's size limit and parsing it by content type. A body over
 * the limit is not read to the end; malformed JSON is noted, not thrown, so the validate stage can
 * answer it in the API's own envelope.
 */
import type { Context } from '../core/context.ts'

export async function readBody(ctx: Context, maxBytes: number): Promise<void> {
  const request = ctx.request
  if (request.body === null || ctx.method === 'GET' || ctx.method === 'HEAD') return
  const declared = Number(request.headers.get('content-length') ?? NaN)
  if (Number.isFinite(declared) && declared > maxBytes) {
    ctx.bodyProblem = 'tooLarge'
    // Not awaited: some bodies (msw's interceptor) settle a cancel only when the client finishes sending.
    void request.body.cancel().catch(() => {})
    return
  }
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>
    try {
      chunk = await reader.read()
    } catch {
      ctx.bodyProblem = 'malformed'
      return
    }
    if (chunk.done) break
    size += chunk.value.byteLength
    if (size > maxBytes) {
      ctx.bodyProblem = 'tooLarge'
      void reader.cancel().catch(() => {})
      return
    }
    chunks.push(chunk.value)
  }
  if (size === 0) return
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const c of chunks) { bytes.set(c, offset); offset += c.byteLength }
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
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

export function isJson(mediaType: string): boolean {
  return mediaType === 'application/json' || /^application\/[\w.+-]*\+json$/.test(mediaType) || mediaType === 'text/json'
}

/** `application/json; charset=utf-8` -> `application/json`. */
export function mediaTypeOf(header: string | null | undefined): string | undefined {
  if (!header) return undefined
  return header.split(';')[0]!.trim().toLowerCase() || undefined
}
