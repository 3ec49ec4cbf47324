/**
 * Property-based: requests fast-check makes up — every operation of every bundled spec, its path
 * parameters the world's ids or any text, any query, bodies of the schema's field names with values
 * of any JSON type (or any JSON at all, or none), a key, a wrong key or none, now and then an error
 * code or a status asked for — and what must hold of every answer:
 * - no standin bug (an internal error is a response-side violation, which the suite's self-check
 *   gate fails the test on, as it does any answer that breaks the spec: an undeclared status, a
 *   body off its schema, a required header missing);
 * - no internal error (a 5xx) that nothing asked for: a 5xx unasked is the API's own answer to its
 *   state (a 501 for a tier without the feature);
 * - every error in the API's envelope, its code one of the catalogue's.
 * A fixed seed and a bounded number of runs per operation: the same requests every time.
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { createStandin, type Standin } from '../src/index.ts'
import type { OperationModel } from '../src/spec/model.ts'
import { bundledSpecs } from './support/cli.ts'
import { selfChecked } from './support/self-check.ts'
import { isPlainObject } from '../src/util/match.ts'

const RUNS = 100

interface Made { path: string; query: Record<string, string>; headers: Record<string, string>; body?: string; forced: boolean }

describe.each(bundledSpecs())('fuzzed requests to $name', ({ spec, scenarios }) => {
  it('never break the spec, never answer an unasked-for 5xx, and answer errors in the API\'s envelope', async () => {
    const standin = await createStandin(selfChecked({ spec, scenarios, clock: 'manual' }))
    const world = standin.world()
    const api = standin.api
    const catalogue = [...api.behaviour.errors.catalogue.keys()]
    const internal = api.behaviour.errors.internal
    const ids = [...api.behaviour.resources.keys()].flatMap((name) => world.state(name).map((r) => String(r.id ?? ''))).filter(Boolean)
    let sent = 0
    for (const op of api.operations) {
      await fc.assert(fc.asyncProperty(request(op, ids, world.keys, catalogue, standin), async (made) => {
        sent++
        const res = await standin.handle(new Request(`http://standin.fuzz${made.path}${query(made.query)}`, { method: op.method.toUpperCase(), headers: made.headers, body: made.body }))
        const type = res.headers.get('content-type') ?? ''
        // A stream on a manual clock goes on until the clock moves: its head is what is judged.
        const text = type.startsWith('text/event-stream') ? (await res.body?.cancel(), '') : await res.text()
        const at = `${op.method.toUpperCase()} ${made.path} ${JSON.stringify(made.headers)} ${made.body ?? ''} → ${res.status} ${text.slice(0, 300)}`
        let code: unknown
        if (res.status >= 400 && !type.startsWith('text/event-stream')) {
          code = codeOf(JSON.parse(text))
          expect(catalogue, at).toContain(code)
        }
        // A 5xx nothing asked for is the API's own answer to its state (a 501 for a tier without
        // the feature), never its internal error: that is a standin bug.
        if (!made.forced && res.status >= 500) expect(code, at).not.toBe(internal)
      }), { numRuns: RUNS, seed: 20261206, endOnFailure: true })
    }
    expect(sent).toBe(RUNS * api.operations.length)
  }, 60_000)
})

/** A request to `op`, made up. */
function request(op: OperationModel, ids: string[], keys: string[], catalogue: string[], standin: Standin): fc.Arbitrary<Made> {
  const text = fc.string({ minLength: 1, maxLength: 12, unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789_-.~'.split('')) })
  const params = op.path.match(/\{[^}]+\}/g) ?? []
  const path = fc.tuple(...params.map(() => fc.oneof(fc.constantFrom(...(ids.length > 0 ? ids : ['x'])), text))).map((values) => {
    let p = op.path
    params.forEach((param, i) => { p = p.replace(param, encodeURIComponent(values[i]!)) })
    return p
  })
  const known = keys
  const auth = fc.oneof(fc.constantFrom(...known.map((k) => `Bearer ${k}`)), fc.constant('Bearer not-a-key'), fc.constant(undefined))
  const statuses = op.responses.map((r) => r.status).filter((s): s is number => typeof s === 'number')
  const trigger = fc.oneof(
    { weight: 8, arbitrary: fc.constant<Record<string, string>>({}) },
    { weight: 1, arbitrary: fc.constantFrom(...catalogue).map((code) => ({ 'x-standin-error': code })) },
    { weight: 1, arbitrary: fc.constantFrom(...(statuses.length > 0 ? statuses : [200])).map((s) => ({ prefer: `code=${s}` })) },
  )
  const value = fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }))
  const names = bodyFieldNames(op, standin)
  const body = op.body === undefined ? fc.constant(undefined) : fc.oneof(
    fc.constant(undefined),
    fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
    fc.dictionary(fc.constantFrom(...(names.length > 0 ? names : ['x'])), value, { maxKeys: 6 }).map((v) => JSON.stringify(v)),
    fc.constant('{not json'),
  )
  const q = fc.dictionary(fc.constantFrom('limit', 'cursor', 'page', 'status', 'q', 'x'), text, { maxKeys: 3 })
  return fc.record({ path, auth, trigger, body, q }).map(({ path, auth, trigger, body, q }) => {
    const headers: Record<string, string> = { ...trigger }
    if (auth) headers.authorization = auth
    if (body !== undefined) headers['content-type'] = 'application/json'
    return { path, query: q, headers, body, forced: Object.keys(trigger).length > 0 }
  })
}

function bodyFieldNames(op: OperationModel, standin: Standin): string[] {
  for (const [, media] of op.body?.contentTypes ?? []) {
    if (!media.schemaPointer) continue
    const schema = standin.api.schemaAt(media.schemaPointer)
    if (isPlainObject(schema) && isPlainObject(schema.properties)) return Object.keys(schema.properties)
  }
  return []
}

function query(q: Record<string, string>): string {
  const s = new URLSearchParams(q).toString()
  return s ? `?${s}` : ''
}

/** The catalogue code in an error body, wherever the envelope keeps it. */
function codeOf(body: unknown): unknown {
  if (!isPlainObject(body)) return undefined
  if (typeof body.code === 'string') return body.code
  if (isPlainObject(body.error) && typeof body.error.code === 'string') return body.error.code
  if (typeof body.error === 'string') return body.error
  return undefined
}
