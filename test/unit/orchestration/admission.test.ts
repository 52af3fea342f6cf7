/**
 * Issue 15, finding 9: `session_lifecycle` has effect. A definition whose lifecycle has
 * `proctor_admit` gets a session-scoped gate: the session stays `admitting` (pods still provision
 * early) and no part opens until a proctor admits the candidate.
 */
import { describe, expect, it } from 'vitest';
import { decide } from '../../../shared/orchestration/decide.ts';
import { planSession } from '../../../shared/catalog/plan.ts';
import { eventsForChange } from '../../../shared/events/outbox.ts';
import { EVENT_TYPES } from '../../../shared/events/types.ts';
import { seeds } from '../catalog/fixtures.ts';
import { MIN, T0, drive, tree } from './fixtures.ts';

const iso = (ms: number) => new Date(ms).toISOString();
const START = T0 + 60 * MIN;

function gated() {
  const t = tree({
    execution: 'sequential',
    parts: [
      { minutes: 60, pod: false },
      { minutes: 60, pod: true },
    ],
  });
  t.session.admission_gate = 'proctor';
  return t;
}

describe('the proctor admission gate', () => {
  it('planning sets the gate from the definition’s session_lifecycle, and only there', () => {
    const S = seeds();
    const plan = (session_type: string) =>
      planSession({
        definitions: S.definitions,
        forms: S.forms,
        request: {
          session_type,
          timeslot: { start: '2026-12-01T09:00:00Z', end: '2026-12-01T17:00:00Z' },
          candidate: { candidate_id: 'c' },
        },
        now: Date.parse('2026-12-01T06:00:00Z'),
        sessionId: 'ses_01jdx0k7m6v3g8w2q4t5n9c1ba' as never,
        createdBy: 't',
        phasesFor: () => ({}),
      }).tree.session;
    expect(plan('CCIE-EI-Exam-With-Design').admission_gate).toBe('proctor');
    expect(plan('CCIE-EI-Lab-Exam').admission_gate).toBeUndefined();
  });

  it('without admission no part opens at the start; the pods still provision early', () => {
    const { tree: t } = drive(gated(), { until: START + 30 * MIN, stepMin: 5 });
    expect(t.session.status).toBe('admitting');
    expect(t.parts.map((p) => p.activated_at)).toEqual([undefined, undefined]);
    expect(t.parts[0]!.status).toBe('pending');
  });

  it('admitted before the start: the session runs at the start’s first millisecond, not before', () => {
    const t = gated();
    t.session.admitted = { at: iso(START - 10 * MIN), by: 'proctor-1' };
    const { tree: before } = drive(t, { until: START - MIN, stepMin: 1 });
    expect(decide(before, START - 1, 'dev').tree.session.status).toBe('admitting');
    const at = decide(before, START, 'dev').tree;
    expect(at.session.status).toBe('running');
    expect(at.parts[0]!.activated_at).toBe(iso(START));
  });

  it('admitted after the start: the session runs at once', () => {
    const { tree: t } = drive(gated(), { until: START + 10 * MIN, stepMin: 5 });
    t.session.admitted = { at: iso(START + 12 * MIN), by: 'proctor-1' };
    const d = decide(t, START + 12 * MIN, 'dev').tree;
    expect(d.session.status).toBe('running');
    expect(d.parts[0]!.activated_at).toBe(iso(START + 12 * MIN));
  });

  it('a session without the gate runs at its start as before', () => {
    const t = gated();
    delete t.session.admission_gate;
    const { tree: d } = drive(t, { until: START, stepMin: 5 });
    expect(d.session.status).toBe('running');
  });

  it('the outbox announces session.admitted once, with the proctor', () => {
    const base = { pk: 'SESSION#ses_1', sk: 'SESSION', entity: 'session', id: 'ses_1', status: 'admitting' };
    const admitted = { at: '2026-12-01T08:55:00.000Z', by: 'proctor-1' };
    const e = eventsForChange({
      eventName: 'MODIFY',
      oldImage: { ...base, state_version: 3 },
      newImage: { ...base, state_version: 4, admitted },
    });
    expect(e.map((x) => x.type)).toEqual([EVENT_TYPES.sessionAdmitted]);
    expect(e[0]!.data).toMatchObject({ id: 'ses_1', ...admitted });
    expect(
      eventsForChange({
        eventName: 'MODIFY',
        oldImage: { ...base, state_version: 4, admitted },
        newImage: { ...base, state_version: 5, admitted },
      }),
    ).toEqual([]);
  });
});
