/**
 * Due-time queue (a binary min-heap) for what happens on a world's clock: lifecycle timers,
 * retention. Work is done when the clock is read by a request or moved by a test, never by polling.
 *
 * A world may hold a timer for each of 100,000 records, so an entry is not an object of its own:
 * the heap lives in parallel arrays — due times (kept unboxed, as an array of doubles), the order
 * entries were scheduled in (which breaks ties), and what runs with what. A timer that many records
 * share (a lifecycle move) is one `Task` object, and each entry names the record it runs on.
 *
 * Most of a shared Task's entries come in the order they fall due (a fixed delay after each
 * request): those go into the task's own lane, a queue in time order that is added to at its end
 * and taken from its front, with no heap to sift through. An entry due before the end of its lane
 * goes into the heap. What is due next is the earliest of the heap's top and the lanes' fronts.
 */

/** What runs when an entry is due, given the entry's subject and mark and the time it was due. */
export interface Task<S = unknown> {
  run(subject: S, mark: number, at: number): void
}

/** A timer of its own: a function. */
export type Runnable = () => void

/** One Task's entries in time order, from `head` on (taken entries are cut off in batches). */
class Lane {
  at: number[] = []
  seq: number[] = []
  subjects: unknown[] = []
  marks: number[] = []
  head = 0

  get size(): number {
    return this.at.length - this.head
  }

  push(at: number, seq: number, subject: unknown, mark: number): void {
    this.at.push(at)
    this.seq.push(seq)
    this.subjects.push(subject)
    this.marks.push(mark)
  }

  /** Drops the front entry. */
  shift(): void {
    this.subjects[this.head] = undefined
    this.head++
    if (this.head === this.at.length) {
      this.at = []
      this.seq = []
      this.subjects = []
      this.marks = []
      this.head = 0
    } else if (this.head > 1024 && this.head * 2 > this.at.length) {
      this.at = this.at.slice(this.head)
      this.seq = this.seq.slice(this.head)
      this.subjects = this.subjects.slice(this.head)
      this.marks = this.marks.slice(this.head)
      this.head = 0
    }
  }
}

export class TimerQueue {
  private at: number[] = []
  private seq: number[] = []
  private tasks: Array<Task | Runnable> = []
  private subjects: unknown[] = []
  private marks: number[] = []
  private nextSeq = 0
  private lanes = new Map<Task, Lane>()
  /** The lanes as a list, for finding the earliest front without an iterator. */
  private laneList: Array<[Task, Lane]> = []

  get size(): number {
    let n = this.at.length
    for (const [, lane] of this.laneList) n += lane.size
    return n
  }

  /**
   * Runs `task` at `at` — a function, or a shared Task run with `subject` and `mark`. Entries due
   * at the same time run in the order they were scheduled.
   */
  schedule<S>(at: number, task: Task<S> | Runnable, subject?: S, mark = 0): void {
    if (typeof task !== 'function') {
      let lane = this.lanes.get(task as Task)
      if (!lane) {
        this.lanes.set(task as Task, (lane = new Lane()))
        this.laneList.push([task as Task, lane])
      }
      if (lane.size === 0 || lane.at[lane.at.length - 1]! <= at) {
        lane.push(at, this.nextSeq++, subject, mark)
        return
      }
    }
    let i = this.at.length
    this.at.push(at)
    this.seq.push(this.nextSeq++)
    this.tasks.push(task as Task | Runnable)
    this.subjects.push(subject)
    this.marks.push(mark)
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.before(i, parent)) break
      this.swap(i, parent)
      i = parent
    }
  }

  /** Runs everything due at or before `now`, in time order. */
  runDue(now: number): number {
    let ran = 0
    for (;;) {
      // The earliest entry: the heap's top, or a lane's front that is due before it.
      let at = this.at.length > 0 ? this.at[0]! : Infinity
      let seq = this.at.length > 0 ? this.seq[0]! : Infinity
      let from: [Task, Lane] | undefined
      const lanes = this.laneList
      for (let l = 0; l < lanes.length; l++) {
        const lane = lanes[l]![1]
        if (lane.size === 0) continue
        const la = lane.at[lane.head]!
        if (la < at || (la === at && lane.seq[lane.head]! < seq)) {
          at = la
          seq = lane.seq[lane.head]!
          from = lanes[l]
        }
      }
      if (!(at <= now)) return ran
      if (from) {
        const [task, lane] = from
        const subject = lane.subjects[lane.head]
        const mark = lane.marks[lane.head]!
        lane.shift()
        task.run(subject, mark, at)
      } else {
        const task = this.tasks[0]!
        const subject = this.subjects[0]
        const mark = this.marks[0]!
        this.pop()
        if (typeof task === 'function') task()
        else task.run(subject, mark, at)
      }
      ran++
    }
  }

  clear(): void {
    this.at = []
    this.seq = []
    this.tasks = []
    this.subjects = []
    this.marks = []
    this.lanes = new Map()
    this.laneList = []
  }

  /**
   * Every pending entry, in the order they would run (time, then the order they were scheduled in):
   * what a world snapshot keeps, so the same entries can be scheduled again in the same order.
   */
  entries(): Array<{ at: number; task: Task | Runnable; subject: unknown; mark: number }> {
    const list: Array<{ at: number; seq: number; task: Task | Runnable; subject: unknown; mark: number }> = []
    this.forEach((at, task, subject, mark, seq) => list.push({ at, seq, task, subject, mark }))
    list.sort((a, b) => a.at - b.at || a.seq - b.seq)
    return list.map(({ at, task, subject, mark }) => ({ at, task, subject, mark }))
  }

  /** Every pending entry, in no particular order (`seq` orders entries due at the same time). */
  forEach(visit: (at: number, task: Task | Runnable, subject: unknown, mark: number, seq: number) => void): void {
    for (let i = 0; i < this.at.length; i++) visit(this.at[i]!, this.tasks[i]!, this.subjects[i], this.marks[i]!, this.seq[i]!)
    for (const [task, lane] of this.laneList) {
      for (let i = lane.head; i < lane.at.length; i++) visit(lane.at[i]!, task, lane.subjects[i], lane.marks[i]!, lane.seq[i]!)
    }
  }

  /** The next due time, if any. */
  peek(): number | undefined {
    let next = this.at.length > 0 ? this.at[0]! : undefined
    for (const [, lane] of this.laneList) {
      if (lane.size > 0 && (next === undefined || lane.at[lane.head]! < next)) next = lane.at[lane.head]!
    }
    return next
  }

  /** Removes the first entry. */
  private pop(): void {
    const last = this.at.length - 1
    if (last > 0) this.move(last, 0)
    this.at.pop()
    this.seq.pop()
    this.tasks.pop()
    this.subjects.pop()
    this.marks.pop()
    const n = this.at.length
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < n && this.before(l, m)) m = l
      if (r < n && this.before(r, m)) m = r
      if (m === i) break
      this.swap(i, m)
      i = m
    }
  }

  private before(a: number, b: number): boolean {
    const at = this.at
    return at[a]! < at[b]! || (at[a] === at[b] && this.seq[a]! < this.seq[b]!)
  }

  private move(from: number, to: number): void {
    this.at[to] = this.at[from]!
    this.seq[to] = this.seq[from]!
    this.tasks[to] = this.tasks[from]!
    this.subjects[to] = this.subjects[from]
    this.marks[to] = this.marks[from]!
  }

  private swap(a: number, b: number): void {
    const { at, seq, tasks, subjects, marks } = this
    const t = at[a]!; at[a] = at[b]!; at[b] = t
    const s = seq[a]!; seq[a] = seq[b]!; seq[b] = s
    const k = tasks[a]!; tasks[a] = tasks[b]!; tasks[b] = k
    const u = subjects[a]; subjects[a] = subjects[b]; subjects[b] = u
    const m = marks[a]!; marks[a] = marks[b]!; marks[b] = m
  }
}
