/**
 * POST /v1/jobs takes references, not values (issue 14, finding 1): a request carrying credentials
 * is refused naming where (never what) and changes nothing; an accepted job's asynchronous
 * invocation (what a dead-letter queue would keep) carries the job id only.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { getJob, submitJob } from '../../../shared/scenario/service.ts';
import { Problem } from '../../../shared/domain/problem.ts';
import { resetClients } from '../../../shared/runtime/aws.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const lambda = mockClient(LambdaClient);
const SECRET = 'Api-Given-S3cret-77';

beforeEach(() => {
  process.env.LCM_STATE_TABLE = 'state';
  process.env.LCM_JOB_RUNNER_FUNCTION = 'job-runner';
  resetClients();
  ddb.reset();
  lambda.reset();
  ddb
    .on(GetCommand)
    .resolves({ Item: { pk: 'x', sk: 'x', status: 'ready', jobs: ['grade@v1'], state_version: 1 } });
  ddb.on(PutCommand).resolves({});
  lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
});
afterEach(() => resetClients());

describe('POST /v1/jobs and secrets', () => {
  it('a runtime_env with a password is refused with its pointer, not its value, and nothing is stored or invoked', async () => {
    const e = await submitJob(
      {
        job: 'grade@v1',
        pod_definition_id: 'pd_abcdef',
        input: {
          runtime_env: { devices: { r1: { serial_port: 1, enable_password: SECRET } } },
          vars: { api_token: SECRET },
        },
      },
      'tenant-a',
    ).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(Problem);
    const doc = (e as Problem).toJSON();
    expect(doc.status).toBe(422);
    expect(doc.errors?.map((x) => x.pointer)).toEqual([
      '/input/runtime_env/devices/r1/enable_password',
      '/input/vars/api_token',
    ]);
    expect(JSON.stringify(doc)).not.toContain(SECRET);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(0);
  });

  it("an accepted job's asynchronous invocation carries only its id; the input is on the record", async () => {
    const out = await submitJob(
      {
        job: 'grade@v1',
        pod_definition_id: 'pd_abcdef',
        input: { runtime_env: { worker: { address: '10.0.0.9' } }, session: { cut_score: 80 } },
      },
      'tenant-a',
    );
    const invoke = lambda.commandCalls(InvokeCommand)[0]!.args[0].input;
    expect(invoke.InvocationType).toBe('Event');
    expect(JSON.parse(Buffer.from(invoke.Payload as Uint8Array).toString())).toEqual({ job_id: out.job_id });
    const stored = ddb.commandCalls(PutCommand)[0]!.args[0].input.Item!;
    expect(stored.input).toEqual({
      runtime_env: { worker: { address: '10.0.0.9' } },
      session: { cut_score: 80 },
    });
  });
});

/** Lambda, S3 and the presigner load on first use in the jobs API (D211); what they send is unchanged. */
describe('GET /v1/jobs/{id} with outputs in the artefacts bucket', () => {
  it('answers a link to the outputs document presigned for 900 s', async () => {
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret-example',
    });
    ddb.on(GetCommand).resolves({
      Item: {
        pk: 'x',
        sk: 'x',
        id: 'job_1',
        status: 'completed',
        origin: { kind: 'api', by: 'tenant-a' },
        outputs_ref: 's3://artefacts-bucket/outputs/job_1/1.json',
        state_version: 3,
      },
    });
    const out = (await getJob('job_1', 'tenant-a')) as { outputs_url?: string; status?: string };
    expect(out.status).toBe('completed');
    const url = new URL(out.outputs_url!);
    expect(url.pathname).toBe('/outputs/job_1/1.json');
    expect(url.hostname).toContain('artefacts-bucket');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(0);
  });
});
