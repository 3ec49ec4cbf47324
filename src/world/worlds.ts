/**
 * The worlds of one Api, and the key index that routes a request to its world: a key defined in
 * scenario `rate-limited` reaches that world, like a test card number selects an outcome. Every
 * scenario has a home world (its keys as written); fresh copies get fresh keys.
 */
import type { Api } from '../api.ts'
import type { KeyDef, Scenario } from '../scenario/model.ts'
import type { ClockMode } from './clock.ts'
import { World } from './world.ts'
import { randomToken, seededRandom, type SeededRandom } from '../util/random.ts'
import { RunTally } from '../journal/tally.ts'

export interface KeyEntry {
  world: World
  key: KeyDef & { tenant: string }
}

/**
 * Told of a world whose state may have changed (a request reached it, the control API moved or
 * seeded it, it was made or restored) or that is gone: what keeps a state file up to date.
 */
export type WorldsListener = (world: World, change: 'changed' | 'deleted') => void

export interface WorldsOptions {
  clockMode?: ClockMode
  seed?: number
  wall?: () => number
  /** The run's tally to go on counting in (a reloaded spec's worlds keep the run's coverage and violations). */
  run?: RunTally
}

export class Worlds {
  readonly api: Api
  readonly scenarios = new Map<string, Scenario>()
  private readonly worlds = new Map<string, World>()
  private readonly keyIndex = new Map<string, KeyEntry>()
  private readonly options: Required<Pick<WorldsOptions, 'clockMode' | 'seed'>> & WorldsOptions
  private random: SeededRandom
  private readonly listeners: WorldsListener[] = []
  readonly defaultScenario: string
  /** What every request of every world came to since start-up, kept across resets and deletes. */
  readonly run: RunTally

  constructor(api: Api, scenarios: Scenario[], options: WorldsOptions = {}) {
    this.api = api
    this.run = options.run ?? new RunTally()
    this.options = { clockMode: 'manual', seed: 1, ...options }
    this.random = seededRandom((this.options.seed ^ 0x5eed) >>> 0)
    for (const s of scenarios) this.scenarios.set(s.name, s)
    this.defaultScenario = this.scenarios.has(api.behaviour.defaultScenario) ? api.behaviour.defaultScenario : scenarios[0]!.name
    for (const s of scenarios) this.home(s.name)
  }

  /** The world a scenario's own keys reach. */
  home(scenario: string): World {
    const existing = this.worlds.get(scenario)
    if (existing) return existing
    const s = this.scenario(scenario)
    const keys = new Map<string, KeyDef & { tenant: string }>()
    for (const t of s.tenants) for (const k of t.keys) keys.set(k.token, { ...k, tenant: t.id })
    return this.add(scenario, s, keys)
  }

  get default(): World {
    return this.home(this.defaultScenario)
  }

  /**
   * A fresh, isolated world of a scenario, with fresh keys that reach only it; `blank`, with no
   * tenants or records yet (a snapshot is restored into it).
   */
  create(scenario = this.defaultScenario, options: { blank?: boolean } = {}): World {
    const s = this.scenario(scenario)
    let id: string
    do id = `w_${randomToken(this.random, 10)}`
    while (this.worlds.has(id))
    const keys = new Map<string, KeyDef & { tenant: string }>()
    for (const t of s.tenants) {
      for (const k of t.keys) {
        const token = freshToken(k.token, this.random)
        // A signed token's scenario name stays what the scenario calls it (world.tokenFor finds it).
        keys.set(token, { ...k, token, tenant: t.id, ...(k.jwt === true ? { name: k.token } : {}) })
      }
    }
    const world = this.add(id, s, keys, options.blank)
    this.changed(world)
    return world
  }

  /**
   * A blank world under a given id with given keys (a world read back from a state file, a snapshot
   * about to be restored into it). A world of that id, if any, is replaced.
   */
  adopt(id: string, scenario: string, keys: Map<string, KeyDef & { tenant: string }>): World {
    if (this.worlds.has(id)) this.drop(id)
    return this.add(id, this.scenario(scenario), keys, true)
  }

  private add(id: string, scenario: Scenario, keys: Map<string, KeyDef & { tenant: string }>, blank = false): World {
    const world = new World(this.api, {
      id, scenario, keys, blank,
      clockMode: this.options.clockMode,
      seed: (this.options.seed + this.worlds.size * 7919) >>> 0,
      wall: this.options.wall,
    })
    this.worlds.set(id, world)
    // Keys its records minted while it was made are among them; later ones are told as they come.
    for (const key of keys.values()) this.keyIndex.set(key.token, { world, key })
    world.onKeyMinted = (key) => this.keyIndex.set(key.token, { world, key })
    return world
  }

  /** Tells `listener` of every change to a world from now on; returns what stops it. */
  watch(listener: WorldsListener): () => void {
    this.listeners.push(listener)
    return () => {
      const i = this.listeners.indexOf(listener)
      if (i !== -1) this.listeners.splice(i, 1)
    }
  }

  /** Notes that a world's state may have changed (cheap: nothing happens unless someone watches). */
  changed(world: World): void {
    for (let i = 0; i < this.listeners.length; i++) this.listeners[i]!(world, 'changed')
  }

  /** Where the generator of world ids and fresh keys stands (kept by a state file, so they do not repeat). */
  get randomState(): number {
    return this.random.state
  }

  set randomState(state: number) {
    this.random = seededRandom(state)
  }

  scenario(name: string): Scenario {
    const s = this.scenarios.get(name)
    if (!s) throw new UnknownScenarioError(name, [...this.scenarios.keys()])
    return s
  }

  get(id: string): World | undefined {
    return this.worlds.get(id)
  }

  list(): World[] {
    return [...this.worlds.values()]
  }

  /** Deletes a world and its keys; a scenario's home world is reset instead, as its keys are fixed. */
  delete(id: string): boolean {
    const world = this.worlds.get(id)
    if (!world) return false
    if (this.scenarios.has(id)) {
      world.reset()
      this.changed(world)
      return true
    }
    this.drop(id)
    for (let i = 0; i < this.listeners.length; i++) this.listeners[i]!(world, 'deleted')
    return true
  }

  private drop(id: string): void {
    const world = this.worlds.get(id)!
    world.closeStreams()
    for (const token of world.keys.keys()) if (this.keyIndex.get(token)?.world === world) this.keyIndex.delete(token)
    this.worlds.delete(id)
  }

  byKey(token: string): KeyEntry | undefined {
    return this.keyIndex.get(token)
  }
}

export class UnknownScenarioError extends Error {
  readonly scenario: string
  readonly known: string[]
  constructor(scenario: string, known: string[]) {
    super(`unknown scenario "${scenario}" (known: ${known.join(', ')})`)
    this.scenario = scenario
    this.known = known
  }
}

/** Keeps a token's prefix (`sk_live_`, `key-`) so fresh keys still pass the API's key format. */
function freshToken(token: string, random: () => number): string {
  const cut = Math.max(token.lastIndexOf('_'), token.lastIndexOf('-'))
  const prefix = cut > 0 && cut < token.length - 1 ? token.slice(0, cut + 1) : `${token}_`
  return prefix + randomToken(random, 24)
}
