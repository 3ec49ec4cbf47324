import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { defineConfig } from 'vitest/config'
import { LongestFirst } from './test/support/sequencer.ts'

// The tests import the package by its own name ('standin', 'standin/msw', …) and run its TypeScript
// sources: each export's built file (dist/x.js) maps back to its source (src/x.ts), so no build is
// needed and none can be stale. The packed package itself is tested in test/package.test.ts.
const { exports } = JSON.parse(readFileSync(new URL('package.json', import.meta.url), 'utf8')) as { exports: Record<string, string | { default: string }> }
const alias = Object.entries(exports).flatMap(([subpath, target]) => typeof target === 'string' ? [] : [{
  find: new RegExp(`^${('standin' + subpath.slice(1)).replace(/[/.]/g, '\\$&')}$`),
  replacement: fileURLToPath(new URL(target.default.replace(/^\.\/dist\//, './src/').replace(/\.js$/, '.ts'), import.meta.url)),
}])

// Node's compile cache for every process the suite starts (workers, and what they spawn: the CLI,
// Prism, tsc, npm): each parses its modules once per machine, not once per process — the suite
// starts some hundred Node processes. The folder is Node's own default, which the CLI already
// enables for itself (src/cli/main.ts): its compile and disk caches stay where they are.
process.env.NODE_COMPILE_CACHE ??= join(tmpdir(), 'node-compile-cache')

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['test/**/*.test.ts'],
    // Fails any test after which standin's self-check found a response that breaks the spec.
    setupFiles: ['test/support/setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // A worker per core: vitest's default leaves one core to itself (one worker on a two-core
    // machine), but the main process idles, and most files wait on sockets and child processes.
    maxWorkers: Math.max(2, availableParallelism()),
    // A worker runs file after file, its modules loaded once (vitest's default starts a fresh
    // process per file, which re-imports and re-warms the same sources some sixty times: a third of
    // the suite's CPU time). So a file restores what it changes in its process: real timers after
    // fake ones, globals it patches, servers (msw's too) closed, env it sets put back.
    isolate: false,
    // The longest files first, remembered or not (test/support/sequencer.ts).
    sequence: { sequencer: LongestFirst },
    // The JSON report gives .ci/run its "N passed, N failed" line.
    reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
  },
})
