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
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Handler } from '../core/handle.ts'

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

export function createNodeHandler(handle: Handler) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const abort = new AbortController()
    res.on('close', () => { if (!res.writableFinished) abort.abort() })
    let response: Response
    try {
      const host = req.headers.host ?? '127.0.0.1'
      const url = new URL(req.url ?? '/', `http://${host}`)
      const headers = new Headers()
      for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!)
      const hasBody = req.method !== 'GET' && req.method !== 'HEAD'
      const request = new Request(url, {
        method: req.method,
        headers,
        body: hasBody ? bodyOf(req) : undefined,
        duplex: 'half',
        signal: abort.signal,
      } as RequestInit)
      response = await handle(request, { remoteAddress: req.socket.remoteAddress, signal: abort.signal })
    } catch (error) {
      // The core answers every API error itself; reaching here is a bug in standin or a broken socket.
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ error: { code: 'standin_internal', message: 'standin failed to handle this request; see the server log.' } }))
      }
      console.error('standin: request failed:', error)
      return
    }
    if (response.type === 'error') {
      // A forced fault: drop the connection without an answer.
      req.socket.destroy()
      return
    }
    const headers: Record<string, string | string[]> = {}
    response.headers.forEach((value, name) => {
      if (name === 'set-cookie') return
      headers[name] = value
    })
    const cookies = response.headers.getSetCookie()
    if (cookies.length > 0) headers['set-cookie'] = cookies
    // The body was not read to the end (too large): close, so the client stops sending.
    if (!req.complete && req.method !== 'GET' && req.method !== 'HEAD') headers.connection = 'close'
    res.writeHead(response.status, headers)
    if (!response.body || req.method === 'HEAD') {
      res.end()
      return
    }
    // A stream's first event may be a while away: send the status and headers now, so the client
    // knows the stream is open.
    if (STREAMING.test(response.headers.get('content-type') ?? '')) res.flushHeaders()
    const reader = response.body.getReader()
    abort.signal.addEventListener('abort', () => { reader.cancel().catch(() => {}) }, { once: true })
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

/**
 * The request body as a Web stream. Cancelling it (a body over the size limit) discards the rest
 * instead of destroying the socket, so the client still gets the API's error.
 */
function bodyOf(req: IncomingMessage): ReadableStream<Uint8Array> {
  let closed = false
  return new ReadableStream<Uint8Array>({
    start(controller) {
      req.on('data', (chunk: Buffer) => {
        if (closed) return
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))
        if ((controller.desiredSize ?? 1) <= 0) req.pause()
      })
      req.on('end', () => { if (!closed) { closed = true; controller.close() } })
      req.on('error', (error) => { if (!closed) { closed = true; controller.error(error) } })
    },
    pull() {
      req.resume()
    },
    cancel() {
      closed = true
      req.resume()
    },
  }, { highWaterMark: 4 })
}
