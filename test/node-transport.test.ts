/**
 * The node:http door under clients that behave as real ones do on the wire: a request sent with its
 * FIN at once, and a body far over the limit still being sent when the refusal is ready.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect } from 'node:net'
import { execFile } from 'node:child_process'
import { createStandin } from '../src/index.ts'
import { listen, type Listening } from '../src/adapters/node-http.ts'

let server: Listening
let key: string
beforeAll(async () => {
  const standin = await createStandin({ spec: 'spec/browser-sessions.yaml', scenarios: 'scenarios/browser-sessions' })
  key = standin.home().key
  server = await listen(standin.handle, { port: 0 })
})
afterAll(async () => { await server.close() })

/** Sends `head` (and `body`) on a raw socket, half-closing right after; resolves with what came back. */
function halfClosed(head: string, body?: Buffer): Promise<{ text: string; error?: string }> {
  return new Promise((resolve) => {
    const socket = connect(server.port, '127.0.0.1')
    const chunks: Buffer[] = []
    let error: string | undefined
    const timer = setTimeout(() => socket.destroy(), 10_000)
    socket.on('connect', () => {
      if (body) { socket.write(head); socket.end(body) } else socket.end(head)
    })
    socket.on('data', (d: Buffer) => chunks.push(d))
    socket.on('error', (e: NodeJS.ErrnoException) => { error = e.code ?? e.message })
    socket.on('close', () => { clearTimeout(timer); resolve({ text: Buffer.concat(chunks).toString('latin1'), error }) })
  })
}

describe('a request followed at once by FIN', () => {
  it('is answered, every time (20 tries)', async () => {
    let answered = 0
    for (let i = 0; i < 20; i++) {
      const { text } = await halfClosed(`GET /v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${key}\r\n\r\n`)
      if (/^HTTP\/1\.1 200 /.test(text)) answered++
    }
    expect(answered).toBe(20)
  })

  it('with a body is answered too', async () => {
    const body = Buffer.from(JSON.stringify({ ttl: 600 }))
    const { text } = await halfClosed(`POST /v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`, body)
    expect(text).toMatch(/^HTTP\/1\.1 (201|200|4\d\d) /)
  })
})

/**
 * The client in a process of its own, as a real one is: in the server's own process it cannot send
 * while the server answers, and the reset this guards against (the answer written, the connection
 * closed with the client's bytes unread: EPIPE before it reads a byte) does not happen.
 */
function clientProcess(script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [`test/fixtures/clients/${script}`, String(server.port), key], { timeout: 60_000 }, (error, stdout) => (error ? reject(error) : resolve(stdout.trim())))
  })
}

describe('a body over the limit', () => {
  it('gets the API\'s error, read by fetch (5 of 5)', async () => {
    expect(JSON.parse(await clientProcess('big-body-fetch.mjs'))).toEqual(Array(5).fill('400 invalid_request'))
  })

  it('gets the API\'s error on a raw socket, never a reset (10 of 10)', async () => {
    expect(JSON.parse(await clientProcess('big-body-raw.mjs'))).toEqual(Array(10).fill('answered'))
  })

  it('leaves the server answering', async () => {
    const res = await fetch(`${server.url}/v1/sessions`, { headers: { authorization: `Bearer ${key}` } })
    expect(res.status).toBe(200)
  })
})

describe('a path with dot segments', () => {
  it('is routed as received: it never reaches the control API', async () => {
    for (const path of ['/v1/sessions/../../__standin/worlds', '/v1/../__standin/scenarios', '/./__standin/worlds', '/v1/sessions/%2e%2e/%2e%2e/__standin/worlds']) {
      const { text } = await halfClosed(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${key}\r\n\r\n`)
      expect(text, path).toMatch(/^HTTP\/1\.1 404 /)
      expect(text, path).not.toContain('"scenario"')
    }
  })

  it('still routes a path with a dot in a segment', async () => {
    const { text } = await halfClosed(`GET /v1/sessions/sess.does.not.exist HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${key}\r\n\r\n`)
    expect(text).toMatch(/^HTTP\/1\.1 404 /)
    expect(text).toContain('session_not_found')
  })
})

describe('a request node:http cannot parse', () => {
  const statusAndBody = (text: string) => ({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1]), body: text.slice(text.indexOf('\r\n\r\n') + 4), head: text.slice(0, text.indexOf('\r\n\r\n')).toLowerCase() })

  it.each([
    ['headers of 64 KB', `GET /v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`, 431],
    ['a path of 64 KB', `GET /v1/${'a'.repeat(64 * 1024)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`, 431],
    ['bytes that are not HTTP', 'HELLO THERE\r\n\r\n', 400],
    ['a NUL in the header', 'GET /v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: a\u0000b\r\n\r\n', 400],
  ])('is refused in the API\'s envelope, not an empty answer (%s)', async (_name, raw, status) => {
    const { text } = await halfClosed(raw)
    const answer = statusAndBody(text)
    expect(answer.status).toBe(status)
    expect(answer.head).toContain('content-type: application/json')
    expect(answer.head).toContain('connection: close')
    // The browser sessions API's envelope: {"error": {"code", "message"}}, a code of its catalogue.
    expect(JSON.parse(answer.body)).toEqual({ error: { code: 'invalid_request', message: expect.any(String) } })
  })
})

describe('a client that goes away mid-body', () => {
  it('is not a standin bug: nothing is logged, and the server answers the next request', async () => {
    const logged: unknown[] = []
    const original = console.error
    console.error = (...args: unknown[]) => { logged.push(args) }
    try {
      for (const path of ['/v1/sessions', '/__standin/worlds']) {
        await new Promise<void>((resolve) => {
          const socket = connect(server.port, '127.0.0.1')
          socket.on('connect', () => {
            socket.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"ttl":`)
            // Gone once the server has the head and part of the body.
            setTimeout(() => { socket.destroy(); resolve() }, 50)
          })
          socket.on('error', () => {})
        })
      }
      // The server has taken both in by the time it answers a later request on a new connection.
      for (let i = 0; i < 3; i++) expect((await fetch(`${server.url}/v1/sessions`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200)
      expect(logged).toEqual([])
    } finally {
      console.error = original
    }
  })
})
