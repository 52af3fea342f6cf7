import { defineConfig } from 'vitest/config';

// The SDK warns once per process that releases after January 2027 need Node 22; the pinned
// releases run on Node 20 (this machine) and Lambdas deploy on Node 22. Not test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// Handlers emit CloudWatch metrics (embedded metric format) to stdout; not test output either.
// The test of the metrics themselves turns them on for its own file.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

/**
 * Test files run in parallel worker processes. Vitest's default on this 2-core machine is one
 * worker (cores − 1), so every file waited for the one before it, although most of an
 * integration file's time is waiting (on DynamoDB Local, s3rver, a child process, a clock) rather
 * than computing. Three workers keep both cores busy (D100). Every file that runs in parallel
 * with another is isolated from it: its own process, its own tables (a random stage) or its own
 * runtime, and console ports no other file uses (test/helpers/lablet-fleet.ts). The projects
 * that share one group must name the same count (Vitest refuses different ones in one group).
 * `LCM_TEST_WORKERS` overrides it (1 reproduces the serial run).
 */
const WORKERS = Number(process.env.LCM_TEST_WORKERS ?? 3);

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
          maxWorkers: WORKERS,
          // A hang guard, not a speed test: under a machine that is busy elsewhere a cold module
          // load (asl-validator, aws-cdk-lib) can take many seconds, and a CDK synthesis took 95 s
          // with the machine loaded twentyfold.
          testTimeout: 240_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          setupFiles: ['test/setup/polyfills.ts', 'test/setup/integration-env.ts'],
          globalSetup: ['test/setup/emulators.ts'],
          maxWorkers: WORKERS,
          testTimeout: 300_000,
          hookTimeout: 600_000,
        },
      },
      {
        // Hundreds of sessions through a whole local runtime of its own, on a stepped clock (what
        // it asserts does not depend on how busy the machine is): it runs beside the unit and
        // integration files, in one of their workers, for the whole of their run (D100). Vitest
        // hands out the files of one run project by project in name order, so `chaos` starts
        // first and `integration` (mostly waiting) before `unit` (mostly computing). `e2e` runs in
        // a process of its own beside them (test/run.mjs).
        test: {
          name: 'chaos',
          maxWorkers: WORKERS,
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
