import { createServer, type IncomingMessage } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requestOf } from '../src/adapters/node-request.ts'

// Each test reads the Request the node:http door builds, from a real request on loopback.
let read: (request: Request) => Promise<unknown>
let base = ''
const server = createServer(async (req: IncomingMessage, res) => {
  const request = requestOf(req, `http://${req.headers.host}${req.url}`, new AbortController().signal)
  try {
    res.end(JSON.stringify(await read(request)))
  } catch (error) {
    res.statusCode = 500
    res.end(JSON.stringify({ error: String(error) }))
  }
})
beforeAll(() => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => {
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  resolve()
})))
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

async function send(init: RequestInit & { path?: string }, reader: (request: Request) => Promise<unknown>): Promise<any> {
  read = reader
  const res = await fetch(base + (init.path ?? '/x?a=1'), init)
  return res.json()
}

describe('the node:http door request', () => {
  it('is a Request with the method, URL and headers of the incoming one', async () => {
    const seen = await send({ headers: { 'X-Thing': 'one' } }, async (r) => ({
      isRequest: r instanceof Request, method: r.method, url: r.url, thing: r.headers.get('x-thing'), body: r.body,
    }))
    expect(seen).toEqual({ isRequest: true, method: 'GET', url: `${base}/x?a=1`, thing: 'one', body: null })
  })

  it('reads a body as a stream', async () => {
    const seen = await send({ method: 'POST', body: 'hello' }, async (r) => new Response(r.body).text())
    expect(seen).toBe('hello')
  })

  it.each([
    ['text()', (r: Request) => r.text()],
    ['json()', (r: Request) => r.json().then((v) => JSON.stringify(v))],
    ['clone().text()', (r: Request) => r.clone().text()],
  ])('answers %s from a full Request built on first use', async (_name, reader) => {
    const seen = await send({ method: 'PUT', body: '{"a":1}', headers: { 'content-type': 'application/json' } }, reader)
    expect(seen).toBe('{"a":1}')
  })

  it('reads a whole body with arrayBuffer(), then reports it used', async () => {
    const seen = await send({ method: 'POST', body: 'whole' }, async (r) => {
      const text = new TextDecoder().decode(await r.arrayBuffer())
      return { text, used: r.bodyUsed, again: await r.text().then(() => 'read twice', (error: Error) => error.name) }
    })
    expect(seen).toEqual({ text: 'whole', used: true, again: 'TypeError' })
  })

  it.each([
    ['no Content-Length', { method: 'POST' }],
    ['Content-Length: 0', { method: 'POST', body: '' }],
  ])('has no body with %s', async (_name, init) => {
    const seen = await send(init, async (r) => ({ body: r.body, bytes: (await r.arrayBuffer()).byteLength }))
    expect(seen).toEqual({ body: null, bytes: 0 })
  })

  it('keeps reporting a body read through the stream as used', async () => {
    const seen = await send({ method: 'POST', body: 'once' }, async (r) => {
      await new Response(r.body).text()
      return { used: r.bodyUsed, again: await r.text().then(() => 'read twice', (error: Error) => error.name) }
    })
    expect(seen).toEqual({ used: true, again: 'TypeError' })
  })
})
