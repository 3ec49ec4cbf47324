/**
 * `--proxy <base-url>`: which operations the provider answers and which standin mocks, decided per
 * request from four settings, the first that names the operation winning:
 *   1. the control API's switch (`PUT /__standin/proxy`), at run time;
 *   2. the world's scenario (`proxy: {selector: mock|proxy}`);
 *   3. the command line (`--mock <selector>`, `--forward <selector>`) or the library's `routes`;
 *   4. the spec or an overlay (`x-standin: {proxy: mock|proxy}` on an operation);
 * and otherwise `proxy`. Rules and triggers apply to proxied operations as to any other: a forced 429
 * is answered here, and the provider never sees the request.
 */
import type { Context } from '../core/context.ts'
import type { OperationModel } from '../spec/model.ts'
import type { Scenario } from '../scenario/model.ts'
import type { Api } from '../api.ts'
import { ApiError } from '../errors.ts'
import { authenticate } from '../auth/auth.ts'
import { credentialFor } from '../auth/credentials.ts'
import { validateRequest } from '../validate/validate.ts'
import { compileRoutes, modeIn, operationTags, type ProxyMode, type ProxyRoutes, type SelectorScope } from './selectors.ts'
import { forward, type Exchange, type ForwardOptions } from './forward.ts'
import type { Prepared } from '../render/render.ts'

export interface ProxyOptions extends ForwardOptions {
  /** Selectors → mode (`{'tag:billing': 'mock'}`), in order: the command line's setting. */
  routes?: Record<string, ProxyMode> | Array<[string, ProxyMode]>
  /** Told of every exchange with the provider (`standin record` writes them down). */
  onExchange?: (exchange: Exchange) => void
}


/** The spec's own setting of an operation: `x-standin: {proxy: mock|proxy}`. */
function specMode(api: Api, op: OperationModel): ProxyMode | undefined {
  const mode = api.spec.document.paths?.[op.path]?.[op.method.toLowerCase()]?.['x-standin']?.proxy
  return mode === 'mock' || mode === 'proxy' ? mode : undefined
}

export function scopeOf(api: Api): SelectorScope {
  return { operations: api.operations, tagsOf: (op) => operationTags(api, op) }
}

export class ProxySwitch {
  readonly options: ProxyOptions
  /** The command line's setting, compiled (against the first spec it meets: selectors are names, not objects). */
  private readonly flags: ProxyRoutes
  private overrides: ProxyRoutes = []
  /** The run-time setting as given, for GET /__standin/proxy. */
  private overrideSetting: Array<[string, ProxyMode]> = []
  private readonly scenarioRoutes = new WeakMap<Scenario, ProxyRoutes>()
  /** op → scenario → mode; dropped whenever the run-time setting changes. */
  private decided = new WeakMap<OperationModel, Map<Scenario, ProxyMode>>()
  private readonly tags = new WeakMap<OperationModel, readonly string[]>()

  constructor(options: ProxyOptions) {
    try { new URL(options.target) } catch { throw new RangeError(`the proxy target "${options.target}" is not a URL (http://host:port, https://sandbox.example.com/v1)`) }
    if (!/^https?:$/.test(new URL(options.target).protocol)) throw new RangeError(`the proxy target "${options.target}" is not an http or https URL`)
    this.options = options
    const { routes, problems } = compileRoutes(options.routes ?? {}, undefined)
    if (problems.length > 0) throw new RangeError(problems.map((p) => p.message).join('; '))
    this.flags = routes
  }

  /** Whether the provider answers this request (its operation routed, its world known). */
  chooses(ctx: Context): boolean {
    const op = ctx.op!
    const scenario = ctx.world.scenario
    let byScenario = this.decided.get(op)
    if (!byScenario) this.decided.set(op, (byScenario = new Map()))
    let mode = byScenario.get(scenario)
    if (mode === undefined) byScenario.set(scenario, (mode = this.modeOf(ctx.world.api, op, scenario)))
    return mode === 'proxy'
  }

  modeOf(api: Api, op: OperationModel, scenario?: Scenario): ProxyMode {
    let tags = this.tags.get(op)
    if (!tags) this.tags.set(op, (tags = operationTags(api, op)))
    return modeIn(this.overrides, op, tags)
      ?? (scenario ? modeIn(this.routesOf(scenario), op, tags) : undefined)
      ?? modeIn(this.flags, op, tags)
      ?? specMode(api, op)
      ?? 'proxy'
  }

  private routesOf(scenario: Scenario): ProxyRoutes {
    let routes = this.scenarioRoutes.get(scenario)
    if (!routes) this.scenarioRoutes.set(scenario, (routes = compileRoutes(scenario.proxy ?? [], undefined).routes))
    return routes
  }

  /**
   * Stage 4 for a proxied operation: a credential standin knows names the tenant (rules match on
   * it); one it does not is the provider's to judge, not refused here. Except a request with no
   * credential at all where the operation requires one and the provider's own credentials
   * (--proxy-header) go in the very header the client's would: the provider can no longer tell, so
   * standin refuses it as the mock would (a client that forgets its key must not pass unnoticed).
   */
  identify(ctx: Context): void {
    try {
      authenticate(ctx)
    } catch (error) {
      if (!(error instanceof ApiError)) throw error
      if (this.replacesCredential(ctx)) throw error
    }
  }

  /** The operation requires credentials, the request carries none, and --proxy-header sets the header they would be in. */
  private replacesCredential(ctx: Context): boolean {
    const op = ctx.op!
    const set = Object.keys(this.options.headers ?? {}).map((h) => h.toLowerCase())
    if (op.auth.open || set.length === 0) return false
    const { schemes } = ctx.world.api.behaviour
    let replaced = false
    for (const requirement of op.auth.requirements) {
      for (const [name] of requirement) {
        const scheme = schemes.get(name)
        if (!scheme) continue
        if (credentialFor(scheme, ctx.headers, ctx.query) !== undefined) return false
        const header = scheme.kind === 'bearer' || scheme.kind === 'basic' ? 'authorization' : scheme.in === 'header' ? scheme.parameter!.toLowerCase() : scheme.in === 'cookie' ? 'cookie' : undefined
        if (header !== undefined && set.includes(header)) replaced = true
      }
    }
    return replaced
  }

  /** Request bodies to forward, as they came. */
  private readonly bodies = new WeakMap<Context, Uint8Array>()

  keepBody(ctx: Context, body: Uint8Array): void {
    this.bodies.set(ctx, body)
  }

  /** Stage 8: the provider's answer. */
  async answer(ctx: Context): Promise<Prepared> {
    // A body over the limit was not read whole: it cannot be forwarded, and is refused as the mock would.
    if (ctx.bodyProblem === 'tooLarge') validateRequest(ctx)
    ctx.cause = 'proxy'
    const { prepared, exchange, notJson } = await forward(ctx, this.options, this.bodies.get(ctx))
    // Sent as it came (a stream), so the check against the spec does not see it: said here.
    if (notJson) ctx.violations.push({ side: 'provider', location: 'body', pointer: '', message: `the answer says ${prepared.contentType} but its body is not JSON` })
    this.options.onExchange?.(exchange)
    return prepared
  }

  /** Replaces (or, with `merge`, adds to) the run-time setting; throws RangeError naming what is wrong, before anything changes. */
  switch(setting: Record<string, unknown>, api: Api, merge = false): void {
    const next = merge ? new Map<string, unknown>(this.overrideSetting) : new Map<string, unknown>()
    for (const [selector, mode] of Object.entries(setting)) {
      next.delete(selector)
      // null takes a selector out of the setting (PATCH)
      if (mode !== null) next.set(selector, mode)
    }
    const { routes, problems } = compileRoutes([...next], scopeOf(api))
    if (problems.length > 0) throw new RangeError(problems.map((p) => p.message).join('; '))
    this.overrides = routes
    this.overrideSetting = routes.map((r) => [r.selector, r.mode])
    this.decided = new WeakMap()
  }

  /** What GET /__standin/proxy shows: the target, the settings, and each operation's mode in the default scenario's worlds. */
  describe(api: Api, scenario: Scenario | undefined): object {
    return {
      target: this.options.target,
      // Names only: the values are credentials.
      providerHeaders: Object.keys(this.options.headers ?? {}),
      routes: Object.fromEntries(this.overrideSetting),
      flags: Object.fromEntries(this.flags.map((r) => [r.selector, r.mode])),
      ...(scenario?.proxy?.length ? { scenario: { name: scenario.name, routes: Object.fromEntries(scenario.proxy) } } : {}),
      operations: Object.fromEntries(api.operations.map((op) => [op.id, this.modeOf(api, op, scenario)])),
    }
  }
}

/** One switch for a run: the same object through reloads (its run-time setting is kept). */
export function proxySwitch(proxy: ProxyOptions | ProxySwitch): ProxySwitch {
  return proxy instanceof ProxySwitch ? proxy : new ProxySwitch(proxy)
}
