/**
 * `standin serve --watch`: the spec, its overlays and the scenario files watched; each change
 * reloaded (src/live/live-standin.ts) and what came of it printed — the new version and what the
 * worlds carried over left behind, or the problems (file, pointer, line) while the old version goes
 * on answering.
 */
import type { LiveStandin, ReloadReport } from '../live/live-standin.ts'
import { watchFiles, type WatchedFiles } from '../adapters/watch-files.ts'
import type { ConfigProblem } from '../errors.ts'

export interface Watching {
  files: WatchedFiles
  close(): void
}

/** What a reload came to, as lines for the terminal. */
export function describeReload(report: ReloadReport, formatProblem: (p: ConfigProblem) => string): string[] {
  if (!report.ok) {
    return [`standin: the change does not compile; version ${report.version} goes on answering. ${report.problems.length} problem(s):`, ...report.problems.map((p) => `- ${formatProblem(p)}`)]
  }
  const c = report.carried!
  const lines = [`standin: reloaded — version ${report.version}${report.hash ? ` (${report.hash})` : ''} answers; ${c.worlds} world(s) and ${c.records} record(s) carried over in ${Math.round(report.ms)} ms`]
  if (report.unfinished > 0) lines.push(`  ${report.unfinished} request(s) were still under way and finished on the old version`)
  for (const d of c.droppedWorlds) lines.push(`  world ${d.world} left behind: ${d.reason}`)
  for (const d of c.droppedRecords) lines.push(`  world ${d.world}: ${d.count} ${d.resource} record(s) left behind — the spec no longer has that resource`)
  if (c.restartedRules.length > 0) lines.push(`  ${c.restartedRules.length} rule count(s) start afresh: those rules changed (${[...new Set(c.restartedRules.map((r) => `rule ${r.rule + 1}`))].join(', ')})`)
  for (const m of c.misfits) lines.push(`  world ${m.world}: ${m.resource} ${m.id} no longer fits its schema at ${m.pointer || '/'}: ${m.message} (kept)`)
  if (c.moreMisfits > 0) lines.push(`  … and ${c.moreMisfits} more record(s) that no longer fit`)
  return lines
}

export function watchAndReload(live: LiveStandin, paths: string[], options: { formatProblem: (p: ConfigProblem) => string; afterSwap?: () => void }): Watching {
  const files = watchFiles(paths, (changed) => {
    console.log(`standin: ${changed.map((f) => f.split('/').pop()).join(', ')} changed; reloading`)
    live.reload().then((report) => {
      if (report.ok) options.afterSwap?.()
      for (const line of describeReload(report, options.formatProblem)) (report.ok ? console.log : console.error)(line)
    }, (error) => console.error('standin: reload failed (a bug — please report it):', error))
  })
  return { files, close: () => files.close() }
}
