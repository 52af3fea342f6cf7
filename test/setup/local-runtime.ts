/**
 * End-to-end suites drive the product only through its public edges. By default this starts the
 * whole local runtime once (accelerated clock) and hands its URL to the tests. With
 * LCM_E2E_TARGET=localstack it starts nothing: the tests use LCM_API_URL of a `cdklocal deploy`.
 */
import { rmSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { e2eTarget } from '../e2e/support/target.ts';

export default async function setup(project: TestProject) {
  const target = e2eTarget(process.env);
  if (target.kind === 'localstack') {
    project.provide('apiUrl', target.apiUrl);
    project.provide('localEndpoints', false);
    project.provide('awsEnv', {});
    return;
  }
  await import('../../infra/local/polyfills.ts');
  // The repository's seeds and the e2e-only definitions that exist to be refused.
  const { e2eSeedsDir } = await import('../e2e/support/seeds.ts');
  const seeds = process.env.LCM_SEEDS_DIR ? undefined : e2eSeedsDir();
  if (seeds) process.env.LCM_SEEDS_DIR = seeds;
  const { startLocalRuntime } = await import('../../infra/local/runtime.ts');
  const runtime = await startLocalRuntime({
    port: 0,
    clock: { kind: 'accelerated', factor: Number(process.env.LCM_E2E_CLOCK_FACTOR ?? 600) },
    log: () => undefined,
  });
  // The fleet starts with no worker: its warm minimum boots on the clock. The limit is a hang
  // guard only, in wall time and generous: at load 15 two minutes were not enough.
  const guard = Date.now() + 10 * 60_000;
  let said = Date.now();
  for (;;) {
    const r = (await (await fetch(`${runtime.apiUrl}/v1/workers`)).json()) as {
      items: { worker_id: string; status: string; failure?: string }[];
    };
    if (r.items.some((w) => w.status === 'running')) break;
    // What the fleet is doing, when the wait is long: the workers, the last pass and its errors.
    const state = () =>
      JSON.stringify({
        workers: r.items.map((w) => [w.worker_id, w.status, w.failure]),
        last_pass: runtime.fleet.reports.at(-1)?.steps.slice(-5),
        errors: runtime.fleet.errors.slice(-5),
      });
    if (Date.now() > guard) {
      await runtime.stop().catch(() => undefined);
      throw new Error(`no warm worker is running after 10 minutes of wall time: ${state()}`);
    }
    if (Date.now() - said > 60_000) {
      said = Date.now();
      console.error(`e2e setup: still waiting for a warm worker: ${state()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  project.provide('apiUrl', runtime.apiUrl);
  project.provide('localEndpoints', true);
  project.provide('awsEnv', runtime.env);
  return async () => {
    await runtime.stop();
    if (seeds) rmSync(seeds, { recursive: true, force: true });
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    apiUrl: string;
    localEndpoints: boolean;
    /** The AWS SDK environment of the target (endpoints, region, credentials, resource names). */
    awsEnv: Record<string, string>;
  }
}
