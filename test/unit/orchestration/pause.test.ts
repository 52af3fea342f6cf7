/**
 * Issue 15, finding 5: pause and resume. A paused part's clock stops (no deadline fires), and on
 * resume its deadline and window move by exactly the pause; in a sequential session the later part
 * and the session's end move with it; the total pause is bounded per definition; the LDS is told.
 */
import { describe, expect, it } from 'vitest';
import { decide, type Command } from '../../../shared/orchestration/decide.ts';
import { pauseProblem, planResume, resumeProblem } from '../../../shared/domain/pause.ts';
import type { SessionTree } from '../../../shared/domain/session.ts';
import { eventsForChange, type ItemImage } from '../../../shared/events/outbox.ts';
import { EVENT_TYPES } from '../../../shared/events/types.ts';
import { MIN, T0, drive, tree } from './fixtures.ts';

const iso = (ms: number) => new Date(ms).toISOString();
const START = T0 + 60 * MIN; // the fixture's session start
const lds = (c: Command[]) => c.filter((x) => x.kind.startsWith('lds_'));

/** A sequential two-part session with pods, part 1 open (its pod registered with the LDS). */
function running(execution: 'sequential' | 'parallel' = 'sequential', maxPause?: number): SessionTree {
  const t = tree({
    execution,
    parts: [
      { minutes: 60, pod: true },
      { minutes: 60, pod: true },
    ],
  });
  if (execution === 'parallel') t.parts[1]!.timeslot = { ...t.parts[1]!.timeslot };
  if (maxPause !== undefined) for (const p of t.parts) p.max_pause_minutes = maxPause;
  const { tree: open } = drive(t, { until: START, stepMin: 5 });
  expect(open.parts[0]!.status).toBe('waiting');
  open.parts[0]!.lds_session_id = 'lds_1';
  return open;
}

const pauseAt = (t: SessionTree, at: number, origin: 'api' | 'lds' = 'api') => {
  t.parts[0]!.pause_requested = { at: iso(at), by: 'proctor-1', origin, reason: 'fire alarm' };
  return t;
};
const resumeAt = (t: SessionTree, at: number, origin: 'api' | 'lds' = 'api') => {
  t.parts[0]!.resume_requested = { at: iso(at), by: 'proctor-2', origin };
  return t;
};

describe('pause and resume', () => {
  it('the clock stops from the instant the pause was asked for; the LDS is told', () => {
    const t = running('sequential', 180);
    const deadline = t.parts[0]!.deadline!;
    expect(deadline).toBe(iso(START + 60 * MIN));
    const d = decide(pauseAt(t, START + 10 * MIN), START + 11 * MIN, 'dev');
    expect(d.tree.parts[0]!.paused).toEqual({
      at: iso(START + 10 * MIN),
      by: 'proctor-1',
      origin: 'api',
      reason: 'fire alarm',
    });
    expect(d.tree.parts[0]!.pause_requested).toBeUndefined();
    expect(lds(d.commands)).toEqual([{ kind: 'lds_pause', part: 1 }]);
    // Past the deadline (and the session's end) the paused part stays open; nothing is cancelled
    // (its allowance, 180 minutes, is not used up).
    const later = decide(d.tree, START + 125 * MIN, 'dev');
    expect(later.tree.parts.map((p) => p.status)).toEqual(['waiting', 'instantiating']);
    expect(lds(later.commands)).toEqual([]);
  });

  it('resuming moves the deadline, the window, the later part and the session end by exactly the pause', () => {
    const t = decide(pauseAt(running(), START + 10 * MIN), START + 11 * MIN, 'dev').tree;
    const before = structuredClone(t);
    const d = decide(resumeAt(t, START + 30 * MIN + 7), START + 31 * MIN, 'dev');
    const pause = 20 * MIN + 7;
    const [p1, p2] = d.tree.parts;
    expect(p1!.paused).toBeUndefined();
    expect(p1!.pauses).toEqual([
      {
        at: iso(START + 10 * MIN),
        until: iso(START + 30 * MIN + 7),
        by: 'proctor-1',
        resumed_by: 'proctor-2',
        reason: 'fire alarm',
      },
    ]);
    const moved = (a: string, b: string) => Date.parse(a) - Date.parse(b);
    expect(moved(p1!.deadline!, before.parts[0]!.deadline!)).toBe(pause);
    expect(moved(p1!.timeslot.end, before.parts[0]!.timeslot.end)).toBe(pause);
    expect(p1!.timeslot.start).toBe(before.parts[0]!.timeslot.start);
    expect(moved(p2!.timeslot.start, before.parts[1]!.timeslot.start)).toBe(pause);
    expect(moved(p2!.timeslot.end, before.parts[1]!.timeslot.end)).toBe(pause);
    expect(moved(d.tree.session.timeslot.end, before.session.timeslot.end)).toBe(pause);
    expect(lds(d.commands)).toEqual([{ kind: 'lds_resume', part: 1, ends_at: p1!.timeslot.end }]);
    // The moved deadline, to the millisecond.
    const newDeadline = Date.parse(p1!.deadline!);
    expect(decide(d.tree, newDeadline - 1, 'dev').tree.parts[0]!.status).toBe('waiting');
    expect(decide(d.tree, newDeadline, 'dev').tree.parts[0]!.status).toBe('collecting');
    // Applied once: deciding again changes nothing and tells the LDS nothing more.
    const again = decide(d.tree, START + 32 * MIN, 'dev');
    expect(again.tree.parts[0]!.pauses).toHaveLength(1);
    expect(lds(again.commands)).toEqual([]);
  });

  it('the total pause is bounded by the definition: at the allowance the part resumes by itself', () => {
    const t = decide(pauseAt(running('sequential', 15), START + 10 * MIN), START + 11 * MIN, 'dev').tree;
    expect(decide(t, START + 25 * MIN - 1, 'dev').tree.parts[0]!.paused).toBeDefined();
    const d = decide(t, START + 25 * MIN, 'dev');
    expect(d.tree.parts[0]!.paused).toBeUndefined();
    expect(d.tree.parts[0]!.pauses![0]).toMatchObject({
      until: iso(START + 25 * MIN),
      resumed_by: 'pause allowance used up',
    });
    expect(d.tree.parts[0]!.deadline).toBe(iso(START + 75 * MIN));
    expect(lds(d.commands).map((c) => c.kind)).toEqual(['lds_resume']);
    // No allowance left: a further pause is refused (422, pause.max).
    expect(pauseProblem(d.tree.parts[0]!)).toMatchObject({
      kind: 'validation-error',
      errors: [{ rule: 'pause.max' }],
    });
    // A resume asked later than the allowance still ends the pause at the allowance.
    const late = decide(resumeAt(structuredClone(t), START + 40 * MIN), START + 41 * MIN, 'dev');
    expect(late.tree.parts[0]!.pauses![0]!.until).toBe(iso(START + 25 * MIN));
  });

  it('only a running part can be paused; only a paused part resumed', () => {
    const t = running();
    expect(pauseProblem(t.parts[0]!)).toBeUndefined();
    expect(pauseProblem(t.parts[1]!)).toMatchObject({ kind: 'state-conflict', status: 409 });
    expect(resumeProblem(t.parts[0]!)).toMatchObject({ kind: 'state-conflict' });
    expect(resumeProblem(pauseAt(t, START).parts[0]!)).toBeUndefined();
    // One millisecond of allowance left still allows a pause.
    t.parts[0]!.max_pause_minutes = 1;
    t.parts[0]!.pause_requested = undefined;
    t.parts[0]!.pauses = [{ at: iso(START), until: iso(START + MIN - 1), by: 'x', resumed_by: 'y' }];
    expect(pauseProblem(t.parts[0]!)).toBeUndefined();
    t.parts[0]!.pauses = [{ at: iso(START), until: iso(START + MIN), by: 'x', resumed_by: 'y' }];
    expect(pauseProblem(t.parts[0]!)?.kind).toBe('validation-error');
  });

  it('a pause asked for at the deadline comes too late: the part closes', () => {
    const t = pauseAt(running(), START + 60 * MIN);
    const d = decide(t, START + 60 * MIN, 'dev');
    expect(d.tree.parts[0]!.paused).toBeUndefined();
    expect(d.tree.parts[0]!.status).toBe('collecting');
    const justBefore = decide(pauseAt(running(), START + 60 * MIN - 1), START + 61 * MIN, 'dev');
    expect(justBefore.tree.parts[0]!.paused).toBeDefined();
    expect(justBefore.tree.parts[0]!.status).toBe('waiting');
  });

  it('what the LDS asked for is not echoed back to it; the new end still is', () => {
    const t = decide(pauseAt(running(), START + 10 * MIN, 'lds'), START + 11 * MIN, 'dev');
    expect(lds(t.commands)).toEqual([]);
    const d = decide(resumeAt(t.tree, START + 20 * MIN, 'lds'), START + 21 * MIN, 'dev');
    expect(lds(d.commands)).toEqual([
      { kind: 'lds_extend', part: 1, ends_at: d.tree.parts[0]!.timeslot.end },
    ]);
  });

  it('ending a paused part ends the pause at that instant', () => {
    const t = decide(pauseAt(running(), START + 10 * MIN), START + 11 * MIN, 'dev').tree;
    t.parts[0]!.end_requested = { at: iso(START + 15 * MIN), by: 'proctor-2' };
    const d = decide(t, START + 16 * MIN, 'dev');
    expect(d.tree.parts[0]!.pauses![0]!.until).toBe(iso(START + 15 * MIN));
    expect(d.tree.parts[0]!.status).toBe('collecting');
  });

  it('a paused part holds the cleanup deadline while its pause may still move the end; a settled one does not', () => {
    const t = decide(pauseAt(running('sequential', 180), START + 10 * MIN), START + 11 * MIN, 'dev').tree;
    // The session ends at START + 120 and its cleanup deadline is START + 130.
    const held = decide(t, START + 130 * MIN, 'dev');
    expect(held.tree.session.status).toBe('running');
    expect(held.tree.parts[0]!.paused).toBeDefined();
    expect(held.tree.parts.map((p) => p.status)).toEqual(['waiting', 'instantiating']);
    expect(held.commands.filter((c) => c.kind === 'teardown_pod' || c.kind === 'stop_execution')).toEqual([]);
    // A part cancelled while paused keeps its pause record but holds nothing.
    const settled = structuredClone(t);
    settled.parts[0]!.status = 'cancelled';
    const d = decide(settled, START + 130 * MIN, 'dev');
    expect(d.tree.session.status).toBe('failed');
    expect(d.commands.filter((c) => c.kind === 'teardown_pod')).toHaveLength(2);
  });

  it('resuming tells a later part registered in the LDS its new end, and moves the extension limit by the pause', () => {
    const t = decide(pauseAt(running(), START + 10 * MIN), START + 11 * MIN, 'dev').tree;
    t.parts[1]!.lds_session_id = 'lds_1';
    t.session.extend_limit = iso(START + 180 * MIN);
    const d = decide(resumeAt(t, START + 30 * MIN), START + 31 * MIN, 'dev');
    expect(lds(d.commands)).toEqual([
      { kind: 'lds_extend', part: 2, ends_at: iso(START + 140 * MIN) },
      { kind: 'lds_resume', part: 1, ends_at: iso(START + 80 * MIN) },
    ]);
    expect(d.tree.session.extend_limit).toBe(iso(START + 200 * MIN));
  });

  it('a part not registered in the LDS is paused and resumed without telling it', () => {
    const t = running();
    delete t.parts[0]!.lds_session_id;
    const paused = decide(pauseAt(t, START + 10 * MIN), START + 11 * MIN, 'dev');
    expect(paused.tree.parts[0]!.paused).toBeDefined();
    const d = decide(resumeAt(paused.tree, START + 20 * MIN), START + 21 * MIN, 'dev');
    expect(d.tree.parts[0]!.pauses).toHaveLength(1);
    expect(lds([...paused.commands, ...d.commands])).toEqual([]);
  });

  it("a pause resumed at the instant it began moves nothing: not the session's end", () => {
    const t = decide(pauseAt(running(), START + 10 * MIN), START + 11 * MIN, 'dev').tree;
    const d = decide(resumeAt(t, START + 10 * MIN), START + 11 * MIN, 'dev');
    expect(d.tree.parts[0]!.pauses).toHaveLength(1);
    expect(d.tree.session.timeslot).toEqual(t.session.timeslot);
  });

  it('a resume asked for a part that is not paused is dropped (it cannot end a later pause)', () => {
    const t = running();
    t.parts[0]!.resume_requested = { at: iso(START + 5 * MIN), by: 'proctor-2', origin: 'api' };
    const d = decide(t, START + 6 * MIN, 'dev');
    expect(d.tree.parts[0]).not.toHaveProperty('resume_requested');
    expect(d.tree.parts[0]).not.toHaveProperty('pauses');
  });

  it('parallel: the session end moves only as far as the paused part needs', () => {
    const t = tree({
      execution: 'parallel',
      parts: [
        { minutes: 60, pod: false },
        { minutes: 120, pod: false },
      ],
    });
    const { tree: open } = drive(t, { until: START, stepMin: 5 });
    open.parts[0]!.paused = { at: iso(START + 10 * MIN), by: 'p', origin: 'api' };
    const within = planResume(open, 1, START + 40 * MIN);
    expect(within.pauseMs).toBe(30 * MIN);
    expect(within.sessionEnd).toBeUndefined();
    expect([...within.parts.keys()]).toEqual([1]);
    const past = planResume(open, 1, START + 80 * MIN);
    expect(past.sessionEnd).toBe(iso(START + 130 * MIN));
  });

  it('the outbox announces session_part.paused and session_part.resumed once each', () => {
    const base = {
      pk: 'SESSION#ses_1',
      sk: 'PART#01',
      entity: 'part',
      id: 'ses_1.p1',
      session_id: 'ses_1',
      order: 1,
      status: 'waiting',
      state_history: [],
    };
    const paused = { at: '2026-12-01T10:10:00.000Z', by: 'proctor-1', origin: 'api' };
    const types = (oldImage: ItemImage, newImage: ItemImage) =>
      eventsForChange({ eventName: 'MODIFY', oldImage, newImage }).map((e) => e.type);
    expect(types({ ...base, state_version: 3 }, { ...base, state_version: 4, paused })).toEqual([
      EVENT_TYPES.partPaused,
    ]);
    const pauses = [{ ...paused, until: '2026-12-01T10:30:00.000Z', resumed_by: 'proctor-2' }];
    const resumed = eventsForChange({
      eventName: 'MODIFY',
      oldImage: { ...base, state_version: 4, paused },
      newImage: { ...base, state_version: 5, pauses, deadline: '2026-12-01T11:20:00.000Z' },
    });
    expect(resumed.map((e) => e.type)).toEqual([EVENT_TYPES.partResumed]);
    expect(resumed[0]!.data).toMatchObject({
      part_order: 1,
      paused_at: paused.at,
      resumed_at: '2026-12-01T10:30:00.000Z',
      paused_ms: 20 * MIN,
      paused_ms_total: 20 * MIN,
      deadline: '2026-12-01T11:20:00.000Z',
    });
    expect(types({ ...base, state_version: 5, pauses }, { ...base, state_version: 6, pauses })).toEqual([]);
  });
});
