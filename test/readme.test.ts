/**
 * The README's library example, as a user would write it: through the package's public entry
 * points (`standin`, `standin/msw`, `standin/node`), not the source tree.
 */
import { afterAll, expect, it } from 'vitest'
import { setupServer } from 'msw/node'
import { createStandin } from 'standin'
import { handlersFor } from 'standin/msw'
import { listen } from 'standin/node'

const standin = await createStandin({ spec: 'spec/browser-sessions.yaml', scenarios: 'scenarios/browser-sessions' })
const server = setupServer(...handlersFor(standin))
server.listen({ onUnhandledFrame: 'error' })

it('intercepts the spec’s server URL, with a fresh world per test', async () => {
  const world = standin.world('concurrency-limit')
  const create = () => fetch('https://api.browser-sessions.example/v1/sessions', { method: 'POST', headers: { authorization: `Bearer ${world.key}` } })
  const res = await create()
  expect(res.status).toBe(429)
  expect(await res.json()).toEqual({ error: { code: 'concurrency_limit', message: 'Concurrency limit reached.' } })
  world.clock.advance('1h')
  expect((await create()).status).toBe(201)
  expect(world.journal.count({ status: 429 })).toBe(1)
  world.assertNoViolations()
})

it('serves the same core over node:http', async () => {
  server.close() // msw would intercept the loopback request too
  const running = await listen(standin.handle, { port: 0 })
  try {
    expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const res = await fetch(`${running.url}/v1/sessions`, { headers: { authorization: 'Bearer bsk_acme_live_1' } })
    expect(res.status).toBe(200)
  } finally {
    await running.close()
  }
})
