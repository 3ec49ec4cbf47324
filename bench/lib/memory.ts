/** What a server process holds in memory, as the kernel counts it (Linux only). */
import { readFileSync } from 'node:fs'

/** Resident memory of process `pid` now, and its peak so far, in MB (VmRSS, VmHWM of /proc/<pid>/status). */
export function memoryOf(pid: number | undefined): { rssMB: number; peakMB: number } | undefined {
  if (pid === undefined) return undefined
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s*(\\d+) kB`, 'm').exec(status)?.[1])
    return { rssMB: Math.round(kb('VmRSS') / 1024), peakMB: Math.round(kb('VmHWM') / 1024) }
  } catch {
    return undefined
  }
}
