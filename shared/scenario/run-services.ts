/**
 * What a job run reaches outside its own code: device consoles (ssh2), the pod's CML API, secrets,
 * the artefacts bucket. In a module of its own so that the jobs API, which only submits, reads and
 * cancels jobs, does not load the console adapter (ssh2) on its cold start (D182).
 */
import { CmlClient, type CmlPort } from '../adapters/cml.ts';
import type { ConsolePort } from '../adapters/console.ts';
import { S3Documents } from '../adapters/s3-documents.ts';
import { resolveSecretReference } from '../adapters/secrets.ts';
import type { Credentials } from '../domain/secrets.ts';
import { iso, type Clock } from '../domain/clock.ts';
import { Problem } from '../domain/problem.ts';
import { deadlineFor, sleeperFor } from '../domain/sleep.ts';
import { s3Sdk } from '../runtime/aws-s3.ts';
import { runtimeClock } from '../runtime/clock.ts';
import { env } from '../runtime/env.ts';
import type { OutputStore, ReportStore, ScenarioServices } from './functions.ts';
import { outputsKey } from './outputs.ts';

/** Job reports in the artefacts bucket, one document per report step. */
export class S3Reports implements ReportStore {
  constructor(private readonly docs: S3Documents) {}
  put(jobId: string, stepId: string, report: object): Promise<string> {
    return this.docs.putAt(`reports/${jobId}/${stepId}.json`, report);
  }
}

/** A run's whole outputs in the artefacts bucket, when they do not fit its record. */
export class S3Outputs implements OutputStore {
  constructor(private readonly docs: S3Documents) {}
  put(jobId: string, run: number, outputs: Record<string, unknown>): Promise<string> {
    return this.docs.putAt(outputsKey(jobId, run), outputs);
  }
}

/**
 * The CML API of a pod's worker: `runtime_env.worker.cml_url` (or its address), with the
 * credentials of the `cml/api` secret reference (never in runtime_env, so never in jq).
 */
export function cmlFromRuntimeEnv(runtimeEnv: Record<string, unknown>, creds: Credentials): CmlPort {
  const worker = (runtimeEnv.worker ?? {}) as { address?: string; cml_url?: string };
  const baseUrl = worker.cml_url ?? (worker.address ? `https://${worker.address}` : undefined);
  if (!baseUrl) throw new Problem('validation-error', 'runtime_env.worker has no cml_url or address');
  if (!creds.username || !creds.password)
    throw new Problem('unauthorized', 'the cml/api secret has no username and password for the CML API');
  return new CmlClient({ baseUrl, username: creds.username, password: creds.password });
}

/**
 * The device consoles, loaded on the first console a run opens: the adapter carries ssh2 (the
 * largest package in the bundle), and most job runs open no console (D182).
 */
function lazyConsoles(): ConsolePort {
  let consoles: Promise<ConsolePort> | undefined;
  return {
    open: async (target) => {
      consoles ??= import('../adapters/console.ts').then((m) => new m.DeviceConsoles());
      return (await consoles).open(target);
    },
  };
}

export function scenarioServices(clock: Clock = runtimeClock()): ScenarioServices {
  return {
    console: lazyConsoles(),
    cml: async (runtimeEnv) =>
      cmlFromRuntimeEnv(runtimeEnv, await resolveSecretReference('cml/api', clock.now())),
    secrets: { resolve: (ref) => resolveSecretReference(ref, clock.now()) },
    reports: new S3Reports(new S3Documents(s3Sdk(), env('artefactsBucket'))),
    outputs: new S3Outputs(new S3Documents(s3Sdk(), env('artefactsBucket'))),
    sleep: sleeperFor(clock),
    // Under an accelerated local clock a device still needs real time to answer.
    deadline: deadlineFor(clock, 5_000),
    now: () => iso(clock.now()),
  };
}
