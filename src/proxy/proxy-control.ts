/**
 * The control API's part for `--proxy`, composed beside the core's under the same guard:
 *
 *   GET   /__standin/proxy    the provider, the settings, and each operation's mode (default scenario)
 *   PUT   /__standin/proxy    {"routes": {"<selector>": "mock" | "proxy"}}: the run-time setting, replaced
 *   PATCH /__standin/proxy    {"routes": {…}}: added to it (null takes a selector out)
 *
 * The run-time setting wins over the scenario's, the command line's and the spec's (proxy-switch.ts).
 */
import { CONTROL_BODY_LIMIT, CONTROL_PREFIX, refusal, type ControlOptions } from '../control/control.ts'
import type { Incoming } from '../core/incoming.ts'
import type { Worlds } from '../world/worlds.ts'
import type { ProxySwitch } from './proxy-switch.ts'
import { isPlainObject } from '../util/match.ts'
import { answerOf, handlerOf, refusalOf, withRefusal, type Answer, type Handler } from '../core/handle.ts'

export const PROXY_PATH = `${CONTROL_PREFIX}/proxy`

const json = (status: number, body: unknown) => new Response(JSON.stringify(body, null, 2), { status, headers: { 'content-type': 'application/json' } })
const problem = (status: number, code: string, message: string) => json(status, { error: { code, message } })

export async function answerProxyControl(proxy: ProxySwitch, worlds: Worlds, incoming: Incoming, options: ControlOptions): Promise<Response> {
  const refused = refusal(incoming, options)
  if (refused) return refused
  const method = incoming.method.toUpperCase()
  const describe = () => proxy.describe(worlds.api, worlds.scenarios.get(worlds.defaultScenario))
  if (method === 'GET') return json(200, describe())
  if (method !== 'PUT' && method !== 'PATCH') return problem(405, 'method_not_allowed', 'GET, PUT or PATCH')
  const read = await incoming.body(CONTROL_BODY_LIMIT)
  if (read === 'tooLarge' || read === 'malformed' || read === null) return problem(400, 'invalid_request', 'PUT or PATCH {"routes": {"<operationId | tag:name | path:/glob | *>": "mock" | "proxy"}}')
  let body: unknown
  try { body = JSON.parse(new TextDecoder().decode(read)) } catch { return problem(400, 'invalid_json', 'The control API takes JSON bodies.') }
  if (!isPlainObject(body) || !isPlainObject(body.routes)) return problem(400, 'invalid_request', 'PUT or PATCH {"routes": {"<operationId | tag:name | path:/glob | *>": "mock" | "proxy"}}')
  try {
    proxy.switch(body.routes, worlds.api, method === 'PATCH')
  } catch (error) {
    if (error instanceof RangeError) return problem(400, 'invalid_routes', error.message)
    throw error
  }
  return json(200, describe())
}

export function isProxyPath(path: string): boolean {
  return path === PROXY_PATH
}

/** `handle`, with /__standin/proxy answered beside the core (which never sees the path). */
export function withProxyControl(handle: Handler, proxy: ProxySwitch, worlds: Worlds, options: ControlOptions): Handler {
  const inner: Answer = answerOf(handle) ?? ((incoming) => handle(incoming.toRequest(), incoming))
  return withRefusal(handlerOf((incoming) => (isProxyPath(incoming.path) ? answerProxyControl(proxy, worlds, incoming, options) : inner(incoming))), refusalOf(handle))
}
