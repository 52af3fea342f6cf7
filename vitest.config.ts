import { defineConfig } from 'vitest/config';

// The SDK warns once per process that releases after January 2027 need Node 22; the pinned
// releases run on Node 20 (this machine) and Lambdas deploy on Node 22. Not test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// Handlers emit CloudWatch metrics (embedded metric format) to stdout; not test output either.
// The test of the metrics themselves turns them on for its own file.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

/**
 * Four projects: `unit` (pure, no emulator), `integration` (DynamoDB Local and s3rver started
 * once by the global setup), `e2e` (the whole local runtime, driven through its public edges;
 * or a LocalStack deployment when LCM_E2E_TARGET=localstack), and `chaos` (a fleet of sessions
 * under injected failures, on a runtime of its own).
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          setupFiles: ['test/setup/polyfills.ts'],
          environment: 'node',
          // A hang guard, not a speed test: under a machine that is busy elsewhere a cold module
          // load (asl-validator, aws-cdk-lib) can take many seconds.
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          setupFiles: ['test/setup/polyfills.ts', 'test/setup/integration-env.ts'],
          globalSetup: ['test/setup/emulators.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      {
        // Hundreds of sessions through a whole local runtime of its own: run alone (npm test runs
        // it after the other projects), so no other suite competes with it for the machine.
        test: {
          name: 'chaos',
          include: ['test/chaos/**/*.test.ts'],
          setupFiles: ['test/setup/polyfills.ts'],
          testTimeout: 1_200_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          setupFiles: ['test/setup/polyfills.ts'],
          globalSetup: ['test/setup/local-runtime.ts'],
          testTimeout: 300_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
