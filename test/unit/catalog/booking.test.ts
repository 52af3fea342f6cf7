/**
 * Issue 15, findings 3 and 11: booking rules, each with a boundary test on both sides —
 * `parts_count` enforced, ambiguous addressing refused, a booking horizon per definition, and one
 * duration rule for every profile.
 */
import { describe, expect, it } from 'vitest';
import { planSession, type CreateSessionRequest } from '../../../shared/catalog/plan.ts';
import { Problem } from '../../../shared/domain/problem.ts';
import type { Form, SessionDefinition } from '../../../shared/catalog/types.ts';
import { seeds } from './fixtures.ts';

const S = seeds();
const NOW = Date.parse('2026-12-01T06:00:00Z');
const H = 3600_000;
const DAY = 24 * H;
const phasesFor = (f: Form): Record<string, string> =>
  f.pod_ref && f.pod_ref.pod_type !== 'none' ? { instantiate: 'i', archive: 'a' } : { instantiate: 'i' };
const at = (ms: number) => new Date(ms).toISOString();
const plan = (request: Partial<CreateSessionRequest>, definitions: SessionDefinition[] = S.definitions) =>
  planSession({
    definitions,
    forms: S.forms,
    request: {
      timeslot: { start: '2026-12-01T09:00:00Z', end: '2026-12-01T17:00:00Z' },
      candidate: { candidate_id: 'c-1' },
      ...request,
    } as CreateSessionRequest,
    now: NOW,
    sessionId: 'ses_01jdx0k7m6v3g8w2q4t5n9c1ba' as never,
    createdBy: 'test',
    phasesFor,
  });
const problem = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(Problem);
    return e as Problem;
  }
  throw new Error('expected a problem');
};
const withDefinition = (type: string, change: (d: SessionDefinition) => void) =>
  S.definitions.map((d) => {
    if (d.session_type !== type) return d;
    const copy = structuredClone(d);
    change(copy);
    return copy;
  });

describe('parts_count', () => {
  it('four parts from one selector admitting four: planned', () => {
    expect(plan({ session_type: 'CCDE-Design-Exam' }).tree.parts).toHaveLength(4);
  });
  it('four parts from one selector admitting three: refused, naming the part and the rule', () => {
    const defs = withDefinition('CCDE-Design-Exam', (d) => {
      for (const p of d.parts) p.requirements = { ...p.requirements, parts_count: 3 };
    });
    const e = problem(() => plan({ session_type: 'CCDE-Design-Exam' }, defs));
    expect(e.kind).toBe('parts-count-exceeded');
    expect(e.status).toBe(422);
    expect(e.errors![0]).toMatchObject({ rule: 'requirements.parts_count' });
    expect(e.detail).toMatch(/4 parts.*"\* CCDE \* COR".*admits 3/);
  });
  it('parts_count 1 with four parts: refused', () => {
    const defs = withDefinition('CCDE-Design-Exam', (d) => {
      d.parts[0]!.requirements = { ...d.parts[0]!.requirements, parts_count: 1 };
    });
    expect(problem(() => plan({ session_type: 'CCDE-Design-Exam' }, defs)).kind).toBe('parts-count-exceeded');
  });
});

describe('addressing', () => {
  it('fqn with an FQN-addressed session_type: accepted (the two agree)', () => {
    const p = plan({
      session_type: 'lablet',
      fqn: 'Lablet CCNP ENCOR v1.1 LAB ENCOR-L01',
      timeslot: { start: '2026-12-01T09:00:00Z', end: '2026-12-01T11:00:00Z' },
    });
    expect(p.tree.parts[0]!.form.fqn).toBe('Lablet CCNP ENCOR v1.1 LAB ENCOR-L01');
  });
  it('fqn with a session_type addressed by type: refused as ambiguous, not silently ignored', () => {
    const e = problem(() =>
      plan({ session_type: 'CCIE-EI-Lab-Exam', fqn: 'Lablet CCNP ENCOR v1.1 LAB ENCOR-L01' }),
    );
    expect(e.kind).toBe('ambiguous-addressing');
    expect(e.status).toBe(422);
    expect(e.errors![0]).toMatchObject({ pointer: '/fqn', rule: 'addressed_by' });
  });
});

describe('booking horizon', () => {
  const horizonDays = S.definitions.find((d) => d.session_type === 'CCDE-Design-Exam')!.timeslot_policy
    .booking_horizon_days!;
  it('the definition states one', () => {
    expect(horizonDays).toBeGreaterThan(0);
  });
  it('a start exactly at the horizon is accepted', () => {
    const start = NOW + horizonDays * DAY;
    expect(
      plan({ session_type: 'CCDE-Design-Exam', timeslot: { start: at(start), end: at(start + 8 * H) } }).tree
        .session.timeslot.start,
    ).toBe(at(start));
  });
  it('a start one millisecond past the horizon is refused', () => {
    const start = NOW + horizonDays * DAY + 1;
    const e = problem(() =>
      plan({ session_type: 'CCDE-Design-Exam', timeslot: { start: at(start), end: at(start + 8 * H) } }),
    );
    expect(e.kind).toBe('invalid-timeslot');
    expect(e.errors![0]).toMatchObject({ pointer: '/timeslot/start', rule: 'timeslot.horizon' });
  });
  it('the year 9999 is refused', () => {
    const e = problem(() =>
      plan({
        session_type: 'CCDE-Design-Exam',
        timeslot: { start: '9999-12-01T09:00:00Z', end: '9999-12-01T17:00:00Z' },
      }),
    );
    expect(e.errors![0]!.rule).toBe('timeslot.horizon');
  });
});

describe('one duration rule for every profile: the session holds its parts, parts never shrink', () => {
  const lablet = (minutes: number) =>
    plan({
      fqn: 'Lablet CCNP ENCOR v1.1 LAB ENCOR-L01',
      timeslot: {
        start: '2026-12-01T09:00:00Z',
        end: at(Date.parse('2026-12-01T09:00:00Z') + minutes * 60_000),
      },
    });
  const ccie = (minutes: number) =>
    plan({
      session_type: 'CCIE-EI-Lab-Exam',
      timeslot: {
        start: '2026-12-01T09:00:00Z',
        end: at(Date.parse('2026-12-01T09:00:00Z') + minutes * 60_000),
      },
    });
  it('a lablet slot of exactly its 120-minute part: accepted, the part keeps 120 minutes', () => {
    expect(lablet(120).tree.parts[0]!.duration_minutes).toBe(120);
  });
  it('a lablet slot one minute short: refused like the CCIE', () => {
    const e = problem(() => lablet(119));
    expect(e.kind).toBe('windows-do-not-fit');
    expect(e.errors![0]).toMatchObject({ pointer: '/timeslot', rule: 'Σ parts ≤ session' });
  });
  it('a 60-minute lablet slot for a 120-minute part: refused (it used to shrink the part)', () => {
    expect(problem(() => lablet(60)).kind).toBe('windows-do-not-fit');
  });
  it('a lablet slot longer than its part: the part keeps its duration from the start', () => {
    const p = lablet(180).tree.parts[0]!;
    expect(p.duration_minutes).toBe(120);
    expect(p.timeslot.end).toBe('2026-12-01T11:00:00.000Z');
  });
  it('the CCIE at exactly 480 minutes: accepted; one minute short: refused by the same rule', () => {
    expect(ccie(480).tree.parts).toHaveLength(2);
    const e = problem(() => ccie(479));
    expect(e.kind).toBe('windows-do-not-fit');
    expect(e.errors![0]).toMatchObject({ pointer: '/timeslot', rule: 'Σ parts ≤ session' });
  });
  it('explicit windows are the scheduler saying otherwise: a shorter lablet window is taken as given', () => {
    const p = plan({
      fqn: 'Lablet CCNP ENCOR v1.1 LAB ENCOR-L01',
      timeslot: { start: '2026-12-01T09:00:00Z', end: '2026-12-01T09:20:00Z' },
      parts: [{ order: 1, window: { start: '2026-12-01T09:00:00Z', end: '2026-12-01T09:20:00Z' } }],
    });
    expect(p.tree.parts[0]!.duration_minutes).toBe(20);
  });
});
