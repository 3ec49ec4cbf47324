/**
 * Records tied to records of other resources, on the teams fixture API: a body field naming a record
 * of another resource (`refs`: a chat's bot must be one of the caller's; absent, nothing is checked),
 * a create that also makes related records (`also`: a new team's owner membership), and a check that
 * looks up the caller's own record (`lookup`: the member's role in the addressed team decides).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createStandin } from '../src/index.ts'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { check } from '../src/check.ts'
import { compileExpression, RECORDS } from '../src/util/expression.ts'

const BASE = 'https://api.teams.example'

// Every answer standin gave in a test kept the spec (the self-check journals any that did not).
const made: Array<{ violations(side?: 'request' | 'response'): unknown[] }> = []
afterEach(() => {
  for (const world of made.splice(0)) expect(world.violations('response')).toEqual([])
})

async function setUp() {
  const standin = await createStandin({
    spec: 'test/fixtures/teams.yaml',
    scenarios: [{
      name: 'default',
      tenants: [
        {
          id: 'acct_a',
          keys: [{ token: 'ann-key', user: 'ann' }, { token: 'max-key', user: 'max' }, { token: 'vic-key', user: 'vic' }, { token: 'zed-key', user: 'zed' }],
          records: {
            bot: [{ id: 'bot_aaaaaaaa', name: 'Helper' }],
            team: [{ id: 'tm_seeded0', name: 'Seeded', ownerId: 'ann' }],
            member: [
              { id: 'mb_ann00000', teamId: 'tm_seeded0', userId: 'ann', role: 'owner', kind: 'owner' },
              { id: 'mb_vic00000', teamId: 'tm_seeded0', userId: 'vic', role: 'viewer', kind: 'member' },
            ],
          },
        },
        { id: 'acct_b', keys: [{ token: 'bob-key', user: 'bob' }], records: { bot: [{ id: 'bot_bbbbbbbb', name: 'Theirs' }] } },
      ],
    }],
  })
  made.push(standin.home().world)
  const call = async (key: string, method: string, path: string, body?: unknown) => {
    const res = await standin.handle(new Request(BASE + path, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    }))
    return { status: res.status, body: await res.json() as any }
  }
  return { standin, call }
}

describe('refs: a body field naming a record of another resource', () => {
  it('refuses a bot that is not there, or is another tenant\'s, with the ref\'s code; takes one of the caller\'s', async () => {
    const { call } = await setUp()
    expect(await call('ann-key', 'POST', '/chats', { botId: 'bot_nope' })).toEqual({ status: 404, body: { error: { code: 'bot_not_found', message: 'No bot bot_nope.' } } })
    expect((await call('ann-key', 'POST', '/chats', { botId: 'bot_bbbbbbbb' })).body.error.code).toBe('bot_not_found')
    const chat = await call('ann-key', 'POST', '/chats', { botId: 'bot_aaaaaaaa' })
    expect(chat.status).toBe(201)
    expect(chat.body.botId).toBe('bot_aaaaaaaa')
    // The other tenant's bot is theirs to use.
    expect((await call('bob-key', 'POST', '/chats', { botId: 'bot_bbbbbbbb' })).status).toBe(201)
  })

  it('checks nothing when the field is absent; a dotted field and the resource\'s own notFound when no code is given', async () => {
    const { call } = await setUp()
    expect((await call('ann-key', 'POST', '/chats', {})).status).toBe(201)
    expect((await call('ann-key', 'POST', '/chats')).status).toBe(201)
    expect(await call('ann-key', 'POST', '/chats', { settings: { fallbackBotId: 'bot_gone' } })).toEqual({ status: 404, body: { error: { code: 'not_found', message: 'Not found.' } } })
    expect((await call('ann-key', 'POST', '/chats', { settings: { fallbackBotId: 'bot_aaaaaaaa' } })).status).toBe(201)
  })

  it('applies on an update too, and a refused update changes nothing', async () => {
    const { call } = await setUp()
    const chat = (await call('ann-key', 'POST', '/chats', { botId: 'bot_aaaaaaaa' })).body
    expect((await call('ann-key', 'PATCH', `/chats/${chat.id}`, { botId: 'bot_bbbbbbbb' })).body.error.code).toBe('bot_not_found')
    // An unknown chat is the chat's 404, found before its body's refs.
    expect((await call('ann-key', 'PATCH', '/chats/ch_nope', { botId: 'bot_bbbbbbbb' })).body.error).toEqual({ code: 'not_found', message: 'Not found.' })
    const bot = (await call('ann-key', 'POST', '/bots', { name: 'Second' })).body
    expect((await call('ann-key', 'PATCH', `/chats/${chat.id}`, { botId: bot.id })).body.botId).toBe(bot.id)
  })
})

describe('also: a create that also makes related records', () => {
  it('makes the creator\'s owner membership with the team, in the team, in its state, so the owner\'s role cannot change', async () => {
    const { call } = await setUp()
    const team = await call('max-key', 'POST', '/teams', { name: 'Mine' })
    expect(team.status).toBe(201)
    const members = (await call('max-key', 'GET', `/teams/${team.body.id}/members`)).body.data
    expect(members).toEqual([{ id: expect.stringMatching(/^mb_/), teamId: team.body.id, userId: 'max', role: 'owner', kind: 'owner', joinedAt: expect.any(String) }])
    expect((await call('max-key', 'PATCH', `/teams/${team.body.id}/members/max`, { role: 'admin' })).body.error.code).toBe('role_change_forbidden')
    // The seeded team is untouched: each team its own owner.
    expect((await call('ann-key', 'GET', '/teams/tm_seeded0/members')).body.data.map((m: any) => m.userId)).toEqual(['ann', 'vic'])
  })

  it('makes nothing when the create is refused', async () => {
    const { standin, call } = await setUp()
    expect((await call('max-key', 'POST', '/teams', { name: '' })).status).toBe(400)
    expect([...standin.home().world.store.records('member')].length).toBe(2)
  })

  it('check names a missing resource, a parent where the resource does not live, an unknown state, also on a non-create, and a lookup of no resource', () => {
    expect(check('test/fixtures/teams.yaml')).toMatchObject({ ok: true, problems: [], warnings: [] })
    const text = readFileSync('test/fixtures/teams.yaml', 'utf8')
      .replace("{ resource: member, parent: record, state: owner,", '{ resource: membr, parent: record, state: owner,')
      .replace("lookup('member', 'teamId', parent.id, 'userId', key.user).role, 'owner', true, 'admin', true, false)}\", error: permission_denied }\n      responses", "lookup('membr', 'teamId', parent.id, 'userId', key.user).role, 'owner', true, 'admin', true, false)}\", error: permission_denied }\n      responses")
      .replace("refs: [{ field: botId, resource: bot, error: bot_not_found }]\n", "refs: [{ field: botId, resource: bot, error: bot_gone }]\n        also: [{ resource: member, state: boss, data: {} }]\n")
    const dir = mkdtempSync(join(tmpdir(), 'standin-teams-'))
    let problems: string[]
    try {
      writeFileSync(join(dir, 'teams.yaml'), text)
      problems = check(join(dir, 'teams.yaml')).problems.map((p) => `${p.pointer}: ${p.message}`)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
    expect(problems.some((p: string) => p.includes('/also/0/resource') && p.includes('resource "membr" is not defined') && p.includes('member'))).toBe(true)
    expect(problems.some((p: string) => p.includes('/refs/0/error') && p.includes('bot_gone'))).toBe(true)
    expect(problems.some((p: string) => p.includes('/patch/x-standin/also') && p.includes('updateChat is a update'))).toBe(true)
    expect(problems.some((p: string) => p.includes('/also/0/parent') && p.includes("member's records live in a team, not without one"))).toBe(true)
    expect(problems.some((p: string) => p.includes('/also/0/state') && p.includes('"boss" is not a state'))).toBe(true)
    expect(problems.filter((p: string) => p.includes("lookup('membr', …) names no resource"))).toEqual([expect.stringMatching(/^\/paths\/~1teams~1\{teamId\}~1members\/post\/x-standin\/checks\/0\/require: .*Did you mean "member"/)])
  })
})

describe('lookup: a check on the caller\'s own record', () => {
  it('lets owners and admins manage members, from their stored role in the addressed team', async () => {
    const { call } = await setUp()
    expect(await call('vic-key', 'POST', '/teams/tm_seeded0/members', { userId: 'zed', role: 'member' })).toEqual({ status: 403, body: { error: { code: 'permission_denied', message: 'Your role in this team does not allow it.' } } })
    // Not a member at all: no role.
    expect((await call('zed-key', 'POST', '/teams/tm_seeded0/members', { userId: 'zed', role: 'admin' })).body.error.code).toBe('permission_denied')
    expect((await call('ann-key', 'POST', '/teams/tm_seeded0/members', { userId: 'max', role: 'admin' })).status).toBe(201)
    // Max's role is now admin, stored: he may manage the team; Vic, promoted, too.
    expect((await call('max-key', 'PATCH', '/teams/tm_seeded0/members/vic', { role: 'admin' })).body.role).toBe('admin')
    expect((await call('vic-key', 'POST', '/teams/tm_seeded0/members', { userId: 'zed', role: 'viewer' })).status).toBe(201)
    // Permission first, then the owner's role: a viewer is told no permission.
    expect((await call('zed-key', 'PATCH', '/teams/tm_seeded0/members/ann', { role: 'viewer' })).body.error.code).toBe('permission_denied')
    expect((await call('max-key', 'PATCH', '/teams/tm_seeded0/members/ann', { role: 'viewer' })).body.error.code).toBe('role_change_forbidden')
  })

  it('an unknown team is its 404, not a permission refusal; a team the caller created is theirs to manage', async () => {
    const { call } = await setUp()
    expect((await call('vic-key', 'POST', '/teams/tm_nope0000/members', { userId: 'zed', role: 'member' })).body.error.code).toBe('team_not_found')
    const team = (await call('vic-key', 'POST', '/teams', { name: 'Vic\'s' })).body
    expect((await call('vic-key', 'POST', `/teams/${team.id}/members`, { userId: 'ann', role: 'viewer' })).status).toBe(201)
    // Ann owns the seeded team, not this one.
    expect((await call('ann-key', 'POST', `/teams/${team.id}/members`, { userId: 'zed', role: 'viewer' })).body.error.code).toBe('permission_denied')
  })

  it('lookup finds the tenant\'s first record whose fields equal the values, nothing without a world or for a missing value; fields of the result', () => {
    const records: Record<string, Array<{ data: Record<string, unknown> }>> = { member: [{ data: { teamId: 't1', userId: 'u1', role: 'viewer' } }, { data: { teamId: 't2', userId: 'u1', role: 'owner' } }] }
    const source = { list: (resource: string, tenant: string) => (tenant === 'a' ? records[resource] ?? [] : []) }
    const role = compileExpression("lookup('member', 'teamId', path.team, 'userId', key.user).role")
    const vars = (team: unknown, tenant = 'a') => ({ [RECORDS]: source, tenant: { id: tenant }, key: { user: 'u1' }, path: { team } })
    expect(role(vars('t2'))).toBe('owner')
    expect(role(vars('t1'))).toBe('viewer')
    expect(role(vars('t3'))).toBeUndefined()
    expect(role(vars('t2', 'b'))).toBeUndefined()
    expect(role(vars(undefined))).toBeUndefined()
    expect(role({ tenant: { id: 'a' }, key: { user: 'u1' }, path: { team: 't2' } })).toBeUndefined()
    expect(() => compileExpression("lookup('member', 'teamId')")).toThrow(/field, value pairs/)
    expect(compileExpression("get(lookup('member', 'userId', 'u1'), 'teamId')")(vars('t1'))).toBe('t1')
  })
})
