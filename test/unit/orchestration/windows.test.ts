/**
 * Issue 15, finding 2: a part never activates before its planned window, whatever the part
 * execution; at the window's first millisecond it does, with its deadline at the window's end.
 */
import { describe, expect, it } from 'vitest';
import { decide } from '../../../shared/orchestration/decide.ts';
import { makeTimeslot } from '../../../shared/domain/timeslot.ts';
import type { SessionTree } from '../../../shared/domain/session.ts';
import { MIN, T0, tree } from './fixtures.ts';

const iso = (ms: number) => new Date(ms).toISOString();
const START = T0 + 60 * MIN; // the fixture's session start

/** Gives part `order` the window [from, to) minutes after the session start. */
function window(t: SessionTree, order: number, from: number, to: number): SessionTree {
  const p = t.parts.find((x) => x.order === order)!;
  p.timeslot = makeTimeslot({ start: START + from * MIN, end: START + to * MIN });
  p.duration_minutes = to - from;
  return t;
}

/** Decides at `at`, then once more with every started execution succeeded (web-only: no pods). */
function settleAt(t: SessionTree, at: number): SessionTree {
  let d = decide(t, at, 'dev');
  for (const p of d.tree.parts)
    if (p.phase_execution && !p.phase_execution.outcome)
      p.phase_execution = { ...p.phase_execution, outcome: 'succeeded' };
  d = decide(d.tree, at, 'dev');
  return d.tree;
}

describe('part windows at run time', () => {
  it('parallel: a part planned for 60–120 min is not active at 60 min − 1 ms, and is at 60 min, deadline at its end', () => {
    const t = window(
      tree({
        execution: 'parallel',
        parts: [
          { minutes: 120, pod: false },
          { minutes: 120, pod: false },
        ],
      }),
      2,
      60,
      120,
    );
    window(t, 1, 0, 120);
    const before = decide(t, START + 60 * MIN - 1, 'dev').tree;
    expect(before.parts[0]!.activated_at).toBe(iso(START + 60 * MIN - 1));
    expect(before.parts[1]!.activated_at).toBeUndefined();
    expect(before.parts[1]!.status).toBe('pending');
    const at = decide(before, START + 60 * MIN, 'dev').tree;
    expect(at.parts[1]!.activated_at).toBe(iso(START + 60 * MIN));
    expect(at.parts[1]!.deadline).toBe(iso(START + 120 * MIN));
  });

  it('sequential: the next part waits for its planned start even when the previous settles early', () => {
    const t = tree({
      execution: 'sequential',
      parts: [
        { minutes: 60, pod: false },
        { minutes: 60, pod: false },
      ],
    });
    let cur = settleAt(t, START);
    expect(cur.parts[0]!.status).toBe('waiting');
    cur.parts[0]!.end_requested = { at: iso(START + 10 * MIN), by: 'candidate' };
    cur = settleAt(cur, START + 10 * MIN);
    cur = settleAt(cur, START + 10 * MIN);
    expect(cur.parts[0]!.status).toBe('archived');
    cur = decide(cur, START + 60 * MIN - 1, 'dev').tree;
    expect(cur.parts[1]!.activated_at).toBeUndefined();
    cur = decide(cur, START + 60 * MIN, 'dev').tree;
    expect(cur.parts[1]!.activated_at).toBe(iso(START + 60 * MIN));
    expect(cur.parts[1]!.deadline).toBe(iso(START + 120 * MIN));
  });

  it('sequential: a gate that clears after the planned start activates at once (late, never early)', () => {
    const t = tree({
      execution: 'sequential',
      parts: [
        { minutes: 60, pod: false },
        { minutes: 60, pod: false },
      ],
    });
    let cur = settleAt(t, START);
    // Part 1 runs to its deadline (T+60) and its grading ends a minute later: part 2 opens then.
    cur = decide(cur, START + 60 * MIN, 'dev').tree;
    expect(cur.parts[0]!.status).toBe('grading');
    expect(cur.parts[1]!.activated_at).toBeUndefined();
    cur = settleAt(cur, START + 61 * MIN);
    expect(cur.parts[0]!.status).toBe('archived');
    expect(cur.parts[1]!.activated_at).toBe(iso(START + 61 * MIN));
  });

  it('explicit window in a sequential session: honoured to the millisecond', () => {
    const t = window(
      tree({
        execution: 'sequential',
        parts: [
          { minutes: 30, pod: false },
          { minutes: 90, pod: false },
        ],
      }),
      2,
      45,
      120,
    );
    let cur = settleAt(t, START);
    cur.parts[0]!.end_requested = { at: iso(START + 5 * MIN), by: 'candidate' };
    cur = settleAt(cur, START + 5 * MIN);
    cur = settleAt(cur, START + 5 * MIN);
    expect(cur.parts[0]!.status).toBe('archived');
    expect(decide(cur, START + 45 * MIN - 1, 'dev').tree.parts[1]!.activated_at).toBeUndefined();
    const at = decide(cur, START + 45 * MIN, 'dev').tree.parts[1]!;
    expect(at.activated_at).toBe(iso(START + 45 * MIN));
    expect(at.deadline).toBe(iso(START + 120 * MIN));
  });

  it('single: the part opens with the session at its start, not at provision_at', () => {
    const t = tree({ execution: 'single', parts: [{ minutes: 60, pod: false }] });
    expect(decide(t, START - 1, 'dev').tree.parts[0]!.activated_at).toBeUndefined();
    expect(decide(t, START, 'dev').tree.parts[0]!.activated_at).toBe(iso(START));
  });
});
