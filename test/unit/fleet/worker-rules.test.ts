/**
 * stepWorker as a decision table (issue 18): for each status, desired status, what EC2 says and
 * whether CML answers, the one move, EC2 action and reason the step must give. Each row is a rule
 * of shared/domain/worker.ts; a broken branch changes the move, the action or the reason of a row.
 */
import { describe, expect, it } from 'vitest';
import { iso } from '../../../shared/domain/clock.ts';
import {
  WORKER_LIVE,
  WORKER_TRANSITIONS,
  canMove,
  stepWorker,
  type InstanceState,
  type WorkerRecord,
} from '../../../shared/domain/worker.ts';
import { MIN, T0, worker } from './fixtures.ts';

type Obs = InstanceState | 'absent' | undefined;
const step = (over: Partial<WorkerRecord>, state: Obs, probe?: boolean, now = T0 + MIN) => {
  const w = worker('w1', { launched_at: iso(T0), booted_at: iso(T0), ...over });
  const s = stepWorker(w, state ? { state, private_ip: '10.9.9.9' } : undefined, probe, now);
  return {
    to: s.next?.status,
    action: s.action?.kind,
    reason: s.reason,
    lost: s.lost_pods,
    next: s.next,
  };
};

describe('terminate requested: wins from every status', () => {
  it.each<[string, Partial<WorkerRecord>, Obs, string | undefined, string | undefined, string]>([
    [
      'no instance yet',
      { status: 'pending', instance_id: undefined },
      undefined,
      'terminated',
      undefined,
      'instance terminated',
    ],
    ['instance absent', { status: 'running' }, 'absent', 'terminated', undefined, 'instance terminated'],
    [
      'instance terminated',
      { status: 'stopping' },
      'terminated',
      'terminated',
      undefined,
      'instance terminated',
    ],
    [
      'running with pods: drain first',
      { status: 'running', pods: ['p1'] },
      'running',
      'draining',
      undefined,
      'draining before termination',
    ],
    [
      'draining with pods: wait',
      { status: 'draining', pods: ['p1', 'p2'] },
      'running',
      undefined,
      undefined,
      'draining: 2 pod(s) left',
    ],
    [
      'failed: terminate without a move',
      { status: 'failed' },
      'running',
      undefined,
      'terminate_instance',
      'terminating failed worker',
    ],
    [
      'running idle: stopping + terminate',
      { status: 'running' },
      'running',
      'stopping',
      'terminate_instance',
      'terminate requested',
    ],
    [
      'stopped: stopping + terminate',
      { status: 'stopped' },
      'stopped',
      'stopping',
      'terminate_instance',
      'terminate requested',
    ],
    [
      'starting with pods: not drained (only running drains)',
      { status: 'starting', pods: ['p1'] },
      'running',
      'stopping',
      'terminate_instance',
      'terminate requested',
    ],
    [
      'stopping: terminate again, no move',
      { status: 'stopping' },
      'shutting-down',
      undefined,
      'terminate_instance',
      'terminate requested',
    ],
  ])('%s', (_, over, state, to, action, reason) => {
    const r = step({ desired_status: 'terminated', ...over }, state);
    expect([r.to, r.action, r.reason]).toEqual([to, action, reason]);
  });

  it('a terminated worker stays terminated, whatever is asked or seen', () => {
    expect(step({ status: 'terminated', desired_status: 'running' }, 'running')).toMatchObject({
      to: undefined,
      action: undefined,
      reason: 'terminated',
    });
  });

  it('the move to terminated stamps the end; a move elsewhere does not', () => {
    expect(step({ desired_status: 'terminated' }, 'absent').next?.ended_at).toBe(iso(T0 + MIN));
    expect(step({ desired_status: 'terminated' }, 'running').next?.ended_at).toBeUndefined();
  });
});

describe('pending', () => {
  it('wanted running: launched, with the launch time', () => {
    const r = step({ status: 'pending', instance_id: undefined, launched_at: undefined }, undefined);
    expect([r.to, r.action, r.reason]).toEqual([
      'provisioning',
      'run_instance',
      'launching from template cml-m5-2xlarge',
    ]);
    expect(r.next?.launched_at).toBe(iso(T0 + MIN));
  });

  it('wanted stopped: never launched', () => {
    const r = step({ status: 'pending', desired_status: 'stopped', instance_id: undefined }, undefined);
    expect([r.to, r.action, r.reason]).toEqual(['terminated', undefined, 'never launched']);
  });
});

describe('provisioning', () => {
  const prov = { status: 'provisioning' as const };
  it.each<[string, Partial<WorkerRecord>, Obs, number, string | undefined, string | undefined, string]>([
    [
      'not seen, instance known: start again',
      {},
      undefined,
      T0 + MIN,
      undefined,
      'start_instance',
      'instance not seen yet',
    ],
    [
      'not seen, no instance: run again',
      { instance_id: undefined },
      undefined,
      T0 + MIN,
      undefined,
      'run_instance',
      'instance not seen yet',
    ],
    [
      'not seen at exactly the launch timeout: ask again',
      { instance_id: undefined },
      undefined,
      T0 + 10 * MIN,
      undefined,
      'run_instance',
      'instance not seen yet',
    ],
    [
      'not seen past the launch timeout: failed',
      { instance_id: undefined },
      undefined,
      T0 + 10 * MIN + 1,
      'failed',
      undefined,
      'no instance after the launch timeout',
    ],
    [
      'not seen without a launch time: never times out',
      { launched_at: undefined },
      undefined,
      T0 + 999 * MIN,
      undefined,
      'start_instance',
      'instance not seen yet',
    ],
    ['absent: failed', {}, 'absent', T0 + MIN, 'failed', 'terminate_instance', 'instance i-w1 is absent'],
    [
      'terminated: failed',
      {},
      'terminated',
      T0 + MIN,
      'failed',
      'terminate_instance',
      'instance i-w1 is terminated',
    ],
    [
      'shutting-down: failed',
      {},
      'shutting-down',
      T0 + MIN,
      'failed',
      'terminate_instance',
      'instance i-w1 is shutting-down',
    ],
    [
      'running: starting, probe',
      {},
      'running',
      T0 + MIN,
      'starting',
      'probe',
      'instance running, CML booting',
    ],
    [
      'stopped: start it',
      {},
      'stopped',
      T0 + MIN,
      undefined,
      'start_instance',
      'instance stopped, starting it',
    ],
    [
      'stopping: start it',
      {},
      'stopping',
      T0 + MIN,
      undefined,
      'start_instance',
      'instance stopping, starting it',
    ],
    [
      'stopped past the launch timeout: still start it',
      {},
      'stopped',
      T0 + 60 * MIN,
      undefined,
      'start_instance',
      'instance stopped, starting it',
    ],
    [
      'pending within the timeout: wait',
      {},
      'pending',
      T0 + 10 * MIN,
      undefined,
      undefined,
      'instance pending',
    ],
    [
      'pending past the timeout: failed',
      {},
      'pending',
      T0 + 10 * MIN + 1,
      'failed',
      'terminate_instance',
      'instance still pending after 10 min',
    ],
  ])('%s', (_, over, state, now, to, action, reason) => {
    const r = step({ ...prov, ...over }, state, undefined, now);
    expect([r.to, r.action, r.reason]).toEqual([to, action, reason]);
  });

  it('running: the boot time is stamped and the instance address taken when EC2 gives one', () => {
    const r = step(prov, 'running');
    expect(r.next?.booted_at).toBe(iso(T0 + MIN));
    expect(r.next?.address).toBe('10.9.9.9');
    const noIp = stepWorker(worker('w1', prov), { state: 'running' }, undefined, T0);
    expect(noIp.next?.address).toBe('10.0.0.1');
  });

  it('the launch timeout is the given one', () => {
    const w = worker('w1', { ...prov, launched_at: iso(T0) });
    const timings = { launch_timeout_minutes: 3, boot_timeout_minutes: 5 };
    expect(stepWorker(w, { state: 'pending' }, undefined, T0 + 3 * MIN, timings).next).toBeUndefined();
    expect(stepWorker(w, { state: 'pending' }, undefined, T0 + 3 * MIN + 1, timings).reason).toBe(
      'instance still pending after 3 min',
    );
  });
});

describe('starting', () => {
  const st = { status: 'starting' as const };
  it.each<
    [
      string,
      Partial<WorkerRecord>,
      Obs,
      boolean | undefined,
      number,
      string | undefined,
      string | undefined,
      string,
    ]
  >([
    [
      'not seen: failed',
      {},
      undefined,
      undefined,
      T0 + MIN,
      'failed',
      'terminate_instance',
      'instance i-w1 is unknown while CML boots',
    ],
    [
      'absent: failed',
      {},
      'absent',
      undefined,
      T0 + MIN,
      'failed',
      'terminate_instance',
      'instance i-w1 is absent while CML boots',
    ],
    [
      'stopped: failed',
      {},
      'stopped',
      undefined,
      T0 + MIN,
      'failed',
      'terminate_instance',
      'instance i-w1 is stopped while CML boots',
    ],
    [
      'stopping: failed',
      {},
      'stopping',
      undefined,
      T0 + MIN,
      'failed',
      'terminate_instance',
      'instance i-w1 is stopping while CML boots',
    ],
    [
      'no instance id: failed without a terminate',
      { instance_id: undefined },
      'absent',
      undefined,
      T0 + MIN,
      'failed',
      undefined,
      'instance ? is absent while CML boots',
    ],
    [
      'stop requested: stopping',
      { desired_status: 'stopped' },
      'running',
      true,
      T0 + MIN,
      'stopping',
      'stop_instance',
      'stop requested while booting',
    ],
    ['CML answers: running', {}, 'running', true, T0 + MIN, 'running', undefined, 'CML answers'],
    [
      'no answer at the boot timeout: probe again',
      {},
      'running',
      false,
      T0 + 30 * MIN,
      undefined,
      'probe',
      'waiting for CML',
    ],
    [
      'no answer past the boot timeout: failed',
      {},
      'running',
      false,
      T0 + 30 * MIN + 1,
      'failed',
      'terminate_instance',
      'CML did not answer within 30 min',
    ],
    [
      'not asked yet past the boot timeout: failed',
      {},
      'running',
      undefined,
      T0 + 30 * MIN + 1,
      'failed',
      'terminate_instance',
      'CML did not answer within 30 min',
    ],
    [
      'no boot time: never times out',
      { booted_at: undefined },
      'running',
      false,
      T0 + 999 * MIN,
      undefined,
      'probe',
      'waiting for CML',
    ],
  ])('%s', (_, over, state, probe, now, to, action, reason) => {
    const r = step({ ...st, ...over }, state, probe, now);
    expect([r.to, r.action, r.reason]).toEqual([to, action, reason]);
  });

  it('the first start is stamped; a restart keeps the first start time', () => {
    expect(step(st, 'running', true).next?.started_at).toBe(iso(T0 + MIN));
    expect(step({ ...st, started_at: iso(T0 - MIN) }, 'running', true).next?.started_at).toBe(iso(T0 - MIN));
  });

  it('a failure names the pods it lost; without pods there are none', () => {
    expect(step({ ...st, pods: ['p1'] }, 'absent').lost).toEqual(['p1']);
    expect(step(st, 'absent').lost).toBeUndefined();
    expect(step({ ...st, pods: ['p1'] }, 'absent').next?.failure).toBe(
      'instance i-w1 is absent while CML boots',
    );
  });
});

describe('running and draining', () => {
  it.each<[string, Partial<WorkerRecord>, Obs, string | undefined, string | undefined, string]>([
    ['running, wanted: stays', {}, 'running', undefined, undefined, 'running'],
    ['not seen: failed', {}, undefined, 'failed', 'terminate_instance', 'instance i-w1 is unknown'],
    [
      'stopping under it: failed',
      {},
      'stopping',
      'failed',
      'terminate_instance',
      'instance i-w1 is stopping',
    ],
    [
      'draining, wanted again: drain cancelled',
      { status: 'draining' },
      'running',
      'running',
      undefined,
      'drain cancelled',
    ],
    [
      'stop wanted, pods held: draining',
      { desired_status: 'stopped', pods: ['p1', 'p2'] },
      'running',
      'draining',
      undefined,
      'draining 2 pod(s)',
    ],
    [
      'draining, pods held: wait',
      { status: 'draining', desired_status: 'stopped', pods: ['p1'] },
      'running',
      undefined,
      undefined,
      'draining: 1 pod(s) left',
    ],
    [
      'stop wanted, idle: stopping',
      { desired_status: 'stopped' },
      'running',
      'stopping',
      'stop_instance',
      'idle, stopping',
    ],
    [
      'draining, now idle: stopping',
      { status: 'draining', desired_status: 'stopped' },
      'running',
      'stopping',
      'stop_instance',
      'idle, stopping',
    ],
    [
      'draining, instance gone: failed',
      { status: 'draining', desired_status: 'stopped', pods: ['p1'] },
      'terminated',
      'failed',
      'terminate_instance',
      'instance i-w1 is terminated',
    ],
  ])('%s', (_, over, state, to, action, reason) => {
    const r = step(over, state);
    expect([r.to, r.action, r.reason]).toEqual([to, action, reason]);
  });
});

describe('stopping', () => {
  it.each<[Obs, string | undefined, string | undefined, string]>([
    [undefined, 'terminated', undefined, 'instance unknown'],
    ['absent', 'terminated', undefined, 'instance absent'],
    ['terminated', 'terminated', undefined, 'instance terminated'],
    ['stopped', 'stopped', undefined, 'instance stopped'],
    ['stopping', undefined, undefined, 'instance stopping'],
    ['shutting-down', undefined, undefined, 'instance shutting-down'],
    ['running', undefined, 'stop_instance', 'instance running, stopping it'],
    ['pending', undefined, 'stop_instance', 'instance pending, stopping it'],
  ])('instance %s', (state, to, action, reason) => {
    const r = step({ status: 'stopping', desired_status: 'stopped' }, state);
    expect([r.to, r.action, r.reason]).toEqual([to, action, reason]);
    // A move records the same reason in the worker's history.
    expect(r.next?.state_history.at(-1)?.reason).toBe(to ? reason : undefined);
  });
});

describe('stopped', () => {
  it.each<[Partial<WorkerRecord>, Obs, string | undefined, string | undefined, string]>([
    [{ desired_status: 'stopped' }, 'absent', 'terminated', undefined, 'instance absent'],
    [{ desired_status: 'running' }, 'terminated', 'terminated', undefined, 'instance terminated'],
    [{ desired_status: 'running' }, 'stopped', 'provisioning', 'start_instance', 'starting stopped instance'],
    [{ desired_status: 'stopped' }, 'stopped', undefined, undefined, 'stopped'],
    [{ desired_status: 'stopped' }, undefined, undefined, undefined, 'stopped'],
  ])('%j, instance %s', (over, state, to, action, reason) => {
    const r = step({ status: 'stopped', ...over }, state);
    expect([r.to, r.action, r.reason]).toEqual([to, action, reason]);
  });

  it('a restart stamps a new launch time', () => {
    expect(step({ status: 'stopped' }, 'stopped').next?.launched_at).toBe(iso(T0 + MIN));
  });
});

describe('failed', () => {
  it.each<[Partial<WorkerRecord>, Obs, string | undefined, string]>([
    [{}, 'running', 'terminate_instance', 'terminating failed worker'],
    [{}, 'stopped', 'terminate_instance', 'terminating failed worker'],
    [{ failure: 'boom' }, 'absent', undefined, 'boom'],
    [{ failure: 'boom' }, 'shutting-down', undefined, 'boom'],
    [{}, 'terminated', undefined, 'failed'],
    [{}, undefined, undefined, 'failed'],
    [{ instance_id: undefined }, 'running', undefined, 'failed'],
  ])('%j, instance %s', (over, state, action, reason) => {
    const r = step({ status: 'failed', ...over }, state);
    expect([r.to, r.action, r.reason]).toEqual([undefined, action, reason]);
  });
});

describe('the transition table and the live statuses', () => {
  it('allows exactly these moves', () => {
    expect(WORKER_TRANSITIONS).toEqual({
      pending: ['provisioning', 'stopping', 'failed', 'terminated'],
      provisioning: ['starting', 'failed', 'stopping', 'terminated'],
      starting: ['running', 'failed', 'stopping', 'terminated'],
      running: ['draining', 'stopping', 'failed', 'terminated'],
      draining: ['running', 'stopping', 'failed', 'terminated'],
      stopping: ['stopped', 'failed', 'terminated'],
      stopped: ['provisioning', 'stopping', 'terminated', 'failed'],
      failed: ['terminated'],
      terminated: [],
    });
    expect(canMove('running', 'draining')).toBe(true);
    expect(canMove('running', 'starting')).toBe(false);
  });

  it('the statuses that cost money', () => {
    expect([...WORKER_LIVE].sort()).toEqual(['draining', 'pending', 'provisioning', 'running', 'starting']);
  });
});
