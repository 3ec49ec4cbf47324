/**
 * Signed tokens: JSON Web Tokens (RFC 7519) signed with HMAC-SHA256 (`alg: HS256`, RFC 7518 §3.2)
 * under the API's secret (`x-standin.auth.jwt.secret`). A client can decode one and read who it is
 * for and when it expires; standin checks its signature before anything else, so a token changed
 * by a byte is malformed, not somebody else's.
 *
 * @example
 * const token = signJwt({ sub: 'alice', exp: 1767229200 }, 'secret')
 * verifyJwt(token, 'secret') // { sub: 'alice', exp: 1767229200 }
 * verifyJwt(token + 'x', 'secret') // undefined
 */
import { hmacSha256 } from './sha256.ts'

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

function base64url(bytes: Uint8Array): string {
  let binary = ''
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]!)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/** The bytes of a base64url segment; undefined when it is not one (no padding, no other alphabet). */
function fromBase64url(segment: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(segment) || segment.length % 4 === 1) return undefined
  try {
    const binary = atob(segment.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (segment.length % 4)) % 4))
    const bytes = new Uint8Array(binary.length)
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
    return bytes
  } catch {
    return undefined
  }
}

const HEADER = base64url(encoder.encode(JSON.stringify({ alg: 'HS256', typ: 'JWT' })))

function signature(input: string, secret: string): string {
  return base64url(hmacSha256(encoder.encode(secret), encoder.encode(input)))
}

/** A JWT of `claims`, signed HS256 with `secret`. */
export function signJwt(claims: Record<string, unknown>, secret: string): string {
  const input = `${HEADER}.${base64url(encoder.encode(JSON.stringify(claims)))}`
  return `${input}.${signature(input, secret)}`
}

function json(segment: string): Record<string, unknown> | undefined {
  const bytes = fromBase64url(segment)
  if (!bytes) return undefined
  try {
    const value: unknown = JSON.parse(decoder.decode(bytes))
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value as Record<string, unknown> : undefined
  } catch {
    return undefined
  }
}

/**
 * The claims of a token signed HS256 with `secret`; undefined when it is not one: not three
 * base64url parts of JSON, another algorithm (`none` included), or a signature that does not match.
 */
export function verifyJwt(token: string, secret: string): Record<string, unknown> | undefined {
  const parts = token.split('.')
  if (parts.length !== 3) return undefined
  const header = json(parts[0]!)
  if (!header || header.alg !== 'HS256') return undefined
  const claims = json(parts[1]!)
  if (!claims) return undefined
  // Compared in full whatever differs first: nothing to learn from how long a wrong one took.
  const expected = signature(`${parts[0]}.${parts[1]}`, secret)
  const given = parts[2]!
  let diff = expected.length ^ given.length
  for (let i = 0; i < expected.length; i++) diff |= expected.charCodeAt(i) ^ (given.charCodeAt(i) || 0)
  return diff === 0 ? claims : undefined
}
