/**
 * Reading credentials from a request as the spec's security schemes say: bearer tokens, basic auth,
 * API keys in a header, query or cookie.
 */
import type { SecurityScheme } from '../spec/model.ts'

export function credentialFor(scheme: SecurityScheme, headers: Record<string, string>, query: Record<string, unknown>): string | undefined {
  if (scheme.kind === 'bearer') return afterScheme(headers.authorization, scheme.httpScheme ?? 'bearer')
  if (scheme.kind === 'basic') {
    const m = /^Basic\s+(.+)$/i.exec(headers.authorization ?? '')
    if (!m) return undefined
    let decoded = ''
    try { decoded = atob(m[1]!) } catch { return undefined }
    // The user name is the key, as with Stripe; a password, if any, is ignored.
    return decoded.split(':')[0] || undefined
  }
  if (scheme.in === 'header') return headers[scheme.parameter!.toLowerCase()] || undefined
  if (scheme.in === 'query') {
    const value = query[scheme.parameter!]
    const token = Array.isArray(value) ? value[0] : value
    return typeof token === 'string' && token !== '' ? token : undefined
  }
  const cookie = headers.cookie ?? ''
  for (const part of cookie.split(';')) {
    const [name, ...value] = part.trim().split('=')
    if (name === scheme.parameter) return decodeCookie(value.join('='))
  }
  return undefined
}

/** Query parameters that commonly carry an API key, tried before any other. */
const QUERY_KEYS = ['api_key', 'apikey', 'apiKey', 'key', 'access_token', 'token']
/** Headers that commonly carry an API key besides Authorization. */
const HEADER_KEYS = ['x-api-key', 'api-key']

/**
 * A known key wherever a client may have put it, whatever the spec's security schemes say: after
 * any scheme word in Authorization (`Bearer x`, `token x`), either half of Basic credentials, a
 * common key header or query parameter (`api_key`, `key`, `access_token`, `token`), then any query
 * parameter or cookie whose value is a known key. `known` says which tokens are keys.
 */
export function anyCredential(headers: Record<string, string>, query: Record<string, unknown>, known: (token: string) => boolean): string | undefined {
  const authorization = headers.authorization
  if (authorization) {
    const space = authorization.search(/\s/)
    const scheme = space === -1 ? '' : authorization.slice(0, space).toLowerCase()
    const rest = space === -1 ? authorization.trim() : authorization.slice(space + 1).trim()
    if (scheme === 'basic') {
      let decoded = ''
      try { decoded = atob(rest) } catch { /* not base64: not a key */ }
      const colon = decoded.indexOf(':')
      const user = colon === -1 ? decoded : decoded.slice(0, colon)
      const password = colon === -1 ? '' : decoded.slice(colon + 1)
      if (user && known(user)) return user
      if (password && known(password)) return password
    } else if (rest && known(rest)) return rest
  }
  for (const name of HEADER_KEYS) {
    const value = headers[name]
    if (value && known(value)) return value
  }
  for (const name of QUERY_KEYS) {
    const token = first(query[name])
    if (token && known(token)) return token
  }
  for (const value of Object.values(query)) {
    const token = first(value)
    if (token && known(token)) return token
  }
  const cookie = headers.cookie
  if (cookie) {
    for (const part of cookie.split(';')) {
      const eq = part.indexOf('=')
      const token = eq === -1 ? '' : decodeCookie(part.slice(eq + 1).trim())
      if (token && known(token)) return token
    }
  }
  return undefined
}

function first(value: unknown): string | undefined {
  const token = Array.isArray(value) ? value[0] : value
  return typeof token === 'string' && token !== '' ? token : undefined
}

/** A cookie value percent-decoded; one that is not valid percent-encoding is taken as sent. */
function decodeCookie(value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

/**
 * The credential after an auth scheme's name (`Bearer <token>`, any case, any run of whitespace), as
 * `/^Bearer\s+(.+)$/i` reads it, without a regex match per request.
 */
function afterScheme(header: string | undefined, scheme: string): string | undefined {
  if (header === undefined || header.length <= scheme.length + 1) return undefined
  if (header.slice(0, scheme.length).toLowerCase() !== scheme) return undefined
  const space = header.charCodeAt(scheme.length)
  if (space !== 32 && space !== 9 && !/\s/.test(header[scheme.length]!)) return undefined
  const token = header.slice(scheme.length + 1).trim()
  return token === '' ? undefined : token
}
