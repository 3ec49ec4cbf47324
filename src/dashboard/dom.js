/**
 * Building the page's elements without innerHTML: every value the API gives (a request body, a
 * header, a record field) goes in as text, so nothing a client sent can run as markup here.
 */

/**
 * An element with attributes (`on…` keys are listeners, `class`, `for`, `hidden`, data-*) and children
 * (strings become text nodes; null and false are left out).
 * @example h('button', { class: 'primary', onclick: go }, 'Send')
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) continue
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value)
    else if (name === 'value') element.value = value
    else if (name === 'checked' || name === 'selected' || name === 'disabled') element[name] = Boolean(value)
    else element.setAttribute(name, value === true ? '' : String(value))
  }
  append(element, children)
  return element
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue
    element.append(child instanceof Node ? child : document.createTextNode(String(child)))
  }
}

/** Replaces an element's children. */
export function fill(element, ...children) {
  element.replaceChildren()
  append(element, children)
  return element
}

/** A select's options from [value, label] pairs (or plain values), the current one kept when still there. */
export function options(select, list, current) {
  const keep = current ?? select.value
  fill(select, list.map((item) => {
    const [value, label] = Array.isArray(item) ? item : [item, item]
    return h('option', { value, selected: value === keep }, label)
  }))
}

/** A JSON text pretty-printed when it parses; as it is otherwise. */
export function pretty(text) {
  if (text === undefined || text === null || text === '') return ''
  try { return JSON.stringify(JSON.parse(text), null, 2) } catch { return String(text) }
}

/** A copy button for a value (a key): the clipboard where the page may use it, else the text selected. */
export function copyButton(value, label = 'Copy') {
  const button = h('button', { type: 'button', class: 'small', 'aria-label': `${label} ${value}`, title: 'Copy to the clipboard' }, label)
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(value)
      button.textContent = 'Copied'
    } catch {
      const field = h('input', { value, readonly: true, class: 'copy-field', 'aria-label': 'the key, selected' })
      button.replaceWith(field)
      field.select()
      return
    }
    setTimeout(() => { button.textContent = label }, 1200)
  })
  return button
}

/** A `<dl>` from [term, description] pairs. */
export function definitions(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(([, d]) => d !== undefined && d !== null && d !== '').flatMap(([t, d]) => [h('dt', {}, t), h('dd', {}, d)]))
}

/** The status class of a status code, for colouring. */
export function statusClass(status) {
  if (status === 0) return 'st-0'
  return `st-${String(status)[0]}`
}
