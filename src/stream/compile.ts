/**
 * Compiling an operation's `x-standin.stream` once at start-up, every problem reported with its JSON
 * pointer. The check against the rest of the model (error codes, lifecycle states) runs once the
 * operation's resource is known.
 *
 * @example
 * // in the spec, on an operation that creates a job whose progress streams:
 * // x-standin:
 * //   stream:
 * //     mediaType: text/event-stream
 * //     when: '{body.stream}'
 * //     concurrency: { id: streams-per-project, per: '{ancestors.project.id}', limit: 1, error: busy }
 * //     budget: { limit: '{body.maxCost}', error: over_budget }
 * //     costField: cost
 * //     events:
 * //       - { event: chunk, each: ['Hel', 'lo'], after: 200ms, cost: 0.002, data: { text: '{item}' } }
 * //     end: { state: done, event: done, data: '{record}' }
 * //     error: { state: failed, set: { error: '{error}' } }
 */
import type { Problems } from '../errors.ts'
import { suggest } from '../errors.ts'
import { isPlainObject } from '../util/match.ts'
import { condition } from '../spec/account.ts'
import { asList, checkCode, durationExpression, expression, template } from '../spec/behaviour.ts'
import type { BehaviourModel, ResponseModel } from '../spec/model.ts'
import type { Render } from '../util/template.ts'
import type { StreamEventModel, StreamModel, StreamOutcomeModel } from './model.ts'

const STREAM_KEYS = ['mediaType', 'when', 'concurrency', 'budget', 'timeout', 'costField', 'events', 'errorEvent', 'end', 'error', 'abort']
const EVENT_KEYS = ['event', 'after', 'each', 'cost', 'data', 'set', 'fail', 'take']
const OUTCOME_KEYS = ['state', 'set', 'event', 'data']

export function compileStream(def: unknown, at: string, responses: ResponseModel[], problems: Problems): StreamModel | undefined {
  if (!isPlainObject(def)) {
    problems.add(at, 'stream is an object: {mediaType, events, ...}')
    return undefined
  }
  unknownKeys(def, STREAM_KEYS, at, problems)
  const mediaType = typeof def.mediaType === 'string' ? def.mediaType.toLowerCase() : 'text/event-stream'
  const declared = responses.find((r) => typeof r.status === 'number' && r.status >= 200 && r.status < 300 && r.contentTypes.has(mediaType))
  if (!declared) {
    problems.add(`${at}/mediaType`, `no 2xx response of this operation declares ${mediaType}: declare one (e.g. '200': { content: { ${mediaType}: { schema: { type: string } } } })`)
  }
  const events = asList(def.events, `${at}/events`, problems).map(([e, p]) => compileEvent(e, p, problems))
  if (events.length === 0) problems.add(`${at}/events`, 'a stream needs at least one event')

  let concurrency: StreamModel['concurrency']
  if (def.concurrency !== undefined) {
    const c: any = isPlainObject(def.concurrency) ? def.concurrency : {}
    const p = `${at}/concurrency`
    unknownKeys(c, ['id', 'limit', 'per', 'error'], p, problems)
    if (typeof c.limit !== 'number' || c.limit < 0) problems.add(`${p}/limit`, 'limit is the number of streams that may be open at once per key (1: one at a time)')
    if (c.per === undefined) problems.add(`${p}/per`, "per names what streams are counted by: an expression such as '{ancestors.project.id}' or '{path.id}'")
    concurrency = {
      id: typeof c.id === 'string' ? c.id : p,
      limit: typeof c.limit === 'number' ? c.limit : 1,
      per: expression(c.per ?? '', `${p}/per`, problems),
      error: String(c.error ?? ''),
      pointer: p,
    }
  }
  let budget: StreamModel['budget']
  if (def.budget !== undefined) {
    const b: any = isPlainObject(def.budget) ? def.budget : {}
    const p = `${at}/budget`
    unknownKeys(b, ['limit', 'error'], p, problems)
    if (b.limit === undefined) problems.add(`${p}/limit`, "limit is the most a stream may cost: a number or an expression such as '{body.maxCost}'")
    budget = { limit: expression(b.limit ?? 0, `${p}/limit`, problems), error: String(b.error ?? ''), pointer: p }
  }
  let timeout: StreamModel['timeout']
  if (def.timeout !== undefined) {
    const t: any = isPlainObject(def.timeout) ? def.timeout : {}
    const p = `${at}/timeout`
    unknownKeys(t, ['after', 'error'], p, problems)
    if (t.after === undefined) problems.add(`${p}/after`, 'after is the longest a stream may take, on the world clock: a duration such as 90s')
    timeout = { after: durationExpression(t.after ?? 0, `${p}/after`, problems), error: String(t.error ?? ''), pointer: p }
  }
  if (def.when !== undefined && typeof def.when !== 'string' && typeof def.when !== 'boolean') problems.add(`${at}/when`, "when is an expression such as '{body.stream}'")
  if (def.costField !== undefined && typeof def.costField !== 'string') problems.add(`${at}/costField`, 'costField names the record field that carries the cost so far')
  if (def.errorEvent !== undefined && typeof def.errorEvent !== 'string') problems.add(`${at}/errorEvent`, 'errorEvent is the event name errors are sent as')
  return {
    mediaType,
    format: /json/.test(mediaType) ? 'ndjson' : 'sse',
    status: typeof declared?.status === 'number' ? declared.status : 200,
    when: def.when === undefined ? undefined : expression(def.when, `${at}/when`, problems),
    concurrency, budget, timeout,
    costField: typeof def.costField === 'string' ? def.costField : undefined,
    events,
    errorEvent: typeof def.errorEvent === 'string' ? def.errorEvent : 'error',
    end: compileOutcome(def.end, `${at}/end`, problems, true),
    error: compileOutcome(def.error, `${at}/error`, problems, false),
    abort: compileOutcome(def.abort, `${at}/abort`, problems, false),
    pointer: at,
  }
}

function compileEvent(def: any, at: string, problems: Problems): StreamEventModel {
  if (!isPlainObject(def)) {
    problems.add(at, 'an event is an object: {event, after, data, cost, each, set}')
    def = {}
  }
  unknownKeys(def, EVENT_KEYS, at, problems)
  if (def.event === undefined && def.data === undefined) problems.add(at, 'an event needs an `event` name or `data`')
  if (def.event !== undefined && (typeof def.event !== 'string' || /[\r\n]/.test(def.event))) problems.add(`${at}/event`, 'event is a name on one line')
  return {
    event: typeof def.event === 'string' ? def.event : undefined,
    after: def.after === undefined ? () => 0 : durationExpression(def.after, `${at}/after`, problems),
    each: def.each === undefined ? undefined : template(def.each, `${at}/each`, problems),
    cost: def.cost === undefined ? undefined : expression(def.cost, `${at}/cost`, problems),
    data: def.data === undefined ? undefined : template(def.data, `${at}/data`, problems),
    set: compileSet(def.set, `${at}/set`, problems),
    fail: (def.fail === undefined ? [] : Array.isArray(def.fail) ? def.fail : [def.fail]).map((f: any, i: number) => {
      const p = Array.isArray(def.fail) ? `${at}/fail/${i}` : `${at}/fail`
      if (!isPlainObject(f) || f.when === undefined || typeof f.error !== 'string') problems.add(p, "fail is {when, error}: the condition (a matcher or an expression) and the error code that ends the stream")
      return { when: condition(isPlainObject(f) ? f.when : false, `${p}/when`, problems), error: String(isPlainObject(f) ? f.error ?? '' : '') }
    }),
    ...(typeof def.take === 'string' ? { take: def.take } : {}),
    pointer: at,
  }
}

function compileOutcome(def: unknown, at: string, problems: Problems, mayEmit: boolean): StreamOutcomeModel {
  if (def === undefined) return { set: [], pointer: at }
  if (!isPlainObject(def)) {
    problems.add(at, 'an outcome is an object: {state, set' + (mayEmit ? ', event, data}' : '}'))
    return { set: [], pointer: at }
  }
  unknownKeys(def, mayEmit ? OUTCOME_KEYS : at.endsWith('/abort') ? ['state', 'set', 'code', 'remove'] : ['state', 'set', 'remove'], at, problems)
  if (def.state !== undefined && typeof def.state !== 'string') problems.add(`${at}/state`, 'state is a lifecycle state of the resource')
  if (def.remove !== undefined && typeof def.remove !== 'boolean') problems.add(`${at}/remove`, 'remove is true (the record is not kept) or false')
  return {
    state: typeof def.state === 'string' ? def.state : undefined,
    set: compileSet(def.set, `${at}/set`, problems),
    event: typeof def.event === 'string' ? def.event : undefined,
    data: def.data === undefined ? undefined : template(def.data, `${at}/data`, problems),
    ...(typeof def.code === 'string' ? { code: def.code } : {}),
    ...(def.remove === true ? { remove: true } : {}),
    pointer: at,
  }
}

function compileSet(def: unknown, at: string, problems: Problems): Array<[string, Render]> {
  if (def === undefined) return []
  if (!isPlainObject(def)) {
    problems.add(at, 'set maps record fields to values or templates')
    return []
  }
  return Object.entries(def).map(([k, v]) => [k, template(v, `${at}/${k}`, problems)])
}

function unknownKeys(def: Record<string, unknown>, known: string[], at: string, problems: Problems): void {
  for (const key of Object.keys(def)) {
    if (!known.includes(key)) problems.add(`${at}/${key}`, `unknown stream setting "${key}" (known: ${known.join(', ')}).${suggest(key, known)}`)
  }
}

/** Checks a stream against the rest of the model: its error codes and the resource's lifecycle. */
export function checkStream(stream: StreamModel, resource: string | undefined, behaviour: BehaviourModel, problems: Problems): void {
  if (stream.concurrency) checkCode(behaviour.errors, stream.concurrency.error, `${stream.concurrency.pointer}/error`, problems)
  if (stream.budget) checkCode(behaviour.errors, stream.budget.error, `${stream.budget.pointer}/error`, problems)
  if (stream.timeout) checkCode(behaviour.errors, stream.timeout.error, `${stream.timeout.pointer}/error`, problems)
  if (stream.abort.code !== undefined) checkCode(behaviour.errors, stream.abort.code, `${stream.abort.pointer}/code`, problems)
  for (const event of stream.events) {
    event.fail.forEach((f, i) => checkCode(behaviour.errors, f.error, `${event.pointer}/fail${event.fail.length > 1 ? `/${i}` : ''}/error`, problems))
    if (event.take === undefined) continue
    const limit = behaviour.limits.find((l) => l.id === event.take)
    if (!limit) problems.add(`${event.pointer}/take`, `no limit with id "${event.take}" in x-standin.limits.${suggest(event.take, behaviour.limits.map((l) => l.id))}`)
    else if (limit.kind !== 'rate') problems.add(`${event.pointer}/take`, `limit "${event.take}" is a ${limit.kind} limit: an event takes a slot of a rate limit`)
  }
  const lifecycle = resource ? behaviour.resources.get(resource)?.lifecycle : undefined
  for (const outcome of [stream.end, stream.error, stream.abort]) {
    if (outcome.state === undefined) continue
    if (!lifecycle) problems.add(`${outcome.pointer}/state`, `the operation's resource${resource ? ` "${resource}"` : ''} has no lifecycle, so a stream cannot move it to "${outcome.state}"`)
    else if (!lifecycle.states.has(outcome.state)) problems.add(`${outcome.pointer}/state`, `"${outcome.state}" is not a state of ${resource}'s lifecycle (${[...lifecycle.states].join(', ')}).${suggest(outcome.state, lifecycle.states)}`)
  }
}

/** The error codes a stream may answer or send, for coverage and `Prefer: code=`. */
export function streamCodes(stream: StreamModel, behaviour?: BehaviourModel): string[] {
  const takes = stream.events.map((e) => e.take === undefined ? undefined : behaviour?.limits.find((l) => l.id === e.take)?.error)
  return [stream.concurrency?.error, stream.budget?.error, stream.timeout?.error, ...stream.events.flatMap((e) => e.fail.map((f) => f.error)), ...takes]
    .filter((c): c is string => typeof c === 'string' && c !== '')
}
