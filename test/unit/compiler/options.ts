/** Test helpers for the lifecycle compiler: deployment targets and compile options. */
import type { CompileOptions } from '../../../state-machines/compile.ts';

export const targets = {
  nativeStepsArn: 'arn:aws:lambda:us-east-1:000000000000:function:local-native-steps',
  jobRunnerArn: 'arn:aws:lambda:us-east-1:000000000000:function:local-job-runner',
  jobTask: {
    clusterArn: 'arn:aws:ecs:us-east-1:000000000000:cluster/lcm',
    taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/job-runner-task:1',
    containerName: 'job-runner',
    subnets: ['subnet-1'],
  },
};

export const opts = (o: Partial<CompileOptions> = {}): CompileOptions => ({
  stage: 'dev',
  podDefinitionId: 'pd_0123456789abcdef',
  podType: 'cml_on_aws',
  availableJobs: new Set(['post_init@v1', 'grade@v1']),
  standardLifecycle: false,
  targets,
  ...o,
});
