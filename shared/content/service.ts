/**
 * The content application service: wires the sync's ports from the environment (Lambda, the CLI
 * against a deployment, tests). The content API's routes are in `api.ts` (D210).
 */
import { env, envOptional } from '../runtime/env.ts';
import { documentClient } from '../runtime/aws-dynamodb.ts';
import { s3Sdk } from '../runtime/aws-s3.ts';
import { sfnClient } from '../runtime/aws-sfn.ts';
import { stateMachineArn, type ArnScope } from '../runtime/arns.ts';
import { runtimeClock } from '../runtime/clock.ts';
import { StateStore } from '../store/state-store.ts';
import { S3Documents } from '../adapters/s3-documents.ts';
import { SfnRegistrar } from '../adapters/state-machines.ts';
import { DynamoPodDefinitions, StoreFormConfirmer } from './adapters.ts';
import type { SyncPorts } from './sync.ts';
import { fetchPackageWith } from './package-source.ts';

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
    documents: new S3Documents(s3Sdk(), env('contentBucket')),
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

export { parseS3Uri, type SyncRequest } from './package-source.ts';

/** The package at `uri` in the content bucket (the content-sync function's S3 client, bundled). */
export const fetchPackage = (uri: string): Promise<Buffer> => fetchPackageWith(s3Sdk, uri);
