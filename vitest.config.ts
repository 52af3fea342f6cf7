import { defineConfig } from 'vitest/config';

/**
 * Three projects: `unit` (pure, no emulator), `integration` (DynamoDB Local and s3rver started
 * once by the global setup), `e2e` (the whole local runtime, driven through its public edges;
 * or a LocalStack deployment when LCM_E2E_TARGET=localstack).
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
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          setupFiles: ['test/setup/polyfills.ts'],
          globalSetup: ['test/setup/emulators.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          setupFiles: ['test/setup/polyfills.ts'],
          globalSetup: ['test/setup/local-runtime.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
