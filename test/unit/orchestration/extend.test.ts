/**
 * Issue 15, finding 4: extend is bounded by the definition's maximum, refused when the capacity
 * holding the session's pods is going away, announced (`session.extended`), and the new end is
 * pushed to the lab delivery system.
 */
import { describe, expect, it } from 'vitest';
import { decide } from '../../../shared/orchestration/decide.ts';
import { extensionProblem } from '../../../shared/domain/extend.ts';
import { eventsForChange } from '../../../shared/events/outbox.ts';
import { EVENT_TYPES } from '../../../shared/events/types.ts';
import { planSession } from '../../../shared/catalog/plan.ts';
import { seeds } from '../catalog/fixtures.ts';
import { MIN, T0, tree } from './fixtures.ts';

const iso = (ms: number) => new Date(ms).toISOString();

describe('extend', () => {
  it('planning records how far the session may be extended (the definition’s maximum)', () => {
    const S = seeds();
    const ccie = S.definitions.find((d) => d.session_type === 'CCIE-EI-Lab-Exam')!;
    const max = ccie.timeslot_policy.max_extension_minutes!;
    expect(max).toBeGreaterThan(0);
    const p = planSession({
      definitions: S.definitions,
      forms: S.forms,
      request: {
        session_type: 'CCIE-EI-Lab-Exam',
        timeslot: { start: '2026-12-01T09:00:00Z', end: '2026-12-01T17:00:00Z' },
        candidate: { candidate_id: 'c' },
      },
      now: Date.parse('2026-12-01T06:00:00Z'),
      sessionId: 'ses_01jdx0k7m6v3g8w2q4t5n9c1ba' as never,
      createdBy: 't',
      phasesFor: () => ({}),
    });
    expect(p.tree.session.extend_limit).toBe(iso(Date.parse('2026-12-01T17:00:00Z') + max * MIN));
  });

  it('a new end at the limit is accepted; one millisecond past it, or in 9999, is refused', () => {
    const t = tree({ execution: 'single', parts: [{ minutes: 60, pod: true }] });
    const limit = Date.parse(t.session.timeslot.end) + 30 * MIN;
    t.session.extend_limit = iso(limit);
    expect(extensionProblem(t.session, limit, [])).toBeUndefined();
    expect(extensionProblem(t.session, limit + 1, [])).toMatchObject({
      kind: 'invalid-timeslot',
      errors: [{ pointer: '/end', rule: 'extend.max' }],
    });
    expect(extensionProblem(t.session, Date.parse('9999-12-31T00:00:00Z'), [])?.kind).toBe(
      'invalid-timeslot',
    );
  });

  it('refused when a worker holding the session’s pods is going away (no capacity for the extra time)', () => {
    const t = tree({ execution: 'single', parts: [{ minutes: 60, pod: true }] });
    t.session.extend_limit = iso(Date.parse(t.session.timeslot.end) + 60 * MIN);
    const wanted = Date.parse(t.session.timeslot.end) + 15 * MIN;
    expect(extensionProblem(t.session, wanted, [{ id: 'wrk_1', status: 'running' }])).toBeUndefined();
    expect(
      extensionProblem(t.session, wanted, [{ id: 'wrk_1', status: 'running', desired_status: 'draining' }]),
    ).toMatchObject({ kind: 'capacity-unavailable', status: 409 });
    expect(extensionProblem(t.session, wanted, [{ id: 'wrk_1', status: 'stopping' }])?.kind).toBe(
      'capacity-unavailable',
    );
  });

  it('applying an extension pushes the new end to the part in the session’s LDS session', () => {
    const t = tree({ execution: 'single', parts: [{ minutes: 60, pod: true }] });
    t.parts[0]!.lds_session_id = 'lds_abc';
    t.pods[0]!.status = 'ready';
    let d = decide(t, T0 + 61 * MIN, 'dev');
    const newEnd = iso(Date.parse(d.tree.session.timeslot.end) + 30 * MIN);
    d.tree.session.requested_end = newEnd;
    d = decide(d.tree, T0 + 62 * MIN, 'dev');
    expect(d.tree.session.timeslot.end).toBe(newEnd);
    expect(d.commands.filter((c) => c.kind === 'lds_extend')).toEqual([
      { kind: 'lds_extend', part: 1, ends_at: newEnd },
    ]);
    // Once applied, nothing is pushed again.
    expect(decide(d.tree, T0 + 63 * MIN, 'dev').commands.filter((c) => c.kind === 'lds_extend')).toEqual([]);
  });

  it('the outbox announces session.extended once, with the old and the new end', () => {
    const base = { pk: 'SESSION#ses_1', sk: 'SESSION', entity: 'session', id: 'ses_1', status: 'running' };
    const ts = { start: '2026-12-01T09:00:00.000Z', end: '2026-12-01T17:00:00.000Z' };
    const events = eventsForChange({
      eventName: 'MODIFY',
      oldImage: { ...base, state_version: 4, timeslot: ts },
      newImage: { ...base, state_version: 5, timeslot: { ...ts, end: '2026-12-01T17:30:00.000Z' } },
    });
    expect(events.map((e) => e.type)).toEqual([EVENT_TYPES.sessionExtended]);
    expect(events[0]!.data).toMatchObject({
      id: 'ses_1',
      previous_end: '2026-12-01T17:00:00.000Z',
      end: '2026-12-01T17:30:00.000Z',
    });
    expect(
      eventsForChange({
        eventName: 'MODIFY',
        oldImage: { ...base, state_version: 4, timeslot: ts },
        newImage: { ...base, state_version: 5, timeslot: ts },
      }),
    ).toEqual([]);
  });
});
