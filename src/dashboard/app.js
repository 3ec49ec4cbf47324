/**
 * The dashboard: one page over the control API (its first client). A shared store — what is served,
 * the worlds, the live journal — and five views that read it: Worlds, Journal, Coverage, Force,
 * Operations. The view shown follows the URL's fragment (`#journal`), so it can be linked to.
 */
import { api, follow, takeTokenFromUrl } from './api.js'
import { mountWorlds } from './views/worlds.js'
import { mountJournal } from './views/journal.js'
import { mountCoverage } from './views/coverage.js'
import { mountForce } from './views/force.js'
import { mountOperations } from './views/operations.js'

/** The journal entries the page keeps (the oldest are let go). */
const MAX_ENTRIES = 2000

export const store = {
  info: null,
  catalogue: { basePath: '', codes: [], operations: [] },
  worlds: [],
  entries: [],
  /** The world the views start on: the last one picked in any of them. */
  world: undefined,
  listeners: new Set(),
  on(listener) {
    this.listeners.add(listener)
  },
  emit(kind, detail) {
    for (const listener of this.listeners) listener(kind, detail)
  },
  async refreshWorlds() {
    this.worlds = await api('GET', '/worlds')
    if (!this.worlds.some((w) => w.id === this.world)) this.world = this.worlds[0]?.id
    this.emit('worlds')
  },
  pick(world) {
    this.world = world
    this.emit('pick', world)
  },
}

export function showError(error) {
  const banner = document.getElementById('error')
  if (!error) { banner.hidden = true; return }
  banner.textContent = error.message ?? String(error)
  banner.hidden = false
}

const VIEWS = ['worlds', 'journal', 'coverage', 'force', 'operations']
const views = {}

function route() {
  const name = VIEWS.includes(location.hash.slice(1)) ? location.hash.slice(1) : 'worlds'
  for (const tab of document.querySelectorAll('[role=tab]')) {
    const on = tab.dataset.view === name
    tab.setAttribute('aria-selected', String(on))
    tab.tabIndex = on ? 0 : -1
  }
  for (const section of document.querySelectorAll('main > section')) section.hidden = section.dataset.view !== name
  document.body.dataset.view = name
  views[name]?.show?.()
}

/** Left and right arrows move between tabs, as a tab list does. */
function tabKeys(event) {
  if (event.key !== 'ArrowRight' && event.key !== 'ArrowLeft') return
  const tabs = [...document.querySelectorAll('[role=tab]')]
  const i = tabs.indexOf(document.activeElement)
  if (i === -1) return
  const next = tabs[(i + (event.key === 'ArrowRight' ? 1 : tabs.length - 1)) % tabs.length]
  next.focus()
  next.click()
}

let worldsSoon
function worldsChanged() {
  clearTimeout(worldsSoon)
  worldsSoon = setTimeout(() => store.refreshWorlds().catch(showError), 100)
}

async function start() {
  takeTokenFromUrl()
  try {
    const [info, catalogue] = await Promise.all([api('GET', ''), api('GET', '/operations')])
    store.info = info
    store.catalogue = catalogue
    document.getElementById('title').textContent = `${info.title ?? info.spec} — ${info.operations.length} operations`
    document.title = `standin — ${info.title ?? info.spec}`
    await store.refreshWorlds()
  } catch (error) {
    showError(error)
    document.getElementById('live').textContent = 'not connected'
    return
  }
  views.worlds = mountWorlds(document.getElementById('view-worlds'), store)
  views.journal = mountJournal(document.getElementById('view-journal'), store)
  views.coverage = mountCoverage(document.getElementById('view-coverage'), store)
  views.force = mountForce(document.getElementById('view-force'), store)
  views.operations = mountOperations(document.getElementById('view-operations'), store)
  document.getElementById('tabs').addEventListener('keydown', tabKeys)
  window.addEventListener('hashchange', route)
  route()
  const live = document.getElementById('live')
  const count = document.getElementById('journal-count')
  follow((event, data) => {
    if (event === 'entry') {
      store.entries.push(data)
      if (store.entries.length > MAX_ENTRIES) store.entries.splice(0, store.entries.length - MAX_ENTRIES)
      count.textContent = String(store.entries.length)
      store.emit('entry', data)
      // A request changes its world; this also keeps the list right after a --watch reload, whose
      // new worlds the stream's world events do not follow until it reconnects.
      worldsChanged()
    } else if (event === 'world') worldsChanged()
  }, (state) => {
    live.textContent = state === 'live' ? 'live' : 'reconnecting…'
    live.dataset.state = state
    if (state === 'live') {
      // The stream starts again with the last entries kept: what the page had is replaced by it.
      store.entries = []
      store.emit('reset')
      worldsChanged()
    }
  })
}

start()
