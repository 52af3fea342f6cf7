import { describe, expect, it } from 'vitest';
import { iso, ManualClock } from '../../../shared/domain/clock.ts';
import {
  canMove,
  podLossAction,
  stepWorker,
  WORKER_STATUSES,
  type WorkerRecord,
} from '../../../shared/domain/worker.ts';
import { MIN, T0, worker } from './fixtures.ts';

const running = { state: 'running' as const, private_ip: '10.20.1.50' };

describe('worker lifecycle: the happy path on a manual clock', () => {
  it('pending → provisioning → starting → running, asking EC2 and CML at each step', () => {
    const clock = new ManualClock(T0);
    let w = worker('w1', { status: 'pending', instance_id: undefined });

    let s = stepWorker(w, undefined, undefined, clock.now());
    expect(s.action).toEqual({ kind: 'run_instance' });
    expect(s.next?.status).toBe('provisioning');
    expect(s.next?.launched_at).toBe(iso(T0));
    w = { ...s.next!, instance_id: 'i-0abc' };

    clock.advance(1 * MIN);
    s = stepWorker(w, { state: 'pending' }, undefined, clock.now());
    expect(s.next).toBeUndefined();
    expect(s.reason).toBe('instance pending');

    clock.advance(1 * MIN);
    s = stepWorker(w, running, undefined, clock.now());
    expect(s.next?.status).toBe('starting');
    expect(s.next?.address).toBe('10.20.1.50');
    expect(s.action).toEqual({ kind: 'probe' });
    w = s.next!;

    clock.advance(5 * MIN);
    s = stepWorker(w, running, false, clock.now());
    expect(s.next).toBeUndefined();
    expect(s.action).toEqual({ kind: 'probe' });

    s = stepWorker(w, running, true, clock.now());
    expect(s.next?.status).toBe('running');
    expect(s.next?.started_at).toBe(iso(clock.now()));
    expect(s.next?.state_history.map((h) => h.to)).toEqual([
      'pending',
      'provisioning',
      'starting',
      'running',
    ]);
    expect(s.next?.state_version).toBe(w.state_version + 1);
  });

  it('running → draining while pods remain → stopping when empty → stopped', () => {
    const w = worker('w1', { desired_status: 'stopped', pods: ['pod_a'] });
    const s1 = stepWorker(w, running, undefined, T0);
    expect(s1.next?.status).toBe('draining');
    expect(s1.action).toBeUndefined();
    const s2 = stepWorker(s1.next!, running, undefined, T0);
    expect(s2.next).toBeUndefined();
    expect(s2.reason).toBe('draining: 1 pod(s) left');
    const s3 = stepWorker({ ...s1.next!, pods: [] }, running, undefined, T0);
    expect(s3.next?.status).toBe('stopping');
    expect(s3.action).toEqual({ kind: 'stop_instance' });
    expect(stepWorker(s3.next!, { state: 'stopping' }, undefined, T0).next).toBeUndefined();
    expect(stepWorker(s3.next!, running, undefined, T0).action).toEqual({ kind: 'stop_instance' });
    expect(stepWorker(s3.next!, { state: 'stopped' }, undefined, T0).next?.status).toBe('stopped');
  });

  it('a drain is cancelled when the worker is wanted again', () => {
    const w = worker('w1', { status: 'draining', pods: ['pod_a'] });
    expect(stepWorker(w, running, undefined, T0).next?.status).toBe('running');
  });

  it('a stopped worker wanted running is started (provisioning), its instance kept', () => {
    const w = worker('w1', { status: 'stopped', desired_status: 'running' });
    const s = stepWorker(w, { state: 'stopped' }, undefined, T0);
    expect(s.next?.status).toBe('provisioning');
    expect(s.action).toEqual({ kind: 'start_instance' });
    expect(
      stepWorker(
        worker('w1', { status: 'stopped', desired_status: 'stopped' }),
        { state: 'stopped' },
        undefined,
        T0,
      ).next,
    ).toBeUndefined();
  });

  it('terminate wins from any live status and ends in terminated', () => {
    const w = worker('w1', { desired_status: 'terminated' });
    const s = stepWorker(w, running, undefined, T0);
    expect(s.next?.status).toBe('stopping');
    expect(s.action).toEqual({ kind: 'terminate_instance' });
    const s2 = stepWorker(s.next!, { state: 'shutting-down' }, undefined, T0);
    expect(s2.action).toEqual({ kind: 'terminate_instance' });
    const s3 = stepWorker(s.next!, { state: 'terminated' }, undefined, T0);
    expect(s3.next?.status).toBe('terminated');
    expect(s3.next?.ended_at).toBe(iso(T0));
    expect(stepWorker(s3.next!, undefined, undefined, T0)).toEqual({ reason: 'terminated' });
  });

  it('terminate drains a worker that holds pods first', () => {
    const w = worker('w1', { desired_status: 'terminated', pods: ['pod_a'] });
    expect(stepWorker(w, running, undefined, T0).next?.status).toBe('draining');
  });
});

describe('worker lifecycle: failures and their boundaries', () => {
  it('fails at the launch timeout, not a millisecond before', () => {
    const w = worker('w1', { status: 'provisioning', launched_at: iso(T0) });
    expect(stepWorker(w, { state: 'pending' }, undefined, T0 + 10 * MIN).next).toBeUndefined();
    const s = stepWorker(w, { state: 'pending' }, undefined, T0 + 10 * MIN + 1);
    expect(s.next?.status).toBe('failed');
    expect(s.next?.failure).toBe('instance still pending after 10 min');
    expect(s.action).toEqual({ kind: 'terminate_instance' });
  });

  it('fails at the boot timeout when CML never answers', () => {
    const w = worker('w1', { status: 'starting', booted_at: iso(T0) });
    expect(stepWorker(w, running, false, T0 + 30 * MIN).next).toBeUndefined();
    const s = stepWorker(w, running, false, T0 + 30 * MIN + 1);
    expect(s.next?.status).toBe('failed');
    expect(s.reason).toBe('CML did not answer within 30 min');
  });

  it.each(['absent', 'terminated', 'shutting-down', 'stopped'] as const)(
    'a running worker whose instance is %s fails and names the pods it lost',
    (state) => {
      const s = stepWorker(worker('w1', { pods: ['pod_a', 'pod_b'] }), { state }, undefined, T0);
      expect(s.next?.status).toBe('failed');
      expect(s.next?.failure).toBe(`instance i-w1 is ${state}`);
      expect(s.lost_pods).toEqual(['pod_a', 'pod_b']);
    },
  );

  it('a provisioning worker whose instance vanished fails', () => {
    const s = stepWorker(
      worker('w1', { status: 'provisioning', launched_at: iso(T0) }),
      { state: 'absent' },
      undefined,
      T0,
    );
    expect(s.next?.status).toBe('failed');
  });

  it('a lost launch answer is asked again (the client token makes it one instance)', () => {
    const w = worker('w1', { status: 'provisioning', instance_id: undefined, launched_at: iso(T0) });
    expect(stepWorker(w, undefined, undefined, T0 + MIN).action).toEqual({ kind: 'run_instance' });
    expect(stepWorker(w, undefined, undefined, T0 + 10 * MIN + 1).next?.status).toBe('failed');
  });

  it('a failed worker with an instance still up has it terminated; then it rests', () => {
    const w = worker('w1', { status: 'failed' });
    expect(stepWorker(w, running, undefined, T0).action).toEqual({ kind: 'terminate_instance' });
    expect(stepWorker(w, { state: 'terminated' }, undefined, T0).action).toBeUndefined();
  });
});

describe('worker lifecycle: the transition table', () => {
  it('terminated is final, failed only goes to terminated, every status can fail or terminate but terminated', () => {
    for (const s of WORKER_STATUSES) {
      if (s === 'terminated') {
        expect(WORKER_STATUSES.some((t) => canMove(s, t))).toBe(false);
        continue;
      }
      expect(canMove(s, 'terminated')).toBe(true);
    }
    expect(canMove('failed', 'running')).toBe(false);
    expect(canMove('stopped', 'running')).toBe(false);
  });

  it('stepWorker never makes a move the table forbids', () => {
    const states = [
      'pending',
      'running',
      'stopping',
      'stopped',
      'shutting-down',
      'terminated',
      'absent',
    ] as const;
    for (const status of WORKER_STATUSES)
      for (const desired of ['running', 'stopped', 'terminated'] as const)
        for (const state of states)
          for (const probe of [true, false]) {
            const w: WorkerRecord = worker('w', {
              status,
              desired_status: desired,
              launched_at: iso(T0),
              booted_at: iso(T0),
            });
            const s = stepWorker(w, { state }, probe, T0 + MIN);
            if (s.next) expect(canMove(status, s.next.status)).toBe(true);
            expect(s.reason).toBeTruthy();
          }
  });
});

describe('a worker lost mid-session', () => {
  it.each([
    ['pending', 'replace'],
    ['instantiating', 'replace'],
    ['waiting', 'replace'],
    ['monitoring', 'fail_part'],
    ['collecting', 'fail_part'],
    ['grading', 'release'],
    ['archiving', 'release'],
  ])('a part %s → %s', (status, action) => {
    expect(podLossAction(status)).toBe(action);
  });
});
