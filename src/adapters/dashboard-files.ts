/**
 * The dashboard's files as `standin serve` hands them to the control API: read once from the
 * package's `dashboard/` folder (src/dashboard in the repo, dist/dashboard as shipped — the build
 * copies every file of src/ that is not TypeScript) and looked up by name, so no request can name a
 * file outside it.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { extname, join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { DashboardFiles } from '../control/dashboard-page.ts'
import { Exchanges } from '../journal/exchanges.ts'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
}

export function dashboardFiles(folder = fileURLToPath(new URL('../dashboard/', import.meta.url))): DashboardFiles {
  const files = new Map<string, { body: string; type: string }>()
  for (const entry of readdirSync(folder, { recursive: true, withFileTypes: true })) {
    const type = TYPES[extname(entry.name)]
    if (!entry.isFile() || !type) continue
    const path = join(entry.parentPath, entry.name)
    files.set(relative(folder, path).split(sep).join('/'), { body: readFileSync(path, 'utf8'), type })
  }
  return (name) => files.get(name)
}

/** What `standin serve` adds to its options for the dashboard: its files, and the last 500 requests kept for it to show. */
export function dashboardOptions(): { dashboard: DashboardFiles; exchanges: Exchanges } {
  return { dashboard: dashboardFiles(), exchanges: new Exchanges(500) }
}
