import { defineConfig } from 'vitest/config';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/**
 * The vitest configuration StrykerJS runs (see stryker.config.mjs): only the unit tests of the
 * rule modules under mutation, so that each mutant is judged in seconds. The slow unit tests
 * that synthesise the CDK app, bundle Lambdas or run dependency-cruiser test no rule module and
 * are left out. `npm test` does not use this file.
 */
/**
 * MUTATION_TESTS (comma-separated globs) narrows the run to a module's own tests. Use it instead
 * of Stryker's `--testFiles`: with a test filter, Stryker 9 activates a static mutant (one in
 * module-level code) after the module has loaded, so the tests never see it and it is reported
 * as survived (stryker-js#6144; docs/testing.md, D170).
 */
const only = process.env.MUTATION_TESTS?.split(',').filter(Boolean);

export default defineConfig({
  test: {
    include: only?.length
      ? only
      : [
          'test/unit/domain/**/*.test.ts',
          'test/unit/catalog/**/*.test.ts',
          'test/unit/orchestration/**/*.test.ts',
          'test/unit/scenario/**/*.test.ts',
          'test/unit/content/**/*.test.ts',
          'test/unit/compiler/**/*.test.ts',
          'test/unit/fleet/**/*.test.ts',
          'test/unit/local/event-pattern*.test.ts',
          'test/unit/mutation/**/*.test.ts',
        ],
    exclude: ['test/unit/content/cli.test.ts'],
    setupFiles: ['test/setup/polyfills.ts'],
    environment: 'node',
    // A hang guard, as in the unit project: under load (a stressed CI run, the dry run's per-test
    // coverage) the content sync tests took over 60 s. A mutant that loops is stopped by
    // Stryker's own timeout (stryker.config.mjs), not by this one.
    testTimeout: 240_000,
  },
});
