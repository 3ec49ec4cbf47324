/**
 * One scenario suite, three doors: the core called directly, msw intercepting fetch, and the
 * node:http server on loopback. `describeDoors` runs the same tests through each (as h3's
 * describeMatrix does), so a behaviour that works through one door works through all.
 */
import { afterAll, beforeAll, describe } from 'vitest'
import { setupServer } from 'msw/node'
import { createStandin, type Standin, type StandinOptions } from '../../src/index.ts'
import { handlersFor } from '../../src/adapters/msw.ts'
import { listen } from '../../src/adapters/node-http.ts'
import { selfChecked } from './self-check.ts'

export type Door = 'core' | 'msw' | 'node'
export const DOORS: Door[] = ['core', 'msw', 'node']

export interface Client {
  door: Door
  base: string
  standin: Standin
  fetch(path: string, init?: RequestInit): Promise<Response>
  /** Sends a ready Request (its URL under `base`) through the door, as openapi-fetch does. */
  send(request: Request): Promise<Response>
  close(): Promise<void>
}

const MSW_BASE = 'https://api.standin.test'

export async function openDoor(door: Door, options: StandinOptions): Promise<Client> {
  // Every door's standin reports self-check violations to the suite's gate (test/support/setup.ts).
  const standin = await createStandin(selfChecked({ ...options, baseUrl: door === 'msw' ? MSW_BASE : options.baseUrl }))
  if (door === 'core') {
    const base = 'http://standin.core'
    return { door, base, standin, fetch: (path, init) => standin.handle(new Request(base + path, init)), send: (request) => standin.handle(request), close: async () => {} }
  }
  if (door === 'msw') {
    const server = setupServer(...handlersFor(standin))
    server.listen({ onUnhandledFrame: 'error' })
    return { door, base: MSW_BASE, standin, fetch: (path, init) => fetch(MSW_BASE + path, init), send: (request) => fetch(request), close: async () => server.close() }
  }
  const listening = await listen(standin.handle, { port: 0 })
  return { door, base: listening.url, standin, fetch: (path, init) => fetch(listening.url + path, init), send: (request) => fetch(request), close: () => listening.close() }
}

/** Runs `body` once per door, each with its own standin. */
export function describeDoors(name: string, options: StandinOptions, body: (client: () => Client) => void, doors: Door[] = DOORS): void {
  for (const door of doors) {
    describe(`${name} (${door})`, () => {
      let client: Client
      beforeAll(async () => { client = await openDoor(door, options) })
      afterAll(async () => { await client?.close() })
      body(() => client)
    })
  }
}

/** JSON request helpers for tests that read like a client. */
export function bearer(key: string, init: RequestInit & { json?: unknown } = {}): RequestInit {
  const headers = new Headers(init.headers)
  headers.set('authorization', `Bearer ${key}`)
  let body = init.body
  if (init.json !== undefined) {
    headers.set('content-type', 'application/json')
    body = JSON.stringify(init.json)
  }
  const { json: _json, ...rest } = init
  return { ...rest, headers, body }
}

/** Makes a fresh world through the control API, as a client in any language would. */
export async function freshWorld(client: Client, scenario?: string): Promise<{ id: string; tenants: Array<{ id: string; keys: string[] }>; key: string }> {
  const res = await client.fetch('/__standin/worlds', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(scenario ? { scenario } : {}) })
  if (res.status !== 201) throw new Error(`POST /__standin/worlds answered ${res.status}: ${await res.text()}`)
  const world = await res.json()
  return { ...world, key: world.tenants[0].keys[0] }
}

export async function advance(client: Client, worldId: string, by: string | number): Promise<void> {
  const res = await client.fetch(`/__standin/worlds/${worldId}/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ advance: by }) })
  if (res.status !== 200) throw new Error(`clock advance answered ${res.status}: ${await res.text()}`)
}

export interface Reply { status: number; headers: Headers; body: any }

/** One API call as a client makes it: a bearer key (or none), a JSON body, the reply parsed. */
export async function call(client: Client, method: string, path: string, key: string | undefined, json?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const init: RequestInit & { json?: unknown } = { method, headers }
  if (json !== undefined) init.json = json
  const res = await client.fetch(path, key === undefined ? { method, headers } : bearer(key, init))
  const text = await res.text()
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined }
}
