/**
 * `standin verify <spec> --target <url>`: does a running server keep the spec? Exit 0 when every
 * answer holds, 1 when any breaks the contract, 2 when verify could not run or tested nothing.
 */
import { compileApi, ConfigError, formatProblem, type Api } from '../index.ts'
import { loadScenarios } from '../scenario/load.ts'
import type { Scenario } from '../scenario/model.ts'
import { verify, verifyJUnit, type VerifyReport } from '../contract/verify.ts'
import type { CaseResult } from '../contract/run.ts'
import { parseDuration } from '../util/duration.ts'
import { fetchFailure, writeReport } from './reports.ts'

export interface VerifyArgs {
  target?: string
  scenarios?: string
  scenario?: string
  auth?: string[]
  overlay?: string[]
  json?: string
  junit?: string
  timeout?: string
  quiet?: boolean
}

/**
 * The tokens a standin target's world of the scenario minted for its signed-token keys, by name
 * (`GET /__standin/worlds/<scenario>`: each tenant's `tokens`); undefined when the scenario has none.
 */
async function signedTokens(target: URL, scenario: Scenario, timeoutMs: number): Promise<((name: string) => string | undefined) | undefined> {
  if (!scenario.tenants.some((t) => t.keys.some((k) => k.jwt === true))) return undefined
  const tokens = new Map<string, string>()
  try {
    const res = await fetch(new URL(`/__standin/worlds/${encodeURIComponent(scenario.name)}`, target.origin), { signal: AbortSignal.timeout(timeoutMs) })
    const world = res.ok ? await res.json() as { tenants?: Array<{ tokens?: Record<string, string> }> } : undefined
    for (const tenant of world?.tenants ?? []) for (const [name, token] of Object.entries(tenant.tokens ?? {})) tokens.set(name, token)
  } catch { /* not a standin, or not reachable at its control path */ }
  if (tokens.size === 0) console.log(`  note: scenario "${scenario.name}" has signed-token keys (jwt: true), and ${target.origin} did not say which tokens they are (GET /__standin/worlds/${scenario.name}): their names are sent as they are`)
  return (name) => tokens.get(name)
}

export async function runVerify(spec: string, args: VerifyArgs): Promise<number> {
  const fail = (message: string) => { console.error(`standin verify: ${message}`); return 2 }
  if (!args.target) return fail('name the server to verify: --target <url>')
  let target: URL
  try {
    target = new URL(args.target)
    if (!/^https?:$/.test(target.protocol)) throw new Error('not http')
  } catch {
    return fail(`--target must be an http(s) URL, got "${args.target}"`)
  }
  const auth: Record<string, string> = {}
  for (const h of args.auth ?? []) {
    const m = /^\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*:\s*(.*)$/.exec(h)
    if (!m || m[2] === '') return fail(`--auth is a header, "Name: value" (e.g. "Authorization: Bearer sk_test_…"), got "${h}"`)
    auth[m[1]!.toLowerCase()] = m[2]!.trim()
  }
  const timeoutMs = args.timeout === undefined ? 10_000 : parseDuration(args.timeout)
  if (timeoutMs === undefined || timeoutMs <= 0) return fail(`--timeout is a duration (10s, 500ms), got "${args.timeout}"`)

  let api: Api
  let scenario: Scenario | undefined
  try {
    api = compileApi(spec, { overlays: args.overlay })
    if (args.scenarios) {
      const all = loadScenarios(args.scenarios, api)
      const name = args.scenario ?? (all.some((s) => s.name === api.behaviour.defaultScenario) ? api.behaviour.defaultScenario : all[0]?.name)
      scenario = all.find((s) => s.name === name)
      if (!scenario) return fail(`no scenario "${name}" in ${args.scenarios} (there: ${all.map((s) => s.name).join(', ') || 'none'})`)
    } else if (args.scenario) return fail('--scenario picks one of --scenarios <dir>')
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    console.error(`standin verify: cannot read ${spec}${args.scenarios ? ` with ${args.scenarios}` : ''}:`)
    for (const p of error.problems) console.error(`- ${formatProblem(p)}`)
    return 2
  }
  if (api.operations.length === 0) return fail(`${spec} has no operations: nothing to verify`)

  // Is anything there? Any HTTP answer will do; a refused connection is not worth a whole plan.
  try {
    await fetch(target, { method: 'GET', redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) }).then((r) => r.body?.cancel())
  } catch (error) {
    return fail(`cannot reach ${target.origin}: ${fetchFailure(error)}`)
  }

  const title = api.spec.document.info?.title ?? spec
  const quiet = args.quiet === true
  console.log(`standin verify: ${title} (${spec}) against ${target.href.replace(/\/$/, '')}${scenario ? `, scenario "${scenario.name}"` : ''}${Object.keys(auth).length ? ', with --auth' : ''}`)
  if (!scenario && Object.keys(auth).length === 0 && api.operations.some((o) => o.security.length > 0 && !o.security.some((r) => r.size === 0))) {
    console.log('  note: no credentials (--auth or --scenarios): secured operations will only be asked without them')
  }
  // A scenario's signed-token keys are names: a standin target's control API says which token its
  // world minted for each (another server cannot; the names are sent as they are).
  const tokenFor = scenario && Object.keys(auth).length === 0 ? await signedTokens(target, scenario, timeoutMs) : undefined
  const report = await verify(api, { target: target.href.replace(/\/$/, ''), auth, scenario, timeoutMs, tokenFor, onResult: (r) => { if (!quiet || r.problems.length > 0) console.log(progressLine(r)) } })
  if (args.json && !writeReport(args.json, JSON.stringify(report, null, 2) + '\n', 'verify')) return 2
  if (args.junit && !writeReport(args.junit, verifyJUnit(report), 'verify')) return 2
  return summarize(report)
}

function progressLine(r: CaseResult): string {
  const where = r.request ? `${r.request.method} ${new URL(r.request.url).pathname}${new URL(r.request.url).search}` : ''
  if (r.skipped !== undefined) return `  - ${r.operation}: ${r.name} — skipped: ${r.skipped}`
  const head = `  ${r.problems.length > 0 ? '✗' : '✓'} ${r.operation}: ${r.name} — ${where} → ${r.status ?? 'no answer'} (${r.durationMs} ms)`
  return [head, ...r.problems.map((p) => `      ${p}`)].join('\n')
}

function summarize(report: VerifyReport): number {
  const { cases, passed, failed, skipped } = report.summary
  console.log(`\n${cases} request(s): ${passed} kept the contract, ${failed} broke it, ${skipped} skipped`)
  if (report.outcome === 'nothing') {
    console.error('standin verify: no request got an answer — nothing was tested')
    return 2
  }
  if (report.outcome === 'fail') {
    console.error(`standin verify: ${report.target} breaks the contract of ${report.title ?? report.spec}`)
    return 1
  }
  console.log(`standin verify: ${report.target} keeps the contract of ${report.title ?? report.spec}`)
  return 0
}
