/**
 * A Web Request over a node:http IncomingMessage, built lazily (as @hono/node-server does): the core
 * reads a request's method, URL, headers and body stream, and constructing a full Request for that
 * costs more than the rest of a simple GET. Anything else — `text()`, `clone()`, `cache` … —
 * builds the real Request on first use and answers from it. `instanceof Request` holds.
 */
import type { IncomingMessage } from 'node:http'
import { Readable } from 'node:stream'

const incoming = Symbol('incoming')
const href = Symbol('href')
const abortSignal = Symbol('signal')
const cachedHeaders = Symbol('headers')
const cachedBody = Symbol('body')
const real = Symbol('request')
const consumed = Symbol('consumed')

interface NodeRequest {
  [incoming]: IncomingMessage
  [href]: string
  [abortSignal]: AbortSignal
  [cachedHeaders]?: Headers
  [cachedBody]?: ReadableStream<Uint8Array> | null
  [real]?: Request
  /** The body was read whole by arrayBuffer(), straight from the IncomingMessage. */
  [consumed]?: boolean
}

const own = {
  get method(): string {
    return (this as unknown as NodeRequest)[incoming].method ?? 'GET'
  },
  get url(): string {
    return (this as unknown as NodeRequest)[href]
  },
  get signal(): AbortSignal {
    return (this as unknown as NodeRequest)[abortSignal]
  },
  get headers(): Headers {
    const self = this as unknown as NodeRequest
    if (self[real]) return self[real].headers
    return (self[cachedHeaders] ??= headersOf(self[incoming]))
  },
  get bodyUsed(): boolean {
    const self = this as unknown as NodeRequest
    if (self[real]) return self[real].bodyUsed
    if (self[consumed]) return true
    return self[cachedBody] ? Readable.isDisturbed(self[cachedBody] as unknown as NodeJS.ReadableStream) : false
  },
  get body(): ReadableStream<Uint8Array> | null {
    const self = this as unknown as NodeRequest
    if (self[real]) return self[real].body
    if (self[cachedBody] === undefined) self[cachedBody] = hasBody(self[incoming]) ? (self[consumed] ? usedStream() : bodyOf(self[incoming])) : null
    return self[cachedBody]
  },
  /** The whole body, read from the IncomingMessage without a Web stream in between (the core's common case). */
  arrayBuffer(): Promise<ArrayBuffer> {
    const self = this as unknown as NodeRequest
    if (self[real] || self[cachedBody] !== undefined || self[consumed]) {
      try {
        return materialize(self).arrayBuffer()
      } catch (error) {
        return Promise.reject(error)
      }
    }
    self[consumed] = true
    const req = self[incoming]
    if (!hasBody(req)) return Promise.resolve(new ArrayBuffer(0))
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = []
      req.on('data', (chunk: Buffer) => { chunks.push(chunk) })
      req.once('end', () => {
        const whole = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)
        resolve(whole.buffer.slice(whole.byteOffset, whole.byteOffset + whole.byteLength) as ArrayBuffer)
      })
      req.once('error', reject)
      req.once('aborted', () => reject(new TypeError('the client went away before sending the whole body')))
    })
  },
}

const BODY_READERS = new Set(['arrayBuffer', 'blob', 'bytes', 'formData', 'json', 'text'])

/** Built on first use: touching `Request` loads Node's fetch implementation, which start-up need not wait for. */
let prototype: object | undefined

function lazyPrototype(): object {
  if (prototype) return prototype
  const made: object = Object.create(Request.prototype, Object.getOwnPropertyDescriptors(own))
  defineForwarders(made)
  return (prototype = made)
}

function defineForwarders(prototype: object): void {
  for (const name of Reflect.ownKeys(Request.prototype)) {
    if (name === 'constructor' || name in own) continue
    const descriptor = Object.getOwnPropertyDescriptor(Request.prototype, name)!
    if (!descriptor.get && typeof descriptor.value !== 'function') continue
    if (typeof descriptor.value === 'function') {
      // Body readers reject, as a Request's do, when the body was already read through the stream.
      const reader = typeof name === 'string' && BODY_READERS.has(name)
      Object.defineProperty(prototype, name, {
        value(this: NodeRequest, ...args: unknown[]) {
          let request: Request
          try {
            request = materialize(this)
          } catch (error) {
            if (reader) return Promise.reject(error)
            throw error
          }
          return (request as any)[name](...args)
        },
        writable: true, configurable: true,
      })
    } else {
      Object.defineProperty(prototype, name, { get(this: NodeRequest) { return (materialize(this) as any)[name] }, configurable: true })
    }
  }
}

function materialize(self: NodeRequest): Request {
  if (self[real]) return self[real]
  const req = self[incoming]
  const body = self[cachedBody] !== undefined ? self[cachedBody] : hasBody(req) ? (self[consumed] ? usedStream() : bodyOf(req)) : null
  self[real] = new Request(self[href], {
    method: req.method, headers: self[cachedHeaders] ?? headersOf(req), body, duplex: 'half', signal: self[abortSignal],
  } as RequestInit)
  return self[real]
}

/** A Request for `req`; `url` is absolute (`http://host/path?query`). */
export function requestOf(req: IncomingMessage, url: string, signal: AbortSignal): Request {
  const request = Object.create(lazyPrototype()) as NodeRequest
  request[incoming] = req
  request[href] = url
  request[abortSignal] = signal
  return request as unknown as Request
}

/** As HTTP frames it: a request has a body when it says how long it is or that it is chunked. */
function hasBody(req: IncomingMessage): boolean {
  return framesBody(req.method, req.headers['content-length'], req.headers['transfer-encoding'])
}

/** Whether a request with this method and these framing headers carries a body. */
export function framesBody(method: string | undefined, contentLength: string | undefined, transferEncoding: string | string[] | undefined): boolean {
  if (method === 'GET' || method === 'HEAD') return false
  return transferEncoding !== undefined || (contentLength !== undefined && contentLength !== '0')
}

/** A body already read: a Request built on it refuses to be read again, as a Request does. */
function usedStream(): ReadableStream<Uint8Array> {
  const stream = new ReadableStream<Uint8Array>()
  stream.getReader()
  return stream
}

function headersOf(req: IncomingMessage): Headers {
  const headers = new Headers()
  const raw = req.rawHeaders
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!)
  return headers
}

/**
 * The request body as a Web stream. Cancelling it (a body over the size limit) discards the rest
 * instead of destroying the socket, so the client still gets the API's error.
 */
export function bodyOf(req: IncomingMessage): ReadableStream<Uint8Array> {
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
