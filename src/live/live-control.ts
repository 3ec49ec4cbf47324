/**
 * The control API's part for a live standin, composed beside the core's (src/control/control.ts),
 * under the same guard (loopback or token, Host, Origin, JSON):
 *
 *   GET  /__standin/live          the version answering, its files' digest, the reloads so far
 *   POST /__standin/live/reload   compile the files again now (as an edit would) → the reload's report
 */
import { CONTROL_PREFIX, refusal, type ControlOptions } from '../control/control.ts'
import type { Incoming } from '../core/incoming.ts'
import type { ReloadReport } from './live-standin.ts'

export const LIVE_PATH = `${CONTROL_PREFIX}/live`

export interface LiveState {
  readonly version: number
  readonly hash: string | undefined
  readonly history: readonly ReloadReport[]
  reload(): Promise<ReloadReport>
}

const json = (status: number, body: unknown) => new Response(JSON.stringify(body, null, 2), { status, headers: { 'content-type': 'application/json' } })

export function isLivePath(path: string): boolean {
  return path === LIVE_PATH || path.startsWith(LIVE_PATH + '/')
}

export async function answerLive(live: LiveState, incoming: Incoming, options: ControlOptions): Promise<Response> {
  const refused = refusal(incoming, options)
  if (refused) return refused
  const method = incoming.method.toUpperCase()
  if (incoming.path === LIVE_PATH && method === 'GET') return json(200, { version: live.version, hash: live.hash, reloads: live.history })
  if (incoming.path === `${LIVE_PATH}/reload` && method === 'POST') {
    const report = await live.reload()
    return json(report.ok ? 200 : 422, report)
  }
  return json(404, { error: { code: 'not_found', message: `No control endpoint ${method} ${incoming.path} (GET ${LIVE_PATH}, POST ${LIVE_PATH}/reload).` } })
}
