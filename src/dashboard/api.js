/**
 * The control API as the page calls it: same origin, JSON, and the control token when standin runs
 * with one. The token comes in once, in the URL's fragment of the banner's link (`#token=…`: never
 * sent to a server, never in a log or a Referer); the page keeps it in sessionStorage — this tab's
 * only, gone when the tab closes, and never sent on its own the way a cookie would be — and takes it
 * out of the address bar at once.
 */
const BASE = '/__standin'
const KEY = 'standin.controlToken'

export function takeTokenFromUrl() {
  const match = /(?:^#|&)token=([^&]*)/.exec(location.hash)
  if (!match) return
  sessionStorage.setItem(KEY, decodeURIComponent(match[1]))
  const rest = location.hash.replace(/(^#|&)token=[^&]*/, '$1').replace(/^#&/, '#')
  history.replaceState(null, '', location.pathname + location.search + (rest === '#' ? '' : rest))
}

function headers(extra = {}) {
  const token = sessionStorage.getItem(KEY)
  return { ...(token ? { 'x-standin-token': token } : {}), ...extra }
}

/** An answer of the control API that is not a success, with the API's own message. */
export class ControlError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `The control API answered ${status}.`)
    this.status = status
    this.code = body?.error?.code
  }
}

/** Calls the control API: `api('GET', '/worlds')`, `api('POST', '/worlds/x/clock', { advance: '1h' })`. */
export async function api(method, path, body) {
  const response = await fetch(BASE + path, {
    method,
    headers: headers(body === undefined ? {} : { 'content-type': 'application/json' }),
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
  })
  const text = await response.text()
  const parsed = text ? JSON.parse(text) : null
  if (!response.ok) throw new ControlError(response.status, parsed)
  return parsed
}

/**
 * Follows `GET /__standin/events` (server-sent events) with fetch rather than EventSource, which
 * cannot send the token header. Reconnects after a second when the stream ends; `onState` hears
 * 'live' or 'lost'. Returns what stops it.
 */
export function follow(onEvent, onState) {
  let stopped = false
  let controller
  const run = async () => {
    while (!stopped) {
      controller = new AbortController()
      try {
        const response = await fetch(`${BASE}/events`, { headers: headers({ accept: 'text/event-stream' }), signal: controller.signal, cache: 'no-store' })
        if (!response.ok) throw new ControlError(response.status, await response.json().catch(() => null))
        onState('live')
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
        let buffer = ''
        for (;;) {
          const { value, done } = await reader.read()
          if (done) break
          buffer += value
          let end
          while ((end = buffer.indexOf('\n\n')) !== -1) {
            const block = buffer.slice(0, end)
            buffer = buffer.slice(end + 2)
            const event = /^event: (.*)$/m.exec(block)?.[1]
            const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n')
            if (event && data) onEvent(event, JSON.parse(data))
          }
        }
      } catch (error) {
        if (stopped) return
        onState('lost', error)
      }
      if (!stopped) {
        onState('lost')
        await new Promise((resolve) => setTimeout(resolve, 1000))
      }
    }
  }
  run()
  return () => {
    stopped = true
    controller?.abort()
  }
}

/** Sends a request to the API being stood in for (not the control API), as a client would. */
export async function tryRequest(method, url, requestHeaders, body) {
  const started = performance.now()
  const response = await fetch(url, { method, headers: requestHeaders, body, cache: 'no-store', credentials: 'omit' })
  const text = await response.text()
  return { status: response.status, headers: [...response.headers], body: text, ms: Math.round(performance.now() - started) }
}
