/**
 * The floor: a bare node:http server answering each benchmark request with a fixed JSON body of the
 * size standin sends for it (a session, or the API's 429 error). It reads request bodies, as any
 * server must, and does nothing else. Prints its URL; stops on SIGTERM.
 *
 * Run: node bench/servers/bare.ts [port]
 */
import { createServer } from 'node:http'

const session = JSON.stringify({
  id: 'sess_bench0000000000000000001', status: 'ready', ttl: 3600, workspaceId: 'ws_bench',
  createdAt: '2026-01-01T00:00:00.000Z', expiresAt: '2026-01-01T01:00:00.000Z',
  connectUrl: 'wss://connect.browser-sessions.example/sess_bench0000000000000000001',
})
const created = JSON.stringify({ ...JSON.parse(session), status: 'provisioning', ttl: 120 })
const refused = JSON.stringify({ error: { code: 'rate_limited', message: 'Too many requests.' } })

const server = createServer({ keepAlive: true }, (req, res) => {
  req.resume()
  req.once('end', () => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(session)
    } else if (req.url!.endsWith('/preview-token')) {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '42' })
      res.end(refused)
    } else {
      res.writeHead(201, { 'content-type': 'application/json' })
      res.end(created)
    }
  })
})
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  const address = server.address()
  console.log(`bare: listening on http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`)
})
process.once('SIGTERM', () => { server.close(); server.closeAllConnections() })
