/**
 * Coverage, as `standin coverage` computes it (GET /__standin/coverage): per operation, which
 * declared statuses and which catalogue codes the traffic reached — the client team's error-path
 * checklist, filling in as its tests run. Refreshed as requests come in.
 */
import { api } from '../api.js'
import { fill, h, options } from '../dom.js'
import { showError } from '../app.js'

export function mountCoverage(section, store) {
  const world = h('select', { id: 'c-world', name: 'world' })
  const onlyMissing = h('input', { type: 'checkbox', id: 'c-missing' })
  const summary = h('p', { class: 'summary', id: 'coverage-summary', role: 'status' })
  const list = h('div', { class: 'coverage', id: 'coverage-list' })
  fill(section,
    h('h2', { id: 'h-coverage' }, 'Coverage'),
    h('form', { class: 'filters', onsubmit: (e) => e.preventDefault(), onchange: load },
      h('label', { class: 'field' }, h('span', {}, 'Of'), world),
      h('label', { class: 'check' }, onlyMissing, ' only operations with outcomes never reached')),
    summary, list)

  let soon
  let ticket = 0
  async function load() {
    if (section.hidden) return
    const mine = ++ticket
    let coverage
    try {
      coverage = await api('GET', `/coverage${world.value ? `?world=${encodeURIComponent(world.value)}` : ''}`)
    } catch (error) { showError(error); return }
    if (mine !== ticket) return
    summary.textContent = `${coverage.reached} of ${coverage.total} declared outcomes reached (${coverage.percent}%) by ${coverage.requests} requests${coverage.unmatched.length ? `; ${coverage.unmatched.reduce((n, u) => n + u.count, 0)} matched no operation` : ''}${coverage.dropped ? `; ${coverage.dropped} dropped` : ''}`
    const ops = coverage.operations.filter((op) => !onlyMissing.checked || op.reached < op.total)
    fill(list, h('table', { class: 'grid' },
      h('thead', {}, h('tr', {}, ['operation', 'requests', 'reached', 'outcomes (reached ✓, never ·)'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, ops.map((op) => h('tr', { 'data-operation': op.operation },
        h('th', { scope: 'row' }, h('div', {}, op.operation), h('div', { class: 'muted path' }, `${op.method} ${op.path}`)),
        h('td', { class: 'num' }, String(op.requests)),
        h('td', {}, h('meter', { min: 0, max: op.total || 1, value: op.reached, 'aria-label': `${op.reached} of ${op.total}` }), ` ${op.reached}/${op.total}`),
        h('td', {}, h('ul', { class: 'chips' },
          op.items.map((item) => h('li', { class: item.count > 0 ? 'chip reached' : 'chip', 'data-item': label(item) }, `${item.count > 0 ? '✓' : '·'} ${label(item)}${item.count > 0 ? ` ×${item.count}` : ''}`)),
          [...op.undeclared, ...op.other].map((o) => h('li', { class: 'chip off', title: 'not among the declared outcomes' }, `! ${o.status}${o.code ? ` ${o.code}` : ''} ×${o.count}`)))))))))
  }

  store.on((kind) => {
    if (kind === 'worlds') options(world, [['', 'the whole run (every world, deleted ones too)'], ...store.worlds.map((w) => [w.id, `${w.id} (${w.scenario})`])])
    if ((kind === 'entry' || kind === 'reset') && !section.hidden) {
      clearTimeout(soon)
      soon = setTimeout(load, 200)
    }
  })
  options(world, [['', 'the whole run (every world, deleted ones too)'], ...store.worlds.map((w) => [w.id, `${w.id} (${w.scenario})`])], '')
  return { show: load }
}

function label(item) {
  return item.code ? `${item.status ?? item.declared} ${item.code}` : item.declared
}
