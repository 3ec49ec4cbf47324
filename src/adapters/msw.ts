/**
 * The msw door: standin's core as msw request handlers, for `setupServer` (node) or `setupWorker`.
 * It translates nothing: msw already speaks Request/Response. Requests to other origins pass through
 * to whatever else the test suite mocks.
 *
 * @example
 * import { setupServer } from 'msw/node'
 * import { createStandin } from 'standin'
 * import { handlersFor } from 'standin/msw'
 * const standin = await createStandin({ spec: 'spec/browser-sessions.yaml', scenarios: 'scenarios/browser-sessions', baseUrl: 'https://api.example.test' })
 * const server = setupServer(...handlersFor(standin))
 */
import { http, type HttpHandler } from 'msw'
import type { Standin } from '../standin.ts'

export function handlersFor(standin: Pick<Standin, 'handle' | 'baseUrl'>, options: { baseUrl?: string } = {}): HttpHandler[] {
  const base = options.baseUrl ?? standin.baseUrl
  const origin = base ? new URL(base).origin : undefined
  return [
    http.all(({ request }) => origin === undefined || new URL(request.url).origin === origin, ({ request }) => standin.handle(request, { signal: request.signal })),
  ]
}
