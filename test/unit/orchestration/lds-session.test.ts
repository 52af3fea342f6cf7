/**
 * Issue 15, finding 6, in the reconcile decision: the LDS commands are about a part of the
 * session's one LDS session (web-only parts included), and the LDS session is released once, when
 * the session ends.
 */
import { describe, expect, it } from 'vitest';
import { decide, type Command } from '../../../shared/orchestration/decide.ts';
import type { SessionTree } from '../../../shared/domain/session.ts';
import { MIN, T0, drive, tree } from './fixtures.ts';

const iso = (ms: number) => new Date(ms).toISOString();
const START = T0 + 60 * MIN;
const lds = (c: Command[]) => c.filter((x) => x.kind.startsWith('lds_'));

/** Two sequential web-only parts (no pods), part 1 open and registered with the LDS. */
function webOnly(): SessionTree {
  const t = tree({
    execution: 'sequential',
    parts: [
      { minutes: 60, pod: false },
      { minutes: 60, pod: false },
    ],
  });
  const { tree: open } = drive(t, { until: START, stepMin: 5 });
  expect(open.parts[0]!.status).toBe('waiting');
  open.parts[0]!.lds_session_id = 'lds_1';
  return open;
}

describe('one LDS session per session in the reconcile decision', () => {
  it('a web-only part (no pod) is paused and resumed at the LDS too', () => {
    const t = webOnly();
    t.parts[0]!.pause_requested = { at: iso(START + 10 * MIN), by: 'proctor-1', origin: 'api' };
    const d = decide(t, START + 11 * MIN, 'dev');
    expect(lds(d.commands)).toEqual([{ kind: 'lds_pause', part: 1 }]);
    d.tree.parts[0]!.resume_requested = { at: iso(START + 20 * MIN), by: 'proctor-1', origin: 'api' };
    const r = decide(d.tree, START + 21 * MIN, 'dev');
    expect(lds(r.commands)).toEqual([
      { kind: 'lds_resume', part: 1, ends_at: r.tree.parts[0]!.timeslot.end },
    ]);
  });

  it('a web-only part is told its new end when the session is extended', () => {
    const single = tree({ execution: 'single', parts: [{ minutes: 60, pod: false }] });
    const { tree: open } = drive(single, { until: START, stepMin: 5 });
    open.parts[0]!.lds_session_id = 'lds_1';
    const newEnd = iso(Date.parse(open.session.timeslot.end) + 30 * MIN);
    open.session.requested_end = newEnd;
    expect(lds(decide(open, START + 1 * MIN, 'dev').commands)).toEqual([
      { kind: 'lds_extend', part: 1, ends_at: newEnd },
    ]);
  });

  it('the session ending releases its LDS session once', () => {
    const { tree: done, commands } = drive(webOnly(), {
      until: START + 3 * 60 * MIN,
      stepMin: 5,
    });
    expect(done.session.status).toBe('completed');
    expect(commands.filter((c) => c.kind === 'lds_release_session')).toEqual([
      { kind: 'lds_release_session', part: 1 },
    ]);
  });

  it('a session that never registered with the LDS releases nothing', () => {
    const t = tree({ execution: 'single', parts: [{ minutes: 60, pod: false }] });
    const { tree: done, commands } = drive(t, { until: START + 2 * 60 * MIN, stepMin: 5 });
    expect(done.session.status).toBe('completed');
    expect(lds(commands)).toEqual([]);
  });

  it('a cancelled session releases its LDS session too', () => {
    const t = webOnly();
    t.session.desired_status = 'cancelled';
    const { tree: done, commands } = drive(t, { until: START + 30 * MIN, stepMin: 5 });
    expect(done.session.status).toBe('cancelled');
    expect(commands.filter((c) => c.kind === 'lds_release_session')).toHaveLength(1);
  });
});
