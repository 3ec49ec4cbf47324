/**
 * The node:http door: a small server that hands the core each IncomingMessage as an Incoming (method,
 * path, headers, body — no Web Request unless a stage asks for one) and writes its answer back: a
 * whole body in one write, a stream with back-pressure, client disconnects passed on as an abort
 * signal. Binds 127.0.0.1 unless told otherwise.
 *
 * @example
 * const standin = await createStandin({ spec: 'spec/browser-sessions.yaml' })
 * const server = await listen(standin.handle, { port: 4010 })
 * await server.close()
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { answerOf, refusalOf, type Answer, type Handler, type Refuse } from '../core/handle.ts'
import { concat, type BodyRead, type Incoming } from '../core/incoming.ts'
import { isOutgoing, responseOf } from '../render/response.ts'
import { framesBody, requestOf } from './node-request.ts'

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

/** How much of a refused (too large) body is read and dropped so its client can read the refusal. */
const DRAIN_BYTES = 64 * 1024 * 1024

const STREAMING = /^(text\/event-stream|application\/(x-)?ndjson|application\/jsonl)\b/i

/** The core answers every API error itself; reaching here is a bug in standin or a broken socket. */
function failed(res: ServerResponse, error: unknown): void {
  if (!res.headersSent) {
    res.writeHead(500, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ error: { code: 'standin_internal', message: 'standin failed to handle this request; see the server log.' } }))
  }
  console.error('standin: request failed:', error)
}

/**
 * A request target a URL keeps as it is: an absolute path of URL code points, without dots or
 * backslashes. Other paths are percent-encoded where a URL would encode them, dot segments kept;
 * anything else (an absolute URL as a proxy gets it) goes through the URL parser.
 */
const PLAIN_TARGET = /^\/(?!\/)[A-Za-z0-9\-_~!$&'()*+,;=:@%/]*(\?[^#\s]*)?$/

/** An Incoming read straight off a node:http request: no URL, Headers or Request unless asked for. */
class NodeIncoming implements Incoming {
  readonly method: string
  readonly path: string
  readonly search: string
  readonly headers: Record<string, string>
  readonly hasBody: boolean
  private readonly req: IncomingMessage
  private readonly res: ServerResponse
  /** The whole body was read before node:http saw the request's end (see `body`). */
  bodyTaken = false
  private controller?: AbortController
  private request?: Request

  constructor(req: IncomingMessage, res: ServerResponse) {
    this.req = req
    this.res = res
    this.method = req.method ?? 'GET'
    const target = req.url ?? '/'
    if (PLAIN_TARGET.test(target)) {
      const q = target.indexOf('?')
      this.path = q === -1 ? target : target.slice(0, q)
      this.search = q === -1 || q === target.length - 1 ? '' : target.slice(q)
    } else if (target.startsWith('/')) {
      // Routed as received: dot segments are not resolved (`/v1/x/../../__standin/worlds` is a path
      // of the API, found nowhere, not the control API), and what a URL would not hold is
      // percent-encoded, as a URL would encode it.
      const q = target.indexOf('?')
      const path = q === -1 ? target : target.slice(0, q)
      this.path = path.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@%/]/gu, (c) => (c === '\\' ? '%5C' : encodeURIComponent(c)))
      let search = ''
      if (q !== -1 && q < target.length - 1) {
        try { search = new URL(target.slice(q), 'http://localhost').search } catch { search = '' }
      }
      this.search = search
    } else {
      let url: URL | undefined
      try { url = new URL(target, 'http://localhost') } catch { /* not a URL at all: routed as sent, and found nowhere */ }
      this.path = url ? url.pathname : target
      this.search = url ? url.search : ''
    }
    this.headers = headersOf(req)
    this.hasBody = framesBody(this.method, this.headers['content-length'], this.headers['transfer-encoding'])
  }

  get url(): string {
    return `http://${this.headers.host ?? '127.0.0.1'}${this.path}${this.search}`
  }

  get remoteAddress(): string | undefined {
    return this.req.socket.remoteAddress
  }

  /** Made on first use (streams, held requests): most requests never need one. */
  get signal(): AbortSignal {
    if (!this.controller) {
      const controller = (this.controller = new AbortController())
      const res = this.res
      if (res.closed) { if (!res.writableFinished) controller.abort() }
      else {
        res.once('close', () => { if (!res.writableFinished) controller.abort() })
        // The server allows half-open sockets (a request sent with its FIN is still answered; see
        // listen), so a client's FIN no longer aborts by itself. Once an answer has begun (a stream's
        // head is out), a FIN is the client leaving: a fetch whose body is cancelled ends its side.
        const socket = this.req.socket
        const onEnd = () => { if (res.headersSent && !res.writableFinished) controller.abort() }
        // (A client that sent its FIN with the request is answered in full, a stream too: it said
        // nothing after it began.)
        if (!socket.readableEnded) {
          socket.once('end', onEnd)
          res.once('close', () => socket.off('end', onEnd))
        }
      }
    }
    return this.controller.signal
  }

  body(maxBytes: number): Promise<BodyRead> {
    const req = this.req
    if (!this.hasBody) return Promise.resolve(null)
    const declared = Number(this.headers['content-length'] ?? NaN)
    if (declared > maxBytes) {
      // Not read: the rest is discarded (not the socket destroyed), so the client still gets the API's error.
      req.resume()
      return Promise.resolve('tooLarge')
    }
    // A body that came in with its request's head has been parsed into the request by the time a
    // microtask runs: it is then taken in one read — no data/end/error/close listeners, no promise of
    // its own — and the request resumed, so it still ends (and is cleaned up) as node:http expects.
    return Promise.resolve().then(() => {
      if (req.readableLength !== declared) return this.streamedBody(maxBytes)
      const body = req.read() as Buffer | null
      this.bodyTaken = true
      req.resume()
      return body ?? new Uint8Array(0)
    })
  }

  private streamedBody(maxBytes: number): Promise<BodyRead> {
    const req = this.req
    // Gone before its body came (between the head and this read): nothing more will come.
    if (req.destroyed) return Promise.resolve('malformed')
    return new Promise((resolve) => {
      const chunks: Buffer[] = []
      let size = 0
      const done = (result: BodyRead) => {
        req.off('data', onData)
        req.off('end', onEnd)
        req.off('error', onError)
        req.off('close', onError)
        resolve(result)
      }
      const onData = (chunk: Buffer) => {
        size += chunk.byteLength
        if (size > maxBytes) {
          req.resume()
          return done('tooLarge')
        }
        chunks.push(chunk)
      }
      const onEnd = () => done(concat(chunks, size))
      const onError = () => done('malformed')
      req.on('data', onData)
      req.on('end', onEnd)
      req.on('error', onError)
      // The client went away before the end (a closed request that ended has said 'end' first).
      req.on('close', onError)
    })
  }

  toRequest(): Request {
    return (this.request ??= requestOf(this.req, this.url, this.signal))
  }
}

/**
 * Header names lower-cased, a repeated header's values joined with `, ` (as Web Headers join them).
 * node:http has already made `req.headers` for every request; with no name repeated it holds just
 * that, and is taken as it is. (A repeated name it may keep once, or as a list: then built here.)
 */
export function headersOf(req: IncomingMessage): Record<string, string> {
  const raw = req.rawHeaders
  const parsed = req.headers
  let names = 0
  for (const _ in parsed) names++
  if (names * 2 === raw.length && parsed['set-cookie'] === undefined) return parsed as Record<string, string>
  const headers: Record<string, string> = {}
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase()
    const existing = headers[name]
    headers[name] = existing === undefined ? raw[i + 1]! : `${existing}, ${raw[i + 1]!}`
  }
  return headers
}

/**
 * A request listener for node:http (or any server that gives IncomingMessage/ServerResponse pairs).
 *
 * Requests that come in together are answered together. node:http hands over each request as it
 * reads its socket; the door takes it in and, once the event loop has read every socket that was
 * ready (its check phase, `setImmediate`), answers all it took in, in order; the whole answers ready
 * then are written together in the next check phase. Answering each request between its socket's
 * read and write made a create cost the server half as much CPU again: the kernel's work for one
 * socket write pushed the core's code and data out of the cache before the next request ran, and
 * the other way round (bench/, README "Performance"). A lone request waits little: it is answered
 * in the check phase right after its read, and written on the loop's next turn, whose poll does not
 * block while an answer waits (one connection, one request at a time: the same latency as before).
 */
export function createNodeHandler(handle: Handler): (req: IncomingMessage, res: ServerResponse) => void {
  // A handler made by createHandler answers an Incoming; any other is given a Web Request.
  const answer: Answer = answerOf(handle) ?? ((incoming) => handle(incoming.toRequest(), incoming))
  const writes = new WholeAnswers()

  async function respond(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const incoming = new NodeIncoming(req, res)
      const out = await answer(incoming)
      if (!isOutgoing(out)) return await writeResponse(req, res, out, incoming)
      if ((typeof out.body === 'string' || out.body === null) && out.status >= 200 && out.status <= 599) {
        writes.add(res, out.status, headersFor(req, out.headers, incoming.bodyTaken), out.body)
        return
      }
      // A stream, or a status a Web Response would refuse: the same way as any Response.
      await writeResponse(req, res, responseOf(out), incoming)
    } catch (error) {
      failed(res, error)
    }
  }

  let taken: Array<IncomingMessage | ServerResponse> = []
  const answerTaken = (): void => {
    const batch = taken
    taken = []
    for (let i = 0; i < batch.length; i += 2) void respond(batch[i] as IncomingMessage, batch[i + 1] as ServerResponse)
  }
  return (req, res) => {
    if (taken.length === 0) setImmediate(answerTaken)
    taken.push(req, res)
  }
}

/** Whole answers (a status, headers, a body or none), written together in the event loop's check phase. */
class WholeAnswers {
  private pending: Array<ServerResponse | number | string[] | string | null> = []

  add(res: ServerResponse, status: number, headers: string[], body: string | null): void {
    if (this.pending.length === 0) setImmediate(this.write)
    this.pending.push(res, status, headers, body)
  }

  private readonly write = (): void => {
    const pending = this.pending
    this.pending = []
    for (let i = 0; i < pending.length; i += 4) {
      const res = pending[i] as ServerResponse
      const body = pending[i + 3] as string | null
      try {
        const headers = pending[i + 2] as string[]
        // With its length, in one write.
        if (body !== null) headers.push('content-length', String(Buffer.byteLength(body)))
        res.writeHead(pending[i + 1] as number, headers)
        if (body === null) res.end()
        else res.end(body)
      } catch (error) {
        failed(res, error)
      }
    }
  }
}

/**
 * Headers as node:http takes them flat (`[name, value, name, value]`): names lower-cased, a
 * repeated header's values joined as Web Headers join them, cookies kept apart.
 */
function headersFor(req: IncomingMessage, list: Array<[string, string]>, bodyTaken: boolean): string[] {
  const flat: string[] = []
  for (const [rawName, value] of list) {
    const name = rawName.toLowerCase()
    let i = name === 'set-cookie' ? -1 : flat.indexOf(name)
    while (i !== -1 && i % 2 === 1) i = flat.indexOf(name, i + 1)
    if (i === -1) flat.push(name, value)
    else flat[i + 1] = `${flat[i + 1]!}, ${value}`
  }
  // The body was not read to the end (too large). Up to DRAIN_BYTES, node:http reads the rest and
  // drops it once the answer is written (the connection stays usable): a client still sending gets
  // the API's error, where closing with its bytes unread would reset the connection (EPIPE,
  // ECONNRESET) before it could read one. Past that, close: the client is told to stop sending.
  if (!req.complete && !bodyTaken && req.method !== 'GET' && req.method !== 'HEAD' && !(Number(req.headers['content-length'] ?? Infinity) <= DRAIN_BYTES)) flat.push('connection', 'close')
  return flat
}

async function writeResponse(req: IncomingMessage, res: ServerResponse, response: Response, incoming: NodeIncoming): Promise<void> {
  if (response.type === 'error') {
    // A forced fault: drop the connection without an answer.
    req.socket.destroy()
    return
  }
  const list: Array<[string, string]> = []
  response.headers.forEach((value, name) => { if (name !== 'set-cookie') list.push([name, value]) })
  for (const cookie of response.headers.getSetCookie()) list.push(['set-cookie', cookie])
  res.writeHead(response.status, headersFor(req, list, incoming.bodyTaken))
  if (!response.body || req.method === 'HEAD') {
    res.end()
    return
  }
  // A stream's first event may be a while away: send the status and headers now, so the client
  // knows the stream is open.
  if (STREAMING.test(response.headers.get('content-type') ?? '')) res.flushHeaders()
  const reader = response.body.getReader()
  incoming.signal.addEventListener('abort', () => { reader.cancel().catch(() => {}) }, { once: true })
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

/**
 * A request node:http could not parse (headers over its limit, a path too long for them, bytes
 * that are not HTTP, one that took too long to arrive) is answered as node:http would — 431, 400,
 * 408, and the connection closed — but in the API's own envelope rather than an empty body.
 */
function refuseUnparsed(refuse: Refuse | undefined): (error: NodeJS.ErrnoException, socket: Duplex) => void {
  return (error, socket) => {
    // Gone already, or an answer under way: nothing can be said.
    if (error.code === 'ECONNRESET' || !socket.writable || (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent) {
      socket.destroy()
      return
    }
    const [status, message] = error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'The request\'s headers (or its path) are larger than the server accepts.'] as const
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'The request took too long to arrive.'] as const
        : [400, 'The request is not valid HTTP.'] as const
    const out = refuse?.(status, message)
    const body = typeof out?.body === 'string' ? out.body : ''
    const head = [`HTTP/1.1 ${status} ${STATUS_TEXT[status]}`, ...(out?.headers ?? []).map(([name, value]) => `${name}: ${value}`), `content-length: ${Buffer.byteLength(body)}`, 'connection: close']
    socket.end(`${head.join('\r\n')}\r\n\r\n${body}`)
  }
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' }

/** Starts a server; resolves once it listens. Port 0 picks a free port. */
export function listen(handle: Handler, options: ListenOptions = {}): Promise<Listening> {
  const server = createServer({ keepAlive: true, requestTimeout: 60_000 }, createNodeHandler(handle))
  // A client may send its request and half-close at once (`nc -N`, `socket.end(request)`, some
  // proxies): it still waits for the answer. node:http's default aborts the request at the FIN and
  // ends the socket, before the door's answer (written a turn later) goes out. With half-open
  // allowed, the socket ends after the last answer instead. (node:http's own switch: its constructor
  // sets it false, its socket 'end' handler reads it; not in @types/node.)
  ;(server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true
  server.on('clientError', refuseUnparsed(refusalOf(handle)))
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
