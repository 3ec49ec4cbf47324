/** Writing report files for CI, with a clear message (not a stack trace) when the path is unusable. */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

export function writeReport(file: string, text: string, command: string): boolean {
  try {
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, text)
    return true
  } catch (error) {
    console.error(`standin ${command}: cannot write ${file}: ${(error as Error).message}`)
    return false
  }
}

/** `90`, `90%`, `87.5` → 87.5; undefined when not a percentage. */
export function parsePercent(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(text)
  const n = m ? Number(m[1]) : NaN
  return Number.isFinite(n) && n >= 0 && n <= 100 ? n : undefined
}

/** Why a fetch failed, in words: `connection refused`, `host not found`, `timed out`. */
export function fetchFailure(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause
  const code = cause?.code ?? (error as { name?: string })?.name
  if (code === 'ECONNREFUSED') return 'connection refused'
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found'
  if (code === 'TimeoutError' || code === 'AbortError' || code === 'UND_ERR_CONNECT_TIMEOUT') return 'timed out'
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'connection reset'
  return cause?.message ?? (error as Error)?.message ?? String(error)
}
