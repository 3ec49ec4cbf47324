/**
 * Reading credentials from a request as the spec's security schemes say: bearer tokens, basic auth,
 * API keys in a header, query or cookie.
 */
import type { SecurityScheme } from '../spec/model.ts'

export function credentialFor(scheme: SecurityScheme, headers: Record<string, string>, query: Record<string, unknown>): string | undefined {
  if (scheme.kind === 'bearer') return afterScheme(headers.authorization, 'bearer')
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
