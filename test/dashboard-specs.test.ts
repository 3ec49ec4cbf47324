/**
 * The dashboard on every bundled API and on a spec with no x-standin at all: the views that read the
 * spec (Worlds: records and timers; Operations: the try-it form; Coverage) load and show the spec's
 * own operations, with no error in the browser's console. The specs are served side by side, each
 * in a page of its own.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { readdirSync } from 'node:fs'
import { createStandin } from 'standin'
import { listen } from 'standin/node'
import { dashboardOptions } from '../src/adapters/dashboard-files.ts'
import { openBrowser, type Browser } from './support/browser.ts'

const SPECS: Array<{ spec: string; scenarios?: string }> = [
  ...readdirSync('spec').filter((f) => f.endsWith('.yaml')).map((f) => ({ spec: `spec/${f}`, scenarios: `scenarios/${f.replace(/\.yaml$/, '')}` })),
  { spec: 'test/fixtures/unannotated/api.yaml' },
]
const SHOWN = { timeout: 8000 }

let browser: Browser
beforeAll(async () => { browser = await openBrowser() })
afterAll(async () => { await browser?.close() })

async function visit({ spec, scenarios }: { spec: string; scenarios?: string }): Promise<{ spec: string; operations: string[]; listed: unknown[]; errors: string[] }> {
  const standin = await createStandin({ spec, scenarios, clock: 'real', ...dashboardOptions() })
  const server = await listen(standin.handle, { port: 0 })
  const { page, errors } = await browser.page()
  try {
    await page.goto(`${server.url}/__standin/ui/#worlds`)
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
    return { spec, operations: standin.api.operations.map((o) => o.id), listed, errors }
  } finally {
    await page.close()
    await server.close()
  }
}

it('loads the dashboard\'s views for every bundled API and an unannotated spec, with no console error', async () => {
  const visited = await Promise.all(SPECS.map(visit))
  for (const v of visited) {
    // The operations listed are the spec's own, each once.
    expect(v.listed, v.spec).toEqual(v.operations)
    expect(v.errors, v.spec).toEqual([])
  }
  expect(visited.length).toBeGreaterThanOrEqual(4)
})
