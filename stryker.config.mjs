// @ts-check
/**
 * Mutation testing of the product's rules (issue 18): `npm run test:mutation`.
 * See docs/testing.md for how to run it, the scores and the survivors judged equivalent.
 *
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  packageManager: 'npm',
  testRunner: 'vitest',
  vitest: { configFile: 'test/mutation/vitest.config.ts', related: true },
  plugins: ['@stryker-mutator/vitest-runner'],
  coverageAnalysis: 'perTest',
  // The rule modules: pure functions whose every branch is a product rule. Paths as they stand
  // after the layering pass: placement and the combined score report moved into shared/domain
  // (shared/orchestration/placement.ts and aggregate.ts re-export them), the EventBridge pattern
  // matcher (the shared/events/pattern.ts) is infra/local/event-pattern.ts.
  mutate: [
    'shared/domain/**/*.ts',
    'shared/catalog/plan.ts',
    'shared/catalog/selector.ts',
    'shared/catalog/resolve.ts',
    'shared/catalog/fqn.ts',
    'shared/orchestration/decide.ts',
    'shared/orchestration/reconciler.ts',
    'shared/scenario/grading.ts',
    'shared/scenario/executor.ts',
    'shared/scenario/expressions.ts',
    'infra/local/event-pattern.ts',
    'shared/content/validate.ts',
    'shared/content/detect.ts',
    'state-machines/compile.ts',
  ],
  mutator: {
    // String literals are messages, log text and names: a changed message is not a broken rule,
    // and the tests that pin a rejection assert its reason code or problem type, not its prose.
    // Excluded from the score as issue 18 allows.
    excludedMutations: ['StringLiteral'],
  },
  // Only what changed since the committed baseline is re-tested (main's stored result).
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  // The machine is shared: one or two test processes, run under `nice` (see package.json).
  concurrency: 2,
  // Generous: on the shared machine a mutant run can wait tens of seconds for a core, and a timed-out
  // run restarts the test runner (slow) and would count as killed. Stryker's hit limit still stops
  // a mutant that loops forever.
  timeoutMS: 60_000,
  timeoutFactor: 2,
  // The dry run runs every rule test related to the listed modules (the content and executor
  // tests too, through secrets.ts); on the shared machine it took longer than the default 5 min,
  // and 20 min with the machine loaded elevenfold (two Stryker runs beside a stress run).
  dryRunTimeoutMinutes: 40,
  thresholds: { high: 90, low: 85, break: 85 },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  ignorePatterns: [
    '/cdk.out',
    '/.lcm',
    '/coverage',
    '/reports',
    '/dist',
    '/.build',
    '/.dbg',
    '/.ci',
    '/.stryker-scratch',
  ],
};
