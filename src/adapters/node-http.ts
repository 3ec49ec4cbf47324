/**
 * The node:http door: a small server that turns IncomingMessage into a Web Request, hands it to the
 * core and writes the Response back — streams included, with back-pressure, and client disconnects
 * passed on as an abort signal. Binds 127.0.0.1 unless told otherwise.
 *
 * @example
 * const standin = await createStandin({ spec: 'spec/browser-sessions.yaml' })
 * const server = await listen(standin.handle, { port: 4010 })
 * await server.close()
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { outgoingOf, type Handler } from '../core/handle.ts'
import { responseOf, type Outgoing } from '../render/response.ts'
import { requestOf } from './node-request.ts'

// Not `import … from 'node:http'`: an ES import of a built-in reads every export, and node:http's
// WebSocket getters load undici (~35 ms at start-up) whether or not anything uses it.
const { createServer } = process.getBuiltinModule('node:http')

export interface ListenOptions {
  port?: number
  host?: string
}

export interface Listening {
  server: Server
  url: string
  port: number
  close(): Promise<void>
}

const STREAMING = /^(text\/event-stream|application\/(x-)?ndjson|application\/jsonl)\b/i

/** The core answers every API error itself; reaching here is a bug in standin or a broken socket. */
function failed(res: ServerResponse, error: unknown): void {
  if (!res.headersSent) {
    res.writeHead(500, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ error: { code: 'standin_internal', message: 'standin failed to handle this request; see the server log.' } }))
  }
  console.error('standin: request failed:', error)
}

export function createNodeHandler(handle: Handler) {
  const answer = outgoingOf(handle) ?? handle
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const abort = new AbortController()
    res.on('close', () => { if (!res.writableFinished) abort.abort() })
    let out: Response | Outgoing
    try {
      const host = req.headers.host ?? '127.0.0.1'
      const url = new URL(req.url ?? '/', `http://${host}`)
      out = await answer(requestOf(req, url.href, abort.signal), { remoteAddress: req.socket.remoteAddress, signal: abort.signal })
    } catch (error) {
      return failed(res, error)
    }
    if (out instanceof Response) return writeResponse(req, res, out, abort.signal)
    const headers = headersFor(req, out.headers)
    if (typeof out.body === 'string' && out.status >= 200 && out.status <= 599) {
      // A whole body: one write, with its length.
      headers['content-length'] = String(Buffer.byteLength(out.body))
      res.writeHead(out.status, headers)
      res.end(out.body)
      return
    }
    if (out.body === null && out.status >= 200 && out.status <= 599) {
      res.writeHead(out.status, headers)
      res.end()
      return
    }
    // A stream, or a status a Web Response would refuse: the same way as any Response.
    let response: Response
    try {
      response = responseOf(out)
    } catch (error) {
      return failed(res, error)
    }
    return writeResponse(req, res, response, abort.signal)
  }
}

/** Header names lower-cased, repeated headers joined as Web Headers join them, cookies kept apart. */
function headersFor(req: IncomingMessage, list: Array<[string, string]>): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {}
  for (const [rawName, value] of list) {
    const name = rawName.toLowerCase()
    const existing = headers[name]
    if (name === 'set-cookie') headers[name] = existing === undefined ? [value] : [...(existing as string[]), value]
    else headers[name] = existing === undefined ? value : `${existing as string}, ${value}`
  }
  // The body was not read to the end (too large): close, so the client stops sending.
  if (!req.complete && req.method !== 'GET' && req.method !== 'HEAD') headers.connection = 'close'
  return headers
}

async function writeResponse(req: IncomingMessage, res: ServerResponse, response: Response, signal: AbortSignal): Promise<void> {
  if (response.type === 'error') {
    // A forced fault: drop the connection without an answer.
    req.socket.destroy()
    return
  }
  const list: Array<[string, string]> = []
  response.headers.forEach((value, name) => { if (name !== 'set-cookie') list.push([name, value]) })
  for (const cookie of response.headers.getSetCookie()) list.push(['set-cookie', cookie])
  res.writeHead(response.status, headersFor(req, list))
  if (!response.body || req.method === 'HEAD') {
    res.end()
    return
  }
  // A stream's first event may be a while away: send the status and headers now, so the client
  // knows the stream is open.
  if (STREAMING.test(response.headers.get('content-type') ?? '')) res.flushHeaders()
  const reader = response.body.getReader()
  signal.addEventListener('abort', () => { reader.cancel().catch(() => {}) }, { once: true })
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      if (!res.write(value)) await new Promise<void>((resolve) => { res.once('drain', resolve); res.once('close', resolve) })
      if (res.destroyed) break
    }
    res.end()
  } catch {
    // A stream cut by a rule, or the client went away: drop the connection mid-way — after what was
    // already written has gone out, and without the chunked terminator, so the client sees the cut.
    const socket = res.socket
    if (socket && !socket.destroyed) socket.end(() => socket.destroy())
    else res.destroy()
  }
}

/** Starts a server; resolves once it listens. Port 0 picks a free port. */
export function listen(handle: Handler, options: ListenOptions = {}): Promise<Listening> {
  const server = createServer({ keepAlive: true, requestTimeout: 60_000 }, createNodeHandler(handle))
  const host = options.host ?? '127.0.0.1'
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 4010, host, () => {
      server.off('error', reject)
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : options.port ?? 4010
      const shownHost = host.includes(':') ? `[${host}]` : host
      resolve({
        server, port, url: `http://${shownHost}:${port}`,
        close: () => new Promise<void>((done) => {
          server.close(() => done())
          server.closeAllConnections()
        }),
      })
    })
  })
}
