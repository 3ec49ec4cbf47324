/**
 * The live journal: every request as it is answered (server-sent events), newest first, filtered by
 * world, operation, status, code and cause. A row opens the request and the answer — headers and
 * bodies — why the outcome came about, and any violation with its JSON pointer.
 */
import { api } from '../api.js'
import { definitions, fill, h, options, pretty, statusClass } from '../dom.js'
import { showError } from '../app.js'

/** Rows drawn at most: the newest of the entries that pass the filters. */
const MAX_ROWS = 300

const CAUSES = {
  state: 'the world\'s state: records, lifecycle, limits, balances and validation as they stood',
  rule: 'a rule of the scenario',
  trigger: 'a trigger the request carried (X-Standin-Error or Prefer: code=)',
  control: 'a rule added through the control API (Force)',
  proxy: 'the provider answered (standin serve --proxy)',
}

export function mountJournal(section, store) {
  const world = h('select', { id: 'j-world', name: 'world' })
  const operation = h('select', { id: 'j-operation', name: 'operation' })
  const status = h('input', { id: 'j-status', name: 'status', inputmode: 'numeric', placeholder: '4xx, 429', size: 6 })
  const code = h('input', { id: 'j-code', name: 'code', placeholder: 'rate_limited', size: 14, list: 'j-codes' })
  const codes = h('datalist', { id: 'j-codes' })
  const cause = h('select', { id: 'j-cause', name: 'cause' })
  const body = h('tbody', {})
  const count = h('p', { class: 'muted', role: 'status' })
  const detail = h('div', { class: 'entry-detail', id: 'entry-detail', tabindex: '-1' })
  const filters = h('form', { class: 'filters', onsubmit: (e) => e.preventDefault(), oninput: draw, onchange: draw },
    field('World', world), field('Operation', operation), field('Status', status), field('Code', code), field('Cause', cause), codes)
  fill(section,
    h('h2', { id: 'h-journal' }, 'Journal'),
    filters,
    count,
    h('div', { class: 'split journal' },
      h('div', { class: 'table-wrap' }, h('table', { class: 'grid rows', id: 'journal-table' },
        h('thead', {}, h('tr', {}, ['#', 'time', 'world', 'request', 'operation', 'status', 'code', 'cause', '⚠'].map((t) => h('th', { scope: 'col' }, t)))),
        body)),
      detail))
  options(operation, [['', 'any'], ...store.catalogue.operations.map((o) => [o.id, o.id])], '')
  options(cause, [['', 'any'], ...Object.keys(CAUSES)], '')
  fill(codes, store.catalogue.codes.map((c) => h('option', { value: c.code }, `${c.status}`)))
  let selected

  function worldsChanged() {
    options(world, [['', 'any'], ...store.worlds.map((w) => [w.id, `${w.id} (${w.scenario})`])])
  }

  function passes(e) {
    if (world.value && e.world !== world.value) return false
    if (operation.value && e.operation !== operation.value) return false
    if (cause.value && e.cause !== cause.value) return false
    if (code.value.trim() && e.code !== code.value.trim()) return false
    const s = status.value.trim().toLowerCase()
    if (s) {
      const pattern = /^[1-5]xx$/.test(s) ? new RegExp(`^${s[0]}\\d\\d$`) : new RegExp(`^${s.replace(/[^\d]/g, '')}$`)
      if (!pattern.test(String(e.status))) return false
    }
    return true
  }

  function row(e) {
    const key = `${e.world}/${e.requestId}`
    return h('tr', {
      tabindex: '0', 'data-request': e.requestId, 'data-world': e.world, 'aria-selected': String(key === selected),
      class: e.violations?.length ? 'has-violation' : undefined,
      onclick: () => open(e), onkeydown: (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); open(e) } },
    },
    h('td', { class: 'num' }, String(e.seq)),
    h('td', {}, new Date(e.at).toISOString().slice(11, 19)),
    h('td', {}, e.world),
    h('td', { class: 'path' }, `${e.method} ${e.path}`),
    h('td', {}, e.operation ?? '—'),
    h('td', {}, h('span', { class: `status ${statusClass(e.status)}` }, e.status === 0 ? 'dropped' : String(e.status))),
    h('td', {}, e.code ?? ''),
    h('td', {}, e.cause + (e.rule !== undefined ? ` #${e.rule}` : '')),
    h('td', { class: 'num' }, e.violations?.length ? String(e.violations.length) : ''))
  }

  function draw() {
    if (section.hidden) return
    const shown = []
    for (let i = store.entries.length - 1; i >= 0 && shown.length < MAX_ROWS; i--) if (passes(store.entries[i])) shown.push(store.entries[i])
    fill(body, shown.map(row))
    count.textContent = `${shown.length}${shown.length === MAX_ROWS ? '+' : ''} of ${store.entries.length} requests`
  }

  async function open(e) {
    selected = `${e.world}/${e.requestId}`
    for (const tr of body.children) tr.setAttribute('aria-selected', String(tr.dataset.request === e.requestId && tr.dataset.world === e.world))
    let found
    try {
      found = await api('GET', `/worlds/${encodeURIComponent(e.world)}/journal/${encodeURIComponent(e.requestId)}`)
    } catch (error) {
      // The world may be gone: what the feed gave is still worth showing.
      found = { entry: e, exchange: null }
      if (error.status !== 404) showError(error)
    }
    fill(detail, entryDetail(found.entry, e.world, found.exchange, store.catalogue))
    detail.focus()
  }

  store.on((kind, data) => {
    if (kind === 'worlds') worldsChanged()
    if (kind === 'entry' && !section.hidden) {
      if (body.children.length < MAX_ROWS && passes(data)) body.prepend(row(data))
      else draw()
      count.textContent = `${body.children.length} of ${store.entries.length} requests`
    }
    if (kind === 'reset') draw()
  })
  worldsChanged()
  return { show: draw }
}

function field(label, input) {
  return h('label', { class: 'field' }, h('span', {}, label), input)
}

/** Everything about one request: why it came out as it did, what was sent, what came back. */
export function entryDetail(entry, world, exchange, catalogue) {
  // Which part of the world's state answers this code for this operation (GET /__standin/operations' reasons).
  let reasons = entry.cause === 'state' && entry.code ? catalogue?.operations.find((o) => o.id === entry.operation)?.reasons?.[entry.code] : undefined
  // A validation code answers several kinds of bad request; the violations below say which it was.
  if (reasons?.length && reasons.every((r) => r.startsWith('validation:')) && entry.violations?.some((v) => v.side === 'request')) reasons = ['validation: the request broke the spec (the violations below)']
  const why = [
    ['outcome', `${entry.status === 0 ? 'connection dropped' : entry.status}${entry.code ? ` ${entry.code}` : ''}`],
    ['cause', `${entry.cause}${entry.rule !== undefined ? ` #${entry.rule}` : ''} — ${CAUSES[entry.cause] ?? ''}`],
    ['why', reasons?.length ? reasons.join('; or ') : undefined],
    ['operation', entry.operation ?? 'none of the spec (no operation matched)'],
    ['tenant', entry.tenant],
    ['world', world],
    ['request id', entry.requestId],
    ['world time', new Date(entry.at).toISOString()],
    ['took', `${entry.durationMs?.toFixed?.(1) ?? entry.durationMs} ms`],
    ['version', entry.version !== undefined ? `${entry.version} (standin serve --watch: the files' version that answered)` : undefined],
    ['stream', entry.stream ? `${entry.stream.events} events, ${entry.stream.outcome}${entry.stream.code ? ` (${entry.stream.code})` : ''}` : undefined],
    ['finding', entry.finding ? `${entry.finding.kind}: ${entry.finding.message}` : undefined],
  ]
  return [
    h('h3', {}, `${entry.method} ${entry.path}`),
    definitions(why),
    entry.violations?.length ? h('div', { class: 'violations' },
      h('h4', {}, `Violations (${entry.violations.length})`),
      h('ul', {}, entry.violations.map((v) => h('li', {},
        h('span', { class: `who who-${v.side}` }, v.side === 'request' ? 'the client' : v.side === 'provider' ? 'the provider' : 'standin'), ' ',
        h('code', { class: 'pointer' }, `${v.location}${v.pointer || ''}`), ' ', v.message)))) : h('p', { class: 'muted' }, 'No violations.'),
    exchange ? [
      h('h4', {}, 'Request'),
      h('p', {}, h('code', {}, `${exchange.request.method} ${exchange.request.path}${exchange.request.search ?? ''}`)),
      headerTable(exchange.request.headers),
      bodyBlock(exchange.request.body, exchange.request.truncated),
      h('h4', {}, 'Response'),
      exchange.response ? [
        h('p', {}, h('span', { class: `status ${statusClass(exchange.response.status)}` }, String(exchange.response.status))),
        headerTable(exchange.response.headers),
        exchange.response.stream ? h('p', { class: 'muted' }, 'A stream: its events are not kept.') : bodyBlock(exchange.response.body, exchange.response.truncated),
      ] : h('p', { class: 'muted' }, 'No answer: the connection was dropped.'),
    ] : h('p', { class: 'muted' }, 'Headers and bodies are kept for the last 500 requests only.'),
  ]
}

function headerTable(headers) {
  const entries = Object.entries(headers ?? {})
  if (entries.length === 0) return h('p', { class: 'muted' }, 'No headers.')
  return h('table', { class: 'headers' }, h('tbody', {}, entries.map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, v)))))
}

function bodyBlock(text, truncated) {
  if (text === undefined || text === '') return h('p', { class: 'muted' }, 'No body.')
  return [h('pre', { class: 'body' }, pretty(text)), truncated ? h('p', { class: 'muted' }, '(cut at 64 KB)') : null]
}
