/**
 * Worlds: every world with its scenario, tenants (keys with a copy button, balances, tier), record
 * counts per resource and state, and its clock — advance, set, and the timers due next. A world can
 * be made from a scenario, reset or deleted.
 */
import { api } from '../api.js'
import { copyButton, definitions, fill, h, options } from '../dom.js'
import { showError } from '../app.js'

export function mountWorlds(section, store) {
  const scenario = h('select', { id: 'new-world-scenario', 'aria-label': 'Scenario of the new world' })
  const list = h('ul', { class: 'world-list', 'aria-label': 'Worlds' })
  const detail = h('div', { class: 'world-detail', 'aria-live': 'polite' })
  fill(section,
    h('h2', { id: 'h-worlds' }, 'Worlds'),
    h('div', { class: 'split' },
      h('div', { class: 'side' },
        list,
        h('form', { class: 'inline', onsubmit: (e) => { e.preventDefault(); create() } },
          h('label', { for: 'new-world-scenario' }, 'New world of'), scenario, h('button', { type: 'submit' }, 'Create'))),
      detail))
  options(scenario, store.info.scenarios, store.info.defaultScenario)

  async function create() {
    try {
      const made = await api('POST', '/worlds', { scenario: scenario.value })
      store.world = made.id
      await store.refreshWorlds()
    } catch (error) { showError(error) }
  }

  function renderList() {
    fill(list, store.worlds.map((w) => h('li', {},
      h('button', { type: 'button', class: 'world-pick', 'aria-pressed': String(w.id === store.world), 'data-world': w.id, onclick: () => store.pick(w.id) },
        h('strong', {}, w.id), ' ', h('span', { class: 'muted' }, w.scenario), ' ',
        h('span', { class: 'badge' }, `${Object.values(w.records ?? {}).reduce((a, b) => a + b, 0)} records`)))))
  }

  let shown = 0
  async function renderDetail() {
    const world = store.worlds.find((w) => w.id === store.world)
    if (!world) { fill(detail, h('p', { class: 'muted' }, 'No world.')); return }
    const ticket = ++shown
    // Another world picked: nothing of the one before stays to be clicked while this one loads.
    if (detail.dataset.world !== world.id) {
      delete detail.dataset.world
      fill(detail, h('p', { class: 'muted' }, `World ${world.id}…`))
    }
    let counts, timers
    try {
      [counts, timers] = await Promise.all([api('GET', `/worlds/${enc(world.id)}/records`), api('GET', `/worlds/${enc(world.id)}/timers?limit=8`)])
    } catch (error) { showError(error); return }
    if (ticket !== shown) return
    // Requests change worlds all the time, and each change draws the world again: what is being typed
    // into its forms, and where the focus is, stay as they were.
    const typed = [...detail.querySelectorAll('input')].map((input) => [input.id, input.value])
    const focused = detail.contains(document.activeElement) ? document.activeElement.id : undefined
    const advance = h('input', { id: 'clock-advance', name: 'advance', placeholder: '31m', size: 8, 'aria-label': 'Advance the clock by (90s, 31m, 2h, 30d)' })
    const set = h('input', { id: 'clock-set', name: 'set', type: 'datetime-local', step: 1, 'aria-label': 'Set the clock to' })
    fill(detail,
      h('header', { class: 'row' },
        h('h3', {}, `World ${world.id}`),
        h('span', { class: 'muted' }, `scenario ${world.scenario}`),
        h('span', { class: 'grow' }),
        h('button', { type: 'button', onclick: () => act('POST', `/worlds/${enc(world.id)}/reset`) }, 'Reset'),
        h('button', { type: 'button', class: 'danger', 'data-action': 'delete-world', onclick: () => remove(world.id) }, 'Delete')),
      h('h4', {}, 'Clock'),
      definitions([['now', h('time', { id: 'world-now', datetime: timers.now }, timers.now)], ['mode', world.clock], ['pending timers', String(timers.pending)]]),
      h('form', { class: 'inline', onsubmit: (e) => { e.preventDefault(); act('POST', `/worlds/${enc(world.id)}/clock`, { advance: advance.value.trim() }, advance) } },
        h('label', { for: 'clock-advance' }, 'Advance by'), advance, h('button', { type: 'submit' }, 'Advance')),
      h('form', { class: 'inline', onsubmit: (e) => { e.preventDefault(); setClock(world.id, set) } },
        h('label', { for: 'clock-set' }, 'Set to'), set, h('button', { type: 'submit' }, 'Set')),
      timers.next.length === 0 ? h('p', { class: 'muted' }, 'No timers due.') : h('table', { class: 'grid' },
        h('caption', {}, 'Due next'),
        h('thead', {}, h('tr', {}, h('th', {}, 'in'), h('th', {}, 'at'), h('th', {}, 'what'))),
        h('tbody', {}, timers.next.map((t) => h('tr', {}, h('td', {}, duration(t.inMs)), h('td', {}, t.at), h('td', {}, timerText(t)))))),
      h('h4', {}, 'Tenants'),
      h('table', { class: 'grid' },
        h('thead', {}, h('tr', {}, h('th', {}, 'tenant'), h('th', {}, 'tier'), h('th', {}, 'balances'), h('th', {}, 'keys'))),
        h('tbody', {}, world.tenants.map((t) => h('tr', {},
          h('td', {}, t.id), h('td', {}, t.tier ?? '—'),
          h('td', {}, Object.entries(t.balances ?? {}).map(([k, v]) => `${k} ${v}`).join(', ') || '—'),
          h('td', {}, h('ul', { class: 'keys' }, t.keys.map((k) => h('li', {}, h('code', {}, k), ' ', copyButton(k))))))))),
      h('h4', {}, 'Records'),
      h('table', { class: 'grid', id: 'record-counts' },
        h('thead', {}, h('tr', {}, h('th', {}, 'resource'), h('th', {}, 'records'), h('th', {}, 'by state'))),
        h('tbody', {}, Object.entries(counts).map(([resource, c]) => h('tr', { 'data-resource': resource },
          h('td', {}, resource), h('td', { class: 'num' }, String(c.count)),
          h('td', {}, Object.entries(c.states).map(([s, n]) => h('span', { class: 'chip' }, `${s} ${n}`))))))))
    if (detail.dataset.world === world.id) {
      for (const [id, value] of typed) { const input = id && detail.querySelector(`#${id}`); if (input) input.value = value }
      if (focused) detail.querySelector(`#${focused}`)?.focus()
    }
    detail.dataset.world = world.id
  }

  /** A control call, then the worlds again; `done` (the field it came from) is emptied once it worked. */
  async function act(method, path, body, done) {
    try {
      await api(method, path, body)
      showError(null)
      if (done) done.value = ''
      await store.refreshWorlds()
    } catch (error) { showError(error) }
  }

  function setClock(id, field) {
    const at = new Date(field.value)
    if (Number.isNaN(at.getTime())) { showError(new Error('Pick a date and time to set the clock to.')); return }
    act('POST', `/worlds/${enc(id)}/clock`, { set: at.toISOString() }, field)
  }

  async function remove(id) {
    try {
      await api('DELETE', `/worlds/${enc(id)}`)
      showError(null)
      if (store.world === id) store.world = undefined
      await store.refreshWorlds()
    } catch (error) { showError(error) }
  }

  store.on((kind) => {
    if (kind !== 'worlds' && kind !== 'pick') return
    renderList()
    if (!section.hidden) renderDetail()
  })
  renderList()
  return { show: () => { renderList(); renderDetail() } }
}

const enc = encodeURIComponent

function timerText(t) {
  if (t.kind === 'lifecycle') return `${t.resource} ${t.id}: ${t.state} → ${t.to}`
  if (t.kind === 'retention') return `${t.resource} ${t.id}: removed`
  return 'timer'
}

/** 93000 → "1m 33s". */
export function duration(ms) {
  if (ms <= 0) return 'now'
  const s = Math.round(ms / 1000)
  const parts = [[Math.floor(s / 86400), 'd'], [Math.floor(s / 3600) % 24, 'h'], [Math.floor(s / 60) % 60, 'm'], [s % 60, 's']]
  return parts.filter(([n]) => n > 0).slice(0, 2).map(([n, u]) => `${n}${u}`).join(' ') || `${ms}ms`
}
