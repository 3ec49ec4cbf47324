/**
 * The node:http door on a raw socket: how a request's body is read whether it comes with the head or
 * after it, or never comes whole — and that a connection stays open when it may.
 */
import { connect, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createStandin } from '../src/index.ts'
import { createServer } from 'node:http'
import { headersOf, listen, type Listening } from '../src/adapters/node-http.ts'
import { handlerOf } from '../src/core/handle.ts'

let server: Listening

beforeAll(async () => {
  const standin = await createStandin({ spec: 'spec/browser-sessions.yaml', scenarios: 'scenarios/browser-sessions' })
  server = await listen(standin.handle, { port: 0 })
})
afterAll(() => server.close())

function open(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, '127.0.0.1', () => resolve(socket))
    socket.once('error', reject)
  })
}

/** Reads whole responses (head and a content-length body) off a socket, in order. */
function responses(socket: Socket) {
  let buffered = ''
  const waiting: Array<(r: { head: string; body: string }) => void> = []
  const ready: Array<{ head: string; body: string }> = []
  socket.setEncoding('utf8')
  socket.on('data', (chunk: string) => {
    buffered += chunk
    for (;;) {
      const end = buffered.indexOf('\r\n\r\n')
      if (end === -1) return
      const head = buffered.slice(0, end)
      const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0)
      if (buffered.length < end + 4 + length) return
      const r = { head, body: buffered.slice(end + 4, end + 4 + length) }
      buffered = buffered.slice(end + 4 + length)
      const next = waiting.shift()
      if (next) next(r)
      else ready.push(r)
    }
  })
  return () => new Promise<{ head: string; body: string }>((resolve) => {
    const r = ready.shift()
    if (r) resolve(r)
    else waiting.push(resolve)
  })
}

const head = (body: string, extra = '') =>
  `POST /v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer bsk_acme_live_1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n`

describe('the node:http door on a raw socket', () => {
  it('reads a body sent with its head, and keeps the connection for the next request', async () => {
    const socket = await open()
    const next = responses(socket)
    const first = '{"ttl":61}'
    socket.write(head(first) + first)
    const a = await next()
    expect(a.head).toMatch(/^HTTP\/1\.1 201/)
    expect(a.head.toLowerCase()).not.toContain('connection: close')
    expect(JSON.parse(a.body)).toMatchObject({ ttl: 61 })
    // Two requests in one write (pipelined): each body goes to its own request.
    const second = '{"ttl":62}'
    const third = '{"ttl":63}'
    socket.write(head(second) + second + head(third) + third)
    const [b, c] = [await next(), await next()]
    expect(JSON.parse(b.body)).toMatchObject({ ttl: 62 })
    expect(JSON.parse(c.body)).toMatchObject({ ttl: 63 })
    socket.destroy()
  })

  it('reads a body that comes after its head, in pieces', async () => {
    const socket = await open()
    const next = responses(socket)
    const body = '{"ttl":64}'
    socket.write(head(body))
    await new Promise((r) => setTimeout(r, 30))
    socket.write(body.slice(0, 4))
    await new Promise((r) => setTimeout(r, 30))
    socket.write(body.slice(4))
    const a = await next()
    expect(a.head).toMatch(/^HTTP\/1\.1 201/)
    expect(JSON.parse(a.body)).toMatchObject({ ttl: 64 })
    expect(a.head.toLowerCase()).not.toContain('connection: close')
    socket.destroy()
  })

  it('reads a chunked body', async () => {
    const socket = await open()
    const next = responses(socket)
    const body = '{"ttl":65}'
    socket.write(`POST /v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer bsk_acme_live_1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`
      + `4\r\n${body.slice(0, 4)}\r\n6\r\n${body.slice(4)}\r\n0\r\n\r\n`)
    const a = await next()
    expect(a.head).toMatch(/^HTTP\/1\.1 201/)
    expect(JSON.parse(a.body)).toMatchObject({ ttl: 65 })
    socket.destroy()
  })

  it('goes on serving when a client leaves with half a body sent', async () => {
    const socket = await open()
    socket.write(head('{"ttl":66}') + '{"tt')
    await new Promise((r) => setTimeout(r, 30))
    socket.destroy()
    await new Promise((r) => setTimeout(r, 30))
    const res = await fetch(`${server.url}/v1/sessions`, { method: 'POST', headers: { authorization: 'Bearer bsk_acme_live_1', 'content-type': 'application/json' }, body: '{"ttl":67}' })
    expect(res.status).toBe(201)
  })

  it('answers a body over the size limit in the API\'s envelope, and keeps reading it so the client can read the answer', async () => {
    const socket = await open()
    const next = responses(socket)
    socket.write(head('x'.repeat(2 * 1024 * 1024)) + 'x'.repeat(1000))
    const a = await next()
    expect(a.head).toMatch(/^HTTP\/1\.1 4\d\d/)
    // Closing with the client's bytes unread would reset the connection before it read the answer.
    expect(a.head.toLowerCase()).not.toContain('connection: close')
    expect(JSON.parse(a.body)).toHaveProperty('error')
    socket.destroy()
  })

  it('closes the connection after refusing a body too large to drain', async () => {
    const socket = await open()
    const next = responses(socket)
    socket.write(`POST /v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer bsk_acme_live_1\r\nContent-Type: application/json\r\nContent-Length: ${100 * 1024 * 1024}\r\n\r\n` + 'x'.repeat(1000))
    const a = await next()
    expect(a.head).toMatch(/^HTTP\/1\.1 4\d\d/)
    expect(a.head.toLowerCase()).toContain('connection: close')
    expect(JSON.parse(a.body)).toHaveProperty('error')
    socket.destroy()
  })
})

describe('requests that come in together', () => {
  it('each get their own answer, written on their own connection', async () => {
    // Sent in one go on twelve connections: the door takes them in as their sockets are read and
    // answers them together; each answer must still go to the request it is for. (The bench
    // scenario's key: no limit of its stops twelve sessions.)
    const sockets = await Promise.all(Array.from({ length: 12 }, () => open()))
    const readers = sockets.map((socket) => responses(socket))
    // Accepted by the server by then: the twelve come in on one turn of its event loop.
    await new Promise((r) => setTimeout(r, 30))
    sockets.forEach((socket, i) => {
      const body = `{"ttl":${100 + i}}`
      socket.write(head(body).replace('bsk_acme_live_1', 'bsk_bench_1') + body)
    })
    const answers = await Promise.all(readers.map((next) => next()))
    answers.forEach((a, i) => {
      expect(a.head).toMatch(/^HTTP\/1\.1 201/)
      expect(JSON.parse(a.body)).toMatchObject({ ttl: 100 + i })
    })
    expect(new Set(answers.map((a) => JSON.parse(a.body).id)).size).toBe(12)
    for (const socket of sockets) socket.destroy()
  })

  it('are all answered when node:http refuses to write one of them (a 500 for it, no crash)', async () => {
    // A header value node:http will not write (a line break): the door's write fails for that answer only.
    const handle = handlerOf(async (incoming) => ({
      status: 200,
      headers: [['content-type', 'application/json'], ['x-note', incoming.path === '/bad' ? 'a\nb' : 'fine']],
      body: '{}',
    }))
    const errors: unknown[] = []
    const original = console.error
    console.error = (...args: unknown[]) => { errors.push(args) }
    const own = await listen(handle, { port: 0 })
    try {
      const get = (path: string) => fetch(`${own.url}${path}`).then(async (r) => ({ status: r.status, note: r.headers.get('x-note'), body: await r.text() }))
      const [bad, good, again] = await Promise.all([get('/bad'), get('/good'), get('/good')])
      expect(bad.status).toBe(500)
      expect(bad.body).not.toContain('    at ')
      expect(good).toEqual({ status: 200, note: 'fine', body: '{}' })
      expect(again).toEqual({ status: 200, note: 'fine', body: '{}' })
      expect((await get('/good')).status).toBe(200)
      expect(errors).toHaveLength(1)
    } finally {
      console.error = original
      await own.close()
    }
  })
})

describe('request headers through the node:http door', () => {
  it('are node:http\'s own when no name repeats, and joined as Web Headers join them when one does', async () => {
    const seen: Array<Record<string, string>> = []
    const plain = createServer((req, res) => { seen.push(headersOf(req)); res.end() })
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve))
    const port = (plain.address() as { port: number }).port
    const send = (head: string) => new Promise<void>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => socket.write(`GET / HTTP/1.1\r\nHost: x\r\n${head}Connection: close\r\n\r\n`))
      socket.on('data', () => {})
      socket.on('close', () => resolve())
    })
    await send('Accept: a/b\r\nX-One: 1\r\n')
    await send('Accept: a/b\r\naccept: c/d\r\nContent-Type: x/y\r\nContent-Type: z/w\r\nSet-Cookie: s=1\r\n')
    await new Promise<void>((resolve) => plain.close(() => resolve()))
    expect(seen[0]).toMatchObject({ host: 'x', accept: 'a/b', 'x-one': '1', connection: 'close' })
    // node:http keeps the first content-type only, and set-cookie as a list: here both are joined.
    expect(seen[1]).toMatchObject({ accept: 'a/b, c/d', 'content-type': 'x/y, z/w', 'set-cookie': 's=1' })
  })
})
