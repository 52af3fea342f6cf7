/**
 * The extend rule, pure: a session's end moves later only up to the limit its definition set at
 * planning (`extend_limit`, never more than a day after its start), and only while every worker
 * holding one of its pods stays (running, not draining or going away): the extra time needs the
 * capacity the pods hold now.
 */
import { Problem } from './problem.ts';
import type { SessionDoc } from './session.ts';

const DAY_MS = 24 * 3600_000;

export interface HostState {
  id: string;
  status: string;
  desired_status?: string;
}

export function extensionProblem(
  s: Pick<SessionDoc, 'id' | 'timeslot' | 'extend_limit'>,
  wanted: number,
  hosts: HostState[],
): Problem | undefined {
  const cap = Date.parse(s.timeslot.start) + DAY_MS;
  const limit = Math.min(s.extend_limit ? Date.parse(s.extend_limit) : cap, cap);
  if (wanted > limit)
    return new Problem(
      'invalid-timeslot',
      `session ${s.id} can be extended to ${new Date(limit).toISOString()} at the latest`,
      { errors: [{ pointer: '/end', detail: 'later than the definition allows', rule: 'extend.max' }] },
    );
  const leaving = hosts.filter(
    (h) => h.status !== 'running' || (h.desired_status !== undefined && h.desired_status !== 'running'),
  );
  if (leaving.length)
    return new Problem(
      'capacity-unavailable',
      `the worker(s) holding this session's pods are going away (${leaving.map((h) => `${h.id}: ${h.desired_status ?? h.status}`).join(', ')}); the extra time has no capacity`,
      { errors: [{ pointer: '/end', detail: 'no capacity for the extra time', rule: 'extend.capacity' }] },
    );
  return undefined;
}
