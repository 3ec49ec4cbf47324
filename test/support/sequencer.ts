/**
 * The order test files start in (vitest's `sequence.sequencer`). vitest starts the files it
 * remembers as longest first, and, with nothing remembered (CI: a fresh clone), the largest first. The
 * longest files are not the largest: the Prism referee is a small file that runs for most of the
 * suite. Started late, it would run on alone while the other worker idles; so the files named here
 * start first, in this order, and vitest's own order holds for the rest.
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node'

/**
 * The longest files by measurement (test-results.json), longest first; the type-check is one process
 * that keeps a core busy for several seconds while its worker waits, so it starts early too, and so
 * does the dashboard's, which mostly waits on its browser (Chromium's own processes use the time).
 */
const FIRST = ['test/referee.test.ts', 'test/typecheck.test.ts', 'test/package.test.ts', 'test/dashboard.test.ts', 'test/verify.test.ts']

export class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification) => {
      const at = FIRST.findIndex((path) => file.moduleId.replaceAll('\\', '/').endsWith(path))
      return at === -1 ? FIRST.length : at
    }
    // A stable sort: vitest's order among the rest is kept.
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b))
  }
}
