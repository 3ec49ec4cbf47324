/** What a benchmark ran on, and how busy the machine was while it ran. */
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os'
import { readFileSync } from 'node:fs'

export interface Machine {
  cpus: number
  cpuModel: string
  memoryGB: number
  node: string
  platform: string
}

export function machine(): Machine {
  let model = cpus()[0]?.model ?? 'unknown'
  try {
    model = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? model
  } catch { /* not Linux */ }
  return { cpus: availableParallelism(), cpuModel: model, memoryGB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: `${process.platform} ${process.arch}` }
}

/** The 1-minute load average: above the core count, other work competed with the benchmark. */
export function load(): number {
  return Math.round(loadavg()[0]! * 100) / 100
}
