/** Wires the sync's ports from the environment (Lambda, the CLI against a deployment, tests). */
import { GetObjectCommand, NoSuchKey } from '@aws-sdk/client-s3';
import { Problem } from '../domain/problem.ts';
import { env, envOptional } from '../runtime/env.ts';
import { documentClient, s3Client, sfnClient } from '../runtime/aws.ts';
import { runtimeClock } from '../runtime/clock.ts';
import { StateStore } from '../store/state-store.ts';
import { DynamoPodDefinitions, S3Documents, SfnRegistrar, StoreFormConfirmer } from './adapters.ts';
import type { SyncPorts } from './sync.ts';

export function syncPorts(region: string, account: string): SyncPorts {
  const store = new StateStore(documentClient(), env('stateTable'));
  const clock = runtimeClock();
  const arnOf = (name: string) => `arn:aws:states:${region}:${account}:stateMachine:${name}`;
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

export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!m)
    throw new Problem('validation-error', `not an s3:// URI: ${uri}`, {
      errors: [{ pointer: '/source_uri', detail: 's3://bucket/key.zip', rule: 'uri' }],
    });
  return { bucket: m[1]!, key: decodeURIComponent(m[2]!) };
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
