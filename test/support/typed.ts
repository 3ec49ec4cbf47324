/**
 * Typed clients, the way a client team writes them: openapi-fetch with the types openapi-typescript
 * generates from the spec (`npm run typegen` → test/types/<spec>.d.ts), sent through any door.
 */
import createClient, { type Client as FetchClient } from 'openapi-fetch'
import type { Client } from './doors.ts'

/** An openapi-fetch client for `Paths` talking to a door, with a bearer key on every request. */
export function typedClient<Paths extends {}>(client: Client, key?: string): FetchClient<Paths> {
  return createClient<Paths>({
    baseUrl: client.base,
    fetch: (request) => client.send(request),
    headers: key ? { authorization: `Bearer ${key}` } : {},
  })
}
