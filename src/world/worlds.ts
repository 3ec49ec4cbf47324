/**
 * The worlds of one Api, and the key index that routes a request to its world: a key defined in
 * scenario `rate-limited` reaches that world, like a test card number selects an outcome. Every
 * scenario has a home world (its keys as written); fresh copies get fresh keys.
 */
import type { Api } from '../api.ts'
import type { KeyDef, Scenario } from '../scenario/model.ts'
import type { ClockMode } from './clock.ts'
import { World } from './world.ts'
import { randomToken, seededRandom } from '../util/random.ts'
import { RunTally } from '../journal/tally.ts'

export interface KeyEntry {
  world: World
  key: KeyDef & { tenant: string }
}

export interface WorldsOptions {
  clockMode?: ClockMode
  seed?: number
  wall?: () => number
}

export class Worlds {
  readonly api: Api
  readonly scenarios = new Map<string, Scenario>()
  private readonly worlds = new Map<string, World>()
  private readonly keyIndex = new Map<string, KeyEntry>()
  private readonly options: Required<Pick<WorldsOptions, 'clockMode' | 'seed'>> & WorldsOptions
  private readonly random: () => number
  readonly defaultScenario: string
  /** What every request of every world came to since start-up, kept across resets and deletes. */
  readonly run = new RunTally()

  constructor(api: Api, scenarios: Scenario[], options: WorldsOptions = {}) {
    this.api = api
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

  /** A fresh, isolated world of a scenario, with fresh keys that reach only it. */
  create(scenario = this.defaultScenario): World {
    const s = this.scenario(scenario)
    let id: string
    do id = `w_${randomToken(this.random, 10)}`
    while (this.worlds.has(id))
    const keys = new Map<string, KeyDef & { tenant: string }>()
    for (const t of s.tenants) {
      for (const k of t.keys) {
        const token = freshToken(k.token, this.random)
        keys.set(token, { ...k, token, tenant: t.id })
      }
    }
    return this.add(id, s, keys)
  }

  private add(id: string, scenario: Scenario, keys: Map<string, KeyDef & { tenant: string }>): World {
    const world = new World(this.api, {
      id, scenario, keys,
      clockMode: this.options.clockMode,
      seed: (this.options.seed + this.worlds.size * 7919) >>> 0,
      wall: this.options.wall,
    })
    this.worlds.set(id, world)
    for (const key of keys.values()) this.keyIndex.set(key.token, { world, key })
    return world
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
      return true
    }
    world.closeStreams()
    for (const token of world.keys.keys()) this.keyIndex.delete(token)
    this.worlds.delete(id)
    return true
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
