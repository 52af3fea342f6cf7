/** POST /v1/jobs, GET /v1/jobs/{id}, DELETE /v1/jobs/{id}, GET /v1/scenario-functions. */
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { httpHandler, route } from '../shared/api/http.ts';
import { jobsContracts } from '../shared/api/contracts/jobs.ts';
import { Problem } from '../shared/domain/problem.ts';
import { FUNCTION_CATALOGUE } from '../shared/dsl/catalogue.ts';
import { jobView, type JobInput } from '../shared/scenario/jobs.ts';
import { jobRepository } from '../shared/scenario/service.ts';
import { keys } from '../shared/store/keys.ts';
import { StateStore, type StoredItem } from '../shared/store/state-store.ts';
import { documentClient, lambdaClient } from '../shared/runtime/aws.ts';
import { env } from '../shared/runtime/env.ts';
import { bodyLimits } from '../infra/topology.ts';
import { system } from '../infra/system.ts';
import { functionName } from '../infra/naming.ts';

const catalogue = Object.entries(FUNCTION_CATALOGUE).map(([uses, f]) => ({
  name: f.name,
  version: f.version,
  uses,
  description: f.description,
  needs_target: f.needsTarget,
  input: f.input,
  output: f.output,
}));

interface SubmitBody {
  job: string;
  pod_definition_id: string;
  input?: JobInput;
  metadata?: Record<string, unknown>;
}

export const handler = httpHandler(
  [
    route<unknown, unknown, SubmitBody>(jobsContracts.submit, async (req) => {
      const store = new StateStore(documentClient(), env('stateTable'));
      const pd = await store.get<StoredItem & { status: string; jobs?: string[] }>(
        keys.podDefinition(req.body.pod_definition_id),
      );
      if (!pd) throw new Problem('not-found', `no pod definition ${req.body.pod_definition_id}`);
      if (pd.status !== 'ready' && pd.status !== 'superseded')
        throw new Problem('state-conflict', `pod definition ${pd.id as string} is ${pd.status}, not ready`);
      if (!pd.jobs?.includes(req.body.job))
        throw new Problem(
          'not-found',
          `pod definition ${pd.id as string} has no job ${req.body.job}; it has ${pd.jobs?.join(', ') || 'none'}`,
        );
      const repo = jobRepository();
      const { record } = await repo.create({
        job: req.body.job,
        pod_definition_id: req.body.pod_definition_id,
        metadata: req.body.metadata ?? {},
        origin: { kind: 'api' },
        input: req.body.input ?? {},
      });
      // The input (with its secrets) travels only in the invocation, never to storage.
      await lambdaClient().send(
        new InvokeCommand({
          FunctionName: process.env.LCM_JOB_RUNNER_FUNCTION ?? functionName(env('stage'), 'job-runner'),
          InvocationType: 'Event',
          Payload: Buffer.from(JSON.stringify({ job_id: record.id, input: req.body.input ?? {} })),
        }),
      );
      return {
        status: 202,
        body: { job_id: record.id, status: record.status },
        headers: { location: `/v1/jobs/${record.id}` },
      };
    }),
    route<{ id: string }, unknown, unknown>(jobsContracts.get, async (req) => {
      const r = await jobRepository().get(req.params.id);
      if (!r) throw new Problem('not-found', `no job ${req.params.id}`);
      return { status: 200, body: jobView(r) };
    }),
    route<{ id: string }, unknown, unknown>(jobsContracts.cancel, async (req) => {
      const repo = jobRepository();
      if (!(await repo.get(req.params.id))) throw new Problem('not-found', `no job ${req.params.id}`);
      const r = await repo.requestCancel(req.params.id, 'api');
      return { status: 202, body: jobView(r) };
    }),
    route<unknown, unknown, unknown>(jobsContracts.functions, async () => ({
      status: 200,
      body: { items: catalogue },
    })),
  ],
  { maxBodyBytes: bodyLimits(system) },
);
