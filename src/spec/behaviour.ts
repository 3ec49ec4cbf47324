/**
 * The document-level `x-standin` block: errors, auth, resources, limits, gates, headers. Every
 * problem is collected with its JSON pointer so `standin check` can list them all.
 */
import type { Problems } from '../errors.ts'
import { suggest } from '../errors.ts'
import { blankPlaceholders, compileMessage, compileTemplate, type Render } from '../util/template.ts'
import { compileExpression, type Evaluate } from '../util/expression.ts'
import { compileMatcher, isPlainObject } from '../util/match.ts'
import { parseDuration } from '../util/duration.ts'
import type {
  AuthFailure, AuthModel, BehaviourModel, CatalogueEntry, ErrorModel, GateModel, LifecycleModel, LimitModel,
  ResourceModel, SecurityScheme, TimerModel, ValidationCause,
} from './model.ts'
import type { SchemaRegistry } from './schemas.ts'
import type { StoredRecord } from '../world/store.ts'
import { BUILTIN_ERRORS } from './builtin-errors.ts'
import { compileJwt, compilePayments, condition } from './account.ts'

export const X = 'x-standin'

/** A compiled template, or a reported problem and a fallback. */
export function template(value: unknown, at: string, problems: Problems): Render {
  try {
    return compileTemplate(value)
  } catch (error) {
    problems.add(at, `bad placeholder: ${(error as Error).message}`)
    return () => undefined
  }
}

/** A catalogue message: a template whose clauses with a missing value are left out (compileMessage). */
export function message(value: unknown, at: string, problems: Problems): Render {
  if (typeof value !== 'string') return template(value, at, problems)
  try {
    return compileMessage(value)
  } catch (error) {
    problems.add(at, `bad placeholder: ${(error as Error).message}`)
    return () => undefined
  }
}

export function expression(value: unknown, at: string, problems: Problems): Evaluate {
  if (typeof value === 'number' || typeof value === 'boolean') return () => value
  if (typeof value !== 'string') {
    problems.add(at, `expected a number or an expression such as "{body.amount}", got ${JSON.stringify(value)}`)
    return () => undefined
  }
  const whole = /^\{(.+)\}$/.exec(value.trim())
  try {
    return compileExpression(whole ? whole[1]! : value)
  } catch (error) {
    problems.add(at, `bad expression ${JSON.stringify(value)}: ${(error as Error).message}`)
    return () => undefined
  }
}

/** A duration: `2s`, a number of seconds, or an expression giving seconds (`{record.ttl}`). Returns ms. */
export function durationExpression(value: unknown, at: string, problems: Problems): Evaluate {
  const literal = parseDuration(value)
  if (literal !== undefined) return () => literal
  const expr = expression(value, at, problems)
  return (vars) => parseDuration(expr(vars))
}

export function compileBehaviour(doc: any, registry: SchemaRegistry, problems: Problems): BehaviourModel {
  const x: any = isPlainObject(doc[X]) ? doc[X] : {}
  if (doc[X] !== undefined && !isPlainObject(doc[X])) problems.add(`/${X}`, 'x-standin must be an object')
  const errors = compileErrors(x.errors, `/${X}/errors`, problems, namedInBehaviour(doc))
  const auth = compileAuth(x.auth, `/${X}/auth`, problems, errors)
  const schemes = compileSchemes(doc, auth, errors, problems)
  const resources = new Map<string, ResourceModel>()
  if (x.resources !== undefined && !isPlainObject(x.resources)) problems.add(`/${X}/resources`, 'resources must map names to resource definitions')
  for (const [name, def] of Object.entries(isPlainObject(x.resources) ? x.resources : {})) {
    const at = `/${X}/resources/${name}`
    const resource = compileResource(name, def, at, registry, problems)
    // The codes a resource answers with are the catalogue's, as an operation's are.
    checkCode(errors, resource.notFound, `${at}/notFound`, problems)
    if (resource.gone !== undefined) checkCode(errors, resource.gone, `${at}/gone`, problems)
    resource.unique.forEach((u, i) => checkCode(errors, u.error, `${at}/unique/${i}/error`, problems))
    resources.set(name, resource)
  }
  const limits = asList(x.limits, `/${X}/limits`, problems).map(([def, at]) => compileLimit(def, at, problems))
  const gates = asList(x.gates, `/${X}/gates`, problems).map(([def, at]) => compileGate(def, at, problems))
  const headers = compileHeaders(x.headers, `/${X}/headers`, problems)
  const triggers = { header: String(x.triggers?.header ?? 'X-Standin-Error').toLowerCase(), prefer: x.triggers?.prefer !== false }
  const payments = compilePayments(x.payments, `/${X}/payments`, problems)
  return {
    errors, auth, schemes, schemeList: [...schemes.values()], resources, limits, gates, headers, triggers, payments,
    defaultScenario: typeof x.defaultScenario === 'string' ? x.defaultScenario : 'default',
    maxBodyBytes: typeof x.maxBodyBytes === 'number' ? x.maxBodyBytes : 1024 * 1024,
  }
}

export function asList(value: unknown, at: string, problems: Problems): Array<[any, string]> {
  if (value === undefined) return []
  if (!Array.isArray(value)) {
    problems.add(at, 'expected a list')
    return []
  }
  return value.map((item, i) => [item, `${at}/${i}`])
}

function compileErrors(def: any, at: string, problems: Problems, named: Set<string>): ErrorModel {
  if (def !== undefined && !isPlainObject(def)) problems.add(at, 'errors must be an object with envelope and catalogue')
  const d: any = isPlainObject(def) ? def : {}
  const catalogue = new Map<string, CatalogueEntry>()
  const add = (code: string, entry: any, p: string) => {
    if (!isPlainObject(entry) || typeof entry.status !== 'number' || entry.status < 100 || entry.status > 599) {
      problems.add(`${p}/status`, `catalogue entry "${code}" needs an HTTP status (100-599)`)
      return
    }
    catalogue.set(code, {
      code,
      status: entry.status,
      message: typeof entry.message === 'function' ? entry.message as Render : message(entry.message ?? code, `${p}/message`, problems),
      headers: compileHeaders(entry.headers, `${p}/headers`, problems),
      body: entry.body === undefined ? undefined : template(entry.body, `${p}/body`, problems),
    })
  }
  if (d.catalogue !== undefined && !isPlainObject(d.catalogue)) problems.add(`${at}/catalogue`, 'catalogue must map error codes to {status, message}')
  const own = isPlainObject(d.catalogue) ? Object.entries(d.catalogue) : []
  // An API with a catalogue of its own answers only its own codes: standin's built-in ones join it
  // only where its x-standin names them (`missing: unauthorized`); the others are mapped below.
  const declared = own.some(([, e]) => isPlainObject(e) && typeof e.status === 'number' && e.status >= 100 && e.status <= 599)
  for (const [code, entry] of Object.entries(BUILTIN_ERRORS)) if (!declared || named.has(code)) add(code, entry, `${at}/catalogue`)
  for (const [code, entry] of own) add(code, entry, `${at}/catalogue/${code}`)
  const blanks: Array<{ pointer: string; message: string }> = []
  for (const [code, entry] of own) {
    // A message that can be sent with a blank in it (a forced error has none of its values).
    const missing = isPlainObject(entry) && typeof entry.message === 'string' ? blankPlaceholders(entry.message) : []
    if (missing.length > 0) {
      blanks.push({
        pointer: `${at}/catalogue/${code}/message`,
        message: `"${(entry as { message: string }).message}" can be sent with a blank: every clause holds a value that may be missing (${missing.map((m) => `{${m}}`).join(', ')}), as when the error is forced. Give it a default ({${missing[0]} ?? '…'}) or add a clause that needs no value.`,
      })
    }
  }

  const validation = {} as ErrorModel['validation']
  const v: any = isPlainObject(d.validation) ? d.validation : {}
  const causes: ValidationCause[] = ['malformed', 'contentType', 'tooLarge', 'required', 'field', 'enum', 'parameter']
  for (const cause of causes) {
    const fallback = cause === 'contentType' || cause === 'tooLarge' ? v.malformed : cause === 'required' || cause === 'parameter' || cause === 'enum' ? v.field : undefined
    const raw = v[cause] ?? fallback ?? 'invalid_request'
    const code = typeof raw === 'string' ? raw : raw?.code
    validation[cause] = {
      code,
      message: isPlainObject(raw) && raw.message !== undefined ? template(raw.message, `${at}/validation/${cause}/message`, problems) : undefined,
    }
  }
  // A value of the wrong format may be an error of its own (a URL without its protocol: INVALID_URL).
  const formats = new Map<string, { code: string; message?: Render }>()
  if (v.formats !== undefined && !isPlainObject(v.formats)) problems.add(`${at}/validation/formats`, 'formats maps a format (uri, email, date-time …) to an error code, or {code, message}')
  for (const [format, raw] of Object.entries<any>(isPlainObject(v.formats) ? v.formats : {})) {
    const code = typeof raw === 'string' ? raw : raw?.code
    formats.set(format, { code, message: isPlainObject(raw) && raw.message !== undefined ? template(raw.message, `${at}/validation/formats/${format}/message`, problems) : undefined })
  }
  const model: ErrorModel = {
    formats,
    envelope: d.envelope === undefined ? undefined : template(d.envelope, `${at}/envelope`, problems),
    contentType: typeof d.contentType === 'string' ? d.contentType : undefined,
    catalogue,
    declared,
    aliases: new Map(),
    warnings: blanks,
    validation,
    notFound: typeof d.notFound === 'string' ? d.notFound : 'not_found',
    methodNotAllowed: typeof d.methodNotAllowed === 'string' ? d.methodNotAllowed : 'method_not_allowed',
    internal: typeof d.internal === 'string' ? d.internal : 'internal_error',
  }
  const roles: Array<[string, string]> = [
    [model.notFound, `${at}/notFound`], [model.methodNotAllowed, `${at}/methodNotAllowed`], [model.internal, `${at}/internal`],
    ...causes.map((cause): [string, string] => [model.validation[cause].code, `${at}/validation/${cause}`]),
  ]
  mapBuiltins(model, roles)
  for (const cause of causes) checkCode(model, model.validation[cause].code, `${at}/validation/${cause}`, problems)
  for (const [format, rule] of formats) checkCode(model, rule.code, `${at}/validation/formats/${format}`, problems)
  checkCode(model, model.notFound, `${at}/notFound`, problems)
  checkCode(model, model.methodNotAllowed, `${at}/methodNotAllowed`, problems)
  checkCode(model, model.internal, `${at}/internal`, problems)
  return model
}

/**
 * The built-in codes a catalogue of the API's own lacks, each mapped to the catalogue's code closest
 * by status in the same class (a 405 to a 404, never a 500 to a 429), answered with the built-in
 * code's own status. A role (not found, wrong method, a bug, a bad request) whose class has no code
 * at all keeps standin's own (a bug is still a 500). Either way `check` warns, naming where to say
 * which code the API uses.
 */
function mapBuiltins(model: ErrorModel, roles: Array<[string, string]>): void {
  if (!model.declared) return
  const own = [...model.catalogue.values()]
  for (const [code, builtin] of Object.entries(BUILTIN_ERRORS)) {
    if (model.catalogue.has(code)) continue
    let best: CatalogueEntry | undefined
    for (const e of own) {
      if (Math.floor(e.status / 100) !== Math.floor(builtin.status / 100)) continue
      if (!best || Math.abs(e.status - builtin.status) < Math.abs(best.status - builtin.status)) best = e
    }
    if (best) model.aliases.set(code, { code: best.code, status: builtin.status })
  }
  const warned = new Set<string>()
  for (const [code, pointer] of roles) {
    const builtin = BUILTIN_ERRORS[code]
    if (!builtin || model.catalogue.has(code) || warned.has(code)) continue
    warned.add(code)
    const alias = model.aliases.get(code)
    if (alias) {
      const target = model.catalogue.get(alias.code)!
      model.warnings.push({ pointer, message: `the catalogue has no code for standin's "${code}" (${builtin.status}): answered with "${alias.code}" (${target.status}), the closest by status, at status ${builtin.status}. Add a code to x-standin.errors.catalogue or name one here.` })
    } else {
      add(model, code, builtin)
      model.warnings.push({ pointer, message: `the catalogue has no ${Math.floor(builtin.status / 100)}xx code: standin's own "${code}" (${builtin.status}) is answered. Add a code to x-standin.errors.catalogue or name one here.` })
    }
  }
}

function add(model: ErrorModel, code: string, builtin: { status: number; message: Render }): void {
  model.catalogue.set(code, { code, status: builtin.status, message: builtin.message, headers: [] })
}

/**
 * Every string value written anywhere under an `x-standin` of the document (its own, an operation's,
 * a security scheme's): a built-in code named there is one the API's catalogue takes as its own.
 */
function namedInBehaviour(doc: any): Set<string> {
  const named = new Set<string>()
  const walk = (node: unknown, depth: number) => {
    if (typeof node === 'string') named.add(node)
    else if (depth < 12 && Array.isArray(node)) for (const n of node) walk(n, depth + 1)
    else if (depth < 12 && isPlainObject(node)) for (const n of Object.values(node)) walk(n, depth + 1)
  }
  walk(doc?.[X], 0)
  for (const item of Object.values<any>(isPlainObject(doc?.paths) ? doc.paths : {})) {
    if (!isPlainObject(item)) continue
    walk(item[X], 0)
    for (const op of Object.values<any>(item)) if (isPlainObject(op)) walk(op[X], 0)
  }
  for (const scheme of Object.values<any>(isPlainObject(doc?.components?.securitySchemes) ? doc.components.securitySchemes : {})) {
    if (isPlainObject(scheme)) walk(scheme[X], 0)
  }
  return named
}

/** The catalogue's entry for a code and the status it is answered with: a built-in code mapped to the catalogue's closest keeps its own status. */
export function entryOf(errors: ErrorModel, code: string): { entry: CatalogueEntry; status: number } | undefined {
  const entry = errors.catalogue.get(code)
  if (entry) return { entry, status: entry.status }
  const alias = errors.aliases.get(code)
  const mapped = alias && errors.catalogue.get(alias.code)
  return mapped ? { entry: mapped, status: alias.status } : undefined
}

/** Reports a code that the catalogue does not hold. */
export function checkCode(errors: ErrorModel, code: unknown, at: string, problems: Problems): void {
  if (typeof code !== 'string') problems.add(at, `expected an error code of the catalogue, got ${JSON.stringify(code)}`)
  else if (!errors.catalogue.has(code) && !errors.aliases.has(code)) {
    problems.add(at, `error code "${code}" is not in x-standin.errors.catalogue.${suggest(code, errors.catalogue.keys())}`)
  }
}

/**
 * Which code each kind of credential failure gets, and the pattern a well-formed key matches: the
 * document's (`x-standin.auth`), or a security scheme's own (its `x-standin`), whose unset failures
 * fall back to its own `unknown`, then to the document's.
 */
function compileAuth(def: any, at: string, problems: Problems, catalogue: ErrorModel, base?: AuthModel, bearer = true): AuthModel {
  const d = isPlainObject(def) ? def : {}
  if (def !== undefined && !isPlainObject(def)) problems.add(at, 'auth is an object: {errors, keyPattern}')
  if (d.errors !== undefined && !isPlainObject(d.errors)) problems.add(`${at}/errors`, 'errors maps failures (missing, unknown, malformed, revoked, expired, forbidden) to error codes')
  const e = isPlainObject(d.errors) ? d.errors : {}
  // The codes written here (the others fall back to them, or to codes the catalogue always has).
  for (const [failure, code] of Object.entries(e)) {
    if (!['missing', 'unknown', 'expired', 'revoked', 'malformed', 'forbidden'].includes(failure)) problems.add(`${at}/errors/${failure}`, `"${failure}" is not a credential failure (missing, unknown, malformed, revoked, expired, forbidden).${suggest(failure, ['missing', 'unknown', 'expired', 'revoked', 'malformed', 'forbidden'])}`)
    else checkCode(catalogue, code, `${at}/errors/${failure}`, problems)
  }
  const own = typeof e.unknown === 'string' ? e.unknown : undefined
  const errors = {} as Record<AuthFailure, string>
  for (const failure of ['missing', 'unknown', 'expired', 'revoked', 'malformed'] as const) {
    errors[failure] = typeof e[failure] === 'string' ? e[failure] : own ?? base?.errors[failure] ?? 'unauthorized'
  }
  errors.forbidden = typeof e.forbidden === 'string' ? e.forbidden : base?.errors.forbidden ?? 'forbidden'
  let keyPattern: RegExp | undefined = base?.keyPattern
  if (d.keyPattern !== undefined) {
    try { keyPattern = new RegExp(String(d.keyPattern)) } catch { problems.add(`${at}/keyPattern`, 'keyPattern must be a regular expression') }
  }
  // Signed tokens: a scheme's own, else (bearer tokens only: a webhook's shared secret is no JWT) the document's.
  const ownJwt = compileJwt(d.jwt, `${at}/jwt`, problems)
  const jwt = ownJwt === false ? undefined : ownJwt ?? (bearer ? base?.jwt : undefined)
  return { errors, keyPattern, ...(jwt ? { jwt } : {}) }
}

function compileSchemes(doc: any, auth: AuthModel, catalogue: ErrorModel, problems: Problems): Map<string, SecurityScheme> {
  const out = new Map<string, SecurityScheme>()
  const schemes = doc.components?.securitySchemes
  for (const [name, s] of Object.entries<any>(isPlainObject(schemes) ? schemes : {})) {
    const at = `/components/securitySchemes/${name}`
    let scheme: SecurityScheme
    const http = String(s?.scheme ?? '').toLowerCase()
    if (s?.type === 'http' && http === 'basic') scheme = { name, kind: 'basic' }
    // Bearer, and any other HTTP authentication scheme (Digest, HOBA, AWS4-HMAC-SHA256 …): the
    // credential is what follows the scheme's name in Authorization.
    else if (s?.type === 'http' && /^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(http)) scheme = http === 'bearer' ? { name, kind: 'bearer' } : { name, kind: 'bearer', httpScheme: http }
    else if (s?.type === 'apiKey' && ['header', 'query', 'cookie'].includes(s.in) && typeof s.name === 'string' && s.name !== '') scheme = { name, kind: 'apiKey', in: s.in, parameter: s.name }
    else if (s?.type === 'oauth2' || s?.type === 'openIdConnect') scheme = { name, kind: 'bearer' }
    else {
      // Nothing in a request shows a client certificate (mutualTLS), and a scheme this document
      // describes wrongly cannot be read as written: a key in Authorization: Bearer stands for either.
      const why = s?.type === 'mutualTLS'
        ? 'mutualTLS: standin sees no client certificate'
        : s?.type === 'http' ? `an http scheme names its HTTP authentication scheme (scheme: bearer, basic, digest …); got ${JSON.stringify(s?.scheme ?? null)}`
          : s?.type === 'apiKey' ? 'an apiKey scheme names its `name` and where it is sent (`in`: header, query or cookie)'
            : `type ${JSON.stringify(s?.type ?? null)} is not an OpenAPI security scheme type (http, apiKey, oauth2, openIdConnect, mutualTLS)`
      problems.warn(at, `${why}; a key in Authorization: Bearer <key> stands for this scheme's credential`)
      scheme = { name, kind: 'bearer' }
    }
    const bearer = scheme.kind === 'bearer'
    if (s[X] !== undefined) scheme.auth = compileAuth(s[X], `${at}/${X}`, problems, catalogue, auth, bearer)
    // A scheme that is no bearer token does not take the document's signed tokens.
    else if (auth.jwt && !bearer) scheme.auth = { errors: auth.errors, ...(auth.keyPattern ? { keyPattern: auth.keyPattern } : {}) }
    out.set(name, scheme)
  }
  return out
}

export function compileHeaders(def: unknown, at: string, problems: Problems): Array<[string, Render]> {
  if (def === undefined) return []
  if (!isPlainObject(def)) {
    problems.add(at, 'headers must map header names to values or templates')
    return []
  }
  return Object.entries(def).map(([name, value]) => [name, template(value, `${at}/${name}`, problems)])
}

export function compileResource(name: string, def: any, at: string, registry: SchemaRegistry, problems: Problems): ResourceModel {
  if (!isPlainObject(def)) {
    problems.add(at, 'a resource needs at least a `schema` ($ref to its schema)')
    def = {}
  }
  const schemaRef = typeof def.schema === 'string' ? def.schema : def.schema?.$ref
  let schemaPointer = ''
  if (typeof schemaRef !== 'string') problems.add(`${at}/schema`, `resource "${name}" needs schema: '#/components/schemas/<Name>'`)
  else {
    // Through any $ref chain to the schema itself, so every route to it names the same resource.
    const resolved = registry.resolve({ $ref: schemaRef })
    schemaPointer = resolved.pointer
    if (resolved.schema === undefined) problems.add(`${at}/schema`, `${schemaRef} does not exist in the document`)
  }
  const id = isPlainObject(def.id) ? def.id : {}
  const idField = typeof id.field === 'string' ? id.field : 'id'
  const prefix = typeof id.prefix === 'string' ? id.prefix : ''
  // Integer ids stay within 2^53 and never start with 0, so they read back as the same number.
  const length = typeof id.length === 'number' ? (id.type === 'integer' ? Math.min(id.length, 15) : id.length) : id.type === 'integer' ? 9 : 24
  const alphabet = id.alphabet === 'hex' ? '0123456789abcdef' : id.alphabet === 'digits' || id.type === 'integer' ? '0123456789' : 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'
  const idType = id.type === 'integer' ? 'integer' : 'string'
  // Characters drawn into one array and made a string at once: adding them one by one to a string
  // makes a string per character. Same draws, in the same order, as ever: seeded ids stay the same.
  const codes = [...alphabet].map((c) => c.charCodeAt(0))
  const drawn: number[] = new Array<number>(Math.max(0, Math.ceil(length))).fill(0)
  const newId = id.format === 'uuid'
    ? (random: () => number) => uuidFrom(random)
    : (random: () => number) => {
        for (let i = 0; i < length; i++) drawn[i] = i === 0 && idType === 'integer' ? 49 + Math.floor(random() * 9) : codes[Math.floor(random() * codes.length)]!
        return prefix + String.fromCharCode.apply(null, drawn)
      }
  const lifecycle = def.lifecycle === undefined ? undefined : compileLifecycle(def.lifecycle, `${at}/lifecycle`, problems)
  const onCreate = isPlainObject(def.onCreate) ? Object.entries(def.onCreate).map(([k, v]) => [k, template(v, `${at}/onCreate/${k}`, problems)] as [string, Render]) : []
  if (lifecycle && onCreate.some(([field]) => field === lifecycle.field)) {
    problems.add(`${at}/onCreate/${lifecycle.field}`, `onCreate computes the lifecycle field "${lifecycle.field}": a record starts in lifecycle.initial (${lifecycle.initial}) and moves by timers and transitions`)
  }
  let retentionMs: number | undefined
  if (def.retention !== undefined) {
    retentionMs = parseDuration(def.retention)
    if (retentionMs === undefined) problems.add(`${at}/retention`, 'retention is a duration such as 30d')
  }
  const parent = isPlainObject(def.parent) && typeof def.parent.resource === 'string' && typeof def.parent.param === 'string'
    ? { resource: def.parent.resource, param: def.parent.param, field: typeof def.parent.field === 'string' ? def.parent.field : undefined }
    : undefined
  if (def.parent !== undefined && !parent) problems.add(`${at}/parent`, 'parent needs {resource, param} (the path parameter naming the parent record)')
  const unique = asList(def.unique, `${at}/unique`, problems).map(([u, p]) => {
    const fields: string[] = Array.isArray(u?.fields) ? u.fields.map(String) : (problems.add(`${p}/fields`, 'unique needs a list of fields'), [])
    return {
      fields,
      states: Array.isArray(u?.states) ? new Set<string>(u.states.map(String)) : undefined,
      error: String(u?.error ?? ''),
      keyOf: uniqueKey(fields, u?.missing === 'distinct'),
    }
  })
  return {
    name, schemaPointer, idField, idType, newId,
    notFound: typeof def.notFound === 'string' ? def.notFound : 'not_found',
    gone: typeof def.gone === 'string' ? def.gone : undefined,
    retentionMs, lifecycle, onCreate, parent, unique,
    ...(typeof def.credential === 'string' ? { credential: def.credential } : {}),
  }
}

function uuidFrom(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16))
  hex[12] = '4'
  hex[16] = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)
  const s = hex.join('')
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`
}

// Written as one string: a list starting `'from', '` reads to a scan of the built code like an import.
const TIMER_FIELDS = 'from to after since when chance set'.split(' ')

function compileLifecycle(def: any, at: string, problems: Problems): LifecycleModel | undefined {
  if (!isPlainObject(def) || !Array.isArray(def.states) || typeof def.initial !== 'string') {
    problems.add(at, 'a lifecycle needs `field`, `initial` and a list of `states`')
    return undefined
  }
  const states = new Set<string>(def.states.map(String))
  const checkState = (s: unknown, p: string) => {
    if (typeof s !== 'string' || !states.has(s)) problems.add(p, `"${String(s)}" is not one of the lifecycle's states (${[...states].join(', ')}).${suggest(String(s), states)}`)
  }
  checkState(def.initial, `${at}/initial`)
  const terminal = new Set<string>(Array.isArray(def.terminal) ? def.terminal.map(String) : [])
  for (const [i, s] of [...terminal].entries()) checkState(s, `${at}/terminal/${i}`)
  const timers: TimerModel[] = asList(def.timers, `${at}/timers`, problems).map(([t, p]) => {
    const from = new Set<string>(Array.isArray(t?.from) ? t.from.map(String) : typeof t?.from === 'string' ? [t.from] : [...states].filter((s) => !terminal.has(s)))
    for (const s of from) checkState(s, `${p}/from`)
    checkState(t?.to, `${p}/to`)
    if (t?.after === undefined) problems.add(`${p}/after`, 'a timer needs `after`: a duration (2s) or an expression giving seconds ({record.ttl})')
    for (const key of Object.keys(isPlainObject(t) ? t : {})) {
      if (!TIMER_FIELDS.includes(key)) problems.add(`${p}/${key}`, `"${key}" is not a field of a timer (${TIMER_FIELDS.join(', ')}).${suggest(key, TIMER_FIELDS)}`)
    }
    let when: TimerModel['when']
    if (t?.when !== undefined) {
      try { when = compileMatcher(t.when) } catch (error) { problems.add(`${p}/when`, (error as Error).message) }
    }
    if (typeof t?.chance === 'number' && !(t.chance >= 0 && t.chance <= 1)) problems.add(`${p}/chance`, 'a chance is a number from 0 to 1 (or an expression giving one)')
    if (t?.set !== undefined && !isPlainObject(t.set)) problems.add(`${p}/set`, 'set maps record fields to values (templates)')
    if (isPlainObject(t?.set) && typeof def.field === 'string' && Object.hasOwn(t.set, def.field)) problems.add(`${p}/set/${def.field}`, `set writes the lifecycle field "${def.field}": the timer's \`to\` moves the state`)
    return {
      from, to: String(t?.to), after: durationExpression(t?.after, `${p}/after`, problems), since: t?.since === 'created' ? 'created' : 'entered',
      when,
      chance: t?.chance === undefined ? undefined : expression(t.chance, `${p}/chance`, problems),
      set: isPlainObject(t?.set) ? template(t.set, `${p}/set`, problems) : undefined,
    }
  })
  return { field: typeof def.field === 'string' ? def.field : 'status', initial: def.initial, states, terminal, timers }
}

export function compileLimit(def: any, at: string, problems: Problems): LimitModel {
  if (!isPlainObject(def)) {
    problems.add(at, 'a limit is an object with kind, limit, per and error')
    def = {}
  }
  const kind = def.kind === 'count' || def.kind === 'concurrency' ? 'count' : def.kind === 'size' ? 'size' : 'rate'
  if (def.kind !== undefined && !['rate', 'count', 'concurrency', 'size'].includes(def.kind)) problems.add(`${at}/kind`, 'kind is rate, count, concurrency or size')
  let limit: LimitModel['limit'] = () => undefined
  let tiersOnly: string[] | undefined
  let largest: number | undefined
  if (typeof def.limit === 'number') { const n = def.limit; limit = () => n; largest = n }
  else if (isPlainObject(def.limit)) {
    const byTier = def.limit as Record<string, number>
    if (!Object.hasOwn(byTier, 'default')) tiersOnly = Object.keys(byTier)
    for (const [tier, n] of Object.entries(byTier)) {
      if (typeof n !== 'number' || !(n >= 0)) problems.add(`${at}/limit/${tier}`, `tier ${tier}'s limit is a number, 0 or more`)
      else largest = Math.max(largest ?? 0, n)
    }
    limit = (ctx) => {
      const tier = (ctx.tenant as { tier?: string } | undefined)?.tier
      return byTier[tier ?? 'default'] ?? byTier.default
    }
  } else problems.add(`${at}/limit`, 'limit is a number, or a number per tier ({free: 10, pro: 60})')
  const windowMs = kind === 'rate' ? parseDuration(def.window ?? '60s') : 0
  if (windowMs === undefined) problems.add(`${at}/window`, 'window is a duration such as 60s or 1m')
  if (kind === 'count' && typeof def.resource !== 'string') problems.add(`${at}/resource`, 'a count or concurrency limit names the resource whose records it counts')
  const perName = typeof def.per === 'string' ? def.per : 'tenant'
  const per = perName === 'tenant' ? (c: any) => c.tenant?.id
    : perName === 'key' ? (c: any) => c.key?.token
    : perName === 'resource' || perName === 'record' ? (c: any) => c.target ?? c.record?.id
    : perName === 'global' ? () => '*'
    : expression(perName, `${at}/per`, problems)
  if (typeof def.error !== 'string') problems.add(`${at}/error`, 'a limit names the error code it answers with')
  if (def.counts !== undefined && !['requests', 'successes', 'created'].includes(def.counts)) problems.add(`${at}/counts`, `counts is requests, successes or created, not ${JSON.stringify(def.counts)}`)
  return {
    id: typeof def.id === 'string' ? def.id : at,
    kind, limit, largest, tiersOnly, windowMs: windowMs ?? 60_000, per, perName,
    error: String(def.error ?? ''),
    counts: def.counts === 'successes' || def.counts === 'created' ? def.counts : 'requests',
    resource: typeof def.resource === 'string' ? def.resource : undefined,
    states: Array.isArray(def.states) ? new Set<string>(def.states.map(String)) : undefined,
    headers: compileHeaders(def.headers, `${at}/headers`, problems),
    operations: Array.isArray(def.operations) ? new Set<string>(def.operations.map(String)) : undefined,
    except: Array.isArray(def.except) ? new Set<string>(def.except.map(String)) : undefined,
    pointer: at,
  }
}

export function compileGate(def: any, at: string, problems: Problems): GateModel {
  // A matcher object, or an expression that holds (`'{or(eq(key.role, admin), tenant.flags.staff)}'`).
  const require = condition(def?.require, `${at}/require`, problems)
  if (typeof def?.error !== 'string') problems.add(`${at}/error`, 'a gate names the error code it answers with when `require` does not hold')
  return {
    require, error: String(def?.error ?? ''),
    operations: Array.isArray(def?.operations) ? new Set<string>(def.operations.map(String)) : undefined,
    except: Array.isArray(def?.except) ? new Set<string>(def.except.map(String)) : undefined,
  }
}

/**
 * A unique constraint's key for a record: its tenant, its parent and the JSON of each field (a field
 * the record lacks is a value of its own, so two records both without it are duplicates). With
 * `missing: distinct` (an optional name), a record lacking one of the fields is like no other, as
 * SQL's NULLs are: two unnamed records never clash.
 */
function uniqueKey(fields: string[], missingDistinct: boolean): (record: StoredRecord) => string {
  return (record) => {
    let key = `${record.tenant}\u0000${record.parentId ?? ''}`
    for (const field of fields) {
      const value = record.data[field]
      if (missingDistinct && (value === undefined || value === null)) return `${record.tenant}\u0002${record.id}`
      key += value === undefined ? '\u0000\u0001' : `\u0000${JSON.stringify(value)}`
    }
    return key
  }
}
