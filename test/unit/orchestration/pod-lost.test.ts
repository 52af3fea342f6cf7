/**
 * A pod whose worker was lost (the fleet pass puts it back to `pending` before the candidate
 * starts, or fails it after): the sessions reconciler instantiates the part again, or fails it
 * with the pod's reason. Never silent (issue 13, D127).
 */
import { describe, expect, it } from 'vitest';
import { parseExecutionName } from '../../../shared/domain/names.ts';
import { decide } from '../../../shared/orchestration/decide.ts';
import type { SessionTree } from '../../../shared/domain/session.ts';
import { MIN, T0, drive, tree } from './fixtures.ts';

const LOST = 'worker wrk_a lost: instance i-1 is terminated';

/** A lablet driven until its part waits for the candidate (pod ready on a worker). */
function waitingLablet(): { t: SessionTree; now: number } {
  const t = tree({ execution: 'single', parts: [{ minutes: 60, pod: true }] });
  const now = T0 + 65 * MIN;
  const { tree: cur } = drive(t, { until: now });
  expect(cur.parts[0]!.status).toBe('waiting');
  expect(cur.pods[0]!.status).toBe('ready');
  return { t: cur, now };
}

describe('decide: a pod lost with its worker', () => {
  it('before the candidate starts: the part instantiates again (a new attempt), with the reason', () => {
    const { t, now } = waitingLablet();
    const pod = t.pods[0]!;
    pod.status = 'pending';
    delete pod.host_id;
    pod.state_history.push({
      from: 'ready',
      to: 'pending',
      at: new Date(now).toISOString(),
      by: 'fleet-reconciler',
      reason: `${LOST}; placing again`,
    });
    const d = decide(t, now + MIN, 'dev');
    const part = d.tree.parts[0]!;
    expect(part.status).toBe('instantiating');
    expect(part.state_history.at(-1)!.reason).toBe(`${LOST}; placing again`);
    expect(part.provisioned).toBe(false);
    const start = d.commands.find((c) => c.kind === 'start_execution') as {
      phase: string;
      execution_name: string;
    };
    expect(start.phase).toBe('instantiate');
    expect(parseExecutionName(start.execution_name)).toMatchObject({ phase: 'instantiate', attempt: 2 });
  });

  it('after the candidate started: the part fails with the pod reason and its pods are cleaned up', () => {
    const { t, now } = waitingLablet();
    t.parts[0]!.candidate_started_at = new Date(now).toISOString();
    const m = decide(t, now, 'dev').tree;
    expect(m.parts[0]!.status).toBe('monitoring');
    m.pods[0]!.status = 'failed';
    m.pods[0]!.state_history.push({
      from: 'ready',
      to: 'failed',
      at: new Date(now).toISOString(),
      by: 'fleet-reconciler',
      reason: LOST,
    });
    const d = decide(m, now + MIN, 'dev');
    const part = d.tree.parts[0]!;
    expect(part.status).toBe('failed');
    expect(part.failure).toEqual({ phase: 'monitoring', error: 'pod_lost', cause: LOST });
    expect(part.state_history.at(-1)!.reason).toBe(LOST);
  });

  it('a pod still pending before its part instantiated is not a loss', () => {
    const t = tree({ execution: 'single', parts: [{ minutes: 60, pod: true }] });
    const d = decide(t, T0, 'dev');
    expect(d.tree.parts[0]!.status).toBe('pending');
  });
});
