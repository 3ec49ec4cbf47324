/**
 * Stage 8 for an operation the provider answers (`--proxy`): the request forwarded as the client
 * sent it — its headers less the hop-by-hop ones (RFC 9110, 7.6.1) and standin's own, with the
 * provider's credentials from the environment set over the client's — and the provider's answer
 * taken whole, to be checked against the spec and journalled like any other (src/core/handle.ts).
 */
import { ApiError } from '../errors.ts'
import type { Context } from '../core/context.ts'
import type { Prepared } from '../render/render.ts'

/** Never forwarded: they describe one connection, not the request (RFC 9110 7.6.1), or are recomputed. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'content-length'])
/** Not passed back: the body is handed on decoded, and its length is the door's to set. */
const NOT_RETURNED = new Set([...HOP_BY_HOP, 'content-encoding'])

export interface ForwardOptions {
  /** The provider's base URL (`https://sandbox.example.com`, or with a path prefix). */
  target: string
  /** Set on every forwarded request, over the client's own (the provider's credentials, read from the environment by the caller). */
  headers?: Record<string, string>
  /** How long to wait for the provider's answer (ms, default 30 000): then 504. */
  timeoutMs?: number
  /**
   * The fetch that reaches the provider (default: the global one). Behind msw, give one that msw lets
   * through (`(input, init) => fetch(bypass(new Request(input, init)))`): the provider's origin is
   * likely the one the handlers intercept.
   */
  fetch?: typeof fetch
}

/** What went to the provider and what came back, for a recorder (`standin record`). */
export interface Exchange {
  world: string
  tenant?: string
  operation: string
  method: string
  /** The spec's path template, and the request's own path and query. */
  template: string
  path: string
  search: string
  params: Record<string, string>
  requestHeaders: Record<string, string>
  requestBody?: unknown
  status: number
  responseHeaders: Array<[string, string]>
  contentType?: string
  /** Parsed when JSON, else the text; undefined when there was none. */
  responseBody?: unknown
}

/** The URL a request goes to: the base's origin and path prefix, then the path as received (a prefix it already starts with is not repeated). */
export function targetUrl(target: string, path: string, search: string): string {
  const base = new URL(target)
  const prefix = base.pathname.replace(/\/+$/, '')
  const full = prefix === '' || path === prefix || path.startsWith(`${prefix}/`) ? path : `${prefix}${path}`
  return `${base.origin}${full}${search}`
}

export async function forward(ctx: Context, options: ForwardOptions, raw?: Uint8Array): Promise<{ prepared: Prepared; exchange: Exchange; notJson?: boolean }> {
  const headers = new Headers()
  const named = new Set((ctx.headers.connection ?? '').toLowerCase().split(',').map((s) => s.trim()).filter(Boolean))
  for (const [name, value] of Object.entries(ctx.headers)) {
    if (HOP_BY_HOP.has(name) || named.has(name) || name.startsWith('x-standin-')) continue
    headers.set(name, value)
  }
  for (const [name, value] of Object.entries(options.headers ?? {})) headers.set(name, value)
  const method = ctx.method
  const body: BodyInit | undefined = method === 'GET' || method === 'HEAD' ? undefined : raw ? (raw as Uint8Array<ArrayBuffer>) : ctx.bodyText
  const url = targetUrl(options.target, ctx.path, ctx.incoming.search)
  // The wait is for the answer's head (and a JSON body): a stream goes on as long as it goes on.
  const waiting = new AbortController()
  let timedOut = false
  const timer = setTimeout(() => { timedOut = true; waiting.abort() }, options.timeoutMs ?? 30_000)
  const signal = ctx.incoming.signal ? AbortSignal.any([ctx.incoming.signal, waiting.signal]) : waiting.signal
  let res: Response
  let text: string | undefined
  try {
    res = await (options.fetch ?? fetch)(url, { method, headers, body, redirect: 'manual', signal })
    // JSON is read whole, to be checked against the spec; anything else (a stream, an image) is
    // passed on as it comes, byte for byte.
    if (method !== 'HEAD' && isJson(res.headers.get('content-type'))) text = await res.text()
  } catch (error) {
    // The provider is not reachable, or took too long: the API's own envelope, as a gateway answers.
    throw new ApiError(timedOut ? 'gateway_timeout' : 'bad_gateway', { message: `The provider (${new URL(url).origin}) ${timedOut ? 'did not answer in time' : `could not be reached: ${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}`}.` }, {}, timedOut ? 504 : 502)
  } finally {
    clearTimeout(timer)
  }
  const responseHeaders: Array<[string, string]> = []
  res.headers.forEach((value, name) => { if (!NOT_RETURNED.has(name) && name !== 'set-cookie') responseHeaders.push([name, value]) })
  for (const cookie of res.headers.getSetCookie()) responseHeaders.push(['set-cookie', cookie])
  const contentType = res.headers.get('content-type') ?? undefined
  let parsed: unknown
  let notJson = false
  if (text !== undefined && text !== '') {
    try { parsed = JSON.parse(text) } catch { notJson = true }
  }
  const prepared: Prepared = { status: res.status, headers: responseHeaders.filter(([name]) => name !== 'content-type'), ...(contentType !== undefined ? { contentType } : {}) }
  if (parsed !== undefined) prepared.body = parsed
  // Sent on verbatim: a body that says JSON but is not (its text as it came), or one that is not JSON.
  else if (notJson) prepared.stream = new Response(text).body!
  else if (text === undefined && res.body) prepared.stream = res.body
  const exchange: Exchange = {
    world: ctx.world.id, tenant: ctx.tenant?.id, operation: ctx.op!.id, method, template: ctx.op!.path, path: ctx.path, search: ctx.incoming.search,
    params: ctx.params, requestHeaders: Object.fromEntries(headers), requestBody: ctx.body,
    status: res.status, responseHeaders, contentType, responseBody: parsed ?? (notJson ? text : undefined),
  }
  return { prepared, exchange, ...(notJson ? { notJson } : {}) }
}

function isJson(type: string | null): boolean {
  return type !== null && /^[^;]*[/+]json\s*(;|$)/i.test(type)
}
