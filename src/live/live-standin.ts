/**
 * A standin whose files may change while it runs (`standin serve --watch`): `reload()` compiles the
 * spec, its overlays and the scenarios again and, when they compile, swaps the new version in between
 * requests — worlds, records, clocks, keys, journals and the run's tally carried over
 * (./carry-worlds.ts). When they do not, the old version goes on answering and the report lists the
 * problems (file, JSON pointer, line). Each version is numbered; journal entries say which answered.
 *
 * Watching the files is the door's business (src/adapters/watch-files.ts): this module reads files
 * only through the compiler, like createStandin.
 */
import { createStandin, type Standin, type StandinOptions } from '../standin.ts'
import { ConfigError, type ConfigProblem } from '../errors.ts'
import { answerOf, handlerOf, refusalOf, withRefusal, type Answer, type Handler } from '../core/handle.ts'
import type { Outgoing } from '../render/response.ts'
import { carryWorlds, type CarryReport } from './carry-worlds.ts'
import { answerLive, isLivePath } from './live-control.ts'
import { withLines } from './problem-lines.ts'
import { proxySwitch } from '../proxy/proxy-switch.ts'

export interface LiveOptions extends StandinOptions {
  /** A digest of the files as they are now (the door computes it), shown beside each version number. */
  fingerprint?: () => string | undefined
  /**
   * How long a swap waits for requests under way to finish before it goes ahead anyway (ms, default
   * 1000): new requests wait meanwhile, so one held long (a rule's delay) must not hold them all.
   */
  drainMs?: number
}

export interface ReloadReport {
  ok: boolean
  /** The version answering after this reload (unchanged when it failed). */
  version: number
  hash?: string
  /** Why the files did not compile; the old version still answers. */
  problems: ConfigProblem[]
  /** What carrying the worlds over left behind or found wrong (a successful reload only). */
  carried?: CarryReport & { moreMisfits: number }
  /** Requests still under way when the swap went ahead (they finished on the old version). */
  unfinished: number
  ms: number
  at: string
}

export interface LiveStandin {
  /** The core handler, always the current version's. */
  readonly handle: Handler
  /** The version answering now. */
  readonly current: Standin
  readonly version: number
  readonly hash: string | undefined
  /** The reloads so far, latest last (at most 20 kept). */
  readonly history: readonly ReloadReport[]
  /** Compiles the files again and swaps the result in; one reload at a time (a second waits for the first). */
  reload(): Promise<ReloadReport>
}

/**
 * @example
 * const live = await createLiveStandin({ spec: 'spec/my-api.yaml', scenarios: 'scenarios/my-api' })
 * const server = await listen(live.handle)
 * // after an edit:
 * const report = await live.reload()   // report.ok, report.problems, report.carried.misfits
 */
export async function createLiveStandin(given: LiveOptions): Promise<LiveStandin> {
  // One proxy switch for every version: its run-time setting outlives a reload.
  const options: LiveOptions = given.proxy ? { ...given, proxy: proxySwitch(given.proxy) } : given
  let current = await createStandin(options)
  let version = 1
  current.api.version = version
  let hash = options.fingerprint?.()
  const history: ReloadReport[] = []

  // Requests under way, and the gate new ones wait at while a swap is due.
  let inFlight = 0
  let drained: (() => void) | undefined
  let gate: Promise<void> | undefined
  const answerWith = (target: Standin): Answer => answerOf(target.handle) ?? ((incoming) => target.handle(incoming.toRequest(), incoming))
  let answer = answerWith(current)
  const live: Answer = async (incoming) => {
    if (isLivePath(incoming.path)) return answerLive(self, incoming, options)
    while (gate) await gate
    inFlight++
    try {
      return await answer(incoming)
    } finally {
      if (--inFlight === 0) drained?.()
    }
  }
  const handle = withRefusal(handlerOf(live), (status, message): Outgoing => refusalOf(current.handle)!(status, message))

  async function swapIn(): Promise<ReloadReport> {
    const started = performance.now()
    const at = new Date().toISOString()
    // Taken before compiling: an edit saved meanwhile makes a digest of its own at the next reload.
    const nextHash = options.fingerprint?.()
    let next: Standin
    try {
      next = await createStandin({ ...options, run: current.worlds.run })
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error
      return remember({ ok: false, version, hash, problems: withLines(error.problems), unfinished: 0, ms: performance.now() - started, at })
    }
    next.api.version = version + 1
    // Between requests: new ones wait at the gate, those under way may finish first (within drainMs).
    let open!: () => void
    gate = new Promise((resolve) => { open = resolve })
    try {
      if (inFlight > 0) {
        let timer: ReturnType<typeof setTimeout> | undefined
        await new Promise<void>((resolve) => {
          drained = resolve
          timer = setTimeout(resolve, options.drainMs ?? 1000)
        })
        clearTimeout(timer)
        drained = undefined
      }
      const unfinished = inFlight
      const carried = carryWorlds(current.worlds, next.worlds)
      current = next
      answer = answerWith(next)
      version++
      hash = nextHash
      return remember({ ok: true, version, hash, problems: [], carried, unfinished, ms: performance.now() - started, at })
    } finally {
      gate = undefined
      open()
    }
  }

  function remember(report: ReloadReport): ReloadReport {
    history.push(report)
    if (history.length > 20) history.shift()
    return report
  }

  let queue: Promise<unknown> = Promise.resolve()
  const self: LiveStandin = {
    handle,
    get current() { return current },
    get version() { return version },
    get hash() { return hash },
    history,
    reload() {
      const run = queue.then(swapIn)
      queue = run.catch(() => {})
      return run
    },
  }
  return self
}
