/**
 * Compiling an operation's ties to records of other resources than the one it acts on: `refs`, body
 * fields that name a record (`POST /sessions {"agentId"}` must name one of the caller's agents), and
 * `also`, records a create makes beside its own (a workspace's owner membership). Every problem is
 * reported with its JSON pointer; what needs the resources is checked in `checkRelated`.
 */
import type { Problems } from '../errors.ts'
import { suggest } from '../errors.ts'
import { isPlainObject } from '../util/match.ts'
import type { Render } from '../util/template.ts'
import { asList, checkCode, template, X } from './behaviour.ts'
import { escapeToken } from '../util/pointer.ts'
import type { BehaviourModel, OperationModel } from './model.ts'

/** A body field naming a record of `resource` by its id: absent, nothing is checked; unknown, `error`. */
export interface RefModel {
  /** The field's path in the body (`agentId`, `agent.id`). */
  path: string[]
  resource: string
  /** The code for an id that names no record of the caller's; unset: the resource's `notFound`. */
  error?: string
  pointer: string
}

/** A record a create makes beside its own, in the same tenant. */
export interface AlsoModel {
  resource: string
  /** Its parent: the record the operation created, the operation's own parent, or none. */
  parent?: 'record' | 'parent'
  /** Its first lifecycle state (unset: the lifecycle's initial one). */
  state?: string
  /** Its fields, as templates over the request's variables (`record` is the created record). */
  data: Render
  pointer: string
}

const REF_FIELDS = ['field', 'resource', 'error']
const ALSO_FIELDS = ['resource', 'parent', 'state', 'data']

export function compileRefs(def: unknown, at: string, problems: Problems): RefModel[] {
  return asList(def, at, problems).flatMap(([r, p]) => {
    if (!isPlainObject(r)) {
      problems.add(p, 'a ref is {field, resource, error?}: a body field naming a record of another resource')
      return []
    }
    for (const key of Object.keys(r)) if (!REF_FIELDS.includes(key)) problems.add(`${p}/${key}`, `"${key}" is not a field of a ref (${REF_FIELDS.join(', ')}).${suggest(key, REF_FIELDS)}`)
    if (typeof r.field !== 'string' || r.field === '') problems.add(`${p}/field`, 'a ref names the body field that holds the id (agentId, or a dotted path: agent.id)')
    if (typeof r.resource !== 'string') problems.add(`${p}/resource`, 'a ref names the resource whose record the field names')
    if (r.error !== undefined && typeof r.error !== 'string') problems.add(`${p}/error`, 'a ref\'s error is a code of the catalogue')
    if (typeof r.field !== 'string' || typeof r.resource !== 'string') return []
    return [{ path: r.field.split('.'), resource: r.resource, ...(typeof r.error === 'string' ? { error: r.error } : {}), pointer: p }]
  })
}

export function compileAlso(def: unknown, at: string, problems: Problems): AlsoModel[] {
  return asList(def, at, problems).flatMap(([a, p]) => {
    if (!isPlainObject(a)) {
      problems.add(p, 'also lists records to make beside the created one: {resource, parent?, state?, data}')
      return []
    }
    for (const key of Object.keys(a)) if (!ALSO_FIELDS.includes(key)) problems.add(`${p}/${key}`, `"${key}" is not a field of also (${ALSO_FIELDS.join(', ')}).${suggest(key, ALSO_FIELDS)}`)
    if (typeof a.resource !== 'string') { problems.add(`${p}/resource`, 'also names the resource of the record it makes'); return [] }
    if (a.parent !== undefined && a.parent !== 'record' && a.parent !== 'parent') problems.add(`${p}/parent`, 'parent is record (the record the operation created) or parent (the record the operation creates it in)')
    if (a.state !== undefined && typeof a.state !== 'string') problems.add(`${p}/state`, 'state is a state of the resource\'s lifecycle')
    if (a.data !== undefined && !isPlainObject(a.data)) problems.add(`${p}/data`, 'data maps the record\'s fields to values or templates ({userId: \'{key.user}\'})')
    return [{
      resource: a.resource,
      ...(a.parent === 'record' || a.parent === 'parent' ? { parent: a.parent } : {}),
      ...(typeof a.state === 'string' ? { state: a.state } : {}),
      data: template(isPlainObject(a.data) ? a.data : {}, `${p}/data`, problems),
      pointer: p,
    }]
  })
}

/** What needs the resources: each exists, each code is the catalogue's, each parent is where the resource lives. */
export function checkRelated(op: OperationModel, behaviour: BehaviourModel, problems: Problems): void {
  const resources = behaviour.resources
  for (const ref of op.refs) {
    const model = resources.get(ref.resource)
    if (!model) { problems.add(`${ref.pointer}/resource`, `resource "${ref.resource}" is not defined in x-standin.resources.${suggest(ref.resource, resources.keys())}`); continue }
    const code = ref.error ?? model.notFound
    checkCode(behaviour.errors, code, `${ref.pointer}/error`, problems)
    op.errorCodes.add(code)
  }
  if (op.also.length > 0 && op.action !== 'create') problems.add(`${op.pointer}/${X}/also`, `also makes records beside the one a create makes; ${op.id} is a ${op.action}`)
  const own = op.resource ? resources.get(op.resource) : undefined
  for (const also of op.also) {
    const model = resources.get(also.resource)
    if (!model) { problems.add(`${also.pointer}/resource`, `resource "${also.resource}" is not defined in x-standin.resources.${suggest(also.resource, resources.keys())}`); continue }
    const lives = model.parent?.resource
    const given = also.parent === 'record' ? own?.name : also.parent === 'parent' ? own?.parent?.resource : undefined
    if (lives !== given) {
      const fix = lives === undefined ? 'leave out parent' : lives === own?.name ? 'say parent: record' : lives === own?.parent?.resource ? 'say parent: parent' : `this operation neither creates a ${lives} nor creates its record in one`
      problems.add(`${also.pointer}/parent`, `${also.resource}'s records live in ${lives === undefined ? 'no parent' : `a ${lives}`}, not ${given === undefined ? 'without one' : `in a ${given}`}: ${fix}`)
    }
    if (also.state !== undefined && !model.lifecycle?.states.has(also.state)) {
      problems.add(`${also.pointer}/state`, `"${also.state}" is not a state of ${also.resource}'s lifecycle.${model.lifecycle ? suggest(also.state, model.lifecycle.states) : ''}`)
    }
  }
}

/**
 * Every `lookup('<resource>', …)` in the document's `x-standin` (and its operations' and schemes')
 * names a resource: a misspelt one would find nothing, and a check on it refuse everyone.
 */
export function checkLookups(doc: unknown, behaviour: BehaviourModel, problems: Problems): void {
  const visit = (node: unknown, pointer: string, inside: boolean, depth: number): void => {
    if (depth > 64) return
    if (typeof node === 'string') {
      if (!inside || !node.includes('lookup(')) return
      for (const m of node.matchAll(/lookup\(\s*'([^']*)'/g)) {
        if (!behaviour.resources.has(m[1]!)) problems.add(pointer, `lookup('${m[1]}', …) names no resource of x-standin.resources.${suggest(m[1]!, behaviour.resources.keys())}`)
      }
      return
    }
    if (Array.isArray(node)) { node.forEach((item, i) => visit(item, `${pointer}/${i}`, inside, depth + 1)); return }
    if (!isPlainObject(node)) return
    for (const [key, value] of Object.entries(node)) visit(value, `${pointer}/${escapeToken(key)}`, inside, depth + 1)
  }
  // Only where x-standin lives: a walk over a large spec's every schema would cost its start-up.
  const d: any = isPlainObject(doc) ? doc : {}
  visit(d[X], `/${X}`, true, 0)
  for (const [path, item] of Object.entries<any>(isPlainObject(d.paths) ? d.paths : {})) {
    if (!isPlainObject(item)) continue
    for (const [method, op] of Object.entries<any>(item)) if (isPlainObject(op)) visit(op[X], `/paths/${escapeToken(path)}/${method}/${X}`, true, 0)
  }
  for (const [name, scheme] of Object.entries<any>(isPlainObject(d.components?.securitySchemes) ? d.components.securitySchemes : {})) {
    if (isPlainObject(scheme)) visit(scheme[X], `/components/securitySchemes/${escapeToken(name)}/${X}`, true, 0)
  }
}
