/**
 * Behaviour on a caller's account, on the accounts fixture API: terms accepted by an operation that
 * sets a tenant flag (a document gate every other operation has, `except` the ones that must stay
 * open); an admin-only endpoint by the token's role; `checks` on the addressed record (a webhook's
 * shared secret, a payload against the JSON Schema the user configured on the hook, naming every
 * failing pointer; an owner whose role may not change; a manifest against the spec's schema); credits
 * bought on a card (none, one that declines, one that goes through), auto top-up when a charge runs
 * short, and a subscription past due until the card is updated; the new expression functions.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createStandin } from '../src/index.ts'
import { compileExpression } from '../src/util/expression.ts'

const BASE = 'https://api.accounts.example'

// Every answer standin gave in a test kept the spec (the self-check journals any that did not).
const made: Array<{ violations(side?: 'request' | 'response'): unknown[] }> = []
afterEach(() => {
  for (const world of made.splice(0)) expect(world.violations('response')).toEqual([])
})

async function setUp(tenant: Record<string, unknown> = {}) {
  const standin = await createStandin({
    spec: 'test/fixtures/accounts.yaml',
    scenarios: [{
      name: 'default',
      clock: { start: '2026-03-01T10:00:00Z' },
      tenants: [{
        id: 'acct_a', flags: { termsAccepted: true }, balances: { credits: 0 },
        keys: [{ token: 'admin', jwt: true, user: 'ann', role: 'admin' }, { token: 'member', jwt: true, user: 'max', role: 'member' }],
        records: { member: [{ id: 'mb_owner', role: 'owner' }, { id: 'mb_max', role: 'member' }] },
        ...tenant,
      }],
    }],
  })
  const world = standin.home().world
  made.push(world)
  const call = async (who: string | undefined, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await standin.handle(new Request(BASE + path, {
      method,
      headers: { ...(who ? { authorization: `Bearer ${world.tokenFor(who)}` } : {}), 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    }))
    return { status: res.status, body: res.status === 204 ? undefined : await res.json() as any }
  }
  return { standin, world, call, tenant: () => world.tenants.get('acct_a')! }
}

describe('terms and roles', () => {
  it('refuses everything but accepting the terms until they are accepted, then lets the user in', async () => {
    const { call, tenant } = await setUp({ flags: {} })
    expect(await call('member', 'POST', '/messages')).toEqual({ status: 403, body: { error: { code: 'terms_not_accepted', message: 'Accept the terms first.' } } })
    expect((await call('member', 'GET', '/me')).status).toBe(200)
    expect((await call('member', 'POST', '/auth/accept-terms')).status).toBe(204)
    expect(tenant().flags).toEqual({ termsAccepted: true, termsAcceptedAt: '2026-03-01T10:00:00.000Z' })
    expect((await call('member', 'POST', '/messages')).body.error.code).toBe('no_credits')
  })

  it('keeps admin-only endpoints to tokens with the admin role', async () => {
    const { call } = await setUp()
    expect(await call('member', 'GET', '/admin/stats')).toEqual({ status: 403, body: { error: { code: 'admin_required', message: 'Admins only.' } } })
    expect(await call('admin', 'GET', '/admin/stats')).toEqual({ status: 200, body: { users: 1 } })
  })

  it('refuses to change the owner\'s role and changes anyone else\'s', async () => {
    const { call } = await setUp()
    expect(await call('admin', 'PATCH', '/members/mb_owner', { role: 'member' })).toEqual({ status: 403, body: { error: { code: 'role_change_forbidden', message: "The owner's role cannot change." } } })
    expect(await call('admin', 'PATCH', '/members/mb_max', { role: 'admin' })).toEqual({ status: 200, body: { id: 'mb_max', role: 'admin' } })
    expect((await call('admin', 'PATCH', '/members/mb_nobody', { role: 'admin' })).body.error.code).toBe('not_found')
  })
})

describe('checks on the addressed record', () => {
  const schema = { type: 'object', required: ['event', 'data'], properties: { event: { enum: ['push', 'tag'] }, data: { type: 'object', properties: { url: { type: 'string', format: 'uri' } } } } }

  it('compare a header with the record\'s own secret', async () => {
    const { call } = await setUp()
    const hook = (await call('admin', 'POST', '/hooks', { secret: 'whs_1' })).body
    expect(await call(undefined, 'POST', `/hooks/${hook.id}/deliveries`, { any: 1 }, { 'x-hook-secret': 'whs_2' })).toEqual({ status: 401, body: { error: { code: 'secret_invalid', message: 'The webhook secret does not match.' } } })
    expect((await call(undefined, 'POST', `/hooks/${hook.id}/deliveries`, { any: 1 })).body.error.code).toBe('secret_invalid')
    // No schema configured: any payload.
    expect(await call(undefined, 'POST', `/hooks/${hook.id}/deliveries`, { any: 1 }, { 'x-hook-secret': 'whs_1' })).toEqual({ status: 202, body: { accepted: true, hook: hook.id } })
    expect((await call(undefined, 'POST', '/hooks/hk_unknown/deliveries', {}, { 'x-hook-secret': 'whs_1' })).status).toBe(404)
  })

  it('validate a payload against the schema the user configured, naming every failing place', async () => {
    const { call } = await setUp()
    const hook = (await call('admin', 'POST', '/hooks', { secret: 's', payloadSchema: schema })).body
    const deliver = (body: unknown) => call(undefined, 'POST', `/hooks/${hook.id}/deliveries`, body, { 'x-hook-secret': 's' })
    expect((await deliver({ event: 'push', data: { url: 'https://example.com/x' } })).status).toBe(202)
    const refused = await deliver({ event: 'delete', data: { url: 'not a url' } })
    expect(refused.status).toBe(422)
    expect(refused.body.error.code).toBe('payload_invalid')
    expect(refused.body.error.details.map((d: any) => d.pointer).sort()).toEqual(['/data/url', '/event'])
    expect(refused.body.error.message).toMatch(/^The payload does not match the schema: (event must be equal to one of the allowed values|data\.url must match format "uri")\.$/)
    const missing = await deliver({})
    expect(missing.body.error.details.map((d: any) => d.pointer).sort()).toEqual(['/data', '/event'])
  })

  it('refuse a payload when the configured schema is not a schema, and keep users\' schemas apart', async () => {
    const { call } = await setUp()
    const broken = (await call('admin', 'POST', '/hooks', { secret: 's', payloadSchema: { type: 'no-such-type' } })).body
    const res = await call(undefined, 'POST', `/hooks/${broken.id}/deliveries`, {}, { 'x-hook-secret': 's' })
    expect(res.status).toBe(422)
    expect(res.body.error.message).toMatch(/not a valid JSON Schema/)
    // Two hooks whose schemas share an $id: each is checked against its own.
    const one = (await call('admin', 'POST', '/hooks', { secret: 's', payloadSchema: { $id: 'https://x/p', required: ['a'] } })).body
    const two = (await call('admin', 'POST', '/hooks', { secret: 's', payloadSchema: { $id: 'https://x/p', required: ['b'] } })).body
    expect((await call(undefined, 'POST', `/hooks/${one.id}/deliveries`, { a: 1 }, { 'x-hook-secret': 's' })).status).toBe(202)
    expect((await call(undefined, 'POST', `/hooks/${two.id}/deliveries`, { a: 1 }, { 'x-hook-secret': 's' })).status).toBe(422)
    expect((await call(undefined, 'POST', `/hooks/${two.id}/deliveries`, { b: 1 }, { 'x-hook-secret': 's' })).status).toBe(202)
  })

  it('validate a value against one of the spec\'s schemas', async () => {
    const { call } = await setUp()
    const bad = await call('admin', 'POST', '/sites', { url: 'https://shop.example', manifest: { name: 'Shop', tools: [{}] } })
    expect(bad).toEqual({ status: 422, body: { error: { code: 'manifest_invalid', message: 'The manifest is invalid: tools.name is required.' } } })
    expect((await call('admin', 'POST', '/sites', { url: 'https://shop.example', manifest: { name: 'Shop', tools: [{ name: 'search' }] } })).status).toBe(201)
  })
})

describe('validation codes', () => {
  it('give a URL without its protocol a code of its own, and name every bad field otherwise', async () => {
    const { call } = await setUp()
    expect(await call('admin', 'POST', '/sites', { url: 'shop.example', manifest: {} })).toEqual({ status: 400, body: { error: { code: 'invalid_url', message: 'URLs start with their protocol (https://): /url.' } } })
    const both = await call('admin', 'POST', '/sites', { note: 'far too long' })
    expect(both.status).toBe(400)
    expect(both.body.error.code).toBe('invalid_request')
    expect(both.body.error.details.map((d: any) => d.pointer).sort()).toEqual(['/manifest', '/note', '/url'])
    // Forced, with no fields to name: no details.
    const forced = await call('admin', 'POST', '/sites', { url: 'https://a.example', manifest: {} }, { 'x-standin-error': 'invalid_request' })
    expect(forced.body).toEqual({ error: { code: 'invalid_request', message: 'Invalid request.' } })
  })
})

describe('cards', () => {
  it('buy credits on the card: none is refused, a declining one too, a good one adds the credits', async () => {
    const { call, tenant } = await setUp()
    expect(await call('admin', 'POST', '/purchases', { credits: 500 })).toEqual({ status: 402, body: { error: { code: 'no_card', message: 'Add a card first.' } } })
    tenant().card = { number: '4000000000000002' }
    expect(await call('admin', 'POST', '/purchases', { credits: 500 })).toEqual({ status: 402, body: { error: { code: 'card_declined', message: 'The card was declined.' } } })
    tenant().card = { number: '4242 4242 4242 4242', declines: true }
    expect((await call('admin', 'POST', '/purchases', { credits: 500 })).body.error.code).toBe('card_declined')
    tenant().card = '4242424242424242'
    expect(tenant().balances.credits).toBe(0)
    expect(await call('admin', 'POST', '/purchases', { credits: 500 })).toEqual({ status: 200, body: { credits: 500 } })
    expect(tenant().balances.credits).toBe(500)
  })

  it('are only the caller\'s: an anonymous call to an open operation has no card and writes no account', async () => {
    const { call, tenant } = await setUp({ card: '4242424242424242' })
    expect(await call(undefined, 'POST', '/donations')).toEqual({ status: 402, body: { error: { code: 'no_card', message: 'Add a card first.' } } })
    expect(tenant().flags.donated).toBeUndefined()
    expect((await call('member', 'POST', '/donations')).status).toBe(204)
    expect(tenant().flags.donated).toBe(true)
  })

  it('top up automatically when a charge runs short and auto top-up is on', async () => {
    const { call, tenant } = await setUp({ balances: { credits: 1 } })
    expect((await call('admin', 'POST', '/messages')).status).toBe(200)
    expect(tenant().balances.credits).toBe(0)
    expect((await call('admin', 'POST', '/messages')).body.error.code).toBe('no_credits')
    tenant().flags.autoTopUp = true
    expect((await call('admin', 'POST', '/messages')).body.error.code).toBe('no_card')
    tenant().card = '4000000000009995'
    expect((await call('admin', 'POST', '/messages')).body.error.code).toBe('card_declined')
    expect(tenant().balances.credits).toBe(0)
    tenant().card = '4242424242424242'
    expect((await call('admin', 'POST', '/messages')).status).toBe(200)
    expect(tenant().balances.credits).toBe(99)
  })

  it('block paid features while the subscription is past due, until a card that goes through is put on file', async () => {
    const { call, tenant } = await setUp({ flags: { termsAccepted: true, pastDue: true }, card: '4242424242424242', balances: { credits: 5 } })
    expect(await call('admin', 'POST', '/messages')).toEqual({ status: 402, body: { error: { code: 'past_due', message: 'Your subscription is past due.' } } })
    expect((await call('admin', 'PUT', '/card', { number: '4000000000000002' })).body.error.code).toBe('card_declined')
    expect(tenant().flags.pastDue).toBe(true)
    expect((await call('admin', 'POST', '/messages')).body.error.code).toBe('past_due')
    expect((await call('admin', 'PUT', '/card', { number: '5555555555554444' })).status).toBe(204)
    expect(tenant()).toMatchObject({ card: { number: '5555555555554444' }, flags: { pastDue: false } })
    expect((await call('admin', 'POST', '/messages')).status).toBe(200)
  })
})

describe('coverage', () => {
  it('counts the codes checks and cards answer with among each operation\'s outcomes', async () => {
    const { standin, call, tenant } = await setUp()
    await call('admin', 'POST', '/purchases', { credits: 5 })
    const codes = (id: string) => standin.coverage().operations.find((o: any) => o.operation === id)!.items.filter((i: any) => i.code).map((i: any) => [i.code, i.count])
    expect(codes('buyCredits')).toEqual(expect.arrayContaining([['no_card', 1], ['card_declined', 0]]))
    expect(codes('deliver')).toEqual(expect.arrayContaining([['secret_invalid', 0], ['payload_invalid', 0]]))
    expect(codes('sendMessage')).toEqual(expect.arrayContaining([['no_credits', 0], ['no_card', 0], ['card_declined', 0]]))
    expect(codes('addSite')).toEqual(expect.arrayContaining([['invalid_url', 0], ['manifest_invalid', 0]]))
    void tenant
  })
})

describe('expression functions', () => {
  it.each([
    ["eq(a, '3')", { a: 3 }, true],
    ['ne(a, b)', { a: 1, b: 1 }, false],
    ['and(a, or(b, c))', { a: 1, b: 0, c: 'x' }, true],
    ['not(a)', {}, true],
    ['includes(list, x)', { list: ['m1', 'm2'], x: 'm2' }, true],
    ['includes(s, x)', { s: 'abc', x: 'bc' }, true],
    ['get(roles, user)', { roles: { ann: 'owner' }, user: 'ann' }, 'owner'],
    ['get(roles, user)', { roles: {}, user: 'constructor' }, undefined],
    ["get(find(members, 'id', me), 'role')", { members: [{ id: 'a', role: 'x' }, { id: 'b', role: 'y' }], me: 'b' }, 'y'],
    ['host(url)', { url: 'https://WWW.Example.com:8443/a?b' }, 'www.example.com'],
    ['domain(url)', { url: 'https://www.example.com/a' }, 'example.com'],
    ['host(url)', { url: 'example.com/a' }, undefined],
    ['gte(a, 2)', { a: '2' }, true],
  ])('%s of %j is %j', (source, vars, expected) => {
    expect(compileExpression(source)(vars)).toEqual(expected)
  })
})
