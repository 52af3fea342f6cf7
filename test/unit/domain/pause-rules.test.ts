/**
 * The pause rule of shared/domain/pause.ts, each bound from both sides (issue 18): which parts may
 * be paused or resumed and why not (the status, the allowance, the number of pauses), how long the
 * allowance is and when a pause ends by itself, and what a resume moves (the part's deadline and
 * window end; in a sequential session the later unopened parts and the session's end; otherwise
 * the session's end only as far as the part needs; the extension limit with the end).
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_PAUSE_MINUTES,
  MAX_PAUSES,
  PAUSABLE,
  isPaused,
  pauseAllowanceMs,
  pauseLimitAt,
  pauseProblem,
  pausedMs,
  planResume,
  resumeProblem,
} from '../../../shared/domain/pause.ts';
import {
  PART_STATUSES,
  type PartDoc,
  type PauseRecord,
  type SessionTree,
} from '../../../shared/domain/session.ts';

const MIN = 60_000;
const T = Date.parse('2026-12-01T10:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const at = (min: number) => iso(T + min * MIN);
const req = (min: number) => ({ at: at(min), by: 'proctor-1', origin: 'api' as const });
/** A finished pause from minute `from` to minute `to` (plus `extraMs`). */
const record = (from: number, to: number, extraMs = 0): PauseRecord => ({
  at: at(from),
  until: iso(T + to * MIN + extraMs),
  by: 'proctor-1',
  resumed_by: 'proctor-1',
});
const pausable = (over: Partial<PartDoc> = {}) => ({ order: 1, status: 'waiting' as const, ...over });

describe('the pause allowance', () => {
  it('is the definition’s minutes, or 30 minutes when it does not say; 0 minutes is none', () => {
    expect(DEFAULT_MAX_PAUSE_MINUTES).toBe(30);
    expect(pauseAllowanceMs({})).toBe(30 * MIN);
    expect(pauseAllowanceMs({ max_pause_minutes: 10 })).toBe(10 * MIN);
    expect(pauseAllowanceMs({ max_pause_minutes: 0 })).toBe(0);
  });

  it('the time paused is the sum of the finished pauses, to the millisecond', () => {
    expect(pausedMs({})).toBe(0);
    expect(pausedMs({ pauses: [] })).toBe(0);
    expect(pausedMs({ pauses: [record(0, 5), record(10, 12, 7)] })).toBe(7 * MIN + 7);
  });

  it('a pause ends by itself when the allowance left is used up, and at once when none is left', () => {
    const start = T + 100 * MIN;
    expect(pauseLimitAt({}, start)).toBe(start + 30 * MIN);
    expect(pauseLimitAt({ max_pause_minutes: 10, pauses: [record(0, 4)] }, start)).toBe(start + 6 * MIN);
    expect(pauseLimitAt({ max_pause_minutes: 10, pauses: [record(0, 10)] }, start)).toBe(start);
    // More paused than allowed (the allowance was lowered): never before the pause began.
    expect(pauseLimitAt({ max_pause_minutes: 10, pauses: [record(0, 15)] }, start)).toBe(start);
  });
});

describe('who may be paused', () => {
  it('only a waiting or monitoring part (the candidate’s clock runs)', () => {
    expect([...PAUSABLE].sort()).toEqual(['monitoring', 'waiting']);
    expect(pauseProblem(pausable({ status: 'waiting' }))).toBeUndefined();
    expect(pauseProblem(pausable({ status: 'monitoring' }))).toBeUndefined();
  });

  it.each(PART_STATUSES.filter((s) => s !== 'waiting' && s !== 'monitoring'))(
    'not a part that is %s: a state conflict',
    (status) => {
      const p = pauseProblem(pausable({ status, order: 2 }));
      expect(p?.kind).toBe('state-conflict');
      expect(p?.detail).toContain('part 2');
      expect(p?.errors).toBeUndefined();
    },
  );

  it('the allowance used up to the millisecond is refused by the pause.max rule; one millisecond left is not', () => {
    const used = pauseProblem(pausable({ max_pause_minutes: 10, pauses: [record(0, 10)] }));
    expect(used?.kind).toBe('validation-error');
    expect(used?.errors).toEqual([{ pointer: '/', detail: 'no pause allowance left', rule: 'pause.max' }]);
    expect(used?.detail).toContain('its 10 minutes');
    expect(pauseProblem(pausable({ max_pause_minutes: 10, pauses: [record(0, 10, -1)] }))).toBeUndefined();
    expect(
      pauseProblem(pausable({ max_pause_minutes: 10, pauses: [record(0, 10, 1)] }))?.errors?.[0]?.rule,
    ).toBe('pause.max');
  });

  it('an allowance of 0 minutes refuses the first pause; the default allows one', () => {
    expect(pauseProblem(pausable({ max_pause_minutes: 0 }))?.errors?.[0]?.rule).toBe('pause.max');
    expect(pauseProblem(pausable({}))).toBeUndefined();
    expect(pauseProblem(pausable({ pauses: [record(0, 29)] }))).toBeUndefined();
    expect(pauseProblem(pausable({ pauses: [record(0, 30)] }))?.errors?.[0]?.rule).toBe('pause.max');
    expect(pauseProblem(pausable({ pauses: [record(0, 30)] }))?.detail).toContain('its 30 minutes');
  });

  it('49 pauses may be followed by another; 50 may not, whatever allowance is left', () => {
    expect(MAX_PAUSES).toBe(50);
    const short = (n: number) => Array.from({ length: n }, (_, i) => record(i, i)); // zero-length pauses
    expect(pauseProblem(pausable({ pauses: short(49) }))).toBeUndefined();
    const p = pauseProblem(pausable({ pauses: short(50) }));
    expect(p?.kind).toBe('validation-error');
    expect(p?.errors?.[0]?.rule).toBe('pause.max');
  });

  it('the status is checked first: a settled part with no allowance left is a state conflict', () => {
    expect(pauseProblem(pausable({ status: 'archived', max_pause_minutes: 0 }))?.kind).toBe('state-conflict');
  });

  it('an outstanding pause is not a refusal', () => {
    expect(pauseProblem(pausable({ paused: req(0) }))).toBeUndefined();
    expect(pauseProblem(pausable({ pause_requested: req(0) }))).toBeUndefined();
  });
});

describe('who may be resumed', () => {
  it('a part that is paused, or whose pause is asked for', () => {
    expect(resumeProblem(pausable({ paused: req(0) }))).toBeUndefined();
    expect(resumeProblem(pausable({ pause_requested: req(0) }))).toBeUndefined();
    expect(resumeProblem(pausable({ paused: req(0), pause_requested: req(1) }))).toBeUndefined();
  });

  it('not a part that is neither: a state conflict naming it', () => {
    const p = resumeProblem(pausable({ order: 3 }));
    expect(p?.kind).toBe('state-conflict');
    expect(p?.detail).toContain('part 3');
    expect(resumeProblem(pausable({ order: 3, resume_requested: req(0) }))?.kind).toBe('state-conflict');
  });

  it('a part is paused while its pause is applied, not while it is only asked for', () => {
    expect(isPaused({ paused: req(0) })).toBe(true);
    expect(isPaused({})).toBe(false);
  });
});

describe('what a resume moves', () => {
  const slot = (from: number, to: number) => ({
    start: at(from),
    end: at(to),
    lead_time_minutes: 10,
    teardown_buffer_minutes: 5,
  });
  type Part = Pick<PartDoc, 'order' | 'status' | 'timeslot'> & Partial<PartDoc>;
  /** Parts 1–3 of 60 minutes each from minute 0; part 1 paused at minute 10. */
  function session(
    execution: 'sequential' | 'parallel',
    over: { parts?: Partial<PartDoc>[]; end?: number; extend_limit?: number } = {},
  ): SessionTree {
    const parts: Part[] = [
      {
        order: 1,
        status: 'waiting',
        timeslot: slot(0, 60),
        deadline: at(60),
        activated_at: at(0),
        paused: req(10),
      },
      { order: 2, status: 'pending', timeslot: slot(60, 120) },
      { order: 3, status: 'pending', timeslot: slot(120, 180) },
    ];
    over.parts?.forEach((p, i) => Object.assign(parts[i]!, p));
    return {
      session: {
        part_execution: execution,
        timeslot: slot(0, over.end ?? 180),
        ...(over.extend_limit !== undefined ? { extend_limit: at(over.extend_limit) } : {}),
      },
      parts,
      pods: [],
    } as unknown as SessionTree;
  }
  const resumeAt = (min: number, ms = 0) => T + min * MIN + ms;

  it('sequential: the part’s deadline and window end, every later unopened part, the session’s end and its extension limit move by exactly the pause', () => {
    const plan = planResume(session('sequential', { extend_limit: 240 }), 1, resumeAt(30, 7));
    const pause = 20 * MIN + 7;
    expect(plan.pauseMs).toBe(pause);
    expect(plan.parts.get(1)).toEqual({
      timeslot: { ...slot(0, 60), end: iso(T + 60 * MIN + pause) },
      deadline: iso(T + 60 * MIN + pause),
    });
    expect(plan.parts.get(2)).toEqual({
      timeslot: { ...slot(60, 120), start: iso(T + 60 * MIN + pause), end: iso(T + 120 * MIN + pause) },
    });
    expect(plan.parts.get(3)?.timeslot.start).toBe(iso(T + 120 * MIN + pause));
    expect(plan.sessionEnd).toBe(iso(T + 180 * MIN + pause));
    expect(plan.extendLimit).toBe(iso(T + 240 * MIN + pause));
  });

  it('sequential: an earlier part, a settled later part and a later part already opened stay where they are', () => {
    const t = session('sequential', {
      parts: [
        { paused: undefined },
        { status: 'cancelled' },
        { status: 'waiting', activated_at: at(50), paused: req(55) },
      ],
    });
    t.parts.push({ order: 4, status: 'pending', timeslot: slot(180, 240) } as PartDoc);
    const plan = planResume(t, 3, resumeAt(65));
    expect([...plan.parts.keys()].sort()).toEqual([3, 4]);
    expect(plan.parts.get(4)?.timeslot.start).toBe(at(190));
    expect(plan.sessionEnd).toBe(at(190));
  });

  it('sequential: only later parts move, not an earlier part that has not opened', () => {
    const t = session('sequential', {
      parts: [
        { paused: undefined, activated_at: undefined, status: 'pending', gates_next: false },
        { status: 'waiting', activated_at: at(60), paused: req(70) },
      ],
    });
    const plan = planResume(t, 2, resumeAt(80));
    expect([...plan.parts.keys()].sort()).toEqual([2, 3]);
    expect(plan.parts.get(2)?.timeslot).toEqual({ ...slot(60, 120), end: at(130) });
    expect(plan.parts.get(3)?.timeslot).toEqual(slot(130, 190));
  });

  it.each(['archived', 'failed', 'cancelled'] as const)(
    'sequential: a later %s part does not move',
    (status) => {
      const plan = planResume(session('sequential', { parts: [{}, { status }] }), 1, resumeAt(30));
      expect(plan.parts.has(2)).toBe(false);
      expect(plan.parts.has(3)).toBe(true);
    },
  );

  it('sequential: a later part archiving (not yet settled) but never opened moves', () => {
    const plan = planResume(session('sequential', { parts: [{}, { status: 'archiving' }] }), 1, resumeAt(30));
    expect(plan.parts.has(2)).toBe(true);
  });

  it('a part without a deadline gets none', () => {
    const plan = planResume(session('sequential', { parts: [{ deadline: undefined }] }), 1, resumeAt(30));
    expect(plan.parts.get(1)).toEqual({ timeslot: { ...slot(0, 60), end: at(80) } });
  });

  it('without an extension limit the plan has none', () => {
    const plan = planResume(session('sequential'), 1, resumeAt(30));
    expect(plan.sessionEnd).toBe(at(200));
    expect('extendLimit' in plan).toBe(false);
  });

  it('a resume at the instant of the pause, or before it, moves nothing: no session end, no extension limit', () => {
    for (const when of [resumeAt(10), resumeAt(5)]) {
      const plan = planResume(session('sequential', { extend_limit: 240 }), 1, when);
      expect(plan.pauseMs).toBe(0);
      expect(plan.parts.get(1)).toEqual({ timeslot: slot(0, 60), deadline: at(60) });
      expect(plan.parts.get(2)?.timeslot).toEqual(slot(60, 120));
      expect(plan).not.toHaveProperty('sessionEnd');
      expect(plan).not.toHaveProperty('extendLimit');
    }
  });

  it('a resume one millisecond after the pause moves everything by one millisecond', () => {
    const plan = planResume(session('sequential', { extend_limit: 240 }), 1, resumeAt(10, 1));
    expect(plan.pauseMs).toBe(1);
    expect(plan.sessionEnd).toBe(iso(T + 180 * MIN + 1));
    expect(plan.extendLimit).toBe(iso(T + 240 * MIN + 1));
  });

  it('parallel: only the part moves, and the session’s end only as far as the part’s new end needs', () => {
    // The part ends at 60, the session at 180: a 20-minute pause leaves the session's end.
    const inside = planResume(session('parallel', { extend_limit: 240 }), 1, resumeAt(30));
    expect([...inside.parts.keys()]).toEqual([1]);
    expect(inside.parts.get(1)?.timeslot.end).toBe(at(80));
    expect(inside).not.toHaveProperty('sessionEnd');
    expect(inside).not.toHaveProperty('extendLimit');
  });

  it('parallel: a part whose new end lands exactly on the session’s end moves no session end; one minute past it moves it by one minute', () => {
    const exact = planResume(session('parallel', { end: 80, extend_limit: 100 }), 1, resumeAt(30));
    expect(exact.parts.get(1)?.timeslot.end).toBe(at(80));
    expect(exact).not.toHaveProperty('sessionEnd');
    const past = planResume(session('parallel', { end: 79, extend_limit: 100 }), 1, resumeAt(30));
    expect(past.sessionEnd).toBe(at(80));
    expect(past.extendLimit).toBe(at(101));
  });

  it('parallel: the later part does not move even when it has not opened', () => {
    const plan = planResume(session('parallel', { end: 60 }), 1, resumeAt(30));
    expect(plan.parts.has(2)).toBe(false);
    expect(plan.sessionEnd).toBe(at(80));
    expect('extendLimit' in plan).toBe(false);
  });
});
