import { describe, expect, it } from 'vitest';
import { planSession, type CreateSessionRequest } from '../../../shared/catalog/plan.ts';
import { candidates, pickForm } from '../../../shared/catalog/resolve.ts';
import { provisionAt } from '../../../shared/domain/timeslot.ts';
import { Problem } from '../../../shared/domain/problem.ts';
import type { Form } from '../../../shared/catalog/types.ts';
import { seeds } from './fixtures.ts';

const S = seeds();
const NOW = Date.parse('2026-12-01T06:00:00Z');
const SID = 'ses_01jdx0k7m6v3g8w2q4t5n9c1ba' as never;
const phasesFor = (f: Form): Record<string, string> =>
  f.pod_ref && f.pod_ref.pod_type !== 'none'
    ? { instantiate: 'i', collect: 'c', grade: 'g', archive: 'a' }
    : { instantiate: 'i', grade: 'g' };
const plan = (request: Partial<CreateSessionRequest>, forms = S.forms) =>
  planSession({
    definitions: S.definitions,
    forms,
    request: {
      timeslot: { start: '2026-12-01T09:00:00Z', end: '2026-12-01T17:00:00Z' },
      candidate: { candidate_id: 'c-1' },
      ...request,
    } as CreateSessionRequest,
    now: NOW,
    sessionId: SID,
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

describe('planning each delivery kind', () => {
  it('a lablet by FQN: one part, the session window, one pod', () => {
    const p = plan({
      fqn: 'Lablet CCNP ENCOR v1.1 LAB ENCOR-L01',
      timeslot: { start: '2026-12-01T09:00:00Z', end: '2026-12-01T11:00:00Z' },
    });
    expect(p.definition.session_type).toBe('lablet');
    expect(p.tree.session.addressed_by).toBe('Lablet CCNP ENCOR v1.1 LAB ENCOR-L01');
    expect(p.tree.parts).toHaveLength(1);
    expect(p.tree.parts[0]!.timeslot).toMatchObject({
      start: '2026-12-01T09:00:00.000Z',
      end: '2026-12-01T11:00:00.000Z',
    });
    expect(p.tree.pods).toHaveLength(1);
    expect(p.tree.parts[0]!.phases).toMatchObject({ instantiate: 'i', archive: 'a' });
  });

  it('a lablet whose content is not synced yet is refused with the reason', () => {
    const e = problem(() => plan({ fqn: 'Lablet CCNP ENCOR v1.1 LAB OSPF-101' }));
    expect(e.kind).toBe('empty-pool');
    expect(e.errors![0]!.detail).toMatch(/pod ref is pending/);
  });

  it('a practice lab from the pool: the least exposed eligible form', () => {
    const p = plan({
      session_type: 'practicelab',
      timeslot: { start: '2026-12-01T09:00:00Z', end: '2026-12-01T12:00:00Z' },
    });
    const pool = candidates(S.forms, 'Practice ** LAB *', { requires_pod: true }).admitted;
    expect(p.pinned[0]).toEqual({ order: 1, fqn: pool[0]!.fqn, version: pool[0]!.version });
    expect(pool.every((f) => (f.exposure_count ?? 0) >= (pool[0]!.exposure_count ?? 0))).toBe(true);
    expect(pool.map((f) => f.status)).not.toContain('draft');
  });

  it('the CCIE lab exam: pinned forms, back-to-back windows, the DOO pod provisioning earlier', () => {
    const p = plan({ session_type: 'CCIE-EI-Lab-Exam' });
    const [doo, ai] = p.tree.parts;
    expect(doo!.form.fqn).toMatch(/^Exam CCIE EI v1\.1 DOO /);
    expect(ai!.form.fqn).toMatch(/^Exam CCIE EI v1\.1 AI-DOO /);
    expect(doo!.timeslot.start).toBe('2026-12-01T09:00:00.000Z');
    expect(doo!.timeslot.end).toBe(ai!.timeslot.start);
    expect(ai!.timeslot.end).toBe('2026-12-01T17:00:00.000Z');
    expect(provisionAt(doo!.timeslot)).toBe(Date.parse('2026-12-01T08:00:00Z')); // 60 min lead
    expect(provisionAt(doo!.timeslot)).toBeLessThan(provisionAt(p.tree.session.timeslot));
    expect(p.tree.pods.map((x) => x.pod_type)).toEqual(['cml_on_aws', 'cml_on_aws']);
    expect(p.tree.parts.map((x) => x.gates_next)).toEqual([true, true]);
  });

  it('the CCIE exam with design first: DES web-only, then DOO, then AI-DOO; SEC and DevNet DES rejected by requirements', () => {
    const p = plan({ session_type: 'CCIE-EI-Exam-With-Design' });
    expect(p.tree.parts.map((x) => x.name)).toEqual(['DES', 'DOO', 'AI-DOO']);
    expect(p.tree.parts[0]!.form.fqn).toMatch(/^Exam CCIE EI v1\.1 DES /);
    expect(p.tree.pods.map((x) => x.part_order)).toEqual([2, 3]);
    const c = candidates(S.forms, 'Exam CCIE * * DES*', { track_acronyms: ['EI'], requires_pod: false });
    expect(c.rejected.map((r) => r.reason).join()).toMatch(/track_acronym SEC/);
  });

  it('the CCDE exam: four COR forms, none repeated, no pods', () => {
    const p = plan({ session_type: 'CCDE-Design-Exam' });
    const fqns = p.tree.parts.map((x) => x.form.fqn);
    expect(fqns).toHaveLength(4);
    expect(new Set(fqns).size).toBe(4);
    expect(fqns.every((f) => / COR COR-/.test(f))).toBe(true);
    expect(p.tree.pods).toEqual([]);
    expect(p.tree.parts[3]!.review).toBe('manual');
  });

  it('is deterministic: the same request over the same catalog pins the same forms', () => {
    expect(plan({ session_type: 'CCDE-Design-Exam' }).pinned).toEqual(
      plan({ session_type: 'CCDE-Design-Exam' }).pinned,
    );
  });

  it('explicit forms and windows are honoured', () => {
    const p = plan({
      session_type: 'CCIE-EI-Lab-Exam',
      parts: [
        {
          order: 1,
          form: 'Exam CCIE EI v1.1 DOO DOO-3@1',
          window: { start: '2026-12-01T09:00:00Z', end: '2026-12-01T11:00:00Z' },
        },
        { order: 2, window: { start: '2026-12-01T11:30:00Z', end: '2026-12-01T16:30:00Z' } },
      ],
    });
    expect(p.pinned[0]).toEqual({ order: 1, fqn: 'Exam CCIE EI v1.1 DOO DOO-3', version: '1' });
    expect(p.tree.parts[1]!.timeslot.start).toBe('2026-12-01T11:30:00.000Z');
  });
});

describe('refusals name the failing field', () => {
  it.each<[string, Partial<CreateSessionRequest>, string, string]>([
    ['unknown session type', { session_type: 'CCIE-XX' }, 'unknown-session-type', '/session_type'],
    ['malformed FQN', { fqn: 'Lablet CCNP ENCOR LAB X' }, 'malformed-fqn', '/fqn'],
    ['unknown FQN', { fqn: 'Lablet CCNP ENCOR v1.1 LAB NOPE-1' }, 'unknown-form', '/fqn'],
    [
      'end before start',
      {
        session_type: 'CCDE-Design-Exam',
        timeslot: { start: '2026-12-01T17:00:00Z', end: '2026-12-01T09:00:00Z' },
      },
      'invalid-timeslot',
      '/timeslot/end',
    ],
    [
      'a session in the past',
      {
        session_type: 'CCDE-Design-Exam',
        timeslot: { start: '2026-11-01T09:00:00Z', end: '2026-11-01T17:00:00Z' },
      },
      'invalid-timeslot',
      '/timeslot/end',
    ],
    [
      'parts that do not fit',
      {
        session_type: 'CCIE-EI-Lab-Exam',
        timeslot: { start: '2026-12-01T09:00:00Z', end: '2026-12-01T13:00:00Z' },
      },
      'windows-do-not-fit',
      '/timeslot',
    ],
    [
      'a window outside the session',
      {
        session_type: 'CCIE-EI-Lab-Exam',
        parts: [{ order: 1, window: { start: '2026-12-01T08:00:00Z', end: '2026-12-01T10:00:00Z' } }],
      },
      'window-outside-session',
      '/parts/0/window',
    ],
    [
      'overlapping sequential windows',
      {
        session_type: 'CCIE-EI-Lab-Exam',
        parts: [
          { order: 1, window: { start: '2026-12-01T09:00:00Z', end: '2026-12-01T12:00:00Z' } },
          { order: 2, window: { start: '2026-12-01T11:00:00Z', end: '2026-12-01T16:00:00Z' } },
        ],
      },
      'windows-do-not-fit',
      '/parts/1/window',
    ],
    [
      'a part the definition lacks',
      { session_type: 'CCIE-EI-Lab-Exam', parts: [{ order: 5 }] },
      'validation-error',
      '/parts/0/order',
    ],
    [
      'a form that does not fit the part',
      { session_type: 'CCIE-EI-Lab-Exam', parts: [{ order: 1, form: 'Exam CCIE EI v1.1 AI-DOO AIDOO-1' }] },
      'empty-pool',
      '/parts/0/form',
    ],
    ['a draft form', { fqn: 'Lablet CCNA CCNA v1.1 LAB CCNA-L02' }, 'empty-pool', '/fqn'],
    ['a lablet type without an FQN', { session_type: 'lablet' }, 'validation-error', '/fqn'],
  ])('%s', (_what, req, kind, pointer) => {
    const e = problem(() => plan(req));
    expect(e.kind).toBe(kind);
    expect(e.errors?.[0]?.pointer).toBe(pointer);
  });

  it('an empty pool is a 409 with the reasons per part', () => {
    const forms = S.forms.map((f) =>
      f.module_acronym === 'AI-DOO' ? { ...f, status: 'draft' as const } : f,
    );
    const e = problem(() => plan({ session_type: 'CCIE-EI-Lab-Exam' }, forms));
    expect(e.status).toBe(409);
    expect(e.errors).toHaveLength(1);
    expect(e.errors![0]).toMatchObject({ pointer: '/parts/1', rule: 'pool.empty' });
    expect(e.errors![0]!.detail).toMatch(/status draft/);
  });

  it('pickForm breaks exposure ties by FQN, deterministically', () => {
    const forms = S.forms.filter((f) => f.module_acronym === 'COR').map((f) => ({ ...f, exposure_count: 0 }));
    const a = pickForm(forms, '* CCDE * COR', {});
    expect('form' in a && a.form.fqn).toBe('Exam CCDE CCDE v3.1 COR COR-A');
  });
});

describe('addressing', () => {
  it('needs session_type or fqn', () => {
    const e = problem(() => plan({}));
    expect(e.errors?.[0]?.pointer).toBe('/session_type');
  });
});
