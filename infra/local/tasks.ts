/**
 * ECS RunTask, locally: the task's entry (the same module the Fargate image runs) started as a
 * child Node process with exactly its task definition's environment (and its task role's
 * credentials) plus the container overrides' (the task token among them).
 * The child reports back through the Step Functions API like the real task does; if it dies,
 * the state machine's heartbeat timeout fails the step.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import type { SystemDecl } from '../topology.ts';

export const runningTasks = new Set<ChildProcess>();
/** What ECS knows of each running task: its ARN, cluster and `startedBy`. */
const taskInfo = new Map<ChildProcess, { arn: string; cluster: string; startedBy?: string }>();
let taskSeq = 0;

export async function runLocalTask(
  system: SystemDecl,
  root: string,
  params: Record<string, unknown>,
  /** The task's own environment (the synthesized task definition's, its credentials, the local stand-ins). */
  envOf: (task: string) => Record<string, string>,
): Promise<ChildProcess> {
  const def = String(params.TaskDefinition ?? '');
  const task =
    system.tasks.find((t) => def.includes(t.name)) ??
    (system.tasks.length === 1 ? system.tasks[0] : undefined);
  if (!task)
    throw Object.assign(new Error(`no local task for task definition "${def}"`), {
      name: 'InvalidParameterException',
    });
  const overrides = (
    params.Overrides as
      { ContainerOverrides?: { Environment?: { Name: string; Value: string }[] }[] } | undefined
  )?.ContainerOverrides?.[0];
  const extra = Object.fromEntries((overrides?.Environment ?? []).map((e) => [e.Name, e.Value]));
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(root, task.entry)], {
    cwd: root,
    env: { ...envOf(task.name), ...extra },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  runningTasks.add(child);
  const cluster = String(params.Cluster ?? 'default');
  taskInfo.set(child, {
    arn: `${cluster.replace(':cluster/', ':task/')}/${(++taskSeq).toString(16).padStart(32, '0')}`,
    cluster,
    ...(typeof params.StartedBy === 'string' ? { startedBy: params.StartedBy } : {}),
  });
  child.once('exit', () => {
    runningTasks.delete(child);
    taskInfo.delete(child);
  });
  return child;
}

/** ECS ListTasks / StopTask, locally (the job runner's tasks are child processes). */
export function handleEcs(action: string, body: Record<string, unknown>): unknown {
  const cluster = String(body.cluster ?? 'default');
  const inCluster = [...taskInfo].filter(([, t]) => t.cluster === cluster);
  if (action === 'ListTasks')
    return {
      taskArns: inCluster
        .filter(([, t]) => body.startedBy === undefined || t.startedBy === body.startedBy)
        .map(([, t]) => t.arn),
    };
  if (action === 'StopTask') {
    const hit = inCluster.find(([, t]) => t.arn === body.task);
    if (!hit)
      throw Object.assign(new Error(`task ${String(body.task)} not found`), {
        name: 'InvalidParameterException',
      });
    // As ECS does: SIGTERM, then SIGKILL when the task has not exited 30 s later.
    hit[0].kill('SIGTERM');
    setTimeout(() => hit[0].exitCode === null && hit[0].kill('SIGKILL'), 30_000).unref();
    return { task: { taskArn: hit[1].arn, desiredStatus: 'STOPPED', stoppedReason: body.reason } };
  }
  throw Object.assign(new Error(`ECS ${action} is not emulated locally`), {
    name: 'UnknownOperationException',
  });
}

export function killAllTasks(): void {
  for (const c of runningTasks) c.kill('SIGKILL');
}
