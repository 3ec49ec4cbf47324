/**
 * Running a plan against a target and judging every answer against the spec: the status is declared,
 * the content type, headers and body keep it (src/validate/response.ts, the same checks standin's
 * self-check uses), and a request that broke the spec on purpose got a 4xx.
 */
import type { Api } from '../api.ts'
import { factsOfResponse, responseViolations } from '../validate/response.ts'
import type { Violation } from '../journal/journal.ts'
import { PlanState, type BuiltRequest, type Case, type Fixtures } from './plan.ts'

export interface CaseResult {
  operation: string
  /** The operation as the spec writes it: `POST /v1/projects/{id}/tasks`. */
  endpoint: string
  kind: Case['kind']
  name: string
  request?: { method: string; url: string }
  /** The answer's status; absent when there was none. */
  status?: number
  /** Why no request was sent (nothing to address), or why no answer came (network). */
  skipped?: string
  error?: string
  problems: string[]
  durationMs: number
  /** The raw answer, for referees that read more than the spec checks (Prism's headers). */
  headers?: Headers
  body?: string
  /** The request as sent (credentials included: never written to a report). */
  sent?: BuiltRequest
}

export interface RunOptions {
  /** Base URL of the target: requests go to `${base}${path}`. */
  base: string
  send: (request: Request) => Promise<Response>
  /** Milliseconds to wait for each answer. */
  timeoutMs?: number
  onResult?: (result: CaseResult) => void
}

export async function runCases(api: Api, cases: Case[], fixtures: Fixtures, options: RunOptions, state = new PlanState(fixtures)): Promise<CaseResult[]> {
  const results: CaseResult[] = []
  const base = options.base.replace(/\/+$/, '')
  for (const c of cases) {
    const started = performance.now()
    const built = c.build(state)
    const result: CaseResult = { operation: c.op.id, endpoint: `${c.op.method} ${c.op.path}`, kind: c.kind, name: c.name, problems: [], durationMs: 0 }
    if ('skip' in built) {
      result.skipped = built.skip
    } else {
      result.request = { method: built.method, url: base + built.path }
      result.sent = built
      await sendAndCheck(api, c, built, result, state, options)
    }
    result.durationMs = Math.round(performance.now() - started)
    results.push(result)
    options.onResult?.(result)
  }
  return results
}

async function sendAndCheck(api: Api, c: Case, built: BuiltRequest, result: CaseResult, state: PlanState, options: RunOptions): Promise<void> {
  let response: Response
  let text: string
  let streaming = false
  try {
    const signal = AbortSignal.timeout(options.timeoutMs ?? 10_000)
    const request = new Request(result.request!.url, { method: built.method, headers: built.headers, body: built.body, redirect: 'manual', signal })
    response = await options.send(request)
    streaming = STREAMING.test(response.headers.get('content-type') ?? '')
    text = built.method === 'HEAD' ? '' : streaming ? await firstChunk(response) : await response.text()
  } catch (error) {
    result.error = describeFailure(error, options.timeoutMs ?? 10_000)
    result.problems.push(`no answer: ${result.error}`)
    return
  }
  result.status = response.status
  result.headers = response.headers
  result.body = text
  const facts = factsOfResponse(response, text, built.method === 'HEAD')
  if (streaming) facts.body = { kind: 'stream' }
  for (const v of responseViolations(c.op, facts, { requestBroke: c.broken })) result.problems.push(describe(v))
  if (c.broken && (response.status < 400 || response.status >= 500)) {
    result.problems.push(`expected a 4xx for a request that ${c.kind === 'no-credentials' ? 'carries no credentials' : c.kind === 'unknown-id' ? 'names a record nothing has' : 'breaks the spec'}, got ${response.status}`)
  }
  // A status asked for with Prefer comes after authentication (as in Prism): a 401 or 403 may answer first.
  if (c.status !== undefined && response.status !== c.status && response.status !== 401 && response.status !== 403) result.problems.push(`asked for ${c.status} (Prefer), got ${response.status}`)
  // Ids come from real creates only: an answer forced with Prefer describes a record nobody stored.
  if (facts.body.kind === 'json' && !facts.body.malformed && (c.kind === 'valid' || c.kind === 'streamed' || c.kind === 'other-credential')) {
    const resource = c.op.resource ? api.behaviour.resources.get(c.op.resource) : undefined
    state.learn(c.op, c.credential, response.status, facts.body.value, resource?.idField ?? 'id')
  }
}

/** Bodies that may never end: read what the first chunk holds, then hang up. */
const STREAMING = /^\s*text\/event-stream\b/i

async function firstChunk(response: Response): Promise<string> {
  if (!response.body) return ''
  const reader = response.body.getReader()
  const { value } = await reader.read()
  await reader.cancel().catch(() => {})
  return value ? new TextDecoder().decode(value) : ''
}

function describe(v: Violation): string {
  return `${v.location}${v.pointer ? ` ${v.pointer}` : ''}: ${v.message}`
}

function describeFailure(error: unknown, timeoutMs: number): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } }
  if (e?.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`
  const code = e?.cause?.code
  if (code === 'ECONNREFUSED') return 'connection refused'
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'the connection was dropped'
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found'
  return e?.cause?.message ?? e?.message ?? String(error)
}
