/**
 * The content application service: wires the sync's ports from the environment (Lambda, the CLI
 * against a deployment, tests), and answers the content API (request a sync, read definitions).
 */
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { GetObjectCommand, NoSuchKey } from '@aws-sdk/client-s3';
import type { Form } from '../catalog/types.ts';
import { Problem } from '../domain/problem.ts';
import { env, envOptional } from '../runtime/env.ts';
import { documentClient } from '../runtime/aws-dynamodb.ts';
import { lambdaClient } from '../runtime/aws-lambda.ts';
import { s3Client } from '../runtime/aws-s3.ts';
import { sfnClient } from '../runtime/aws-sfn.ts';
import { stateMachineArn, type ArnScope } from '../runtime/arns.ts';
import { runtimeClock } from '../runtime/clock.ts';
import { PARTITIONS } from '../store/keys.ts';
import { StateStore, strip, type StoredItem } from '../store/state-store.ts';
import { S3Documents } from '../adapters/s3-documents.ts';
import { SfnRegistrar } from '../adapters/state-machines.ts';
import { DynamoPodDefinitions, StoreFormConfirmer } from './adapters.ts';
import { checkPodRef, identityOf, inspectPackage, type PodDefinitionRecord, type SyncPorts } from './sync.ts';

export function syncPorts(scope: ArnScope): SyncPorts {
  const store = new StateStore(documentClient(), env('stateTable'));
  const clock = runtimeClock();
  const arnOf = (name: string) => stateMachineArn(scope, name);
  const subnets = envOptional('jobSubnets')?.split(',').filter(Boolean) ?? [];
  const securityGroups = envOptional('jobSecurityGroups')?.split(',').filter(Boolean) ?? [];
  const cluster = envOptional('jobClusterArn');
  const taskDefinition = envOptional('jobTaskDefinitionArn');
  return {
    repo: new DynamoPodDefinitions(store),
    registrar: new SfnRegistrar(
      sfnClient(),
      env('stateMachineRoleArn'),
      arnOf,
      envOptional('stateMachineLogGroupArn'),
    ),
    documents: new S3Documents(s3Client(), env('contentBucket')),
    forms: new StoreFormConfirmer(store, () => new Date(clock.now()).toISOString()),
    clock,
    stage: env('stage'),
    targets: {
      nativeStepsArn: env('nativeStepsFunctionArn'),
      jobRunnerArn: env('jobRunnerFunctionArn'),
      ...(cluster && taskDefinition
        ? {
            jobTask: {
              clusterArn: cluster,
              taskDefinitionArn: taskDefinition,
              containerName: 'job-runner',
              subnets,
              ...(securityGroups.length ? { securityGroups } : {}),
            },
          }
        : {}),
    },
  };
}

export { podDefinitionDocument } from './pod-definitions.ts';

export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!m)
    throw new Problem('validation-error', `not an s3:// URI: ${uri}`, {
      errors: [{ pointer: '/source_uri', detail: 's3://bucket/key.zip', rule: 'uri' }],
    });
  try {
    return { bucket: m[1]!, key: decodeURIComponent(m[2]!) };
  } catch {
    throw new Problem('bad-request', `the key of ${uri} is not valid percent-encoding`, {
      errors: [{ pointer: '/source_uri', detail: 'malformed percent-escape in the key', rule: 'uri' }],
    });
  }
}

const MAX_PACKAGE_BYTES = 100 * 1024 * 1024;

export async function fetchPackage(uri: string): Promise<Buffer> {
  const { bucket, key } = parseS3Uri(uri);
  if (bucket !== env('contentBucket'))
    throw new Problem(
      'validation-error',
      `packages are read from the content bucket ${env('contentBucket')}`,
      { errors: [{ pointer: '/source_uri', detail: 'another bucket', rule: 'bucket' }] },
    );
  try {
    const out = await s3Client().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if ((out.ContentLength ?? 0) > MAX_PACKAGE_BYTES)
      throw new Problem('payload-too-large', `the package is larger than ${MAX_PACKAGE_BYTES} bytes`);
    return Buffer.from(await out.Body!.transformToByteArray());
  } catch (e) {
    if (e instanceof NoSuchKey || (e as { name?: string }).name === 'NoSuchKey')
      throw new Problem('not-found', `no object at ${uri}`);
    throw e;
  }
}

export interface SyncRequest {
  source_uri: string;
  name?: string;
  force?: boolean;
}

const stateStore = () => new StateStore(documentClient(), env('stateTable'));

/**
 * POST /v1/content/sync: inspects the package (so the answer names the definition it will be),
 * refuses at once what would change a pod type under the forms that deliver it, and hands the
 * sync to the content-sync function asynchronously.
 */
export async function requestSync(req: SyncRequest) {
  const bytes = await fetchPackage(req.source_uri);
  const { hash, result } = await inspectPackage(bytes);
  const { id, podType } = identityOf(req, result, hash);
  const contentId = result.ok ? result.fields.content_id : result.partial.content_id;
  if (contentId && podType !== 'unknown') {
    const forms = (await stateStore().queryPartition<StoredItem & Form>(PARTITIONS.forms)).filter(
      (f) => f.content_id === contentId,
    );
    for (const f of forms) checkPodRef(f.pod_ref, { pod_type: podType, definition_id: id });
  }
  const existing = await new DynamoPodDefinitions(stateStore()).get(id);
  await lambdaClient().send(
    new InvokeCommand({
      FunctionName: env('contentSyncFunction'),
      InvocationType: 'Event',
      Payload: Buffer.from(JSON.stringify(req)),
    }),
  );
  return { pod_definition_id: id, status: existing?.status ?? 'defined', valid: result.ok };
}

/** A pod definition record as readers see it. */
const view = (r: PodDefinitionRecord) => {
  const { seed_hash: _s, ...rest } = strip(r as unknown as Record<string, unknown>);
  return rest;
};

export async function listPodDefinitions(name: string, limit = 25) {
  const items = await new DynamoPodDefinitions(stateStore()).listByName(name);
  return items.slice(0, limit).map(view);
}

/** A pod definition with its stored document (lifecycle, job definitions, connectors, topology…). */
export async function getPodDefinition(id: string) {
  const r = await new DynamoPodDefinitions(stateStore()).get(id);
  if (!r) throw new Problem('not-found', `no pod definition ${id}`);
  const document = r.document_ref
    ? await new S3Documents(s3Client(), env('contentBucket')).get(r.document_ref)
    : {};
  const { lifecycle, jobs, ...doc } = document as { lifecycle?: unknown; jobs?: unknown };
  return {
    ...doc,
    ...view(r),
    ...(lifecycle ? { lifecycle } : {}),
    ...(jobs ? { job_definitions: jobs } : {}),
  };
}
