/**
 * Reading a request body within the spec's size limit and parsing it by content type. A body over
 * the limit is not read to the end; malformed JSON is noted, not thrown, so the validate stage can
 * answer it in the API's own envelope.
 */
import type { Context } from '../core/context.ts'
import type { BodyRead } from '../core/incoming.ts'
import { isBareMediaType } from '../spec/declared.ts'

/**
 * The body as the door reads it, when the request has one: nothing to wait for (undefined)
 * otherwise, so a GET goes through the pipeline without a turn of the event loop. The door's own
 * promise, awaited once by the core and given to `parseBody`: no promise or closure of its own.
 */
export function readBody(ctx: Context, maxBytes: number): Promise<BodyRead> | undefined {
  if (ctx.method === 'GET' || ctx.method === 'HEAD' || !ctx.incoming.hasBody) return undefined
  return ctx.incoming.body(maxBytes)
}

export function parseBody(ctx: Context, read: BodyRead): void {
  if (read === 'malformed' || read === 'tooLarge') {
    ctx.bodyProblem = read
    return
  }
  if (read === null || read.byteLength === 0) return
  ctx.bodyBytes = read.byteLength
  let text: string
  try {
    text = utf8.decode(read)
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

// Stateless between whole-buffer decodes, so one serves every request.
const utf8 = new TextDecoder('utf-8', { fatal: true })

export function isJson(mediaType: string): boolean {
  return mediaType === 'application/json' || /^application\/[\w.+-]*\+json$/.test(mediaType) || mediaType === 'text/json'
}

/** `application/json; charset=utf-8` -> `application/json`. */
export function mediaTypeOf(header: string | null | undefined): string | undefined {
  if (!header) return undefined
  if (isBareMediaType(header)) return header
  return header.split(';')[0]!.trim().toLowerCase() || undefined
}
