import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { availableParallelism } from 'node:os'
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
    // The longest files first, remembered or not (test/support/sequencer.ts).
    sequence: { sequencer: LongestFirst },
    // The JSON report gives .ci/run its "N passed, N failed" line.
    reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
  },
})
