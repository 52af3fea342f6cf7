import { defineConfig } from 'vitest/config';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/**
 * The vitest configuration StrykerJS runs (see stryker.config.mjs): only the unit tests of the
 * rule modules under mutation, so that each mutant is judged in seconds. The slow unit tests
 * that synthesise the CDK app, bundle Lambdas or run dependency-cruiser test no rule module and
 * are left out. `npm test` does not use this file.
 */
export default defineConfig({
  test: {
    include: [
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
    testTimeout: 60_000,
  },
});
