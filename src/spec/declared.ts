/**
 * Which declared response a status falls under (OpenAPI 3.x, Responses Object): the exact code first,
 * then its range (`4XX`), then `default`. A literal `400` is not a range: it does not cover 404.
 */
import type { ResponseModel } from './model.ts'

export function declaredResponse(responses: ResponseModel[], status: number, withDefault = true): ResponseModel | undefined {
  // One pass, no closures: every response answered goes through here (render and self-check).
  const range = Math.floor(status / 100) * 100
  let inRange: ResponseModel | undefined
  let fallback: ResponseModel | undefined
  for (let i = 0; i < responses.length; i++) {
    const r = responses[i]!
    if (r.status === status && !r.range) return r
    if (r.range && r.status === range) inRange ??= r
    else if (r.status === 'default') fallback ??= r
  }
  return inRange ?? (withDefault ? fallback : undefined)
}

/** How a declared response is written in the spec: `201`, `4XX`, `default`. */
export function statusLabel(response: Pick<ResponseModel, 'status' | 'range'>): string {
  if (response.status === 'default') return 'default'
  return response.range ? `${String(response.status).charAt(0)}XX` : String(response.status)
}

/** Media-type matching as OpenAPI reads it: exact, then `type/*`, then `*\/*`; parameters ignored. */
export function matchMediaType<T>(declared: Map<string, T>, mediaType: string | undefined): T | undefined {
  if (!mediaType) return undefined
  const type = isBareMediaType(mediaType) ? mediaType : mediaType.split(';')[0]!.trim().toLowerCase()
  return declared.get(type) ?? declared.get(`${type.split('/')[0]}/*`) ?? declared.get('*/*')
}

/**
 * A media type already in the form matching uses (no parameters, spaces or capitals), as most are
 * sent: taken as it is, with no split, trim or lower-casing per request.
 */
export function isBareMediaType(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c === 59 || c <= 32 || (c >= 65 && c <= 90)) return false
  }
  return true
}
