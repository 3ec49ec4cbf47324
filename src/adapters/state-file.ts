/**
 * `standin serve --state <file>`: the worlds kept in an embedded database (node:sqlite) as they
 * change, and read back at start-up, so a restart — also after `kill -9` — loses nothing answered.
 *
 * A world is a row of its own (what its snapshot keeps besides records) and a row per record, with
 * the record's pending timers (src/adapters/world-rows.ts; read back, they make the same snapshot
 * as the control API's, src/world/snapshot.ts). A world is marked changed by every request that
 * reaches it and by every control call that moves it; changed worlds are written together, in one
 * transaction, `flushMs` after the first change (200 ms by default), each with only the records that
 * changed since its last write, and once more when standin stops. The database runs in WAL mode with
 * synchronous=NORMAL: a committed write survives the process being killed (not a power cut — a dev
 * server's state is not worth an fsync per write).
 *
 * What a snapshot does not keep starts afresh after a restart: the journal, rate windows, the run's
 * tally of violations and coverage, open streams.
 *
 * node:sqlite is loaded only here, and this module only with --state: without it nothing changes.
 */
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Worlds } from '../world/worlds.ts'
import type { World } from '../world/world.ts'
import { restoreWorld, SnapshotError, type SnapshotHead } from '../world/snapshot.ts'
import { snapshotOfRows, WrittenWorld, type RecordRow } from './world-rows.ts'

type Sqlite = typeof import('node:sqlite')
type Database = InstanceType<Sqlite['DatabaseSync']>

/** What the file's `standin` table says it is; another value is a file this standin cannot read. */
const FORMAT = 'standin-state 1'

export interface StateFileOptions {
  /** How soon after a change a world is written (ms). */
  flushMs?: number
  /** How long to wait for another process to let go of the file before giving up (ms, default 2000). */
  lockWaitMs?: number
  /** Told of what is left out at start-up (a world of a scenario this run does not have) and of a failed write. */
  onWarning?: (message: string) => void
}

export interface StateFile {
  readonly file: string
  /** Worlds read back from the file at start-up. */
  readonly restored: number
  /** Writes every changed world now. */
  flush(): void
  /** What the last write put down: worlds, record rows written and taken out, and how long it took (ms). */
  readonly lastWrite: { worlds: number; records: number; removed: number; ms: number } | undefined
  /**
   * Keeps the file up to date from `next` from now on (`standin serve --watch`: the worlds of a
   * reloaded version, carried over): what the old ones changed is written first, then every world of
   * `next` afresh, and a world the old version had that `next` has not is taken out.
   */
  follow(next: Worlds): void
  /** Writes what changed, then closes the file. */
  close(): void
}

/** A state file standin cannot use: the file, and what is wrong with it. */
export class StateFileError extends Error {
  readonly file: string
  constructor(file: string, problem: string) {
    super(`cannot use the state file ${file}: ${problem}`)
    this.file = file
  }
}

/**
 * Opens (or creates) a state file, puts the worlds it holds back into `worlds`, and keeps it up to
 * date from then on.
 *
 * @example
 * const state = await openStateFile('.standin/state.db', standin.worlds)
 * process.once('SIGTERM', () => state.close())
 */
export async function openStateFile(file: string, worlds: Worlds, options: StateFileOptions = {}): Promise<StateFile> {
  const { DatabaseSync } = await loadSqlite(file)
  const fail = (problem: string, error?: unknown): never => {
    throw new StateFileError(file, error ? `${problem} (${(error as Error).message})` : problem)
  }
  let db!: Database
  try {
    // Its folder too (`--state .standin/state.db` in a fresh checkout).
    mkdirSync(dirname(file), { recursive: true })
    db = new DatabaseSync(file)
  } catch (error) {
    fail('it cannot be opened or created', error)
  }
  try {
    // One standin per file: two would each write their own worlds over the other's. The lock is
    // taken by the first write below and held until the file is closed (or the process dies); a
    // second standin waits for it up to 2 s (a restart while the old process still stops), then gives up.
    db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(options.lockWaitMs ?? 2000))}; PRAGMA locking_mode = EXCLUSIVE`)
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all().map((row) => row.name as string)
    if (tables.length > 0 && !tables.includes('standin')) fail(`it is an SQLite database, but not one standin wrote (its tables: ${tables.join(', ')}); name another file`)
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL')
    db.exec(`CREATE TABLE IF NOT EXISTS standin (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS worlds (id TEXT PRIMARY KEY, scenario TEXT NOT NULL, head TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS records (world TEXT NOT NULL, resource TEXT NOT NULL, id TEXT NOT NULL, ord INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (world, resource, id)) WITHOUT ROWID`)
    const format = db.prepare("SELECT value FROM standin WHERE key = 'format'").get()?.value
    if (format !== undefined && format !== FORMAT) fail(`it was written as "${String(format)}", and this standin reads "${FORMAT}"`)
    // A write, so the lock is this process's from now on.
    db.prepare("INSERT INTO standin (key, value) VALUES ('format', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(FORMAT)
  } catch (error) {
    db.close()
    if (error instanceof StateFileError) throw error
    if (/locked|busy/i.test((error as Error).message)) fail('another process has it open (another standin serve --state with this file?)', error)
    fail('it is not a standin state file, or it is damaged; move it away to start afresh', error)
  }
  let restored = 0
  const written = new Map<string, WrittenWorld>()
  try {
    const random = db.prepare("SELECT value FROM standin WHERE key = 'random'").get()?.value
    if (random !== undefined) worlds.randomState = Number(random)
    const recordRows = db.prepare('SELECT resource, id, ord, body FROM records WHERE world = ? ORDER BY ord')
    for (const row of db.prepare('SELECT id, scenario, head FROM worlds ORDER BY rowid').all()) {
      const id = row.id as string
      if (!worlds.scenarios.has(row.scenario as string)) {
        // Kept in the file (nothing here writes it again): it comes back once the scenario does.
        options.onWarning?.(`the state file ${file} has world ${id} of scenario "${String(row.scenario)}", which this run does not have: left out`)
        continue
      }
      let head!: SnapshotHead
      const rows: RecordRow[] = []
      const ords = new Map<string, number>()
      let where = 'its head row'
      try {
        head = JSON.parse(row.head as string)
        for (const r of recordRows.all(id)) {
          where = `its record ${String(r.resource)} ${String(r.id)}`
          rows.push(JSON.parse(r.body as string))
          ords.set(`${String(r.resource)}\u0000${String(r.id)}`, Number(r.ord))
        }
      } catch (error) {
        if (!(error instanceof SyntaxError)) throw error
        fail(`world ${id}: ${where} is not valid JSON; move the file away to start afresh`, error)
      }
      let world
      try {
        world = restoreWorld(worlds, isRows(rows) ? snapshotOfRows(head, rows) : head, { asSaved: true })
      } catch (error) {
        if (error instanceof SnapshotError) fail(`world ${id}: ${error.message}`)
        throw error
      }
      const writer = new WrittenWorld()
      writer.adopt(world, ords)
      written.set(id, writer)
      restored++
    }
  } catch (error) {
    db.close()
    if (error instanceof StateFileError) throw error
    fail('it cannot be read; move it away to start afresh', error)
  }

  // id → the world to write, or null when it was deleted. Restoring marked every restored world
  // changed before anyone watched: nothing needs writing yet.
  const dirty = new Map<string, World | null>()
  const flushMs = options.flushMs ?? 200
  let timer: ReturnType<typeof setTimeout> | undefined
  let closed = false
  /** Before this (performance.now()), no write starts: writing takes at most a fifth of the time. */
  let earliest = 0
  const schedule = () => {
    if (timer !== undefined || closed) return
    timer = setTimeout(() => {
      timer = undefined
      flush()
    }, Math.max(flushMs, earliest - performance.now()))
    timer.unref()
  }
  const listener = (world: World, change: 'changed' | 'deleted') => {
    dirty.set(world.id, change === 'deleted' ? null : world)
    schedule()
  }
  let unwatch = worlds.watch(listener)
  const upsertWorld = db.prepare('INSERT INTO worlds (id, scenario, head) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET scenario = excluded.scenario, head = excluded.head')
  const removeWorld = db.prepare('DELETE FROM worlds WHERE id = ?')
  const upsertRecord = db.prepare('INSERT INTO records (world, resource, id, ord, body) VALUES (?, ?, ?, ?, ?) ON CONFLICT (world, resource, id) DO UPDATE SET ord = excluded.ord, body = excluded.body')
  const removeRecord = db.prepare('DELETE FROM records WHERE world = ? AND resource = ? AND id = ?')
  const removeRecords = db.prepare('DELETE FROM records WHERE world = ?')
  let lastWrite: StateFile['lastWrite']
  const saveRandom = db.prepare("INSERT INTO standin (key, value) VALUES ('random', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
  let warnedWrite = false
  const flush = () => {
    if (dirty.size === 0) return
    const batch = [...dirty]
    dirty.clear()
    const started = performance.now()
    const commits: Array<() => void> = []
    let records = 0
    let removed = 0
    try {
      db.exec('BEGIN')
      for (const [id, world] of batch) {
        if (world === null) {
          removeWorld.run(id)
          removeRecords.run(id)
          commits.push(() => written.delete(id))
          continue
        }
        let writer = written.get(id)
        // A world new to the file, or put back as a new object under an old id: its rows afresh.
        if (!writer) {
          writer = new WrittenWorld()
          removeRecords.run(id)
          const made = writer
          commits.push(() => written.set(id, made))
        }
        const write = writer.changes(world)
        upsertWorld.run(id, world.scenario.name, write.head)
        for (const r of write.upserts) upsertRecord.run(id, r.resource, r.id, r.ord, r.body)
        for (const r of write.removals) removeRecord.run(id, r.resource, r.id)
        records += write.upserts.length
        removed += write.removals.length
        commits.push(write.commit)
      }
      saveRandom.run(String(current.randomState))
      db.exec('COMMIT')
      for (const commit of commits) commit()
      warnedWrite = false
      const ms = performance.now() - started
      lastWrite = { worlds: batch.length, records, removed, ms }
      // A write takes time in proportion to what changed (and to a world's size, which every write
      // scans, ~1 ms per 10,000 records): spaced by four times its length, writes never take more
      // than a fifth of the process, however busy.
      earliest = performance.now() + 4 * ms
      // An open stream moves its record after the answer that opened it, with no request to mark
      // the world: such a world is written again until its streams end.
      for (const [id, world] of batch) {
        if (world !== null && world.streams.size > 0 && !closed && !dirty.has(id)) dirty.set(id, world)
      }
      if (dirty.size > 0) schedule()
    } catch (error) {
      try { db.exec('ROLLBACK') } catch { /* not in a transaction */ }
      // Tried again on the next round (unless a newer change came in meanwhile); said once per failing spell.
      for (const [id, world] of batch) if (!dirty.has(id)) dirty.set(id, world)
      if (!warnedWrite) options.onWarning?.(`cannot write the state file ${file}: ${(error as Error).message}`)
      warnedWrite = true
      earliest = performance.now() + 1000
      schedule()
    }
  }
  let current = worlds
  return {
    file,
    restored,
    flush,
    follow(next) {
      if (closed) return
      flush()
      unwatch()
      const before = new Set(written.keys())
      current = next
      unwatch = next.watch(listener)
      // New objects under the old ids: their rows are written afresh (the flush sees no writer for them).
      written.clear()
      for (const world of next.list()) { dirty.set(world.id, world); before.delete(world.id) }
      for (const id of before) dirty.set(id, null)
      schedule()
    },
    get lastWrite() {
      return lastWrite
    },
    close() {
      if (closed) return
      closed = true
      clearTimeout(timer)
      unwatch()
      flush()
      db.close()
    },
  }
}

/** Whether what a world's record rows hold has the shape they are written in (else the snapshot check says what is wrong). */
function isRows(rows: unknown[]): rows is RecordRow[] {
  return rows.every((r) => r !== null && typeof r === 'object' && 'record' in r && Array.isArray((r as RecordRow).timers))
}

/**
 * node:sqlite, loaded on first use. Node 22 prints an ExperimentalWarning when it loads; that one
 * warning is held back (standin chose the module knowingly), every other warning is printed as usual.
 */
async function loadSqlite(file: string): Promise<Sqlite> {
  const emit = process.emitWarning
  process.emitWarning = function (this: unknown, warning: string | Error, ...rest: unknown[]) {
    const message = typeof warning === 'string' ? warning : warning.message
    const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type ?? (typeof warning === 'string' ? undefined : warning.name)
    if (type === 'ExperimentalWarning' && /sqlite/i.test(message)) return
    return (emit as (...args: unknown[]) => void).call(process, warning, ...rest)
  } as typeof process.emitWarning
  try {
    return await import('node:sqlite')
  } catch (error) {
    throw new StateFileError(file, `this Node (${process.version}) has no node:sqlite; --state needs Node 22.13 or later (${(error as Error).message})`)
  } finally {
    process.emitWarning = emit
  }
}
