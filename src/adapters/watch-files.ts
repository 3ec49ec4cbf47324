/**
 * Watching the files a standin was made from (`standin serve --watch`), with node:fs: the spec, its
 * overlays, the scenario file or folder. Each file is watched through its folder, as editors often
 * save by writing a new file and renaming it over the old one (a watch on the old file would go
 * quiet). Events are gathered for a moment (an editor's save is several), then `onChange` runs once.
 */
import { watch, readFileSync, readdirSync, statSync, type FSWatcher } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { createHash } from 'node:crypto'

export interface WatchedFiles {
  /** The folders watched, and for each which names in it count (undefined: every spec or scenario file in it). */
  readonly folders: ReadonlyMap<string, Set<string> | undefined>
  /** A digest of what the files hold now (sha256, 12 hex digits). */
  fingerprint(): string
  close(): void
}

const SPEC_FILE = /\.(ya?ml|json)$/i

/**
 * @example
 * const files = watchFiles(['spec/my-api.yaml', 'scenarios/my-api'], () => void live.reload())
 */
export function watchFiles(paths: string[], onChange: (changed: string[]) => void, options: { debounceMs?: number } = {}): WatchedFiles {
  const folders = foldersOf(paths)
  let pending = new Set<string>()
  let timer: ReturnType<typeof setTimeout> | undefined
  const watchers: FSWatcher[] = []
  for (const [dir, names] of folders) {
    const watcher = watch(dir, { persistent: false }, (_event, name) => {
      const file = name === null ? undefined : String(name)
      if (file === undefined || (names ? !names.has(file) : !SPEC_FILE.test(file))) return
      pending.add(join(dir, file))
      clearTimeout(timer)
      timer = setTimeout(() => {
        const changed = [...pending]
        pending = new Set()
        onChange(changed)
      }, options.debounceMs ?? 100)
    })
    // A folder removed while watched: nothing more comes from it; the server goes on.
    watcher.on('error', () => watcher.close())
    watchers.push(watcher)
  }
  return {
    folders,
    fingerprint: () => fingerprintOf(folders),
    close() {
      clearTimeout(timer)
      for (const w of watchers) w.close()
    },
  }
}

/** The folders to watch for these paths, each with the names in it that count (undefined: every spec or scenario file). */
function foldersOf(paths: string[]): Map<string, Set<string> | undefined> {
  const folders = new Map<string, Set<string> | undefined>()
  for (const path of paths.map((p) => resolve(p))) {
    let folder = false
    try { folder = statSync(path).isDirectory() } catch { /* not there yet: its folder is watched for it */ }
    if (folder) folders.set(path, undefined)
    else {
      const dir = dirname(path)
      if (folders.has(dir) && folders.get(dir) === undefined) continue
      const names = folders.get(dir) ?? new Set<string>()
      names.add(basename(path))
      folders.set(dir, names)
    }
  }
  return folders
}

/** A digest of what the files of these paths hold now (sha256, 12 hex digits): which version of them answers. */
export function fingerprintFiles(paths: string[]): string {
  return fingerprintOf(foldersOf(paths))
}

function fingerprintOf(folders: Map<string, Set<string> | undefined>): string {
  const hash = createHash('sha256')
  for (const [dir, names] of folders) {
    let files: string[]
    try { files = names ? [...names].sort() : readdirSync(dir).filter((f) => SPEC_FILE.test(f)).sort() } catch { files = [] }
    for (const f of files) {
      hash.update(`${join(dir, f)}\0`)
      try { hash.update(readFileSync(join(dir, f))) } catch { hash.update('(missing)') }
    }
  }
  return hash.digest('hex').slice(0, 12)
}
