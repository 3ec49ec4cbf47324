/**
 * The agent platform API (seed 002), end to end through every door: each of the seed's forty codes
 * with its status and the exact envelope `{error, code, statusCode}`, reached by the state that
 * causes it (tokens, gates, tiers, credits, sessions on the clock, vault manifests, runs, webhooks,
 * workspaces) and on demand (a scenario's rule, `X-Standin-Error`).
 */
import { describe, expect, it } from 'vitest'
import { check } from '../src/check.ts'
import { advance, describeDoors, freshWorld, call, type Client, type Reply } from './support/doors.ts'
import { sse, until } from './support/sse.ts'

const OPTIONS = { spec: 'spec/agent-platform.yaml', scenarios: 'scenarios/agent-platform' }

/** The seed's forty codes: status and description (the description is the message, word for word). */
const SEED: Record<string, [number, string]> = {
  UNAUTHORIZED: [401, 'No valid authentication token provided'],
  TOKEN_EXPIRED: [401, 'The JWT has expired'],
  TOKEN_REVOKED: [401, 'The JWT has been revoked (logout from another device)'],
  INVALID_TOKEN: [401, 'The token is malformed or invalid'],
  ADMIN_REQUIRED: [403, 'The endpoint requires admin privileges'],
  TERMS_NOT_ACCEPTED: [403, 'User has not accepted the terms of service'],
  RATE_LIMITED: [429, 'Too many requests in the time window'],
  OUTGOING_RATE_LIMITED: [429, 'Too many outgoing tool calls to a site (10/min per domain)'],
  NO_CREDITS: [402, 'Insufficient credit balance for the requested operation'],
  NO_PAYMENT_METHOD: [402, 'No payment method on file for a purchase'],
  PAYMENT_FAILED: [402, 'The payment charge was declined'],
  SUBSCRIPTION_PAST_DUE: [402, 'Subscription payment is overdue'],
  TIER_REQUIRED: [403, 'The feature requires a higher subscription tier'],
  FEATURE_LIMIT_REACHED: [403, 'You have reached the limit for this feature on your tier (e.g., max agents, max sites)'],
  WORKSPACE_REQUIRED: [403, 'The operation requires a Team plan workspace'],
  INVALID_SESSION: [400, 'The session token is invalid or expired'],
  SESSION_NOT_FOUND: [404, 'No session found with the provided token'],
  SESSION_EXPIRED: [410, 'The session has expired'],
  CHAT_TIMEOUT: [504, 'The AI response took too long (90-second timeout)'],
  STREAM_ABORTED: [499, 'The client disconnected during streaming'],
  MODEL_ERROR: [502, 'The AI provider returned an error'],
  TOOL_EXECUTION_ERROR: [502, 'A tool call to an external site failed'],
  TOKEN_EXISTS: [409, 'A token for this site already exists in the vault'],
  VAULT_LIMIT_REACHED: [403, 'Maximum sites in vault reached for your tier'],
  MANIFEST_NOT_FOUND: [404, 'Could not fetch the manifest from the site URL'],
  MANIFEST_INVALID: [422, 'The manifest JSON is malformed or missing required fields'],
  AGENT_NOT_FOUND: [404, 'No agent found with the provided ID'],
  AGENT_LIMIT_REACHED: [403, 'Maximum agents reached for your tier'],
  RUN_NOT_FOUND: [404, 'No run found with the provided ID'],
  RUN_NOT_CANCELLABLE: [400, 'The run is not in a cancellable state (already completed or failed)'],
  AGENT_ALREADY_RUNNING: [409, 'The agent already has an active run'],
  WEBHOOK_SECRET_INVALID: [401, 'The X-Webhook-Secret header does not match'],
  WEBHOOK_PAYLOAD_INVALID: [422, 'The request body does not match the webhook schema'],
  VALIDATION_ERROR: [400, 'Request body failed Zod schema validation'],
  INVALID_URL: [400, 'A provided URL is not valid'],
  NOT_FOUND: [404, 'The requested resource does not exist'],
  WORKSPACE_NOT_FOUND: [404, 'No workspace found with the provided ID'],
  PERMISSION_DENIED: [403, 'You do not have the required permission in this workspace'],
  MEMBER_NOT_FOUND: [404, 'The user is not a member of this workspace'],
  ROLE_CHANGE_FORBIDDEN: [403, "Cannot change the owner's role"],
}

/** Codes whose envelope also carries `details` (each invalid field), as the seed's resolution says. */
const WITH_DETAILS = new Set(['VALIDATION_ERROR', 'WEBHOOK_PAYLOAD_INVALID', 'MANIFEST_INVALID'])

/** Codes each door's tests reached by state (not asked for by a trigger), to check all forty were. */
const reachedByState = new Map<string, Set<string>>()

/** The seed's envelope, exactly: the code's status, its description, `statusCode` equal to the status. */
function expectEnvelope(reply: Reply, code: string, door?: string): void {
  if (door) reachedByState.set(door, (reachedByState.get(door) ?? new Set()).add(code))
  const [status, message] = SEED[code]!
  const { details, ...envelope } = reply.body ?? {}
  expect({ status: reply.status, ...envelope }).toEqual({ status, error: message, code, statusCode: status })
  if (!WITH_DETAILS.has(code)) expect(details).toBeUndefined()
}

/** A scenario's session token: `sess_`, a name, zeros to 32 characters. */
const sess = (name: string) => `sess_${name.padEnd(32, '0')}`
const ACTIVE = sess('adaactive')
const EXPIRED = sess('adaexpired')
const HELPER = 'agt_adahelper000000'
const IDLE = 'agt_adaidle00000000'
const WORKSPACE = 'ws_teammain0000000'

/** A key of a scenario's account (its first, or the nth), as a fresh world of it minted them. */
function keyOf(world: { tenants: Array<{ id: string; keys: string[] }> }, account: string, n = 0): string {
  const key = world.tenants.find((t) => t.id === account)?.keys[n]
  if (!key) throw new Error(`no key ${n} of ${account} in this world`)
  return key
}

/** The default scenario's people, by the order its file lists them. */
async function people(client: Client, scenario?: string) {
  const world = await freshWorld(client, scenario)
  const [ada, fred, nina, team, staff] = world.tenants
  return {
    world,
    ada: ada!.keys[0]!, adaLaptop: ada!.keys[1]!, adaTablet: ada!.keys[2]!,
    fred: fred?.keys[0], nina: nina?.keys[0],
    olga: team?.keys[0], mika: team?.keys[1], sam: staff?.keys[0],
  }
}

describeDoors('agent platform', OPTIONS, (client) => {
  // Within this suite an error checked is one the state caused, unless a test says it asked for it.
  const expectError = (reply: Reply, code: string, asked = false) => expectEnvelope(reply, code, asked ? undefined : client().door)
  const api = (method: string, path: string, key: string | undefined, json?: unknown, headers?: Record<string, string>) => call(client(), method, `/api${path}`, key, json, headers)

  describe('tokens and account gates', () => {
    it('no token is UNAUTHORIZED, a malformed one INVALID_TOKEN, one past its expiry on the clock TOKEN_EXPIRED', async () => {
      const { world, ada, adaTablet } = await people(client())
      expectError(await api('GET', '/auth/me', undefined), 'UNAUTHORIZED')
      expectError(await api('GET', '/auth/me', 'not-a-jwt'), 'INVALID_TOKEN')
      expect((await api('GET', '/auth/me', adaTablet)).body).toMatchObject({ userId: 'usr_ada', accountId: 'acct_ada', tier: 'pro', credits: 100, termsAccepted: true })
      await advance(client(), world.id, '1h')
      expectError(await api('GET', '/auth/me', adaTablet), 'TOKEN_EXPIRED')
      expect((await api('GET', '/auth/me', ada)).status).toBe(200)
    })

    it('a logout on one device is TOKEN_REVOKED on the user\'s others; revoking the other sessions keeps this one; a tampered token is INVALID_TOKEN', async () => {
      const { ada, adaLaptop, adaTablet, fred } = await people(client())
      const [head, payload, signature] = ada.split('.')
      const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString())
      expect(claims).toMatchObject({ sub: 'usr_ada', tid: 'acct_ada', iss: 'https://app.agent-platform.example' })
      const forged = Buffer.from(JSON.stringify({ ...claims, sub: 'usr_sam', role: 'admin' })).toString('base64url')
      expectError(await api('GET', '/auth/me', `${head}.${forged}.${signature}`), 'INVALID_TOKEN')
      expectError(await api('GET', '/auth/me', `${head}.${payload}.${signature!.slice(0, -2)}xx`), 'INVALID_TOKEN')
      // From the desktop, the other sessions are revoked: laptop and tablet, not the desktop.
      expect((await api('POST', '/auth/logout-others', ada)).status).toBe(204)
      for (const token of [adaLaptop, adaTablet]) expectError(await api('GET', '/auth/me', token), 'TOKEN_REVOKED')
      expect((await api('GET', '/auth/me', ada)).status).toBe(200)
      // Refreshing gives a new token that works like the old one.
      const fresh = await api('POST', '/auth/refresh', ada)
      expect(fresh.body.token.split('.')).toHaveLength(3)
      expect((await api('GET', '/auth/me', fresh.body.token)).body).toMatchObject({ userId: 'usr_ada' })
      // A logout on the new device: the desktop's token is revoked too; Fred's is not.
      expect((await api('POST', '/auth/logout', fresh.body.token)).status).toBe(204)
      for (const token of [ada, fresh.body.token]) expectError(await api('GET', '/agents', token), 'TOKEN_REVOKED')
      expect((await api('GET', '/auth/me', fred)).status).toBe(200)
    })

    it('the control API signs a token for a user of an account, as a sign-in would; it expires on the world clock', async () => {
      const { world } = await people(client())
      const mint = async (body: unknown) => (await client().fetch(`/__standin/worlds/${world.id}/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json() as Promise<any>
      const grace = await mint({ tenant: 'acct_team', user: 'usr_grace', ttl: '10m' })
      expect((await api('GET', '/auth/me', grace.token)).body).toMatchObject({ userId: 'usr_grace', accountId: 'acct_team', tier: 'team' })
      // A user of the account, but no member of its workspace: she may not manage it, and may make her own.
      expectError(await api('POST', `/workspaces/${WORKSPACE}/members`, grace.token, { userId: 'usr_zoe', role: 'viewer' }), 'PERMISSION_DENIED')
      const own = await api('POST', '/workspaces', grace.token, { name: 'Grace' })
      expect((await api('POST', `/workspaces/${own.body.id}/members`, grace.token, { userId: 'usr_zoe', role: 'viewer' })).status).toBe(201)
      const admin = await mint({ tenant: 'acct_staff', user: 'usr_root', role: 'admin' })
      expect((await api('GET', '/admin/stats', admin.token)).status).toBe(200)
      await advance(client(), world.id, '10m')
      expectError(await api('GET', '/auth/me', grace.token), 'TOKEN_EXPIRED')
      expect((await api('GET', '/auth/me', admin.token)).status).toBe(200)
    })

    it('expired and revoked tokens of the unauthorized scenario', async () => {
      const { world } = await people(client(), 'unauthorized')
      const [expired, revoked] = world.tenants[0]!.keys
      expectError(await api('GET', '/agents', expired), 'TOKEN_EXPIRED')
      expectError(await api('GET', '/agents', revoked), 'TOKEN_REVOKED')
    })

    it('a user who has not accepted the terms gets TERMS_NOT_ACCEPTED everywhere but /auth/*', async () => {
      const { nina } = await people(client())
      expectError(await api('GET', '/agents', nina), 'TERMS_NOT_ACCEPTED')
      expectError(await api('POST', '/sessions', nina, {}), 'TERMS_NOT_ACCEPTED')
      expect((await api('GET', '/auth/me', nina)).body).toMatchObject({ termsAccepted: false })
      expect((await api('POST', '/auth/accept-terms', nina)).body).toMatchObject({ termsAccepted: true })
      expect((await api('GET', '/agents', nina)).status).toBe(200)
      expect((await api('GET', '/auth/me', nina)).body).toMatchObject({ termsAccepted: true })
    })

    it('the admin endpoints need an admin token: ADMIN_REQUIRED', async () => {
      const { ada, sam } = await people(client())
      expectError(await api('GET', '/admin/stats', ada), 'ADMIN_REQUIRED')
      expect((await api('GET', '/admin/stats', sam)).status).toBe(200)
    })
  })

  describe('rate limits', () => {
    it('the 61st request in a minute of a free user is RATE_LIMITED with Retry-After', async () => {
      const { world, fred } = await people(client())
      for (let i = 0; i < 60; i++) expect((await api('GET', '/auth/me', fred)).status).toBe(200)
      const refused = await api('GET', '/auth/me', fred)
      expectError(refused, 'RATE_LIMITED')
      expect(refused.headers.get('retry-after')).toBe('60')
      await advance(client(), world.id, '60s')
      expect((await api('GET', '/auth/me', fred)).status).toBe(200)
    })
  })

  describe('credits and tiers', () => {
    it('a message or a run costs credits; at zero it is NO_CREDITS', async () => {
      const { ada, fred } = await people(client())
      expect((await api('POST', `/sessions/${ACTIVE}/messages`, ada, { content: 'Hello' })).body).toMatchObject({ status: 'completed', content: 'Here is the answer.', prompt: 'Hello' })
      expect((await api('POST', `/agents/${IDLE}/runs`, ada, {})).status).toBe(201)
      expect((await api('GET', '/billing', ada)).body).toMatchObject({ tier: 'pro', credits: 94, subscription: 'active' })
      const session = await api('POST', '/sessions', fred, {})
      expect(session.status).toBe(201)
      expectError(await api('POST', `/sessions/${session.body.token}/messages`, fred, { content: 'Hello' }), 'NO_CREDITS')
    })

    it('buying credits: no card is NO_PAYMENT_METHOD; a card that pays adds them; one that declines is PAYMENT_FAILED', async () => {
      const { ada, fred } = await people(client())
      expectError(await api('POST', '/billing/purchases', fred, { credits: 100 }), 'NO_PAYMENT_METHOD')
      expect((await api('GET', '/billing', fred)).body).toMatchObject({ credits: 0 })
      expect((await api('GET', '/billing', fred)).body.cardLast4).toBeUndefined()
      const card = await api('PUT', '/billing/payment-method', fred, { number: '4242424242424242', expMonth: 12, expYear: 2030 })
      expect(card.body).toEqual({ brand: 'visa', last4: '4242', expMonth: 12, expYear: 2030 })
      const bought = await api('POST', '/billing/purchases', fred, { credits: 100 })
      expect(bought.body).toMatchObject({ credits: 100, amountUsd: 10, status: 'succeeded' })
      expect((await api('GET', '/billing', fred)).body).toMatchObject({ credits: 100, cardBrand: 'visa', cardLast4: '4242' })
      expect((await api('GET', '/billing/purchases', fred)).body.data).toEqual([bought.body])
      expect((await api('PUT', '/billing/payment-method', ada, { number: '4000000000000002', expMonth: 1, expYear: 2031 })).status).toBe(200)
      expectError(await api('POST', '/billing/purchases', ada, { credits: 50 }), 'PAYMENT_FAILED')
      expect((await api('GET', '/billing', ada)).body).toMatchObject({ credits: 100, cardLast4: '0002' })
    })

    it('auto top-up: at zero a message buys the top-up on the card first; with no card that is NO_PAYMENT_METHOD', async () => {
      const { fred } = await people(client())
      const session = (await api('POST', '/sessions', fred, {})).body.token
      expect((await api('PUT', '/billing/auto-top-up', fred, { enabled: true, amount: 50 })).body).toEqual({ enabled: true, amount: 50 })
      expectError(await api('POST', `/sessions/${session}/messages`, fred, { content: 'Hi' }), 'NO_PAYMENT_METHOD')
      await api('PUT', '/billing/payment-method', fred, { number: '5555555555554444', expMonth: 3, expYear: 2029 })
      expect((await api('POST', `/sessions/${session}/messages`, fred, { content: 'Hi' })).status).toBe(200)
      expect((await api('GET', '/billing', fred)).body).toMatchObject({ credits: 49, autoTopUp: true, autoTopUpCredits: 50, cardBrand: 'mastercard' })
    })

    it('the billing scenario: NO_CREDITS (Bob), PAYMENT_FAILED (Dee\'s card declines), SUBSCRIPTION_PAST_DUE until a card that pays is on file (Otto)', async () => {
      const { world } = await people(client(), 'billing')
      const [bob, dee, otto] = ['acct_broke', 'acct_declined', 'acct_overdue'].map((account) => keyOf(world, account))
      expectError(await api('POST', `/sessions/${sess('broke')}/messages`, bob, { content: 'Hi' }), 'NO_CREDITS')
      expectError(await api('POST', '/agents/agt_broke000000000/runs', bob, {}), 'NO_CREDITS')
      expect((await api('POST', '/billing/purchases', bob, { credits: 10 })).status).toBe(201)
      expect((await api('POST', `/sessions/${sess('broke')}/messages`, bob, { content: 'Hi' })).status).toBe(200)
      expectError(await api('POST', `/sessions/${sess('declined')}/messages`, dee, { content: 'Hi' }), 'PAYMENT_FAILED')
      expectError(await api('POST', '/billing/purchases', dee, { credits: 100 }), 'PAYMENT_FAILED')
      expect((await api('GET', '/billing', otto)).body.subscription).toBe('past_due')
      expectError(await api('POST', `/sessions/${sess('overdue')}/messages`, otto, { content: 'Hi' }), 'SUBSCRIPTION_PAST_DUE')
      expectError(await api('POST', '/agents/agt_overdue0000000/runs', otto, {}), 'SUBSCRIPTION_PAST_DUE')
      expectError(await api('POST', '/agents/agt_overdue0000000/tool-calls', otto, { url: 'https://shop.example/x', tool: 'x' }), 'SUBSCRIPTION_PAST_DUE')
      // What is not a paid feature still works.
      expect((await api('GET', '/agents', otto)).status).toBe(200)
      expectError(await api('PUT', '/billing/payment-method', otto, { number: '4000000000000002', expMonth: 1, expYear: 2030 }), 'PAYMENT_FAILED')
      expect((await api('GET', '/billing', otto)).body).toMatchObject({ subscription: 'past_due', cardLast4: '9995' })
      expect((await api('PUT', '/billing/payment-method', otto, { number: '4242424242424242', expMonth: 1, expYear: 2030 })).status).toBe(200)
      expect((await api('GET', '/billing', otto)).body).toMatchObject({ subscription: 'active', cardLast4: '4242' })
      expect((await api('POST', `/sessions/${sess('overdue')}/messages`, otto, { content: 'Hi' })).status).toBe(200)
    })

    it('free: one agent (AGENT_LIMIT_REACHED), two open sessions (FEATURE_LIMIT_REACHED), no runs (TIER_REQUIRED), no workspaces (WORKSPACE_REQUIRED)', async () => {
      const { fred, ada } = await people(client())
      const agent = await api('POST', '/agents', fred, { name: 'First' })
      expect(agent.status).toBe(201)
      expectError(await api('POST', '/agents', fred, { name: 'Second' }), 'AGENT_LIMIT_REACHED')
      expectError(await api('POST', `/agents/${agent.body.id}/runs`, fred, {}), 'TIER_REQUIRED')
      for (let i = 0; i < 2; i++) expect((await api('POST', '/sessions', fred, {})).status).toBe(201)
      expectError(await api('POST', '/sessions', fred, {}), 'FEATURE_LIMIT_REACHED')
      expectError(await api('POST', '/workspaces', ada, { name: 'Mine' }), 'WORKSPACE_REQUIRED')
      // Deleting the agent frees its place.
      expect((await api('DELETE', `/agents/${agent.body.id}`, fred)).status).toBe(204)
      expect((await api('POST', '/agents', fred, { name: 'Second' })).status).toBe(201)
    })

    it('the fourth vault site of a free account is VAULT_LIMIT_REACHED', async () => {
      const { world } = await people(client(), 'tier-limits')
      const capped = world.tenants[0]!.keys[0]!
      expectError(await api('POST', '/vault', capped, { site: 'https://d.example', token: 'tok_d' }), 'VAULT_LIMIT_REACHED')
      expectError(await api('POST', '/agents', capped, { name: 'Two' }), 'AGENT_LIMIT_REACHED')
      expectError(await api('POST', '/sessions', capped, {}), 'FEATURE_LIMIT_REACHED')
      expect((await api('DELETE', '/vault/site_cappeda000000', capped)).status).toBe(204)
      expect((await api('POST', '/vault', capped, { site: 'https://d.example', token: 'tok_d' })).status).toBe(201)
    })
  })

  describe('chat sessions', () => {
    it('a token of another form is INVALID_SESSION, an unknown or another account\'s SESSION_NOT_FOUND, one past its 24 hours SESSION_EXPIRED', async () => {
      const { world, ada, olga } = await people(client())
      expectError(await api('GET', '/sessions/not-a-session', ada), 'INVALID_SESSION')
      expectError(await api('POST', '/sessions/sess_short/messages', ada, { content: 'x' }), 'INVALID_SESSION')
      expectError(await api('GET', `/sessions/sess_${'x'.repeat(32)}`, ada), 'SESSION_NOT_FOUND')
      expectError(await api('GET', `/sessions/${ACTIVE}`, olga), 'SESSION_NOT_FOUND')
      expectError(await api('GET', `/sessions/${EXPIRED}`, ada), 'SESSION_EXPIRED')
      const made = await api('POST', '/sessions', ada, { model: 'deep-1' })
      expect(made.body).toMatchObject({ status: 'active', model: 'deep-1' })
      expect(made.body.token).toMatch(/^sess_[A-Za-z0-9]{32}$/)
      await advance(client(), world.id, '23h59m')
      expect((await api('GET', `/sessions/${made.body.token}`, ada)).status).toBe(200)
      await advance(client(), world.id, '1m')
      expectError(await api('GET', `/sessions/${made.body.token}`, ada), 'SESSION_EXPIRED')
      expectError(await api('POST', `/sessions/${made.body.token}/messages`, ada, { content: 'Still there?' }), 'SESSION_EXPIRED')
      expectError(await api('GET', `/sessions/${made.body.token}/messages`, ada), 'SESSION_EXPIRED')
    })

    it('streams the answer as server-sent events on the clock, and saves it', async () => {
      const { world, ada } = await people(client())
      const res = await client().fetch(`/api/sessions/${ACTIVE}/messages`, { method: 'POST', headers: { authorization: `Bearer ${ada}`, 'content-type': 'application/json' }, body: JSON.stringify({ content: 'Hi', stream: true }) })
      expect([res.status, res.headers.get('content-type')]).toEqual([200, 'text/event-stream'])
      const events = sse(res)
      const started = (await events.next())!
      expect(started).toMatchObject({ event: 'message.started', json: { sessionToken: ACTIVE, model: 'swift-1' } })
      await advance(client(), world.id, '2s')
      const rest = await events.rest()
      expect(rest.map((e) => e.event)).toEqual(['message.delta', 'message.delta', 'message.delta', 'message.delta', 'message.completed'])
      expect(rest.at(-1)!.json).toMatchObject({ id: started.json.id, status: 'completed', content: 'Here is the answer.' })
      expect((await api('GET', `/sessions/${ACTIVE}/messages`, ada)).body.data).toEqual([rest.at(-1)!.json])
    })

    it('an answer past the 90-second ceiling on the clock ends as CHAT_TIMEOUT: deep-1 thinks two minutes (an error event when streamed, the 504 otherwise)', async () => {
      const { world, ada } = await people(client())
      const res = await client().fetch(`/api/sessions/${ACTIVE}/messages`, { method: 'POST', headers: { authorization: `Bearer ${ada}`, 'content-type': 'application/json' }, body: JSON.stringify({ content: 'Think hard', model: 'deep-1', stream: true }) })
      expect(res.status).toBe(200)
      const events = sse(res)
      const started = (await events.next())!
      expect(started).toMatchObject({ event: 'message.started', json: { model: 'deep-1' } })
      await advance(client(), world.id, '89s')
      await advance(client(), world.id, '1s')
      const rest = await events.rest()
      expect(rest.map((e) => e.event)).toEqual(['error'])
      const [status, message] = SEED.CHAT_TIMEOUT!
      expect(rest[0]!.json).toEqual({ error: message, code: 'CHAT_TIMEOUT', statusCode: status })
      const saved = (await api('GET', `/sessions/${ACTIVE}/messages`, ada)).body.data
      expect(saved.map((m: any) => [m.id, m.status])).toEqual([[started.json.id, 'failed']])
      expectError(await api('POST', `/sessions/${ACTIVE}/messages`, ada, { content: 'Again', model: 'deep-1' }), 'CHAT_TIMEOUT')
      expect((await api('POST', `/sessions/${ACTIVE}/messages`, ada, { content: 'Quick', model: 'swift-1' })).status).toBe(200)
      // A session's model answers its messages that name none; a message may name another.
      const deep = (await api('POST', '/sessions', ada, { model: 'deep-1' })).body.token
      expectError(await api('POST', `/sessions/${deep}/messages`, ada, { content: 'Think' }), 'CHAT_TIMEOUT')
      expect((await api('POST', `/sessions/${deep}/messages`, ada, { content: 'Quick', model: 'swift-1' })).body).toMatchObject({ model: 'swift-1', status: 'completed' })
      expect((await api('POST', `/sessions/${ACTIVE}/messages`, ada, { content: 'Plain' })).body).toMatchObject({ model: 'swift-1', status: 'completed' })
    })

    it('a client that leaves mid-stream is journalled STREAM_ABORTED, and its partial answer is not saved', async () => {
      const { world, ada } = await people(client())
      const res = await client().fetch(`/api/sessions/${ACTIVE}/messages`, { method: 'POST', headers: { authorization: `Bearer ${ada}`, 'content-type': 'application/json' }, body: JSON.stringify({ content: 'Hi', stream: true }) })
      const events = sse(res)
      expect((await events.next())!.event).toBe('message.started')
      await advance(client(), world.id, '500ms')
      expect((await events.next())!.json.delta).toBe('Here ')
      await events.cancel()
      // The door notices the client gone on its own time: look until the journal says so.
      const aborted = async () => (await (await client().fetch(`/__standin/worlds/${world.id}/journal?code=STREAM_ABORTED`)).json()) as any[]
      await until(async () => (await aborted()).length > 0, 'the journal has the aborted stream', 2000)
      expect(await aborted()).toEqual([expect.objectContaining({ operation: 'sendMessage', code: 'STREAM_ABORTED', stream: expect.objectContaining({ outcome: 'aborted' }) })])
      // The client team's checklist ticks it: coverage counts it as 499 STREAM_ABORTED, declared.
      const coverage = (await (await client().fetch(`/__standin/coverage?world=${world.id}`)).json()) as any
      expect(coverage.operations.find((o: any) => o.operation === 'sendMessage').items.find((i: any) => i.code === 'STREAM_ABORTED')).toMatchObject({ declared: '499', count: 1 })
      expect((await api('GET', `/sessions/${ACTIVE}/messages`, ada)).body.data).toEqual([])
    })

    it('the chat-failures scenario: MODEL_ERROR for a model the account lists failing, TOOL_EXECUTION_ERROR for a site it lists down, CHAT_TIMEOUT forced on one session', async () => {
      const { world } = await people(client(), 'chat-failures')
      const flo = keyOf(world, 'acct_flaky')
      expectError(await api('POST', `/sessions/${sess('slow')}/messages`, flo, { content: 'x' }), 'CHAT_TIMEOUT', true)
      expectError(await api('POST', `/sessions/${sess('flaky')}/messages`, flo, { content: 'x', model: 'deep-1' }), 'MODEL_ERROR')
      const streamed = await client().fetch(`/api/sessions/${sess('flaky')}/messages`, { method: 'POST', headers: { authorization: `Bearer ${flo}`, 'content-type': 'application/json' }, body: JSON.stringify({ content: 'x', model: 'deep-1', stream: true }) })
      expect((await sse(streamed).rest()).map((e) => [e.event, e.json?.code])).toEqual([['error', 'MODEL_ERROR']])
      expect((await api('POST', `/sessions/${sess('flaky')}/messages`, flo, { content: 'x', model: 'swift-1' })).status).toBe(200)
      expectError(await api('POST', '/agents/agt_flaky000000000/tool-calls', flo, { url: 'https://down.example/tools/search', tool: 'search' }), 'TOOL_EXECUTION_ERROR')
      expect((await api('POST', '/agents/agt_flaky000000000/tool-calls', flo, { url: 'https://up.example/tools/search', tool: 'search' })).status).toBe(201)
    })
  })

  describe('vault', () => {
    it('a second token for a site is TOKEN_EXISTS until PATCH or DELETE; manifests: MANIFEST_NOT_FOUND, MANIFEST_INVALID', async () => {
      const { ada } = await people(client())
      expectError(await api('POST', '/vault', ada, { site: 'https://shop.example', token: 'tok_again' }), 'TOKEN_EXISTS')
      const patched = await api('PATCH', '/vault/site_adashop0000000', ada, { token: 'tok_new_9876' })
      expect(patched.body).toMatchObject({ site: 'https://shop.example', tokenHint: '…9876' })
      expect((await api('DELETE', '/vault/site_adashop0000000', ada)).status).toBe(204)
      expectError(await api('GET', '/vault/site_adashop0000000', ada), 'NOT_FOUND')
      const added = await api('POST', '/vault', ada, { site: 'https://shop.example', token: 'tok_back_1234' })
      expect(added.body).toMatchObject({ site: 'https://shop.example', name: 'Shop', tokenHint: '…1234' })
      expect(added.body.tools.map((t: any) => t.name)).toEqual(['search', 'checkout'])
      expect(JSON.stringify(added.body)).not.toContain('tok_back_1234')
      expectError(await api('POST', '/vault', ada, { site: 'https://nowhere.example', token: 't' }), 'MANIFEST_NOT_FOUND')
      // docs.example's manifest lacks its version and its tool's endpoint; broken.example's is not JSON.
      const lacking = await api('POST', '/vault', ada, { site: 'https://docs.example', token: 't' })
      expectError(lacking, 'MANIFEST_INVALID')
      expect(lacking.body.details.map((d: any) => d.pointer)).toEqual(['/version', '/tools/0/endpoint'])
      expectError(await api('POST', '/vault', ada, { site: 'https://broken.example', token: 't' }), 'MANIFEST_INVALID')
      expect((await api('GET', '/vault', ada)).body.data.map((v: any) => v.site)).toEqual(['https://shop.example'])
    })
  })

  describe('agents and runs', () => {
    it('a run moves queued → running → completed on the clock; a second while one is active is AGENT_ALREADY_RUNNING', async () => {
      const { world, ada } = await people(client())
      const run = await api('POST', `/agents/${IDLE}/runs`, ada, { input: { q: 'cheapest' } })
      expect(run.body).toMatchObject({ agentId: IDLE, status: 'queued', input: { q: 'cheapest' } })
      expectError(await api('POST', `/agents/${IDLE}/runs`, ada, {}), 'AGENT_ALREADY_RUNNING')
      const read = () => api('GET', `/agents/${IDLE}/runs/${run.body.id}`, ada)
      await advance(client(), world.id, '1s')
      expect((await read()).body.status).toBe('running')
      expectError(await api('POST', `/agents/${IDLE}/runs`, ada, {}), 'AGENT_ALREADY_RUNNING')
      await advance(client(), world.id, '30s')
      expect((await read()).body.status).toBe('completed')
      expectError(await api('POST', `/agents/${IDLE}/runs/${run.body.id}/cancel`, ada), 'RUN_NOT_CANCELLABLE')
      const next = await api('POST', `/agents/${IDLE}/runs`, ada, {})
      expect(next.status).toBe(201)
      expect((await api('POST', `/agents/${IDLE}/runs/${next.body.id}/cancel`, ada)).body.status).toBe('cancelled')
    })

    it('unknown or another account\'s agents and runs: AGENT_NOT_FOUND, RUN_NOT_FOUND; failed runs are not cancellable', async () => {
      const { ada, olga } = await people(client())
      expectError(await api('GET', '/agents/agt_nope', ada), 'AGENT_NOT_FOUND')
      expectError(await api('GET', `/agents/${HELPER}`, olga), 'AGENT_NOT_FOUND')
      expectError(await api('POST', '/agents/agt_nope/runs', ada, {}), 'AGENT_NOT_FOUND')
      // A session's agent is one of the account's; none named, the plain assistant.
      expectError(await api('POST', '/sessions', ada, { agentId: 'agt_nope' }), 'AGENT_NOT_FOUND')
      expectError(await api('POST', '/sessions', olga, { agentId: HELPER }), 'AGENT_NOT_FOUND')
      expect((await api('POST', '/sessions', ada, { agentId: HELPER })).body).toMatchObject({ agentId: HELPER, status: 'active' })
      expect((await api('POST', '/sessions', ada, {})).status).toBe(201)
      expectError(await api('GET', `/agents/${HELPER}/runs/run_nope`, ada), 'RUN_NOT_FOUND')
      expectError(await api('GET', `/agents/${IDLE}/runs/run_adadone0000000`, ada), 'RUN_NOT_FOUND')
      expectError(await api('POST', `/agents/${HELPER}/runs/run_adafailed00000/cancel`, ada), 'RUN_NOT_CANCELLABLE')
      expectError(await api('POST', `/agents/${HELPER}/runs/run_adadone0000000/cancel`, ada), 'RUN_NOT_CANCELLABLE')
    })

    it('tool calls: the 11th in a minute to one domain, from any of the account\'s agents, is OUTGOING_RATE_LIMITED; other domains are counted apart', async () => {
      const { world, ada, olga } = await people(client())
      const toolCall = (key: string, agent: string, url: string) => api('POST', `/agents/${agent}/tool-calls`, key, { url, tool: 'search' })
      for (let i = 0; i < 10; i++) expect((await toolCall(ada, i % 2 ? HELPER : IDLE, `https://shop.example/tools/${i}`)).status).toBe(201)
      const refused = await toolCall(ada, HELPER, 'https://SHOP.example/tools/search?q=x')
      expectError(refused, 'OUTGOING_RATE_LIMITED')
      expect(refused.headers.get('retry-after')).toBe('60')
      expect((await toolCall(ada, HELPER, 'https://news.example/tools/headlines')).status).toBe(201)
      // Another account's calls to the same domain are its own.
      const team = (await api('POST', '/agents', olga, { name: 'Team agent' })).body.id
      expect((await toolCall(olga, team, 'https://shop.example/tools/search')).status).toBe(201)
      await advance(client(), world.id, '30s')
      expectError(await toolCall(ada, HELPER, 'https://shop.example/tools/search'), 'OUTGOING_RATE_LIMITED')
      await advance(client(), world.id, '30s')
      expect((await toolCall(ada, HELPER, 'https://shop.example/tools/search')).status).toBe(201)
    })

    it('the rate-limits scenario: Hasty\'s 4th request is RATE_LIMITED; the 3rd tool call to a domain in a minute, whichever of Busy\'s agents, OUTGOING_RATE_LIMITED', async () => {
      const { world } = await people(client(), 'rate-limits')
      const [hasty, busy] = [keyOf(world, 'acct_hasty'), keyOf(world, 'acct_busy')]
      for (let i = 0; i < 3; i++) expect((await api('GET', '/auth/me', hasty)).status).toBe(200)
      const limited = await api('GET', '/auth/me', hasty)
      expectError(limited, 'RATE_LIMITED')
      expect(limited.headers.get('retry-after')).toBe('60')
      const toolCall = (agent: string, url: string) => api('POST', `/agents/${agent}/tool-calls`, busy, { url, tool: 'search' })
      expect((await toolCall('agt_busyone00000000', 'https://shop.example/tools/search')).status).toBe(201)
      expect((await toolCall('agt_busytwo00000000', 'https://shop.example/tools/cart')).status).toBe(201)
      const refused = await toolCall('agt_busyone00000000', 'https://shop.example/tools/search')
      expectError(refused, 'OUTGOING_RATE_LIMITED')
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0)
      await advance(client(), world.id, '60s')
      expect((await toolCall('agt_busyone00000000', 'https://shop.example/tools/search')).status).toBe(201)
      expect((await toolCall('agt_busyone00000000', 'https://news.example/tools/headlines')).status).toBe(201)
    })
  })

  describe('webhooks', () => {
    it('the agent\'s secret in X-Webhook-Secret (WEBHOOK_SECRET_INVALID), a payload its own schema accepts (WEBHOOK_PAYLOAD_INVALID, each pointer in details); then a run starts', async () => {
      const { ada } = await people(client())
      // Called by another system: no user's token, the agent's secret in its own header.
      const hook = async (payload: unknown, secret?: string, agent = HELPER): Promise<Reply> => {
        const res = await client().fetch(`/api/hooks/${agent}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(secret === undefined ? {} : { 'x-webhook-secret': secret }) }, body: JSON.stringify(payload) })
        return { status: res.status, headers: res.headers, body: await res.json() }
      }
      expectError(await hook({ event: 'order.paid', orderId: 'o_1' }, 'whsec_not_the_one'), 'WEBHOOK_SECRET_INVALID')
      expectError(await hook({ event: 'order.paid', orderId: 'o_1' }), 'WEBHOOK_SECRET_INVALID')
      const invalid = await hook({ event: 'order.refunded' }, 'whsec_ada_helper_1')
      expectError(invalid, 'WEBHOOK_PAYLOAD_INVALID')
      expect(invalid.body.details.map((d: any) => [d.pointer, d.field])).toEqual([['/orderId', 'orderId'], ['/event', 'event']])
      const accepted = await hook({ event: 'order.paid', orderId: 'o_1' }, 'whsec_ada_helper_1')
      expect([accepted.status, accepted.body.status, accepted.body.agentId, accepted.body.input]).toEqual([202, 'queued', HELPER, { event: 'order.paid', orderId: 'o_1' }])
      expect((await api('GET', `/agents/${HELPER}/runs/${accepted.body.id}`, ada)).body.input).toEqual({ event: 'order.paid', orderId: 'o_1' })
      // Its secret is not another agent's: the idle agent has none.
      expectError(await hook({ any: 'thing' }, 'whsec_ada_helper_1', IDLE), 'WEBHOOK_SECRET_INVALID')
      // The user changes the schema: what it accepts changes with it.
      expect((await api('PATCH', `/agents/${HELPER}`, ada, { webhookSchema: { type: 'object', required: ['ping'] } })).status).toBe(200)
      expectError(await hook({ event: 'order.paid', orderId: 'o_2' }, 'whsec_ada_helper_1'), 'WEBHOOK_PAYLOAD_INVALID')
    })
  })

  describe('validation and not found', () => {
    it('a bad body is VALIDATION_ERROR naming each invalid field; a URL without its protocol INVALID_URL; an unknown path or record NOT_FOUND (a wrong method: 405 NOT_FOUND with Allow)', async () => {
      const { ada } = await people(client())
      const two = await api('POST', '/agents', ada, { name: 5, instructions: 7 })
      expectError(two, 'VALIDATION_ERROR')
      expect(two.body.details).toEqual([
        { pointer: '/name', field: 'name', message: 'must be string', detail: 'name must be string' },
        { pointer: '/instructions', field: 'instructions', message: 'must be string', detail: 'instructions must be string' },
      ])
      const missing = await api('POST', '/agents', ada, {})
      expectError(missing, 'VALIDATION_ERROR')
      expect(missing.body.details).toEqual([expect.objectContaining({ pointer: '/name', field: 'name', detail: 'name is required' })])
      expectError(await api('POST', '/agents', ada, { name: '' }), 'VALIDATION_ERROR')
      // A URL without its protocol is INVALID_URL, wherever the API takes one.
      expectError(await api('POST', '/vault', ada, { site: 'shop.example', token: 't' }), 'INVALID_URL')
      expectError(await api('POST', `/agents/${HELPER}/tool-calls`, ada, { url: 'shop.example/tools/search', tool: 'search' }), 'INVALID_URL')
      expectError(await api('PATCH', `/agents/${HELPER}`, ada, { sites: ['https://shop.example', 'news.example'] }), 'INVALID_URL')
      expectError(await api('GET', '/nothing/here', ada), 'NOT_FOUND')
      expectError(await api('GET', '/vault/site_nope', ada), 'NOT_FOUND')
      const wrong = await api('DELETE', '/auth/me', ada)
      expect([wrong.status, wrong.headers.get('allow'), wrong.body.code, wrong.body.statusCode]).toEqual([405, 'GET', 'NOT_FOUND', 405])
    })
  })

  describe('workspaces', () => {
    it('roles: PERMISSION_DENIED below admin, MEMBER_NOT_FOUND for a non-member, ROLE_CHANGE_FORBIDDEN for the owner, WORKSPACE_NOT_FOUND', async () => {
      const { olga, mika, ada } = await people(client())
      const members = `/workspaces/${WORKSPACE}/members`
      expect((await api('GET', members, mika)).body.data.map((m: any) => [m.userId, m.role])).toEqual([['usr_olga', 'owner'], ['usr_mika', 'member']])
      expectError(await api('PATCH', `${members}/usr_olga`, mika, { role: 'viewer' }), 'PERMISSION_DENIED')
      expectError(await api('POST', members, mika, { userId: 'usr_zoe', role: 'member' }), 'PERMISSION_DENIED')
      expectError(await api('PATCH', `${members}/usr_zoe`, olga, { role: 'admin' }), 'MEMBER_NOT_FOUND')
      expectError(await api('PATCH', `${members}/usr_olga`, olga, { role: 'admin' }), 'ROLE_CHANGE_FORBIDDEN')
      expectError(await api('DELETE', `${members}/usr_olga`, olga), 'ROLE_CHANGE_FORBIDDEN')
      expect((await api('POST', members, olga, { userId: 'usr_zoe', role: 'viewer' })).body).toMatchObject({ userId: 'usr_zoe', role: 'viewer', kind: 'member' })
      expect((await api('PATCH', `${members}/usr_zoe`, olga, { role: 'admin' })).body.role).toBe('admin')
      expect((await api('DELETE', `${members}/usr_zoe`, olga)).status).toBe(204)
      expectError(await api('PATCH', `${members}/usr_zoe`, olga, { role: 'member' }), 'MEMBER_NOT_FOUND')
      expectError(await api('GET', '/workspaces/ws_nope', olga), 'WORKSPACE_NOT_FOUND')
      expectError(await api('GET', `/workspaces/${WORKSPACE}/members`, ada), 'WORKSPACE_REQUIRED')
      expectError(await api('PATCH', `/workspaces/ws_nope/members/usr_mika`, olga, { role: 'admin' }), 'WORKSPACE_NOT_FOUND')
    })

    it('a workspace made by POST /workspaces comes with its creator\'s owner membership; managing members goes by the caller\'s stored role', async () => {
      const { olga, mika } = await people(client())
      const made = await api('POST', '/workspaces', mika, { name: 'Mika' })
      expect(made.body).toMatchObject({ name: 'Mika', ownerId: 'usr_mika' })
      const members = `/workspaces/${made.body.id}/members`
      expect((await api('GET', members, mika)).body.data.map((m: any) => [m.userId, m.role, m.kind])).toEqual([['usr_mika', 'owner', 'owner']])
      expectError(await api('PATCH', `${members}/usr_mika`, mika, { role: 'admin' }), 'ROLE_CHANGE_FORBIDDEN')
      expectError(await api('DELETE', `${members}/usr_mika`, mika), 'ROLE_CHANGE_FORBIDDEN')
      // Olga owns Main, not this one: she may manage it once Mika makes her an admin of it.
      expectError(await api('POST', members, olga, { userId: 'usr_zoe', role: 'member' }), 'PERMISSION_DENIED')
      expect((await api('POST', members, mika, { userId: 'usr_olga', role: 'admin' })).status).toBe(201)
      expect((await api('POST', members, olga, { userId: 'usr_zoe', role: 'member' })).status).toBe(201)
      // In Main, Mika is a member: promoted to admin, she may manage its members at once.
      const main = `/workspaces/${WORKSPACE}/members`
      expectError(await api('POST', main, mika, { userId: 'usr_zoe', role: 'viewer' }), 'PERMISSION_DENIED')
      expect((await api('PATCH', `${main}/usr_mika`, olga, { role: 'admin' })).body.role).toBe('admin')
      expect((await api('POST', main, mika, { userId: 'usr_zoe', role: 'viewer' })).status).toBe(201)
    })
  })

  describe('on demand', () => {
    // The scenarios not used above: each one's key reaches its code at once.
    const scenarios: Array<[string, string, string, string, string]> = [
      ['terms-not-accepted', 'acct_newbie', 'GET', '/agents', 'TERMS_NOT_ACCEPTED'],
      ['session-expired', 'acct_late', 'GET', `/sessions/${sess('late')}`, 'SESSION_EXPIRED'],
      ['team', 'acct_staffteam', 'GET', '/workspaces/ws_nope', 'WORKSPACE_NOT_FOUND'],
    ]
    for (const [scenario, account, method, path, code] of scenarios) {
      it(`${scenario}: ${method} ${path} is ${code}`, async () => {
        const { world } = await people(client(), scenario)
        expectError(await api(method, path, keyOf(world, account)), code)
      })
    }

    it('team: a viewer managing members is PERMISSION_DENIED; the owner\'s role cannot change (ROLE_CHANGE_FORBIDDEN)', async () => {
      const { world } = await people(client(), 'team')
      const [tess, uma] = [keyOf(world, 'acct_staffteam'), keyOf(world, 'acct_staffteam', 1)]
      expectError(await api('PATCH', '/workspaces/ws_staffmain000000/members/usr_tess', uma, { role: 'viewer' }), 'PERMISSION_DENIED')
      expectError(await api('PATCH', '/workspaces/ws_staffmain000000/members/usr_tess', tess, { role: 'admin' }), 'ROLE_CHANGE_FORBIDDEN')
      expect((await api('PATCH', '/workspaces/ws_staffmain000000/members/usr_uma', tess, { role: 'member' })).body.role).toBe('member')
      expect((await api('GET', '/admin/stats', tess)).status).toBe(200)
      expectError(await api('GET', '/admin/stats', uma), 'ADMIN_REQUIRED')
    })

    it('every one of the forty codes by X-Standin-Error, in the envelope, on an operation that declares its status', async () => {
      const { world } = await people(client(), 'team')
      const tess = world.tenants[0]!.keys[0]!
      // sendMessage declares 400, 401, 402, 403, 404, 410, 429, 499, 502, 504; addVaultSite 409 and 422.
      const onVault = new Set(['TOKEN_EXISTS', 'AGENT_ALREADY_RUNNING', 'MANIFEST_INVALID', 'WEBHOOK_PAYLOAD_INVALID'])
      for (const code of Object.keys(SEED)) {
        const [path, body] = onVault.has(code) ? ['/vault', { site: 'https://shop.example', token: 't' }] : [`/sessions/sess_${'a'.repeat(32)}/messages`, { content: 'x' }]
        const reply = await api('POST', path, tess, body, { 'x-standin-error': code })
        expectError(reply, code, true)
        if (SEED[code]![0] === 429) expect(Number(reply.headers.get('retry-after'))).toBeGreaterThan(0)
      }
    })
  })

  it('reached every one of the forty codes by state above, not only on demand', () => {
    // STREAM_ABORTED is never sent (the client is gone): the abort test reads it from the journal.
    const reached = [...(reachedByState.get(client().door) ?? [])]
    expect([...reached, 'STREAM_ABORTED'].sort()).toEqual(Object.keys(SEED).sort())
  })
})

describe('agent platform: the forty codes are the catalogue (core)', () => {
  it('standin check passes on the spec and its scenarios, with no warning', () => {
    const result = check(OPTIONS.spec, { scenarios: OPTIONS.scenarios })
    expect({ problems: result.problems, warnings: result.warnings }).toEqual({ problems: [], warnings: [] })
    expect(result.scenarios).toContain('default')
  })

  it('the spec\'s catalogue is the seed\'s forty codes, their statuses and descriptions, and standin\'s INTERNAL_ERROR', async () => {
    const { openDoor } = await import('./support/doors.ts')
    const client = await openDoor('core', OPTIONS)
    try {
      const catalogue = client.standin.api.behaviour.errors.catalogue
      const own = Object.fromEntries([...catalogue.entries()].filter(([code]) => code !== 'INTERNAL_ERROR').map(([code, entry]) => [code, entry.status]))
      expect(own).toEqual(Object.fromEntries(Object.entries(SEED).map(([code, [status]]) => [code, status])))
      expect(catalogue.get('INTERNAL_ERROR')?.status).toBe(500)
    } finally {
      await client.close()
    }
  })
})
