/**
 * Reading a `text/event-stream` response the way a client does: event by event, as bytes arrive in
 * whatever chunks the door delivers them (one event may span chunks, one chunk may hold several).
 */
export interface SseEvent {
  event?: string
  id?: string
  data: string
  /** The data parsed as JSON, when it is JSON. */
  json?: any
}

export interface SseReader {
  /** The next event, or undefined when the stream has ended cleanly. Rejects if the connection drops. */
  next(): Promise<SseEvent | undefined>
  /** Every event until the end. */
  rest(): Promise<SseEvent[]>
  /** Goes away, as a client that disconnects. */
  cancel(): Promise<void>
}

export function sse(res: Response): SseReader {
  const reader = res.body!.getReader()
  const decoder = new TextDecoder()
  let buffer = ''
  let done = false
  const parse = (block: string): SseEvent => {
    const event: SseEvent = { data: '' }
    const data: string[] = []
    for (const line of block.split('\n')) {
      const colon = line.indexOf(':')
      const field = colon === -1 ? line : line.slice(0, colon)
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '')
      if (field === 'event') event.event = value
      else if (field === 'id') event.id = value
      else if (field === 'data') data.push(value)
    }
    event.data = data.join('\n')
    try { event.json = JSON.parse(event.data) } catch { /* not JSON */ }
    return event
  }
  const next = async (): Promise<SseEvent | undefined> => {
    for (;;) {
      const end = buffer.indexOf('\n\n')
      if (end !== -1) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        return parse(block)
      }
      if (done) return undefined
      const chunk = await reader.read()
      if (chunk.done) done = true
      else buffer += decoder.decode(chunk.value, { stream: true })
    }
  }
  return {
    next,
    async rest() {
      const all: SseEvent[] = []
      for (let e = await next(); e; e = await next()) all.push(e)
      return all
    },
    async cancel() {
      await reader.cancel().catch(() => {})
    },
  }
}

/** Waits (bounded, not timed) until a condition on state holds — for what another party does asynchronously. */
export async function until(check: () => Promise<boolean>, what: string, attempts = 200): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  throw new Error(`gave up waiting until ${what}`)
}
