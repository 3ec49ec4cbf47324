/**
 * A stream's script, step by step: which event comes next (lists expanded item by item), when, what
 * it costs, and whether it may be sent at all — a scenario's cut comes first, then a record that went
 * away, then the budget. The same steps serve a stream paced on the world's clock and a request answered
 * at once as JSON, so both end the same way for the same request.
 */
import type { Context } from '../core/context.ts'
import { varsOf } from '../core/context.ts'
import type { ResourceModel } from '../spec/model.ts'
import type { StoredRecord } from '../world/store.ts'
import type { StreamCut, StreamEventModel, StreamModel, StreamOutcomeModel } from './model.ts'

export interface Step {
  model: StreamEventModel
  item?: unknown
  index: number
}

export type Emission =
  | { kind: 'event'; event?: string; data: unknown }
  | { kind: 'end' }
  | { kind: 'error'; code: string; vars: Record<string, unknown> }
  | { kind: 'fault'; fault: 'drop' | 'timeout' }

/** Money is summed in floating point; rounding each sum keeps 0.1 + 0.2 from becoming 0.30000000000000004. */
const round = (n: number) => Math.round(n * 1e9) / 1e9

export class Script {
  /** Events sent so far. */
  sent = 0
  /** What the sent events cost. */
  spent = 0
  readonly budget?: number
  private eventIndex = 0
  private items?: unknown[]
  private itemIndex = 0
  private cutDone = false
  private readonly ctx: Context
  private readonly model: StreamModel
  private readonly record?: StoredRecord
  private readonly resource?: ResourceModel
  private readonly cut?: StreamCut

  constructor(ctx: Context, model: StreamModel, record: StoredRecord | undefined, resource: ResourceModel | undefined) {
    this.ctx = ctx
    this.model = model
    this.record = record
    this.resource = resource
    this.cut = ctx.cut
    const limit = model.budget ? Number(model.budget.limit(varsOf(ctx))) : NaN
    this.budget = Number.isFinite(limit) ? limit : undefined
  }

  /** The variables templates see: the request's, the record as it is now, and the money so far. */
  vars(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return varsOf(this.ctx, { record: this.record?.data, spent: this.spent, budget: this.budget, seq: this.sent, ...extra })
  }

  /** The next step, or undefined at the end of the script. `each` lists are read when reached. */
  next(): Step | undefined {
    const events = this.model.events
    while (this.eventIndex < events.length) {
      const model = events[this.eventIndex]!
      if (!model.each) {
        this.eventIndex++
        return { model, index: 0 }
      }
      if (!this.items) {
        const list = model.each(this.vars())
        this.items = list === undefined || list === null ? [] : Array.isArray(list) ? list : [list]
        this.itemIndex = 0
      }
      if (this.itemIndex < this.items.length) {
        const index = this.itemIndex++
        return { model, item: this.items[index], index }
      }
      this.items = undefined
      this.eventIndex++
    }
    return undefined
  }

  /** Milliseconds to wait before a step. */
  delayOf(step: Step): number {
    const ms = step.model.after(this.vars({ item: step.item, index: step.index }))
    return typeof ms === 'number' && Number.isFinite(ms) && ms > 0 ? ms : 0
  }

  /** Sends a step (or ends the script, given none) — unless something stops the stream first. */
  emit(step: Step | undefined): Emission {
    const cut = this.cut
    if (cut && !this.cutDone && (this.sent >= cut.afterEvents || step === undefined)) {
      // A cut past the script's end replaces its clean end, so a rule always has its effect.
      this.cutDone = true
      if (cut.fault) return { kind: 'fault', fault: cut.fault }
      return { kind: 'error', code: cut.error!, vars: { ...cut.vars } }
    }
    if (this.record && this.resource && this.ctx.world.store.get(this.resource.name, this.record.id) !== this.record) {
      return { kind: 'error', code: this.resource.notFound, vars: { id: this.record.id, resource: this.resource.name } }
    }
    if (step === undefined) return { kind: 'end' }
    const vars = { item: step.item, index: step.index }
    const refused = this.refusal(step, vars)
    if (refused) return refused
    const cost = step.model.cost ? Number(step.model.cost(this.vars(vars))) : 0
    if (this.model.budget && this.budget !== undefined && Number.isFinite(cost) && round(this.spent + cost) > this.budget) {
      return { kind: 'error', code: this.model.budget.error, vars: { budget: this.budget, spent: this.spent, cost } }
    }
    if (Number.isFinite(cost) && cost !== 0) this.spent = round(this.spent + cost)
    if (this.record && this.model.costField) this.record.data[this.model.costField] = this.spent
    this.apply(step.model.set, vars, this.model.costField !== undefined)
    const data = step.model.data ? step.model.data(this.vars(vars)) : undefined
    this.sent++
    return { kind: 'event', event: step.model.event, data }
  }

  /**
   * What stops an event as it comes up: a failure the scenario's data marks (a failing model, a site
   * that is down), then the rate limit it takes a slot of (an outgoing call counted per destination).
   */
  private refusal(step: Step, extra: Record<string, unknown>): Extract<Emission, { kind: 'error' }> | undefined {
    const { fail, take } = step.model
    if (fail.length === 0 && take === undefined) return undefined
    const vars = this.vars(extra)
    for (const f of fail) if (f.when(vars)) return { kind: 'error', code: f.error, vars: {} }
    if (take === undefined) return undefined
    const world = this.ctx.world
    const limit = world.api.behaviour.limits.find((l) => l.id === take)
    if (!limit || limit.kind !== 'rate') return undefined
    const n = world.scenario.limits.get(limit.id) ?? limit.limit(vars)
    const key = limit.per(vars)
    if (n === undefined || key === undefined || key === null) return undefined
    const taken = world.rates.take(limit.id, String(key), world.clock.now(), n, limit.windowMs)
    if (taken.admitted) return undefined
    return { kind: 'error', code: limit.error, vars: { ...taken.state, window: Math.round(limit.windowMs / 1000), limitId: limit.id } }
  }

  /** Moves the record as the stream ends (`end`, `error`, `abort`); returns the outcome's last event, if any. */
  finish(outcome: StreamOutcomeModel, extra: Record<string, unknown> = {}): { event?: string; data: unknown } | undefined {
    const record = this.record
    const resource = this.resource
    if (record && resource && this.ctx.world.store.get(resource.name, record.id) === record) {
      if (outcome.state && resource.lifecycle && record.state !== outcome.state) this.ctx.world.setState(resource, record, outcome.state)
      this.apply(outcome.set, extra)
      // Not kept (a partial answer the client left before it ended).
      if (outcome.remove) this.ctx.world.remove(resource, record)
    }
    if (outcome.event === undefined && outcome.data === undefined) return undefined
    return { event: outcome.event, data: outcome.data ? outcome.data(this.vars(extra)) : undefined }
  }

  private apply(set: Array<[string, (vars: Record<string, unknown>) => unknown]>, extra: Record<string, unknown>, changed = false): void {
    const record = this.record
    if (!record || (set.length === 0 && !changed)) return
    const resource = this.resource
    if (resource && this.ctx.world.store.get(resource.name, record.id) !== record) return
    const vars = this.vars(extra)
    for (const [field, render] of set) {
      const value = render(vars)
      if (value !== undefined) record.data[field] = value
    }
    this.ctx.world.store.update(record, record.state)
  }
}
