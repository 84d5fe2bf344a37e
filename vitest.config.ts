import { defineConfig } from 'vitest/config';

// `npm test` runs both projects; the corpus project skips itself, saying so, when ../shared/corpus
// is absent. The JSON report is what .ci/run counts (CI does not read vitest's own summary).
// The global setup builds dist/ first: the review pool's worker threads run the build.
export default defineConfig({
  test: {
    globalSetup: ['test/setup/build.ts'],
    reporters: ['default', 'json'],
    outputFile: { json: 'test-output/vitest.json' },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          setupFiles: ['test/setup/fast-check.ts'],
          exclude: ['test/corpus/**'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'corpus',
          include: ['test/corpus/**/*.test.ts'],
          setupFiles: ['test/setup/fast-check.ts'],
          testTimeout: 120_000,
        },
      },
    ],
  },
});
