/**
 * Turning a prepared outcome into a Web Response, with the headers the API sends on every response.
 */
import type { Context } from '../core/context.ts'
import { varsOf } from '../core/context.ts'
import type { Prepared } from './render.ts'
import type { StoredRecord } from '../world/store.ts'

export function withCommonHeaders(ctx: Context, prepared: Prepared): void {
  const common = ctx.world.api.behaviour.headers
  if (common.length > 0) {
    const vars = varsOf(ctx, { status: prepared.status, code: prepared.code })
    for (const [name, render] of common) {
      const value = render(vars)
      if (value !== undefined && !prepared.headers.some(([n]) => n.toLowerCase() === name.toLowerCase())) prepared.headers.push([name, String(value)])
    }
  }
  for (const h of ctx.responseHeaders) if (!prepared.headers.some(([n]) => n.toLowerCase() === h[0].toLowerCase())) prepared.headers.push(h)
}

/**
 * A response as the core produced it, before it is a Web Response. The node:http door writes it to
 * the socket as it is: building a Response only to read its body back costs more than the rest of
 * a simple request.
 */
export interface Outgoing {
  status: number
  /** In order; `content-type` at most once. */
  headers: Array<[string, string]>
  body: string | ReadableStream<Uint8Array> | null
}

/**
 * An Outgoing rather than a Web Response, told apart without touching the global `Response` (whose
 * first use loads Node's fetch implementation — start-up need not wait for it).
 */
export function isOutgoing(out: Outgoing | Response): out is Outgoing {
  return Array.isArray((out as Outgoing).headers)
}

export function toOutgoing(prepared: Prepared, head = false): Outgoing {
  const headers = prepared.headers.slice()
  let body: Outgoing['body'] = null
  let type: string | undefined
  if (prepared.stream) {
    body = prepared.stream
    type = prepared.contentType
  } else if (prepared.body !== undefined) {
    type = prepared.contentType ?? 'application/json'
    body = typeof prepared.body === 'string' && !type.includes('json') ? prepared.body
      : prepared.record && prepared.body === prepared.record.data ? recordJson(prepared.record)
      : JSON.stringify(prepared.body)
  }
  if (type !== undefined) {
    for (let i = headers.length - 1; i >= 0; i--) if (headers[i]![0].toLowerCase() === 'content-type') headers.splice(i, 1)
    headers.push(['content-type', type])
  }
  const nullBody = prepared.status === 204 || prepared.status === 304 || head
  return { status: prepared.status, headers, body: nullBody ? null : body }
}

/**
 * A stored record's JSON text, kept while the record is unchanged (the store bumps `version` on every
 * change): a record read again and again is serialized once. Only records read back are kept, so
 * the memory goes to records a client reads.
 */
const serialized = new WeakMap<object, { version: number; json: string }>()

function recordJson(record: StoredRecord): string {
  const kept = serialized.get(record.data)
  if (kept && kept.version === record.version) return kept.json
  const json = JSON.stringify(record.data)
  serialized.set(record.data, { version: record.version, json })
  return json
}

export function toResponse(prepared: Prepared, head = false): Response {
  return responseOf(toOutgoing(prepared, head))
}

export function responseOf(outgoing: Outgoing): Response {
  const headers = new Headers()
  for (const [name, value] of outgoing.headers) headers.append(name, value)
  return new Response(outgoing.body, { status: outgoing.status, headers })
}
