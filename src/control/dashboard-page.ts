/**
 * The dashboard's own files under `/__standin/ui/`: a page, its script modules and its style, as the
 * door hands them over (`ControlOptions.dashboard`; `standin serve` reads them from the package,
 * src/adapters/dashboard-files.ts). Served behind the control API's gate — loopback peers (or any,
 * with a control token), an allowed Host, no other origin — except that loading them needs no token:
 * they are the package's public code, and a navigation cannot carry a header. Everything the page
 * shows comes from the control API, which does need the token: the banner's link carries it in the
 * URL's fragment (`#token=…`, never sent to a server, never in a log), and the page keeps it in
 * sessionStorage — that tab's only, gone when it closes, never sent on its own as a cookie would be.
 */
export const DASHBOARD_PATH = '/__standin/ui'

/** A file of the dashboard by its path under `/__standin/ui/` (`index.html`, `app.js`), or undefined. */
export type DashboardFiles = (file: string) => { body: string; type: string } | undefined

export function isDashboardPath(path: string): boolean {
  return path === DASHBOARD_PATH || path.startsWith(DASHBOARD_PATH + '/')
}

// The page runs its own modules and style only, talks to its own origin only, and is never framed
// (a page of another site cannot put it under a click).
const SECURITY_HEADERS: Array<[string, string]> = [
  ['content-security-policy', "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"],
  ['x-content-type-options', 'nosniff'],
  ['x-frame-options', 'DENY'],
  ['referrer-policy', 'no-referrer'],
  ['cache-control', 'no-cache'],
]

export function answerDashboardPage(path: string, method: string, files: DashboardFiles | undefined): Response {
  const problem = (status: number, code: string, message: string) => new Response(JSON.stringify({ error: { code, message } }), { status, headers: { 'content-type': 'application/json' } })
  if (!files) return problem(404, 'no_dashboard', 'The dashboard is served by `standin serve`; this standin has none.')
  if (method !== 'GET' && method !== 'HEAD') return problem(405, 'method_not_allowed', 'The dashboard\'s files are read with GET.')
  const name = path.slice(DASHBOARD_PATH.length).replace(/^\/+/, '') || 'index.html'
  const file = files(name)
  if (!file) return problem(404, 'not_found', `The dashboard has no file "${name}".`)
  return new Response(method === 'HEAD' ? null : file.body, { status: 200, headers: [['content-type', file.type], ...SECURITY_HEADERS] })
}
