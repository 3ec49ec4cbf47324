/**
 * CORS, so a web app in a browser can call the dev server as it would call the real API: preflights
 * are answered for any method and header the spec could need, and every answer to a request with an
 * `Origin` allows that origin and exposes the headers it carries (so a client can read
 * `Retry-After` or a rate-limit header). A wrapper around the core handler, like Prism's `--cors`.
 * Not for `/__standin/`: a web page the developer happens to visit must not drive the control API.
 */
import { answerOf, handlerOf, refusalOf, withRefusal, type Answer, type Handler } from '../core/handle.ts'
import { isOutgoing, type Outgoing } from './response.ts'
import { isControlPath } from '../control/control.ts'

export function withCors(handle: Handler): Handler {
  // Keeps the core's Incoming/Outgoing form, so the node:http door still needs no Web objects.
  const inner: Answer = answerOf(handle) ?? ((incoming) => handle(incoming.toRequest(), incoming))
  return withRefusal(handlerOf((incoming) => {
    const origin = incoming.headers.origin
    // Most requests carry no Origin: the core's own promise, nothing added. The control API is not
    // the API a web app calls: it decides for itself which origins (none, unless allowed) may.
    if (!origin || isControlPath(incoming.path)) return inner(incoming)
    if (incoming.method.toUpperCase() === 'OPTIONS' && incoming.headers['access-control-request-method'] !== undefined) {
      return Promise.resolve<Outgoing>({
        status: 204,
        headers: [
          ['access-control-allow-origin', origin],
          ['access-control-allow-credentials', 'true'],
          ['access-control-allow-methods', 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS'],
          ['access-control-allow-headers', incoming.headers['access-control-request-headers'] ?? '*'],
          ['access-control-max-age', '600'],
          ['vary', 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers'],
        ],
        body: null,
      })
    }
    return inner(incoming).then((out) => {
      if (isOutgoing(out)) return withCorsHeaders(out, origin)
      if (out.type === 'error') return out
      const { headers } = withCorsHeaders({ status: out.status, headers: [...out.headers], body: null }, origin)
      return new Response(out.body, { status: out.status, statusText: out.statusText, headers })
    })
  }), refusalOf(handle))
}

/** The same headers on an Outgoing, as a Web Headers object would hold them. */
function withCorsHeaders(out: Outgoing, origin: string): Outgoing {
  const names = [...new Set(out.headers.map(([name]) => name.toLowerCase()))].sort()
  const exposed = names.filter((name) => !SAFELISTED.has(name))
  const replaced = new Set(['access-control-allow-origin', 'access-control-allow-credentials', ...(exposed.length > 0 ? ['access-control-expose-headers'] : [])])
  const headers = out.headers.filter(([name]) => !replaced.has(name.toLowerCase()))
  headers.push(['access-control-allow-origin', origin], ['access-control-allow-credentials', 'true'], ['vary', 'Origin'])
  if (exposed.length > 0) headers.push(['access-control-expose-headers', exposed.join(', ')])
  return { ...out, headers }
}

/** Response headers a browser shows scripts without being told. */
const SAFELISTED = new Set(['cache-control', 'content-language', 'content-length', 'content-type', 'expires', 'last-modified', 'pragma', 'vary'])
