/**
 * A real browser for the dashboard's tests: the system's Chromium (apt-get install chromium; .ci/run
 * installs it when missing) driven by playwright-core, which downloads no browser of its own. A
 * missing Chromium fails the tests with one line saying how to install it — never a silent skip.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'

export const CHROMIUM = process.env.STANDIN_CHROMIUM ?? '/usr/bin/chromium'

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

export interface Browser {
  context: BrowserContext
  /** A new page, with every console error and uncaught exception of it collected in `errors`. */
  page(options?: { width?: number; height?: number }): Promise<{ page: Page; errors: string[] }>
  close(): Promise<void>
}

export async function openBrowser(executable = CHROMIUM): Promise<Browser> {
  if (!existsSync(executable)) throw new Error(`Chromium not found at ${executable}: install it (sudo apt-get install -y chromium) or point STANDIN_CHROMIUM at one; the dashboard tests drive it with playwright-core`)
  // A fresh profile each run (playwright passes it as --user-data-dir): nothing carried over.
  const profile = mkdtempSync(join(tmpdir(), 'standin-chromium-'))
  const context = await chromium.launchPersistentContext(profile, { executablePath: executable, headless: true, args: FLAGS, viewport: { width: 1280, height: 800 } })
  return {
    context,
    async page(options = {}) {
      const page = await context.newPage()
      if (options.width) await page.setViewportSize({ width: options.width, height: options.height ?? 800 })
      const errors: string[] = []
      page.on('console', (message) => {
        if (message.type() !== 'error') return
        // The browser logs every answer of 400 or more as a failed load: the API's own refusals (a
        // try-it answered 404) are what the page shows, not its errors; the control API's are.
        const url = message.location().url
        if (/^Failed to load resource/.test(message.text()) && url && !new URL(url).pathname.startsWith('/__standin')) return
        errors.push(`${message.text()}${url ? ` (${url})` : ''}`)
      })
      page.on('pageerror', (error) => errors.push(error.message))
      return { page, errors }
    },
    async close() {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    },
  }
}
