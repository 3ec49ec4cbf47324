/**
 * The compiled model: what start-up makes of a spec and its `x-standin` behaviour. Requests only ever
 * read this; nothing on the request path walks the raw document.
 */
import type { ValidateFunction } from './schemas.ts'
import type { Evaluate } from '../util/expression.ts'
import type { Render } from '../util/template.ts'
import type { Predicate } from '../util/match.ts'
import type { StreamModel } from '../stream/model.ts'
import type { KeyedIndex, StoredRecord } from '../world/store.ts'
import type { AccountModel, CheckModel, JwtModel, PaymentsModel, TopUpModel } from './account-model.ts'
import type { AlsoModel, RefModel } from './related.ts'

export interface CatalogueEntry {
  code: string
  status: number
  message: Render
  headers: Array<[string, Render]>
  /** Extra body fields merged into the envelope for this code. */
  body?: Render
}

/**
 * Which kind of bad request a validation error is: `enum` is a body field's value outside its
 * allowed values (`enum`, `const`), a `field` error unless the spec gives it a code of its own.
 */
export type ValidationCause = 'malformed' | 'contentType' | 'tooLarge' | 'required' | 'field' | 'enum' | 'parameter'

export interface ErrorModel {
  /** The envelope `x-standin.errors.envelope` gives; unset: the error schema the spec declares gives the shape. */
  envelope?: Render
  /** The content type `x-standin.errors.contentType` gives; unset: the one the spec declares for the answer. */
  contentType?: string
  catalogue: Map<string, CatalogueEntry>
  /** The API declares a catalogue of its own: only its codes are answered. */
  declared: boolean
  /** Built-in codes the API's own catalogue lacks, mapped to its closest code (answered at the built-in's status). */
  aliases: Map<string, { code: string; status: number }>
  /** What `check` warns about: built-in roles answered with a code chosen by closeness. */
  warnings: Array<{ pointer: string; message: string }>
  /** Which catalogue code (and optional message) each kind of bad request gets. */
  validation: Record<ValidationCause, { code: string; message?: Render }>
  /** A body field failing its `format` (`uri`) gets this code rather than `field`'s (`validation.formats`). */
  formats: Map<string, { code: string; message?: Render }>
  notFound: string
  methodNotAllowed: string
  internal: string
}

export type AuthFailure = 'missing' | 'unknown' | 'expired' | 'revoked' | 'malformed' | 'forbidden'

export interface AuthModel {
  errors: Record<AuthFailure, string>
  /** A credential that does not match is malformed rather than unknown. */
  keyPattern?: RegExp
  /** Credentials are JWTs the world signs (`auth.jwt`): checked by signature, `exp` and revocation. */
  jwt?: JwtModel
}

export interface SecurityScheme {
  name: string
  kind: 'bearer' | 'basic' | 'apiKey'
  /** For an http scheme other than bearer and basic (`digest`): the scheme's name, lower-cased, before the credential in Authorization. */
  httpScheme?: string
  in?: 'header' | 'query' | 'cookie'
  parameter?: string
  /**
   * The scheme's own failures and key pattern (its `x-standin`), where its credential is not the
   * API's usual key: a webhook secret answered with its own code. Unset: `x-standin.auth`'s.
   */
  auth?: AuthModel
}

export interface LimitModel {
  id: string
  /** `size`: the request body's bytes (an upload's size by tier). */
  kind: 'rate' | 'count' | 'size'
  /** A number, or a number per tenant tier. */
  limit: (ctx: Record<string, unknown>) => number | undefined
  /** The largest number it may be (a tier's). */
  largest?: number
  /** A limit given per tier without a `default`: the tiers it names (a tenant of any other has no limit). */
  tiersOnly?: string[]
  windowMs: number
  /** The key the limit is counted by: tenant, key, the addressed record, or an expression. */
  per: Evaluate
  perName: string
  error: string
  /** Rate limits: count every request that reaches them, or only successful ones. */
  /**
   * What takes a slot: every request the limit admits; only `successes` (a failed answer gives its
   * slot back); or what `created` a record, whatever the answer (a run that started and then failed).
   */
  counts: 'requests' | 'successes' | 'created'
  /** Count limits: the resource whose records are counted, in these states. */
  resource?: string
  states?: Set<string>
  headers: Array<[string, Render]>
  operations?: Set<string>
  /** Operations a document-level limit leaves out. */
  except?: Set<string>
  pointer: string
}

export interface VariantModel {
  when?: Predicate
  status?: number
  state?: string
  /**
   * An error answered after the operation acted (a record made in `state`, what it costs spent): a
   * sync job past its ceiling, going on as an async one, its ids in the error's templates.
   */
  error?: string
  response?: Render
  headers?: Array<[string, Render]>
  pointer: string
}

export interface GateModel {
  require: Predicate
  error: string
  operations?: Set<string>
  /** Operations a document-level gate leaves out. */
  except?: Set<string>
}

export interface ChargeModel {
  balance: string
  amount: Evaluate
  error: string
  /** A charge short of credit first buys more on the card, when its `when` holds (auto top-up). */
  topUp?: TopUpModel
}

export interface TimerModel {
  from: Set<string>
  to: string
  /** Milliseconds after the record entered a `from` state (`since: entered`) or was created. */
  after: Evaluate
  since: 'entered' | 'created'
  /** Only for records this holds of (`{record, tenant, now}`), decided when the timer is set. */
  when?: Predicate
  /**
   * The chance (0–1) that the timer is set for a record, drawn from the world's seeded randomness when
   * the record enters the state: a failure rate that repeats with the seed.
   */
  chance?: Evaluate
  /** Fields written on the record as the timer moves it (a failed job's structured `error`). */
  set?: Render
}

export interface LifecycleModel {
  field: string
  initial: string
  states: Set<string>
  terminal: Set<string>
  timers: TimerModel[]
}

export interface ResourceModel {
  name: string
  schemaPointer: string
  idField: string
  /** How the id is written in a record: a string, or a number (the store keys it as a string). */
  idType: 'string' | 'integer'
  newId: (random: () => number) => string
  /** Inferred from the spec's REST shape rather than declared in `x-standin.resources`. */
  implicit?: boolean
  /** Resources whose records list some of this one's by relation (an issue, its comments): src/spec/implicit.ts. */
  relations?: string[]
  notFound: string
  /** Error for a record that existed and has passed its retention (410 `gone`). */
  gone?: string
  retentionMs?: number
  /**
   * The record is a credential (an API key the API mints): its value in this field authenticates as
   * the record's tenant from its creation, and is revoked when the record is removed.
   */
  credential?: string
  lifecycle?: LifecycleModel
  /** Fields computed when a record is created (templates over the request context). */
  onCreate: Array<[string, Render]>
  /** The parent resource and the path parameter that names it (children inside a parent record). */
  parent?: { resource: string; param: string; field?: string }
  /** Duplicates refused; `keyOf` keys the store's index of them (tenant, parent, the fields' values). */
  unique: Array<{ fields: string[]; states?: Set<string>; error: string; keyOf(record: StoredRecord): string }>
  /**
   * Inferred resources: the record fields the path parameters of its item path name it by (an
   * issue's `number`, a repository's `owner.login` and `name`), each a path into the record;
   * `sequence`, the integer key field numbered 1, 2, … per parent record (per resource when it is the id).
   */
  key?: { fields: string[][]; sequence?: string }
  /** Inferred resources: the spec's example of one record, which a created record starts from. */
  example?: Record<string, unknown>
  /** Inferred resources: the records the spec's examples show, which every world starts with. */
  examples?: Array<Record<string, unknown>>
}

/**
 * One record (or scope) a path names, outermost first: `/repos/{owner}/{repo}/issues/{issue_number}`
 * is a repository by `owner.login` and `name`, then an issue of it by `number`.
 */
export interface AddressStep {
  /** The resource named; unset: the parameters only keep records apart (no record is looked up). */
  resource?: string
  params: string[]
  /** The record fields the parameters are matched to, each a path (`owner.login`). */
  fields: string[][]
  /** The store index of those fields' values (with the tenant and the parent record). */
  index?: KeyedIndex
}

export type Action = 'create' | 'read' | 'list' | 'update' | 'delete' | 'transition' | 'custom' | 'none'

export interface ParameterModel {
  name: string
  in: 'path' | 'query' | 'header' | 'cookie'
  required: boolean
  /** Where the Parameter Object is, and its schema (for examples and generated values). */
  pointer?: string
  schemaPointer?: string
  /** The schema's `default`, given to a request that leaves the parameter out (a page size). */
  default?: unknown
}

export interface ResponseMedia { schemaPointer?: string; example?: unknown; validate?: ValidateFunction }

export interface ResponseModel {
  /** The status, the first of a range (`4XX` is 400 with `range`), or `default`. */
  status: number | 'default'
  /** Declared as a range (`4XX`): covers status .. status + 99. */
  range?: boolean
  pointer: string
  contentTypes: Map<string, ResponseMedia>
  /** The content types in declared order, and the one answered when the Accept header names none (JSON, else the first). */
  media: { entries: Array<readonly [string, ResponseMedia]>; fallback?: readonly [string, ResponseMedia] }
  /** Lower-cased names; `validate` takes the header's value as sent (a string) and coerces it. */
  headers: Map<string, { required: boolean; schemaPointer?: string; validate?: (value: string) => boolean }>
}

export interface OperationModel {
  id: string
  method: string
  path: string
  pointer: string
  parameters: ParameterModel[]
  /** What the parameters' validator reads: header names (lower case), query names, and whether cookies. */
  parameterNames: { header: string[]; query: string[]; cookie: boolean }
  validateParams?: ValidateFunction
  body?: {
    required: boolean
    contentTypes: Map<string, { schemaPointer?: string; validate?: ValidateFunction }>
  }
  responses: ResponseModel[]
  /** Alternatives: each a map of scheme name to required scopes. Empty list: no auth. */
  security: Array<Map<string, string[]>>
  /** The same as lists, for the auth stage to walk without an iterator per request; `open` when no auth is needed. */
  auth: { open: boolean; requirements: Array<Array<[string, string[]]>> }
  action: Action
  resource?: string
  /** The path parameter naming the addressed record, for item operations. */
  idParam?: string
  /**
   * The field of the record `idParam` names it by, when not its id (`GET /tasks/{task_id}` finds a
   * run by its `taskId`), with the store index that finds it (keyed by tenant and the field's value).
   */
  lookup?: { field: string; index: KeyedIndex }
  /**
   * Inferred: the records the path names, outermost first (each must exist: 404 otherwise). An item
   * operation acts on the last one; a create or list puts its records in (lists them from) the
   * record of step `parentAt` (-1: no parent), which is where the resource's own item path keeps them.
   * `via`: the step of a record the resource does not live in (an issue, for its comments that live
   * in the repository): a create tags its record with it, a list lists only records so tagged.
   */
  address?: { steps: AddressStep[]; parentAt: number; via?: number }
  transitionTo?: string
  /** Lifecycle states in which the operation is refused, and the error each gets. */
  states: Map<string, string>
  /** The same for the records the addressed one lives in, by resource name (no new tasks in an archived project). */
  parentStates: Map<string, Map<string, string>>
  set: Array<[string, Render]>
  limits: LimitModel[]
  gates: GateModel[]
  charge?: ChargeModel
  /** Conditions on the addressed record (and its parents), checked before the operation acts. */
  checks: CheckModel[]
  /** Body fields naming records of other resources, which must be the caller's (404 otherwise). */
  refs: RefModel[]
  /** Records a create makes beside its own (a workspace's owner membership). */
  also: AlsoModel[]
  /** What success does to the caller's account: tenant fields, a purchase, tokens minted or revoked. */
  account?: AccountModel
  idempotency?: { header: string; conflict: string; ttlMs: number }
  response?: Render
  /** Headers a successful answer carries, as templates (`Location: '/v1/tokens/{record.id}'`). */
  headers: Array<[string, Render]>
  /**
   * Successful answers chosen by the request: the first variant whose `when` holds gives the status,
   * a created record's first state, the body and the headers (each the operation's own when unset).
   * A job API's `async: true` answered 202 with the job queued, and 200 with it done.
   */
  variants: VariantModel[]
  /** Events sent over time (`text/event-stream`), their cost and budget, and the open-stream cap. */
  stream?: StreamModel
  successStatus: number
  errorCodes: Set<string>
}

export interface BehaviourModel {
  errors: ErrorModel
  auth: AuthModel
  schemes: Map<string, SecurityScheme>
  /** The same schemes in order, for the request path to walk without an iterator. */
  schemeList: SecurityScheme[]
  resources: Map<string, ResourceModel>
  limits: LimitModel[]
  gates: GateModel[]
  headers: Array<[string, Render]>
  triggers: { header: string; prefer: boolean }
  /** Where a caller's card is and which cards decline (`x-standin.payments`). */
  payments: PaymentsModel
  defaultScenario: string
  maxBodyBytes: number
}
