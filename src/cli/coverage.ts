/**
 * `standin coverage`: which declared statuses and error codes a client's traffic reached — read from
 * a running standin's control API (the whole run, every world) or computed from a saved journal.
 */
import { readFileSync } from 'node:fs'
import { compileApi, ConfigError, formatProblem } from '../index.ts'
import { computeCoverage, outcomesOf, type Coverage } from '../contract/coverage.ts'
import { formatCoverage, type CoverageFormat } from '../contract/coverage-report.ts'
import { fetchFailure, parsePercent, writeReport } from './reports.ts'

export interface CoverageArgs {
  url?: string
  world?: string
  journal?: string
  overlay?: string[]
  min?: string
  format?: string
  json?: string
  junit?: string
  'control-token'?: string
}

export async function runCoverage(spec: string | undefined, args: CoverageArgs): Promise<number> {
  const format = (args.format ?? 'table') as CoverageFormat
  if (!['table', 'json', 'junit'].includes(format)) return usage(`--format is table, json or junit, got "${args.format}"`)
  const min = args.min === undefined ? undefined : parsePercent(args.min)
  if (args.min !== undefined && min === undefined) return usage(`--min is a percentage from 0 to 100 (90 or 90%), got "${args.min}"`)
  if (args.journal !== undefined && args.url !== undefined) return usage('give --url (a running standin) or --journal (a saved journal), not both')

  let coverage: Coverage | undefined
  if (args.journal !== undefined) {
    if (!spec) return usage('with --journal, name the spec the journal was recorded against: standin coverage <spec> --journal <file>')
    coverage = fromJournal(spec, args.journal, args.overlay)
  } else {
    if (spec) return usage(`a spec is only read with --journal; a running standin knows its own (got ${spec})`)
    coverage = await fromServer(args.url ?? 'http://127.0.0.1:4010', args.world, args['control-token'])
  }
  if (!coverage) return 2

  process.stdout.write(formatCoverage(coverage, format, min))
  if (args.json && !writeReport(args.json, formatCoverage(coverage, 'json', min), 'coverage')) return 2
  if (args.junit && !writeReport(args.junit, formatCoverage(coverage, 'junit', min), 'coverage')) return 2
  if (min !== undefined && coverage.percent < min) {
    console.error(`standin coverage: ${coverage.percent}% is below --min ${min}%`)
    return 1
  }
  return 0
}

function usage(message: string): number {
  console.error(`standin coverage: ${message}`)
  return 2
}

async function fromServer(url: string, world: string | undefined, token: string | undefined): Promise<Coverage | undefined> {
  let endpoint: URL
  try {
    endpoint = new URL('/__standin/coverage', url)
    if (!/^https?:$/.test(endpoint.protocol)) throw new Error('not http')
  } catch {
    console.error(`standin coverage: --url must be an http(s) URL of a running standin, got "${url}"`)
    return undefined
  }
  if (world) endpoint.searchParams.set('world', world)
  let res: Response
  try {
    res = await fetch(endpoint, { headers: token ? { 'x-standin-token': token } : {}, signal: AbortSignal.timeout(10_000) })
  } catch (error) {
    console.error(`standin coverage: cannot reach standin at ${endpoint.origin}: ${fetchFailure(error)}. Is \`standin serve\` running there?`)
    return undefined
  }
  const text = await res.text()
  if (res.status !== 200) {
    console.error(`standin coverage: ${endpoint} answered ${res.status}: ${text.slice(0, 300)}`)
    return undefined
  }
  try {
    const coverage = JSON.parse(text) as Coverage
    if (!Array.isArray(coverage.operations) || typeof coverage.percent !== 'number') throw new Error('not coverage')
    return coverage
  } catch {
    console.error(`standin coverage: ${endpoint} did not answer with standin coverage — is it a standin server?`)
    return undefined
  }
}

function fromJournal(spec: string, file: string, overlays: string[] | undefined): Coverage | undefined {
  let entries: unknown
  try {
    entries = JSON.parse(readFileSync(file, 'utf8'))
  } catch (error) {
    console.error(`standin coverage: cannot read the journal ${file}: ${(error as Error).message}`)
    return undefined
  }
  const list = Array.isArray(entries) ? entries : (entries as { entries?: unknown })?.entries
  if (!Array.isArray(list) || !list.every((e) => typeof e?.method === 'string' && typeof e?.status === 'number')) {
    console.error(`standin coverage: ${file} is not a standin journal (a JSON array of entries, as GET /__standin/journal returns)`)
    return undefined
  }
  try {
    return computeCoverage(compileApi(spec, { overlays }), outcomesOf(list))
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`standin coverage: cannot read ${spec}:`)
      for (const p of error.problems) console.error(`- ${formatProblem(p)}`)
      return undefined
    }
    throw error
  }
}
