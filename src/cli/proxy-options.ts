/**
 * `standin serve --proxy <base-url>`'s options, as the library takes them: the command line's
 * setting (`--mock`, `--forward` selectors) and the provider's credentials, read from the
 * environment (`--proxy-header Authorization=PROVIDER_AUTH` sets that header to $PROVIDER_AUTH) —
 * never from a scenario file or the command line itself, where a shell history or a repository
 * would keep them.
 */
import type { ProxyOptions } from '../proxy/proxy-switch.ts'
import type { ProxyMode } from '../proxy/selectors.ts'

/** The proxy options, or what is wrong with the command line (bad usage). */
export function proxyOptions(values: Record<string, any>, env: Record<string, string | undefined> = process.env): { proxy?: ProxyOptions; problem?: string } {
  const mocks: string[] = values.mock ?? []
  const forwards: string[] = values.forward ?? []
  const headers: string[] = values['proxy-header'] ?? []
  if (values.proxy === undefined) {
    if (mocks.length + forwards.length + headers.length > 0) return { problem: '--mock, --forward and --proxy-header go with --proxy <base-url>' }
    return {}
  }
  try {
    const url = new URL(values.proxy)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error()
  } catch {
    return { problem: `--proxy takes the provider's base URL (http or https), got ${values.proxy}` }
  }
  const provider: Record<string, string> = {}
  for (const item of headers) {
    const m = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)=([A-Za-z_][A-Za-z0-9_]*)$/.exec(item)
    if (!m) return { problem: `--proxy-header takes <Header>=<ENV_VAR> (the variable holds the value), got ${item}` }
    const value = env[m[2]!]
    if (value === undefined || value === '') return { problem: `--proxy-header ${item}: the environment variable ${m[2]} is not set` }
    provider[m[1]!.toLowerCase()] = value
  }
  // Forwards after mocks: among selectors equally specific, the one written last wins.
  const routes: Array<[string, ProxyMode]> = [...mocks.map((s): [string, ProxyMode] => [s, 'mock']), ...forwards.map((s): [string, ProxyMode] => [s, 'proxy'])]
  return { proxy: { target: values.proxy, routes, headers: provider } }
}
