/**
 * Operations: the spec's operations, each with a try-it form — a world and one of its keys (put
 * where the spec's security scheme wants it), the parameters, a body started from the spec's example
 * or a sample — and the answer shown beside its journal entry.
 */
import { api, tryRequest } from '../api.js'
import { fill, h, options, pretty, statusClass } from '../dom.js'
import { showError } from '../app.js'
import { entryDetail } from './journal.js'

/** The header that lets the page find its own request among the journal's. */
const TRY_HEADER = 'x-standin-try'

export function mountOperations(section, store) {
  const filter = h('input', { id: 'o-filter', type: 'search', placeholder: 'filter operations', 'aria-label': 'Filter operations' })
  const list = h('ul', { class: 'op-list', 'aria-label': 'Operations' })
  const form = h('div', { class: 'try' })
  fill(section,
    h('h2', { id: 'h-operations' }, 'Operations'),
    h('div', { class: 'split' }, h('div', { class: 'side' }, filter, list), form))
  let current = store.catalogue.operations[0]
  /** The form's world and key pickers, kept up to date as worlds come and go (the rest of the form is left as typed). */
  let pickers
  filter.addEventListener('input', drawList)

  function drawList() {
    const q = filter.value.trim().toLowerCase()
    fill(list, store.catalogue.operations.filter((o) => !q || `${o.id} ${o.method} ${o.path} ${o.summary ?? ''}`.toLowerCase().includes(q)).map((o) => h('li', {},
      h('button', { type: 'button', class: 'op-pick', 'data-operation': o.id, 'aria-pressed': String(o === current), onclick: () => { current = o; drawList(); drawForm() } },
        h('span', { class: `method m-${o.method.toLowerCase()}` }, o.method), ' ', h('span', { class: 'path' }, o.path), h('div', { class: 'muted' }, o.id)))))
  }

  function drawForm() {
    if (!current) { fill(form, h('p', { class: 'muted' }, 'This spec has no operations.')); return }
    const op = current
    const world = h('select', { id: 't-world', name: 'world' })
    const key = h('select', { id: 't-key', name: 'key' })
    const pickKeys = (keep) => {
      const w = store.worlds.find((x) => x.id === world.value)
      const keys = (w?.tenants ?? []).flatMap((t) => t.keys.map((k) => [k, `${k} (${t.id})`]))
      options(key, [['', '(no key)'], ...keys], keep && keys.some(([k]) => k === keep) ? keep : w?.tenants?.[0]?.keys?.[0] ?? '')
    }
    const pickWorlds = () => {
      options(world, store.worlds.map((w) => [w.id, `${w.id} (${w.scenario})`]), store.worlds.some((w) => w.id === world.value) ? world.value : store.world)
      pickKeys(key.value)
    }
    pickers = pickWorlds
    options(world, store.worlds.map((w) => [w.id, `${w.id} (${w.scenario})`]), store.world)
    world.addEventListener('change', () => { pickKeys(); store.pick(world.value) })
    pickKeys()
    // Required parameters start from the spec's example; optional ones are left out unless filled in.
    const params = op.parameters.map((p) => ({ p, input: h('input', { id: `t-${p.in}-${p.name}`, name: p.name, value: p.required ? p.example ?? '' : '', placeholder: p.example, required: p.required && p.in === 'path' }) }))
    const body = op.body ? h('textarea', { id: 't-body', name: 'body', rows: 10, spellcheck: 'false' }, op.body.text) : null
    const answer = h('div', { class: 'answer', id: 'try-answer', 'aria-live': 'polite' })
    const send = async () => {
      // (randomUUID needs a secure context; a page opened by a LAN address is not one.)
      const nonce = [...crypto.getRandomValues(new Uint8Array(12))].map((b) => b.toString(16).padStart(2, '0')).join('')
      let path = op.path
      const query = new URLSearchParams()
      const headers = { [TRY_HEADER]: nonce }
      for (const { p, input } of params) {
        const v = input.value
        if (p.in === 'path') path = path.replace(`{${p.name}}`, encodeURIComponent(v))
        else if (v === '') continue
        else if (p.in === 'query') query.append(p.name, v)
        else if (p.in === 'header') headers[p.name] = v
      }
      const cred = op.credential
      if (cred && key.value) {
        if (cred.in === 'header') headers[cred.name] = cred.basic ? `Basic ${btoa(`${key.value}:`)}` : `${cred.prefix ?? ''}${key.value}`
        else if (cred.in === 'query') query.append(cred.name, key.value)
        // A cookie cannot be set for one fetch: Authorization: Bearer selects the key's world whatever the spec declares.
        else headers.authorization = `Bearer ${key.value}`
      } else if (key.value) headers.authorization = `Bearer ${key.value}`
      if (body && body.value.trim() !== '') headers['content-type'] = op.body.contentType
      const url = `${store.catalogue.basePath}${path}${query.size ? `?${query}` : ''}`
      fill(answer, h('p', { class: 'muted' }, `${op.method} ${url} …`))
      let result
      try {
        result = await tryRequest(op.method, url, headers, body && body.value.trim() !== '' && op.method !== 'GET' && op.method !== 'HEAD' ? body.value : undefined)
      } catch (error) {
        fill(answer, h('p', { class: 'error' }, `No answer: ${error.message}`))
        return
      }
      fill(answer,
        h('h3', {}, h('span', { class: `status ${statusClass(result.status)}`, id: 'try-status' }, String(result.status)), ` in ${result.ms} ms`),
        h('table', { class: 'headers' }, h('tbody', {}, result.headers.map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, v))))),
        h('pre', { class: 'body', id: 'try-body' }, pretty(result.body) || '(no body)'),
        h('div', { class: 'try-entry', id: 'try-entry' }, h('p', { class: 'muted' }, 'Looking for its journal entry…')))
      const found = await findEntry(store, world.value, op.method, nonce)
      fill(answer.querySelector('#try-entry'), found ? [h('h3', {}, 'Its journal entry'), entryDetail(found.entry, found.world, null, store.catalogue)] : h('p', { class: 'muted' }, 'Its journal entry was not found among the last ones kept.'))
    }
    fill(form,
      h('h3', {}, h('span', { class: `method m-${op.method.toLowerCase()}` }, op.method), ' ', op.path),
      op.summary ? h('p', {}, op.summary) : null,
      h('form', { class: 'stack', onsubmit: (e) => { e.preventDefault(); send().catch(showError) } },
        h('div', { class: 'filters' },
          h('label', { class: 'field' }, h('span', {}, 'World'), world),
          h('label', { class: 'field' }, h('span', {}, op.credential ? `Key (${op.credential.in} ${op.credential.name})` : 'Key (not needed)'), key)),
        params.length ? h('fieldset', {}, h('legend', {}, 'Parameters'), params.map(({ p, input }) =>
          h('label', { class: 'field' }, h('span', {}, `${p.name} (${p.in}${p.required ? ', required' : ''})`), input))) : null,
        body ? h('label', { class: 'field wide' }, h('span', {}, `Body (${op.body.contentType})`), body) : null,
        h('button', { type: 'submit', class: 'primary', id: 'try-send' }, 'Send')),
      answer)
  }

  store.on((kind) => {
    if (kind === 'worlds') pickers?.()
  })
  return { show: () => { drawList(); drawForm() } }
}

/**
 * The journal entry of the page's own request: among the newest entries of the world (as the live
 * journal gives them), the one whose kept request carries the page's nonce.
 */
async function findEntry(store, world, method, nonce) {
  const looked = new Set()
  for (let attempt = 0; attempt < 20; attempt++) {
    // The page's own world first; the key may have reached another (a key of another scenario).
    const candidates = store.entries.filter((e) => e.method === method && !looked.has(`${e.world}/${e.requestId}`)).slice(-20).reverse()
      .sort((a, b) => Number(b.world === world) - Number(a.world === world))
    for (const e of candidates) {
      looked.add(`${e.world}/${e.requestId}`)
      try {
        const found = await api('GET', `/worlds/${encodeURIComponent(e.world)}/journal/${encodeURIComponent(e.requestId)}`)
        if (found.exchange?.request?.headers?.[TRY_HEADER] === nonce) return found
      } catch { /* a world deleted meanwhile */ }
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return undefined
}
