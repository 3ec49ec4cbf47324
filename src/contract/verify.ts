/**
 * Provider verification: requests built from the spec (src/contract/plan.ts) sent to a running server,
 * every answer judged against the spec (src/contract/run.ts). Credentials come from `--auth` headers or
 * from a scenario's keys; a scenario's records give ids of what the server already holds.
 */
import type { Api } from '../api.ts'
import type { Scenario } from '../scenario/model.ts'
import type { SecurityScheme } from '../spec/model.ts'
import { planCases, type Credential, type Fixtures } from './plan.ts'
import { runCases, type CaseResult } from './run.ts'
import { junitXml, type JUnitCase } from './junit.ts'

export interface VerifyOptions {
  target: string
  /** Extra headers carrying credentials, `Authorization: Bearer sk_test_…`. The main credential when given. */
  auth?: Record<string, string>
  /** A scenario describing what the target holds: its keys (when no `auth`) and its records. */
  scenario?: Scenario
  timeoutMs?: number
  send?: (request: Request) => Promise<Response>
  onResult?: (result: CaseResult) => void
  /** Also ask for every declared status with `Prefer: code=NNN` (standin and Prism read it). */
  preferEveryStatus?: boolean
  malformed?: boolean
  /** The token a scenario's signed-token key (a name) stands for on the target (`world.tokenFor`). */
  tokenFor?: (name: string) => string | undefined
}

export interface VerifyReport {
  spec: string
  title?: string
  target: string
  scenario?: string
  /** `pass`: every answer kept the spec; `fail`: some did not; `nothing`: no request got an answer. */
  outcome: 'pass' | 'fail' | 'nothing'
  summary: { cases: number; passed: number; failed: number; skipped: number }
  results: Array<Omit<CaseResult, 'headers' | 'body' | 'sent'>>
}

export async function verify(api: Api, options: VerifyOptions): Promise<VerifyReport> {
  const fixtures = fixturesFor(api, options)
  const cases = planCases(api, fixtures, { preferEveryStatus: options.preferEveryStatus, malformed: options.malformed })
  const results = await runCases(api, cases, fixtures, {
    base: options.target,
    send: options.send ?? ((request) => fetch(request)),
    timeoutMs: options.timeoutMs,
    onResult: options.onResult,
  })
  const answered = results.filter((r) => r.status !== undefined).length
  const failed = results.filter((r) => r.problems.length > 0).length
  const skipped = results.filter((r) => r.skipped !== undefined).length
  return {
    spec: api.spec.file, title: api.spec.document.info?.title, target: options.target, scenario: options.scenario?.name,
    outcome: answered === 0 ? 'nothing' : failed > 0 ? 'fail' : 'pass',
    summary: { cases: results.length, passed: results.length - failed - skipped, failed, skipped },
    results: results.map(({ headers: _h, body: _b, sent: _s, ...rest }) => rest),
  }
}

/**
 * Credentials and known records from `auth` and the scenario. A scenario's signed-token keys
 * (`token: alice-laptop, jwt: true`) are names: `tokenFor` gives the token a world minted for each
 * (`world.tokenFor`), when the target is a standin whose world is at hand.
 */
export function fixturesFor(api: Api, options: Pick<VerifyOptions, 'auth' | 'scenario'> & { tokenFor?: (name: string) => string | undefined }): Fixtures {
  const credentials: Credential[] = []
  if (options.auth && Object.keys(options.auth).length > 0) credentials.push({ label: '--auth', headers: options.auth, query: {} })
  const scheme = mainScheme(api)
  const scenario = options.scenario
  if (scenario && credentials.length === 0 && scheme) {
    for (const tenant of scenario.tenants) {
      for (const key of tenant.keys) credentials.push({ label: `key ${key.token} (${tenant.id}${key.scopes ? `, scopes ${key.scopes.join(' ')}` : ''})`, ...carry(scheme, options.tokenFor?.(key.token) ?? key.token) })
    }
  }
  const records = new Map<string, string[]>()
  if (scenario) {
    for (const tenant of scenario.tenants) {
      for (const [resource, list] of Object.entries(tenant.records)) {
        const model = api.behaviour.resources.get(resource)
        const collection = collectionOfResource(api, resource)
        if (!model || !collection) continue
        const ids = records.get(collection) ?? []
        for (const data of list) if (typeof data[model.idField] === 'string') ids.push(data[model.idField] as string)
        records.set(collection, ids)
      }
    }
  }
  return { credentials, records }
}

/** The security scheme most operations ask for. */
function mainScheme(api: Api): SecurityScheme | undefined {
  const counts = new Map<string, number>()
  for (const op of api.operations) for (const name of op.security[0]?.keys() ?? []) counts.set(name, (counts.get(name) ?? 0) + 1)
  const name = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? api.behaviour.schemes.keys().next().value
  return name === undefined ? undefined : api.behaviour.schemes.get(name)
}

function carry(scheme: SecurityScheme, token: string): { headers: Record<string, string>; query: Record<string, string> } {
  if (scheme.kind === 'bearer') return { headers: { authorization: `Bearer ${token}` }, query: {} }
  if (scheme.kind === 'basic') return { headers: { authorization: `Basic ${btoa(`${token}:`)}` }, query: {} }
  if (scheme.in === 'query') return { headers: {}, query: { [scheme.parameter!]: token } }
  if (scheme.in === 'cookie') return { headers: { cookie: `${scheme.parameter}=${encodeURIComponent(token)}` }, query: {} }
  return { headers: { [scheme.parameter!.toLowerCase()]: token }, query: {} }
}

function collectionOfResource(api: Api, resource: string): string | undefined {
  const op = api.operations.find((o) => o.resource === resource && !/\}$/.test(o.path) && (o.action === 'create' || o.action === 'list'))
  return op?.path
}

/** The report as JUnit XML: one suite per operation, one case per request. */
export function verifyJUnit(report: VerifyReport): string {
  const suites = new Map<string, JUnitCase[]>()
  for (const r of report.results) {
    const list = suites.get(r.operation) ?? []
    const status = r.status !== undefined ? ` → ${r.status}` : ''
    list.push({
      // Stable names (the spec's path, not this run's ids): CI tracks a test case across runs by name.
      name: `${r.name} (${r.endpoint})`,
      classname: `standin.verify.${r.operation}`,
      timeMs: r.durationMs,
      ...(r.problems.length > 0 ? { failure: { message: `${r.problems[0]}${status}`, details: r.problems.join('\n') } } : {}),
      ...(r.skipped !== undefined ? { skipped: r.skipped } : {}),
    })
    suites.set(r.operation, list)
  }
  return junitXml(`standin verify ${report.title ?? report.spec} against ${report.target}`, [...suites].map(([name, cases]) => ({ name, cases })))
}
