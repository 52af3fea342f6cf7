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
  child.once('exit', () => runningTasks.delete(child));
  return child;
}

export function killAllTasks(): void {
  for (const c of runningTasks) c.kill('SIGKILL');
}
