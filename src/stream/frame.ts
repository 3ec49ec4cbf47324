/**
 * Framing one event for the wire. `sse` is the server-sent events format (WHATWG HTML §9.2): an
 * optional `event:` line, an `id:` line, the data on one or more `data:` lines, and a blank line.
 * `ndjson` sends each event's data as one JSON document per line (the event name is not sent).
 */
export function frame(format: 'sse' | 'ndjson', event: string | undefined, data: unknown, id: number): string {
  if (format === 'ndjson') return `${JSON.stringify(data ?? null)}\n`
  const text = typeof data === 'string' ? data : JSON.stringify(data ?? null)
  let out = event ? `event: ${event}\n` : ''
  out += `id: ${id}\n`
  // A line break inside the data would end the field: each line goes on its own `data:` line.
  for (const line of text.split(/\r\n|\r|\n/)) out += `data: ${line}\n`
  return out + '\n'
}
