/**
 * Force the next answer: a rule added to a world through the control API (POST …/rules) — an error
 * code of the catalogue, a status, a delay or a fault — for one operation or any, once or N times.
 * The world's rules are listed with a remove button; a rule used up leaves the list.
 */
import { api } from '../api.js'
import { fill, h, options } from '../dom.js'
import { showError } from '../app.js'

export function mountForce(section, store) {
  const world = h('select', { id: 'f-world', name: 'world', required: true })
  const operation = h('select', { id: 'f-operation', name: 'operation' })
  const kind = h('select', { id: 'f-kind', name: 'kind' })
  const code = h('select', { id: 'f-code', name: 'error' })
  const status = h('input', { id: 'f-status', name: 'status', type: 'number', min: 200, max: 599, value: '503' })
  const delay = h('input', { id: 'f-delay', name: 'delay', placeholder: '2s', size: 6 })
  const fault = h('select', { id: 'f-fault', name: 'fault' })
  const times = h('input', { id: 'f-times', name: 'times', type: 'number', min: 1, value: '1', size: 4 })
  const always = h('input', { id: 'f-always', type: 'checkbox' })
  const list = h('div', { id: 'force-rules', 'aria-live': 'polite' })
  const what = {
    error: field('Error code', code), status: field('Status', status), delay: field('Delay', delay), fault: field('Fault', fault),
  }
  fill(section,
    h('h2', { id: 'h-force' }, 'Force the next answer'),
    h('form', { class: 'filters', id: 'force-form', onsubmit: (e) => { e.preventDefault(); add() }, onchange: shown },
      field('World', world), field('Operation', operation), field('Force', kind),
      Object.values(what), field('Times', times),
      h('label', { class: 'check' }, always, ' until removed'),
      h('button', { type: 'submit', class: 'primary' }, 'Add rule')),
    h('h3', {}, 'Rules of the world'),
    list)
  options(kind, [['error', 'an error code'], ['status', 'a status'], ['delay', 'a delay'], ['fault', 'a fault']], 'error')
  options(operation, [['', 'any operation'], ...store.catalogue.operations.map((o) => [o.id, `${o.id} — ${o.method} ${o.path}`])], '')
  options(code, store.catalogue.codes.map((c) => [c.code, `${c.code} (${c.status})`]))
  options(fault, [['drop', 'drop the connection'], ['timeout', 'hold, then drop (timeout)']])

  function shown() {
    for (const [name, element] of Object.entries(what)) element.hidden = name !== kind.value
    times.disabled = always.checked
  }
  world.addEventListener('change', () => store.pick(world.value))

  async function add() {
    const rule = { operation: operation.value || undefined, times: always.checked ? null : Number(times.value || 1) }
    if (kind.value === 'error') rule.error = code.value
    if (kind.value === 'status') rule.status = Number(status.value)
    if (kind.value === 'delay') rule.delay = delay.value.trim()
    if (kind.value === 'fault') rule.fault = fault.value
    try {
      await api('POST', `/worlds/${encodeURIComponent(world.value)}/rules`, rule)
      showError(null)
      await load()
    } catch (error) { showError(error) }
  }

  async function remove(id) {
    try {
      await api('DELETE', `/worlds/${encodeURIComponent(world.value)}/rules/${id}`)
      await load()
    } catch (error) { showError(error) }
  }

  let ticket = 0
  async function load() {
    if (section.hidden || !world.value) return
    const mine = ++ticket
    let rules
    try { rules = await api('GET', `/worlds/${encodeURIComponent(world.value)}/rules`) } catch (error) { showError(error); return }
    if (mine !== ticket) return
    if (rules.length === 0) { fill(list, h('p', { class: 'muted' }, 'No rules added to this world.')); return }
    fill(list, h('table', { class: 'grid' },
      h('thead', {}, h('tr', {}, ['#', 'operation', 'forces', 'left', ''].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rules.map((r) => h('tr', { 'data-rule': r.id },
        h('td', { class: 'num' }, String(r.id)),
        h('td', {}, r.operation ?? 'any'),
        h('td', {}, [r.error, r.status, r.fault && `fault ${r.fault}`, r.delay && `delay ${r.delay}`].filter(Boolean).join(', ')),
        h('td', {}, r.left === null ? 'until removed' : `${r.left} of ${r.times}`),
        h('td', {}, h('button', { type: 'button', class: 'small', 'aria-label': `Remove rule ${r.id}`, onclick: () => remove(r.id) }, 'Remove')))))))
  }

  store.on((kind, data) => {
    if (kind === 'worlds' || kind === 'pick') {
      options(world, store.worlds.map((w) => [w.id, `${w.id} (${w.scenario})`]), store.world)
      load()
    }
    // A rule used up leaves the list: look again when this world answers.
    if (kind === 'entry' && data.world === world.value && data.cause === 'control') load()
  })
  options(world, store.worlds.map((w) => [w.id, `${w.id} (${w.scenario})`]), store.world)
  shown()
  return { show: load }
}

function field(label, input) {
  return h('label', { class: 'field' }, h('span', {}, label), input)
}
