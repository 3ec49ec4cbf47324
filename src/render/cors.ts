/**
 * CORS, so a web app in a browser can call the dev server as it would call the real API: preflights
 * are answered for any method and header the spec could need, and every answer to a request with an
 * `Origin` allows that origin and exposes the headers it carries (so a client can read
 * `Retry-After` or a rate-limit header). A wrapper around the core handler, like Prism's `--cors`.
 */
import type { Handler } from '../core/handle.ts'

export function withCors(handle: Handler): Handler {
  return async (request, info) => {
    const origin = request.headers.get('origin')
    if (!origin) return handle(request, info)
    if (request.method === 'OPTIONS' && request.headers.has('access-control-request-method')) {
      return new Response(null, {
        status: 204,
        headers: {
          'Access-Control-Allow-Origin': origin,
          'Access-Control-Allow-Credentials': 'true',
          'Access-Control-Allow-Methods': 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS',
          'Access-Control-Allow-Headers': request.headers.get('access-control-request-headers') ?? '*',
          'Access-Control-Max-Age': '600',
          Vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
        },
      })
    }
    const response = await handle(request, info)
    if (response.type === 'error') return response
    const exposed = [...response.headers.keys()].filter((name) => !SAFELISTED.has(name))
    const headers = new Headers(response.headers)
    headers.set('Access-Control-Allow-Origin', origin)
    headers.set('Access-Control-Allow-Credentials', 'true')
    headers.append('Vary', 'Origin')
    if (exposed.length > 0) headers.set('Access-Control-Expose-Headers', exposed.join(', '))
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers })
  }
}

/** Response headers a browser shows scripts without being told. */
const SAFELISTED = new Set(['cache-control', 'content-language', 'content-length', 'content-type', 'expires', 'last-modified', 'pragma', 'vary'])
