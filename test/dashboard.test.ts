/**
 * The dashboard (`/__standin/ui`) in a real browser: standin served as `standin serve` serves it
 * (the node:http door on 127.0.0.1:0, real clock, the dashboard's files and kept requests), requests
 * sent beside the page with fetch, and what the page shows asserted — waiting on the page, bounded
 * by a generous timeout, never on a fixed sleep. Then every other bundled API and an unannotated
 * spec, in the same browser. `STANDIN_SCREENSHOTS=1` (npm run screenshots) writes each view to
 * docs/screenshots/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync, readdirSync } from 'node:fs'
import type { Page } from 'playwright-core'
import { createStandin, type Standin } from 'standin'
import { listen, type Listening } from 'standin/node'
import { dashboardOptions } from '../src/adapters/dashboard-files.ts'
import { createHandler } from '../src/core/handle.ts'
import { openBrowser, type Browser } from './support/browser.ts'

const SHOTS = process.env.STANDIN_SCREENSHOTS === '1' ? 'docs/screenshots' : undefined
/** How long the page may take to show what a request did: generous, as a loaded CI machine needs. */
const SHOWN = { timeout: 5000 }

let browser: Browser
let standin: Standin
let server: Listening
let base: string
/** One page for the whole file, as a person keeps the dashboard open: each test moves to its view. */
let shared: { page: Page; errors: string[] }

beforeAll(async () => {
  ;[browser, standin] = await Promise.all([openBrowser(), createStandin({ spec: 'spec/browser-sessions.yaml', scenarios: 'scenarios/browser-sessions', clock: 'real', ...dashboardOptions() })])
  server = await listen(standin.handle, { port: 0 })
  base = server.url
  if (SHOTS) mkdirSync(SHOTS, { recursive: true })
  shared = await browser.page()
  await shared.page.goto(`${base}/__standin/ui/`)
  await shared.page.waitForSelector('#live[data-state=live]', SHOWN)
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

const control = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${base}/__standin${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
  return { status: res.status, body: res.status === 204 ? null : await res.json() }
}
const newWorld = async (scenario = 'default') => (await control('POST', '/worlds', { scenario })).body as { id: string; tenants: Array<{ id: string; keys: string[] }> }
const call = (key: string, method: string, path: string, body?: unknown) => fetch(`${base}${path}`, {
  method, headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body),
})

/** The dashboard on one view (its tab clicked), connected to the live journal; errors so far are its own. */
async function open(view: string): Promise<{ page: Page; errors: string[] }> {
  const { page, errors } = shared
  errors.length = 0
  await page.click(`[role=tab][data-view=${view}]`)
  await page.waitForSelector(`#view-${view}:not([hidden])`, SHOWN)
  return shared
}

async function shot(page: Page, name: string) {
  if (!SHOTS) return
  await page.evaluate(() => window.scrollTo(0, 0))
  await page.screenshot({ path: `${SHOTS}/${name}.png` })
}

describe('the dashboard', () => {
  it('shows each request in the live journal as it is answered, and opens it: headers, bodies, why, violations with their pointer', async () => {
    const { page, errors } = await open('journal')
    const world = await newWorld()
    const key = world.tenants[0]!.keys[0]!
    const rows = () => page.locator('#journal-table tbody tr').count()
    const before = await rows()
    expect((await call(key, 'POST', '/v1/sessions', { ttl: 600 })).status).toBe(201)
    await page.waitForSelector(`#journal-table tbody tr[data-world="${world.id}"]`, SHOWN)
    expect(await rows()).toBe(before + 1)
    // A request that breaks the contract: its row, opened, names the field by its JSON pointer.
    expect((await call(key, 'POST', '/v1/sessions', { ttl: 'long' })).status).toBe(400)
    const bad = page.locator(`#journal-table tbody tr.has-violation[data-world="${world.id}"]`)
    await bad.waitFor(SHOWN)
    await bad.focus()
    await page.keyboard.press('Enter')
    const detail = page.locator('#entry-detail')
    await detail.getByText('invalid_field').first().waitFor(SHOWN)
    expect(await detail.locator('code.pointer').first().textContent()).toBe('body/ttl')
    expect(await detail.textContent()).toContain('validation: the request broke the spec')
    expect(await detail.textContent()).toContain('"ttl": "long"')
    expect(await detail.textContent()).toContain(`Bearer ${key}`)
    // Filtered by world and status: only the refused request is left.
    await page.selectOption('#j-world', world.id)
    await page.fill('#j-status', '4xx')
    await page.waitForFunction(() => document.querySelectorAll('#journal-table tbody tr').length === 1, null, SHOWN)
    await shot(page, 'journal')
    expect(errors).toEqual([])
  })

  it('fills in coverage as requests reach an error path', async () => {
    const { page, errors } = await open('coverage')
    const world = await newWorld()
    const item = page.locator('tr[data-operation=getSession] li[data-item="404 session_not_found"]')
    await item.waitFor(SHOWN)
    const reached = async () => (await item.getAttribute('class'))!.includes('reached')
    expect(await reached()).toBe(false)
    expect((await call(world.tenants[0]!.keys[0]!, 'GET', '/v1/sessions/sess_none')).status).toBe(404)
    await page.waitForSelector('tr[data-operation=getSession] li.reached[data-item="404 session_not_found"]', SHOWN)
    expect(await page.locator('#coverage-summary').textContent()).toMatch(/\d+ of \d+ declared outcomes reached/)
    await shot(page, 'coverage')
    expect(errors).toEqual([])
  })

  it('forces the next answer: a code added in the page is what the next request gets, once', async () => {
    const world = await newWorld()
    const key = world.tenants[0]!.keys[0]!
    const { page, errors } = await open('force')
    await page.selectOption('#f-world', world.id)
    await page.selectOption('#f-operation', 'createSession')
    await page.selectOption('#f-code', 'rate_limited')
    await page.click('#force-form button[type=submit]')
    await page.waitForSelector('#force-rules tr[data-rule]', SHOWN)
    expect(await page.locator('#force-rules tr[data-rule]').textContent()).toContain('rate_limited')
    await shot(page, 'force')
    const forced = await call(key, 'POST', '/v1/sessions', {})
    expect(forced.status).toBe(429)
    expect((await forced.json()).error.code).toBe('rate_limited')
    expect((await call(key, 'POST', '/v1/sessions', {})).status).toBe(201)
    // Used up: gone from the page's list, and the journal says who forced it.
    await page.waitForSelector('#force-rules tr[data-rule]', { state: 'detached', ...SHOWN })
    const journal = (await control('GET', `/worlds/${world.id}/journal?operation=createSession`)).body as Array<{ status: number; cause: string }>
    expect(journal.map((e) => [e.status, e.cause])).toEqual([[429, 'control'], [201, 'state']])
    expect(errors).toEqual([])
  })

  it('moves a world’s clock: a session expires, and the page shows it', async () => {
    const world = await newWorld()
    const key = world.tenants[0]!.keys[0]!
    const made = await (await call(key, 'POST', '/v1/sessions', { ttl: 600 })).json()
    const { page, errors } = await open('worlds')
    await page.click(`button.world-pick[data-world="${world.id}"]`)
    await page.waitForSelector(`.world-detail[data-world="${world.id}"] #record-counts tr[data-resource=session] .chip`, SHOWN)
    expect(await page.locator('#record-counts tr[data-resource=session]').textContent()).toContain('provisioning 1')
    await page.fill('#clock-advance', '11m')
    await page.press('#clock-advance', 'Enter')
    await page.waitForSelector('#record-counts tr[data-resource=session] >> text=expired 1', SHOWN)
    const sessions = (await control('GET', `/worlds/${world.id}/state/session`)).body as Array<{ id: string; status: string }>
    expect(sessions.map((s) => [s.id, s.status])).toEqual([[made.id, 'expired']])
    await shot(page, 'worlds')
    expect(errors).toEqual([])
  })

  it('deletes a world from the page: it is gone from the list and from the control API', async () => {
    const world = await newWorld('rate-limited')
    const { page, errors } = await open('worlds')
    await page.click(`button.world-pick[data-world="${world.id}"]`)
    await page.click(`.world-detail[data-world="${world.id}"] [data-action=delete-world]`)
    await page.waitForSelector(`button.world-pick[data-world="${world.id}"]`, { state: 'detached', ...SHOWN })
    expect((await control('GET', `/worlds/${world.id}`)).status).toBe(404)
    expect(errors).toEqual([])
  })

  it('tries an operation with a key of the world, and shows the answer with its journal entry', async () => {
    const world = await newWorld()
    const { page, errors } = await open('operations')
    await page.click('button.op-pick[data-operation=listSessions]')
    await page.selectOption('#t-world', world.id)
    await page.click('#try-send')
    await page.waitForSelector('#try-status', SHOWN)
    expect(await page.textContent('#try-status')).toBe('200')
    await page.getByRole('heading', { name: 'Its journal entry' }).waitFor(SHOWN)
    expect(await page.textContent('#try-entry')).toContain('listSessions')
    const journal = (await control('GET', `/worlds/${world.id}/journal`)).body as Array<{ operation: string }>
    expect(journal.map((e) => e.operation)).toEqual(['listSessions'])
    await shot(page, 'operations')
    expect(errors).toEqual([])
  })

  it('is readable on a narrow window, dark or light as the system prefers, and every view reachable from the keyboard', async () => {
    const { page, errors } = await open('worlds')
    await page.setViewportSize({ width: 420, height: 800 })
    await page.focus('[role=tab][data-view=worlds]')
    for (const view of ['journal', 'coverage', 'force', 'operations']) {
      await page.keyboard.press('ArrowRight')
      await page.waitForSelector(`#view-${view}:not([hidden])`, SHOWN)
    }
    // Nothing wider than the window: no sideways scrolling.
    const wide = await page.evaluate(() => [...document.querySelectorAll('main *')].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('[hidden]')).slice(0, 5).map((e) => `${e.tagName}.${e.className}#${e.id} ${Math.round(e.getBoundingClientRect().right)}`))
    expect(wide).toEqual([])
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1)).toBe(true)
    // The system's dark preference, followed.
    const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor)
    const light = await background()
    await page.emulateMedia({ colorScheme: 'dark' })
    expect(await background()).not.toBe(light)
    await shot(page, 'narrow-dark')
    await page.emulateMedia({ colorScheme: 'light' })
    await page.setViewportSize({ width: 1280, height: 800 })
    expect(errors).toEqual([])
  })
})

describe('the dashboard with a control token', () => {
  let tokened: Listening
  beforeAll(async () => {
    // The same worlds behind a second door that asks for a token, as `serve --control-token` does.
    tokened = await listen(createHandler(standin.worlds, { controlToken: 's3cret', ...dashboardOptions() }), { port: 0 })
  })
  afterAll(() => tokened?.close())

  it('takes the token from the link once, keeps it for the tab, and takes it out of the address bar', async () => {
    const { page, errors } = await browser.page()
    await page.goto(`${tokened.url}/__standin/ui/#token=s3cret`)
    await page.waitForSelector('#live[data-state=live]', SHOWN)
    expect(new URL(page.url()).hash).toBe('')
    expect(await page.locator('button.world-pick').count()).toBeGreaterThan(0)
    expect((await fetch(`${tokened.url}/__standin/worlds`)).status).toBe(401)
    expect(errors).toEqual([])
    await page.close()
  })

  it('without the token the page loads but shows why it has nothing', async () => {
    const { page } = await browser.page()
    await page.goto(`${tokened.url}/__standin/ui/`)
    await page.waitForSelector('#error:not([hidden])', SHOWN)
    expect(await page.textContent('#error')).toContain('control token')
    await page.close()
  })
})

/**
 * Every other bundled API, and a spec with no x-standin at all, side by side (a page each): the views
 * that read the spec (Worlds: records and timers; Operations: the try-it form; Coverage) load and
 * show the spec's own operations, with no error in the browser's console.
 */
const OTHER_SPECS: Array<{ spec: string; scenarios?: string }> = [
  ...readdirSync('spec').filter((f) => f.endsWith('.yaml') && f !== 'browser-sessions.yaml').map((f) => ({ spec: `spec/${f}`, scenarios: `scenarios/${f.replace(/\.yaml$/, '')}` })),
  { spec: 'test/fixtures/unannotated/api.yaml' },
]

async function visit({ spec, scenarios }: { spec: string; scenarios?: string }): Promise<{ spec: string; operations: string[]; listed: unknown[]; errors: string[] }> {
  const other = await createStandin({ spec, scenarios, clock: 'real', ...dashboardOptions() })
  const served = await listen(other.handle, { port: 0 })
  const { page, errors } = await browser.page()
  try {
    await page.goto(`${served.url}/__standin/ui/#worlds`)
    await page.waitForSelector('#live[data-state=live]', SHOWN)
    await page.waitForSelector('#record-counts', SHOWN)
    await page.click('[role=tab][data-view=operations]')
    await page.waitForSelector('#try-send', SHOWN)
    const listed = await page.locator('button.op-pick').evaluateAll((buttons) => buttons.map((b) => (b as HTMLElement).dataset.operation))
    // A try of the first operation is answered, and found in the journal.
    await page.click('#try-send')
    await page.waitForSelector('#try-status', SHOWN)
    await page.waitForSelector('#try-entry h3', SHOWN)
    await page.click('[role=tab][data-view=coverage]')
    await page.waitForSelector('#coverage-list tr[data-operation]', SHOWN)
    return { spec, operations: other.api.operations.map((o) => o.id), listed, errors }
  } finally {
    await page.close()
    await served.close()
  }
}

it(`loads for every other bundled API and an unannotated spec, with no console error (${OTHER_SPECS.length} specs)`, async () => {
  const visited = await Promise.all(OTHER_SPECS.map(visit))
  for (const v of visited) {
    // The operations listed are the spec's own, each once.
    expect(v.listed, v.spec).toEqual(v.operations)
    expect(v.errors, v.spec).toEqual([])
  }
  expect(visited.map((v) => v.spec)).toContain('test/fixtures/unannotated/api.yaml')
  expect(visited.length).toBeGreaterThanOrEqual(4)
}, 30_000)
