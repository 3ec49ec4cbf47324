/**
 * The floor: a bare node:http server answering each benchmark request with a fixed JSON body of the
 * size standin sends for it (a session, or the API's 429 error). It reads request bodies, as any
 * server must, and does nothing else. Prints its URL; stops on SIGTERM.
 *
 * With `--coalesce` it writes its answers as standin's node:http door does: every request read in one
 * turn of the event loop is answered in its check phase, together (src/adapters/node-http.ts). The
 * plain server is the floor the targets name; the coalesced one shows what that scheduling is worth
 * to a server that does nothing else.
 *
 * Run: node bench/servers/bare.ts [port] [--coalesce]
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'

const session = JSON.stringify({
  id: 'sess_bench0000000000000000001', status: 'ready', ttl: 3600, workspaceId: 'ws_bench',
  createdAt: '2026-01-01T00:00:00.000Z', expiresAt: '2026-01-01T01:00:00.000Z',
  connectUrl: 'wss://connect.browser-sessions.example/sess_bench0000000000000000001',
})
const created = JSON.stringify({ ...JSON.parse(session), status: 'provisioning', ttl: 120 })
const refused = JSON.stringify({ error: { code: 'rate_limited', message: 'Too many requests.' } })

const args = process.argv.slice(2)
const coalesce = args.includes('--coalesce')
const port = Number(args.find((a) => !a.startsWith('--')) ?? 0)

function answer(req: IncomingMessage, res: ServerResponse): void {
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
}

let waiting: Array<[IncomingMessage, ServerResponse]> = []
function answerWaiting(): void {
  const batch = waiting
  waiting = []
  for (const [req, res] of batch) answer(req, res)
}

const server = createServer({ keepAlive: true }, (req, res) => {
  req.resume()
  req.once('end', () => {
    if (!coalesce) return answer(req, res)
    if (waiting.length === 0) setImmediate(answerWaiting)
    waiting.push([req, res])
  })
})
server.listen(port, '127.0.0.1', () => {
  const address = server.address()
  console.log(`bare${coalesce ? ' (coalesced)' : ''}: listening on http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`)
})
process.once('SIGTERM', () => { server.close(); server.closeAllConnections() })
