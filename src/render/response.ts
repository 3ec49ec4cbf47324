/**
 * Turning a prepared outcome into a Web Response, with the headers the API sends on every response.
 */
import type { Context } from '../core/context.ts'
import { varsOf } from '../core/context.ts'
import type { Prepared } from './render.ts'

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

export function toResponse(prepared: Prepared, head = false): Response {
  const headers = new Headers()
  for (const [name, value] of prepared.headers) headers.append(name, value)
  let body: BodyInit | null = null
  if (prepared.stream) body = prepared.stream
  else if (prepared.body !== undefined) {
    const type = prepared.contentType ?? 'application/json'
    headers.set('content-type', type)
    body = typeof prepared.body === 'string' && !/json/.test(type) ? prepared.body : JSON.stringify(prepared.body)
  }
  if (prepared.stream && prepared.contentType) headers.set('content-type', prepared.contentType)
  const nullBody = prepared.status === 204 || prepared.status === 304 || head
  return new Response(nullBody ? null : body, { status: prepared.status, headers })
}
