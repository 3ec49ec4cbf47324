/**
 * A world in a state file, as rows: one for its head (what a snapshot keeps besides records and
 * their timers) and one per record (the record with its pending timers). A write puts down the head
 * and only the records that changed since the last write (a new record, or one whose version moved
 * on), and takes out the rows of records gone: after one request, a world of 100,000 records writes
 * one record, not 100,000. Read back, the rows make the same snapshot (src/world/snapshot.ts) the
 * control API gives, restored the same way.
 */
import type { World } from '../world/world.ts'
import type { StoredRecord } from '../world/store.ts'
import { snapshotHead, snapshotRecord, snapshotTimer, type SnapshotHead, type SnapshotRecord, type SnapshotTimer, type WorldSnapshot } from '../world/snapshot.ts'

/** One record's row: the record as a snapshot keeps it, with its pending timers in the order they run. */
export interface RecordRow {
  record: SnapshotRecord
  timers: SnapshotTimer[]
}

export interface WorldWrite {
  head: string
  upserts: Array<{ resource: string; id: string; ord: number; body: string }>
  removals: Array<{ resource: string; id: string }>
  /** Notes the write as done: call it once the transaction holding it has committed. */
  commit(): void
}

const keyOf = (resource: string, id: string) => `${resource}\u0000${id}`

/** What the file holds of one world, as far as this process wrote or read it. */
export class WrittenWorld {
  /** resource + id → the record whose row it is. */
  private readonly rows = new Map<string, StoredRecord>()
  /** The version each record was written at, and its row's place in insertion order. */
  private readonly written = new WeakMap<StoredRecord, { version: number; ord: number }>()
  private nextOrd = 0

  /** Notes the records of a world just restored from its rows (`ords`: each row's place, by resource + id). */
  adopt(world: World, ords: Map<string, number>): void {
    for (const resource of world.store.resources()) {
      for (const record of world.store.records(resource)) {
        const key = keyOf(record.resource, record.id)
        const ord = ords.get(key)
        if (ord === undefined) continue
        this.rows.set(key, record)
        this.written.set(record, { version: record.version, ord })
        if (ord >= this.nextOrd) this.nextOrd = ord + 1
      }
    }
  }

  /** What to write of `world` now. */
  changes(world: World): WorldWrite {
    world.tick()
    const changed: StoredRecord[] = []
    for (const resource of world.store.resources()) {
      for (const record of world.store.records(resource)) {
        if (this.written.get(record)?.version !== record.version) changed.push(record)
      }
    }
    // A row whose record is gone and not replaced (a replacement's row is written over it).
    const removals: WorldWrite['removals'] = []
    for (const record of this.rows.values()) {
      if (world.store.get(record.resource, record.id) === undefined) removals.push({ resource: record.resource, id: record.id })
    }
    const timers = new Map<StoredRecord, Array<SnapshotTimer & { seq: number }>>()
    if (changed.length > 0) {
      for (const record of changed) timers.set(record, [])
      world.timers.forEach((at, task, subject, mark, seq) => {
        const list = timers.get(subject as StoredRecord)
        const timer = list && snapshotTimer(task, subject as StoredRecord, at, mark)
        if (timer) list!.push({ ...timer, seq })
      })
    }
    const ords = new Map<StoredRecord, number>()
    let nextOrd = this.nextOrd
    const upserts = changed.map((record) => {
      // A record seen before keeps its place; a new one (a record put back under an old id too: it
      // went to the end of its lists) takes the next.
      const ord = this.written.get(record)?.ord ?? nextOrd++
      ords.set(record, ord)
      const list = timers.get(record)!.sort((a, b) => a.at - b.at || a.seq - b.seq).map(({ seq: _seq, ...timer }) => timer as SnapshotTimer)
      return { resource: record.resource, id: record.id, ord, body: JSON.stringify({ record: snapshotRecord(record), timers: list } satisfies RecordRow) }
    })
    const head = JSON.stringify(snapshotHead(world))
    return {
      head, upserts, removals,
      commit: () => {
        for (const { resource, id } of removals) this.rows.delete(keyOf(resource, id))
        for (const record of changed) {
          this.rows.set(keyOf(record.resource, record.id), record)
          this.written.set(record, { version: record.version, ord: ords.get(record)! })
        }
        this.nextOrd = Math.max(this.nextOrd, nextOrd)
      },
    }
  }
}

/** A world's snapshot from its rows (records in the order of their places, timers in the order they run). */
export function snapshotOfRows(head: SnapshotHead, rows: RecordRow[]): WorldSnapshot {
  const records: WorldSnapshot['records'] = []
  const timers: WorldSnapshot['timers'] = []
  for (const row of rows) {
    for (const timer of row.timers) timers.push({ ...timer, record: records.length })
    records.push(row.record)
  }
  // Stable: timers due at the same time keep their records' order, and each record's own order.
  timers.sort((a, b) => a.at - b.at)
  return { ...head, records, timers }
}
