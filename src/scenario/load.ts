/**
 * Loading scenario files: each YAML file in a folder is a scenario named after the file. Files are
 * checked against scenario.schema.json, then against the spec (operations, error codes, resources,
 * lifecycle states), and keys must be unique across scenarios, since a key selects its world.
 */
import { readdirSync, statSync } from 'node:fs'
import { basename, extname, join, resolve } from 'node:path'
import { createRequire } from 'node:module'
import type { Ajv, Options, ValidateFunction } from 'ajv'
import { ConfigError, Problems, suggest, type ConfigProblem } from '../errors.ts'
import { readStructuredFile, parseStructuredText, type ParsedFile } from '../spec/read-file.ts'
import type { BehaviourModel, LimitModel, OperationModel } from '../spec/model.ts'
import { compileMatcher, isPlainObject } from '../util/match.ts'
import { parseDuration } from '../util/duration.ts'
import { compileHeaders, template } from '../spec/behaviour.ts'
import type { KeyDef, RuleModel, Scenario, TenantDef } from './model.ts'
import { Validators, ajvVersions } from '../spec/validators.ts'
import { diskCacheOn } from '../util/disk-cache.ts'
import { declaredResponse } from '../spec/declared.ts'
import { compileRoutes, operationTags } from '../proxy/selectors.ts'
import { escapeToken } from '../util/pointer.ts'

const require = createRequire(import.meta.url)
export const scenarioSchema = require('./scenario.schema.json') as object
let validateScenarioShape: ValidateFunction | undefined

/** The validator of scenario files: compiled by Ajv once, or made from its code in the disk cache. */
function scenarioValidator(): ValidateFunction {
  // Our own schema, checked by the tests: compiling the meta-schema to check it again costs start-up.
  const options: Options = { allErrors: true, strict: false, verbose: true, validateSchema: false }
  const make = (source: boolean) => {
    const { Ajv } = require('ajv') as typeof import('ajv')
    const addFormats = require('ajv-formats').default as (ajv: Ajv) => Ajv
    return { scenario: addFormats(new Ajv({ ...options, ...(source ? { code: { source: true } } : {}) })) }
  }
  // The disk cache's key: everything the validator's code depends on.
  const context = diskCacheOn() ? [ajvVersions(), String(make), JSON.stringify(options), JSON.stringify(scenarioSchema)].join('\n') : undefined
  const validators = new Validators('scenario-validator', context, make)
  const validate = validators.compile('scenario', 'scenario.schema.json', scenarioSchema)
  validators.persist()
  return validate
}

export interface ApiForScenarios {
  behaviour: BehaviourModel
  operations: OperationModel[]
}

/** Loads every scenario in a folder (or one file); throws ConfigError listing every problem. */
export function loadScenarios(pathOrDir: string, api: ApiForScenarios): Scenario[] {
  const target = resolve(pathOrDir)
  let files: string[]
  try {
    files = statSync(target).isDirectory()
      ? readdirSync(target).filter((f) => /\.ya?ml$|\.json$/i.test(f) && !f.endsWith('.schema.json')).sort().map((f) => join(target, f))
      : [target]
  } catch {
    throw new ConfigError([{ file: target, pointer: '', message: 'no such scenario file or folder' }])
  }
  const problems: ConfigProblem[] = []
  const scenarios: Scenario[] = []
  for (const file of files) {
    let parsed: ParsedFile | undefined
    try {
      parsed = readStructuredFile(file)
      scenarios.push(compileScenario(file, parsed.value, api))
    } catch (error) {
      if (error instanceof ConfigError) problems.push(...error.problems.map((p) => withLine(p, parsed)))
      else throw error
    }
  }
  checkUnique(scenarios, problems)
  if (problems.length > 0) throw new ConfigError(problems)
  return scenarios
}

/** A scenario problem with the line its pointer is on, as a spec's have (one that says its line already, a parse error, is left as it is). */
function withLine(problem: ConfigProblem, parsed: ParsedFile | undefined): ConfigProblem {
  if (!parsed || /\(line \d+/.test(problem.message) || problem.file !== parsed.file) return problem
  let line: number | undefined
  try { line = parsed.line(problem.pointer) } catch { line = undefined }
  return line === undefined ? problem : { ...problem, message: `${problem.message} (line ${line})` }
}

/** Parses one scenario from text, for the library's `scenarios: [{…}]` and the control API. */
export function parseScenario(name: string, text: string, api: ApiForScenarios): Scenario {
  return compileScenario(name, parseStructuredText(name, text).value, api)
}

/**
 * A limit given per tier without a `default` does not apply to a tenant of any other tier (or of
 * none): a tenant whose tier is misspelt would silently have no limit. Said unless the scenario
 * sets that limit itself.
 */
function checkTiers(api: ApiForScenarios, tenants: TenantDef[], overridden: Map<string, number>, problems: Problems): void {
  const byId = new Map<string, LimitModel>()
  for (const op of api.operations) for (const limit of op.limits) if (limit.tiersOnly && !overridden.has(limit.id)) byId.set(limit.id, limit)
  tenants.forEach((t, ti) => {
    const tier = typeof t.tier === 'string' ? t.tier : undefined
    for (const limit of byId.values()) {
      if (tier !== undefined && limit.tiersOnly!.includes(tier)) continue
      const why = tier === undefined
        ? `the tenant has no tier, and limit "${limit.id}" is given only per tier (${limit.tiersOnly!.join(', ')}), with no default`
        : `tier "${tier}" is not one limit "${limit.id}" is given for (${limit.tiersOnly!.join(', ')}), and it has no default`
      problems.add(tier === undefined ? `/tenants/${ti}` : `/tenants/${ti}/tier`, `${why}: the limit would not apply to this tenant. Give the tenant one of those tiers, the limit a \`default\`, or set the limit in the scenario's \`limits\`.${tier === undefined ? '' : suggest(tier, limit.tiersOnly!)}`)
    }
  })
}

function checkUnique(scenarios: Scenario[], problems: ConfigProblem[]): void {
  const names = new Map<string, string>()
  const tokens = new Map<string, string>()
  for (const s of scenarios) {
    if (names.has(s.name)) problems.push({ file: s.file, pointer: '/name', message: `scenario "${s.name}" is also defined in ${names.get(s.name)}` })
    names.set(s.name, s.file)
    s.tenants.forEach((t, ti) => t.keys.forEach((k, ki) => {
      const other = tokens.get(k.token)
      if (other) problems.push({ file: s.file, pointer: `/tenants/${ti}/keys/${ki}/token`, message: `key "${k.token}" is also used in ${other}: a key selects its world, so each must be unique` })
      tokens.set(k.token, s.file)
    }))
  }
}

export function compileScenario(file: string, value: unknown, api: ApiForScenarios): Scenario {
  const problems = new Problems(file)
  validateScenarioShape ??= scenarioValidator()
  if (value === null || value === undefined) value = {}
  if (!validateScenarioShape(value)) {
    for (const e of validateScenarioShape.errors ?? []) {
      if (e.keyword === 'additionalProperties') {
        const name = String((e.params as any).additionalProperty)
        problems.add(`${e.instancePath}/${name}`, `unknown field "${name}".${suggest(name, Object.keys((e.parentSchema as any)?.properties ?? {}))}`)
      } else problems.add(e.instancePath, e.message ?? e.keyword)
    }
    problems.throwIfAny()
  }
  const v = value as any
  const name = typeof v.name === 'string' ? v.name : basename(file, extname(file))
  const opIds = new Set(api.operations.map((o) => o.id))
  const { behaviour } = api

  // The patterns a well-formed key matches: the document's, or a scheme's own. None if any scheme
  // takes any key.
  const inForce = behaviour.schemeList.length > 0 ? behaviour.schemeList.map((s) => (s.auth ?? behaviour.auth).keyPattern) : [behaviour.auth.keyPattern]
  const patterns = inForce.every((p): p is RegExp => p !== undefined) ? [...new Set(inForce)] : undefined
  // Signed tokens (x-standin.auth.jwt): taken at all, and taken by every scheme (then a plain key never passes).
  const signing = behaviour.auth.jwt ?? behaviour.schemeList.find((s) => s.auth?.jwt)?.auth?.jwt
  const signedOnly = behaviour.schemeList.length > 0 && behaviour.schemeList.every((s) => (s.auth ?? behaviour.auth).jwt !== undefined)
  const tenants: TenantDef[] = (v.tenants ?? []).map((t: any, ti: number) => {
    const at = `/tenants/${ti}`
    const balances: Record<string, number> = { ...(t.balances ?? {}) }
    if (typeof t.balance === 'number') balances.balance = t.balance
    const keys: KeyDef[] = (t.keys ?? []).map((k: any, ki: number) => {
      const key: KeyDef = { ...k }
      // A date-time, or a duration: that long after the world starts, on its clock (`0s`: expired from the start).
      if (typeof k.expiresAt === 'string') {
        const after = parseDuration(k.expiresAt)
        if (after !== undefined) { key.expiresAfter = after; delete key.expiresAt }
        else if (Number.isNaN(Date.parse(k.expiresAt))) problems.add(`${at}/keys/${ki}/expiresAt`, `"${k.expiresAt}" is neither a date-time (2026-01-01T00:00:00Z) nor a duration after the world starts (10m)`)
        else key.expiresAt = Date.parse(k.expiresAt)
      }
      if (k.jwt === true && !signing) problems.add(`${at}/keys/${ki}/jwt`, `key "${k.token}" is a signed token, but the spec takes none: add x-standin.auth.jwt (e.g. {ttl: 1h}) or leave jwt out`)
      if (k.jwt !== true && !k.malformed && signedOnly) problems.add(`${at}/keys/${ki}`, `key "${k.token}" is not a signed token, and every security scheme of the spec takes only signed tokens (x-standin.auth.jwt): give it jwt: true (the world mints its JWT), or every request with it is refused as malformed`)
      if (!k.malformed && !k.jwt && patterns && !patterns.some((p) => p.test(k.token))) {
        problems.add(`${at}/keys/${ki}/token`, `key "${k.token}" does not match the spec's key pattern${patterns.length > 1 ? 's' : ''} ${patterns.join(', ')}; every request with it would be refused as malformed`)
      }
      return key
    })
    const records: TenantDef['records'] = {}
    for (const [resource, list] of Object.entries<any[]>(t.records ?? {})) {
      const model = behaviour.resources.get(resource)
      if (!model) {
        problems.add(`${at}/records/${resource}`, `resource "${resource}" is not defined in the spec's x-standin.resources.${suggest(resource, behaviour.resources.keys())}`)
        continue
      }
      list.forEach((r, ri) => {
        const state = model.lifecycle ? r[model.lifecycle.field] : undefined
        if (state !== undefined && !model.lifecycle!.states.has(String(state))) {
          problems.add(`${at}/records/${resource}/${ri}/${model.lifecycle!.field}`, `"${state}" is not a state of ${resource} (${[...model.lifecycle!.states].join(', ')})`)
        }
      })
      records[resource] = list
    }
    const { balance: _b, balances: _bs, keys: _k, records: _r, flags, ...rest } = t
    return { ...rest, id: t.id, balances, flags: flags ?? {}, keys, records }
  })

  const rules: RuleModel[] = (v.rules ?? []).map((r: any, i: number) => {
    const at = `/rules/${i}`
    const operations = r.operation === undefined ? undefined : new Set<string>([r.operation].flat())
    for (const op of operations ?? []) {
      if (!opIds.has(op)) problems.add(`${at}/operation`, `rule ${i + 1} names unknown operation "${op}".${suggest(op, opIds)}`)
    }
    if (r.error !== undefined && !behaviour.errors.catalogue.has(r.error)) {
      problems.add(`${at}/error`, `rule ${i + 1} names unknown error code "${r.error}".${suggest(r.error, behaviour.errors.catalogue.keys())}`)
    }
    if (r.error === undefined && r.status === undefined && r.delay === undefined && r.fault === undefined) {
      problems.add(at, `rule ${i + 1} forces nothing: give it an error, a status, a delay or a fault`)
    }
    let match
    if (r.match !== undefined) {
      try { match = compileMatcher(r.match) } catch (error) { problems.add(`${at}/match`, (error as Error).message) }
    }
    if (r.afterEvents !== undefined) {
      if (r.error === undefined && r.fault === undefined) problems.add(`${at}/afterEvents`, `rule ${i + 1} cuts a stream after ${r.afterEvents} events but says neither how: give it an error (sent as an error event) or a fault (drop, timeout)`)
      if (r.error !== undefined && r.fault !== undefined) problems.add(at, `rule ${i + 1} cuts a stream with both an error and a fault: choose one`)
      if (r.status !== undefined) problems.add(`${at}/status`, `rule ${i + 1} cuts a stream mid-way, when the status has long been sent: use an error code instead`)
      if (!operations) problems.add(`${at}/operation`, `rule ${i + 1} cuts a stream: name the operation(s) whose stream it cuts`)
      for (const op of operations ?? []) {
        const model = api.operations.find((o) => o.id === op)
        if (model && !model.stream) problems.add(`${at}/operation`, `rule ${i + 1} cuts the stream of "${op}", which has no stream (x-standin.stream)`)
      }
    }
    const retryAfterMs = r.retryAfter === undefined ? undefined : parseDuration(r.retryAfter)
    if (r.retryAfter !== undefined && retryAfterMs === undefined) problems.add(`${at}/retryAfter`, 'retryAfter is a number of seconds or a duration such as 30s')
    const delayMs = r.delay === undefined ? undefined : parseDuration(r.delay)
    if (r.delay !== undefined && delayMs === undefined) problems.add(`${at}/delay`, 'delay is a duration such as 250ms or 2s')
    return {
      index: i, pointer: at, operations,
      method: typeof r.method === 'string' ? r.method.toUpperCase() : undefined,
      path: typeof r.path === 'string' ? globToRegExp(r.path) : undefined,
      match,
      nth: r.nth ?? 1,
      times: r.times ?? (r.nth !== undefined ? 1 : Infinity),
      error: r.error, status: r.status,
      headers: compileHeaders(r.headers, `${at}/headers`, problems),
      body: r.body === undefined ? undefined : template(r.body, `${at}/body`, problems),
      vars: isPlainObject(r.vars) ? r.vars : {},
      delayMs, fault: r.fault, afterEvents: r.afterEvents,
      retryAfter: retryAfterMs === undefined ? undefined : Math.ceil(retryAfterMs / 1000),
    }
  })
  const limitIds = new Set(api.operations.flatMap((o) => [...o.limits.map((l) => l.id), ...(o.stream?.concurrency ? [o.stream.concurrency.id] : [])]))
  const limits = new Map<string, number>()
  for (const [id, n] of Object.entries<number>(v.limits ?? {})) {
    if (!limitIds.has(id)) problems.add(`/limits/${id}`, `no limit has id "${id}".${suggest(id, limitIds)}`)
    limits.set(id, n)
  }
  checkTiers(api, tenants, limits, problems)
  // Which operations the provider answers in this scenario's worlds (--proxy): checked like the command line's.
  const proxy = Object.entries<string>(v.proxy ?? {}) as Array<[string, 'mock' | 'proxy']>
  for (const p of compileRoutes(proxy, { operations: api.operations, tagsOf: (op) => operationTags(api as { spec?: { document?: unknown } }, op) }).problems) problems.add(`/proxy/${escapeToken(p.selector)}`, p.message)
  problems.throwIfAny()
  const warnings = undeclaredForced(rules, api)
  return {
    ...(warnings.length > 0 ? { warnings } : {}),
    ...(proxy.length > 0 ? { proxy } : {}),
    name, file, description: v.description, seed: v.seed, limits,
    clock: { start: v.clock?.start ? Date.parse(v.clock.start) : undefined, mode: v.clock?.mode },
    tenants, rules,
  }
}

/**
 * Rules that force a status their operation does not declare: answered all the same (in the API's
 * error shape), and journalled as a finding — worth a look, since the real API is not documented
 * to answer it.
 */
function undeclaredForced(rules: RuleModel[], api: ApiForScenarios): Array<{ pointer: string; message: string }> {
  const warnings: Array<{ pointer: string; message: string }> = []
  for (const rule of rules) {
    if (!rule.operations || rule.afterEvents !== undefined) continue
    const status = rule.status ?? (rule.error !== undefined ? api.behaviour.errors.catalogue.get(rule.error)?.status : undefined)
    if (status === undefined) continue
    for (const id of rule.operations) {
      const op = api.operations.find((o) => o.id === id)
      if (op && !declaredResponse(op.responses, status, false)) {
        warnings.push({ pointer: `${rule.pointer}/${rule.status !== undefined ? 'status' : 'error'}`, message: `rule ${rule.index + 1} forces ${status}${rule.error ? ` (${rule.error})` : ''} on ${id}, which does not declare it: it is answered all the same and journalled as forced-undeclared` })
      }
    }
  }
  return warnings
}

function globToRegExp(glob: string): RegExp {
  const source = glob.replace(/[.+?^$()|[\]\\]/g, '\\$&').replace(/\*\*/g, '\u0000').replace(/\*/g, '[^/]+').replace(/\u0000/g, '.*').replace(/\{[^}]+\}/g, '[^/]+')
  return new RegExp(`^${source}/?$`)
}

/** The scenario a spec gets when its folder has none named like its default. */
export function builtinScenario(name: string): Scenario {
  return {
    name, file: '(built in)', clock: {}, rules: [], limits: new Map(),
    description: 'One tenant and one key, made up because no scenario file was given; any other credential is taken as that tenant\'s too.',
    anyKeyTenant: 'tenant_default',
    tenants: [{ id: 'tenant_default', balances: { balance: 100 }, flags: {}, keys: [{ token: 'standin-key' }], records: {} }],
  }
}
