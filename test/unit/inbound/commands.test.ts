/**
 * External grader events (issue 15, finding 7): `grader.grading.completed.v1` and
 * `grader.grading.failed.v1` reach the part's report and, once the session has one, its combined
 * report; anything that does not apply changes nothing.
 */
import { describe, expect, it } from 'vitest';
import { applyInbound } from '../../../shared/inbound/commands.ts';
import type { CloudEvent } from '../../../shared/events/cloudevent.ts';
import type { PartDoc, SessionDoc } from '../../../shared/domain/session.ts';
import { keys } from '../../../shared/store/keys.ts';
import type { StateStore, StoredItem } from '../../../shared/store/state-store.ts';
import { combinePartReports } from '../../../shared/orchestration/aggregate.ts';

const SID = 'ses_01jabcdefghjkmnpqrstvwxyz0';
const NOW = Date.parse('2026-12-01T12:00:00Z');

function memoryStore(items: StoredItem[]) {
  const m = new Map(items.map((i) => [`${i.pk}|${i.sk}`, structuredClone(i)]));
  let writes = 0;
  const store = {
    get: async (k: { pk: string; sk: string }) => structuredClone(m.get(`${k.pk}|${k.sk}`)),
    queryPartition: async (pk: string) =>
      [...m.values()].filter((i) => i.pk === pk).map((i) => structuredClone(i)),
    update: async (k: { pk: string; sk: string }, change: (cur: StoredItem) => StoredItem | undefined) => {
      const cur = structuredClone(m.get(`${k.pk}|${k.sk}`));
      if (!cur) return undefined;
      const next = change(cur);
      if (!next || next === cur) return cur;
      const written = { ...next, state_version: (cur.state_version as number) + 1 };
      m.set(`${k.pk}|${k.sk}`, written);
      writes++;
      return written;
    },
  } as unknown as StateStore;
  return {
    store,
    part: (n: number) => m.get(`${keys.part(SID, n).pk}|${keys.part(SID, n).sk}`) as StoredItem & PartDoc,
    session: () => m.get(`${keys.session(SID).pk}|${keys.session(SID).sk}`) as StoredItem & SessionDoc,
    writes: () => writes,
  };
}

const part = (order: number, status: string, score_report?: object) =>
  ({
    ...keys.part(SID, order),
    id: `${SID}.p${order}`,
    session_id: SID,
    order,
    name: `part ${order}`,
    form: { fqn: 'x.y', version: '1' },
    status,
    state_version: 3,
    ...(score_report ? { score_report } : {}),
  }) as unknown as StoredItem;

const session = (over: Record<string, unknown> = {}) =>
  ({
    ...keys.session(SID),
    id: SID,
    status: 'running',
    state_version: 5,
    cut_score: 70,
    ...over,
  }) as unknown as StoredItem;

const graded = (order: number, data: Record<string, unknown>, id = 'g-1'): CloudEvent =>
  ({
    specversion: '1.0',
    id,
    source: 'grader.external',
    type: 'grader.grading.completed.v1',
    subject: `sessions/${SID}/parts/${order}`,
    data,
  }) as CloudEvent;

const gradingFailed = (order: number, reason: string): CloudEvent =>
  ({
    specversion: '1.0',
    id: 'g-f',
    source: 'grader.external',
    type: 'grader.grading.failed.v1',
    subject: `sessions/${SID}/parts/${order}`,
    data: { reason },
  }) as CloudEvent;

describe('grader.grading.completed.v1', () => {
  it("a part being graded gets the grader's report, with where it came from", async () => {
    const s = memoryStore([session(), part(1, 'grading')]);
    const r = await applyInbound(
      graded(1, { points_awarded: 7, points_max: 10, per_item: [{ id: 'q1', points: 7 }] }),
      s.store,
      NOW,
    );
    expect(r).toEqual({ outcome: 'applied', detail: 'external grading completed' });
    expect(s.part(1).score_report).toMatchObject({
      points_awarded: 7,
      points_max: 10,
      percentage: 70,
      passed: true,
      per_item: [{ id: 'q1', points: 7 }],
      external: {
        status: 'completed',
        source: 'grader.external',
        event_id: 'g-1',
        at: '2026-12-01T12:00:00.000Z',
      },
    });
    // The session has no combined report yet: aggregation will include this part's.
    expect(s.session().score_report).toBeUndefined();
    expect(s.session().state_version).toBe(5);
  });

  it('a session that already has a combined report gets it recomputed, and its document rewritten', async () => {
    const p1 = part(1, 'archived', { points_awarded: 10, points_max: 10, percentage: 100, passed: true });
    const p2 = part(2, 'archived', { points_awarded: 0, points_max: 10, percentage: 0, passed: false });
    const before = combinePartReports([p1, p2] as unknown as PartDoc[], 70);
    const s = memoryStore([
      session({
        status: 'completed',
        score_report: before,
        score_report_ref: 's3://a/reports/x/session.json',
      }),
      p1,
      p2,
    ]);
    await applyInbound(graded(2, { points_awarded: 6, points_max: 10 }), s.store, NOW);
    const after = s.session().score_report as ReturnType<typeof combinePartReports>;
    expect(after).toMatchObject({ points_awarded: 16, points_max: 20, percentage: 80, passed: true });
    expect(after.per_part[1]).toMatchObject({
      order: 2,
      points_awarded: 6,
      external: { status: 'completed' },
    });
    // The reference goes until the reconciler has written the revised document (D76, D78).
    expect(s.session().score_report_ref).toBeUndefined();
    expect(s.session().state_version).toBe(6);
  });

  it('the same event twice is applied once', async () => {
    const s = memoryStore([session(), part(1, 'grading')]);
    await applyInbound(graded(1, { points_awarded: 7, points_max: 10 }), s.store, NOW);
    const again = await applyInbound(graded(1, { points_awarded: 7, points_max: 10 }), s.store, NOW);
    expect(again).toEqual({ outcome: 'ignored', detail: 'already applied' });
    expect(s.writes()).toBe(1);
  });

  it('a part that has not reached grading is left alone', async () => {
    const s = memoryStore([session(), part(1, 'monitoring')]);
    const r = await applyInbound(graded(1, { points_awarded: 7, points_max: 10 }), s.store, NOW);
    expect(r).toEqual({ outcome: 'ignored', detail: 'part is monitoring' });
    expect(s.part(1).score_report).toBeUndefined();
    expect(s.writes()).toBe(0);
  });

  it.each<[string, Record<string, unknown>]>([
    ['no points', {}],
    ['points above the maximum', { points_awarded: 11, points_max: 10 }],
    ['negative points', { points_awarded: -1, points_max: 10 }],
    ['a maximum of zero', { points_awarded: 0, points_max: 0 }],
  ])('a report with %s is refused by name and changes nothing', async (_what, data) => {
    const s = memoryStore([session(), part(1, 'grading')]);
    await expect(applyInbound(graded(1, data), s.store, NOW)).rejects.toMatchObject({
      kind: 'validation-error',
    });
    expect(s.writes()).toBe(0);
  });
});

describe('grader.grading.failed.v1', () => {
  it("marks the part's report and the combined report with the failure, keeping points already there", async () => {
    const p1 = part(1, 'archived', { points_awarded: 4, points_max: 10, percentage: 40, passed: false });
    const s = memoryStore([
      session({ status: 'completed', score_report: combinePartReports([p1] as unknown as PartDoc[], 70) }),
      p1,
    ]);
    const r = await applyInbound(gradingFailed(1, 'rubric timeout'), s.store, NOW);
    expect(r).toEqual({ outcome: 'applied', detail: 'external grading failed' });
    expect(s.part(1).score_report).toMatchObject({
      points_awarded: 4,
      external: { status: 'failed', reason: 'rubric timeout', event_id: 'g-f' },
    });
    const combined = s.session().score_report as ReturnType<typeof combinePartReports>;
    expect(combined.per_part[0]).toMatchObject({ external: { status: 'failed', reason: 'rubric timeout' } });
  });
});

const lds = (type: string, order: number, data: Record<string, unknown> = {}): CloudEvent =>
  ({
    specversion: '1.0',
    id: `lds-${type}`,
    source: 'lds.delivery',
    type,
    subject: `sessions/${SID}/parts/${order}`,
    data,
  }) as CloudEvent;

describe('the lab delivery system pauses and resumes a part (issue 15, finding 5)', () => {
  it('lds.session.paused.v1 asks for a pause from this instant, by the LDS; a second one changes nothing', async () => {
    const s = memoryStore([session(), part(1, 'monitoring')]);
    const r = await applyInbound(
      lds('lds.session.paused.v1', 1, { reason: 'candidate unwell' }),
      s.store,
      NOW,
    );
    expect(r).toEqual({ outcome: 'applied', detail: 'paused by the lab delivery system' });
    expect(s.part(1).pause_requested).toEqual({
      at: new Date(NOW).toISOString(),
      by: 'lds.delivery',
      origin: 'lds',
      reason: 'candidate unwell',
    });
    const again = await applyInbound(lds('lds.session.paused.v1', 1), s.store, NOW + 1);
    expect(again).toEqual({ outcome: 'ignored', detail: 'already paused' });
    expect(s.writes()).toBe(1);
  });

  it('a part that is not running is not paused, with the reason', async () => {
    const s = memoryStore([session(), part(1, 'grading')]);
    const r = await applyInbound(lds('lds.session.paused.v1', 1), s.store, NOW);
    expect(r.outcome).toBe('ignored');
    expect(r.detail).toMatch(/grading/);
    expect(s.writes()).toBe(0);
  });

  it('lds.session.resumed.v1 asks a paused part to resume; a part that is not paused is left alone', async () => {
    const paused = {
      ...part(1, 'waiting'),
      paused: { at: new Date(NOW - 60_000).toISOString(), by: 'lds.delivery', origin: 'lds' },
    } as unknown as StoredItem;
    const s = memoryStore([session(), paused, part(2, 'waiting')]);
    const r = await applyInbound(lds('lds.session.resumed.v1', 1), s.store, NOW);
    expect(r).toEqual({ outcome: 'applied', detail: 'resumed by the lab delivery system' });
    expect(s.part(1).resume_requested).toEqual({
      at: new Date(NOW).toISOString(),
      by: 'lds.delivery',
      origin: 'lds',
    });
    const other = await applyInbound(lds('lds.session.resumed.v1', 2), s.store, NOW);
    expect(other.outcome).toBe('ignored');
    expect(s.writes()).toBe(1);
  });
});

describe('the lab delivery system, each command (issue 15, finding 6)', () => {
  it('lds.session.running.v1: the candidate started; once', async () => {
    const s = memoryStore([session(), part(1, 'waiting')]);
    expect(await applyInbound(lds('lds.session.running.v1', 1), s.store, NOW)).toEqual({
      outcome: 'applied',
      detail: 'candidate started',
    });
    expect(s.part(1).candidate_started_at).toBe(new Date(NOW).toISOString());
    expect((await applyInbound(lds('lds.session.running.v1', 1), s.store, NOW + 1)).detail).toBe(
      'already started',
    );
    expect(s.writes()).toBe(1);
  });

  it('lds.session.running.v1 for a part already collecting is ignored with the reason', async () => {
    const s = memoryStore([session(), part(1, 'collecting')]);
    expect(await applyInbound(lds('lds.session.running.v1', 1), s.store, NOW)).toEqual({
      outcome: 'ignored',
      detail: 'part is collecting',
    });
    expect(s.writes()).toBe(0);
  });

  it('lds.session.ended.v1: the candidate ended the part, with the reason; once', async () => {
    const s = memoryStore([session(), part(1, 'monitoring')]);
    expect(await applyInbound(lds('lds.session.ended.v1', 1, { reason: 'submitted' }), s.store, NOW)).toEqual(
      { outcome: 'applied', detail: 'candidate ended the part' },
    );
    expect(s.part(1).end_requested).toEqual({
      at: new Date(NOW).toISOString(),
      by: 'lds.delivery',
      reason: 'submitted',
    });
    expect((await applyInbound(lds('lds.session.ended.v1', 1), s.store, NOW)).detail).toBe('already ended');
  });

  it('an event is correlated by the LDS session’s external reference (the session id) when its LDS session is unknown', async () => {
    const s = memoryStore([session(), part(1, 'waiting'), part(2, 'waiting')]);
    const ce = byLds('lds.session.running.v1', {
      lds_session_id: 'lds_unknown',
      external_ref: SID,
      part_order: 2,
    });
    expect((await applyInbound(ce, s.store, NOW)).outcome).toBe('applied');
    expect(s.part(2).candidate_started_at).toBeDefined();
    expect(s.part(1).candidate_started_at).toBeUndefined();
  });

  it('the older per-pod external reference (<session>.p<order>.<pod>) still names its part', async () => {
    const s = memoryStore([session(), part(1, 'waiting'), part(2, 'waiting')]);
    const ce = byLds('lds.session.running.v1', { external_ref: `${SID}.p2.0` });
    expect((await applyInbound(ce, s.store, NOW)).outcome).toBe('applied');
    expect(s.part(2).candidate_started_at).toBeDefined();
  });

  it('an event that names no session part is refused by name and changes nothing', async () => {
    const s = memoryStore([session(), part(1, 'waiting')]);
    for (const data of [
      {},
      { external_ref: 'someone-else' },
      { external_ref: `${SID}.px.0` },
      { lds_session_id: 'lds_nobody' },
    ]) {
      const ce = { ...lds('lds.session.running.v1', 1), subject: undefined, data } as unknown as CloudEvent;
      await expect(applyInbound(ce, s.store, NOW)).rejects.toMatchObject({
        kind: 'validation-error',
        errors: [{ pointer: '/subject', rule: 'target' }],
      });
    }
    expect(s.writes()).toBe(0);
  });

  it('an unknown type is acknowledged and ignored', async () => {
    const s = memoryStore([session(), part(1, 'waiting')]);
    expect((await applyInbound(lds('lds.session.reticulated.v1', 1), s.store, NOW)).outcome).toBe('ignored');
    expect(s.writes()).toBe(0);
  });
});

/** An LDS event that names only the LDS's own identities (no subject). */
const byLds = (type: string, data: Record<string, unknown>, id = `lds-${type}`): CloudEvent =>
  ({ specversion: '1.0', id, source: 'lds.delivery', type, data }) as unknown as CloudEvent;

/** The pointer from an LDS session to its LCM session (written when a part registers). */
const pointer = (lds_session_id: string) =>
  ({ ...keys.ldsSession(lds_session_id), session_id: SID, state_version: 1 }) as unknown as StoredItem;

const open = (order: number, status: string, over: Record<string, unknown> = {}) =>
  ({
    ...part(order, status),
    activated_at: new Date(NOW - 600_000).toISOString(),
    ...over,
  }) as unknown as StoredItem;

describe('inbound LDS events are correlated by lds_session_id (issue 15, finding 6)', () => {
  const LDS = 'lds_0123abcd';
  const cases: [string, string, Record<string, unknown>, (p: PartDoc) => unknown][] = [
    ['lds.session.running.v1', 'waiting', {}, (p) => p.candidate_started_at],
    ['lds.session.paused.v1', 'monitoring', {}, (p) => p.pause_requested],
    [
      'lds.session.resumed.v1',
      'monitoring',
      { paused: { at: new Date(NOW - 60_000).toISOString(), by: 'lds.delivery', origin: 'lds' } },
      (p) => p.resume_requested,
    ],
    ['lds.session.ended.v1', 'monitoring', {}, (p) => p.end_requested],
  ];
  for (const [type, status, over, effect] of cases) {
    it(`${type} naming its LDS session and part reaches that part`, async () => {
      const s = memoryStore([session(), pointer(LDS), open(1, 'archived'), open(2, status, over)]);
      const r = await applyInbound(byLds(type, { lds_session_id: LDS, part_order: 2 }), s.store, NOW);
      expect(r.outcome).toBe('applied');
      expect(effect(s.part(2))).toBeDefined();
      expect(s.writes()).toBe(1);
    });

    it(`${type} naming only its LDS session reaches the part that is open`, async () => {
      const s = memoryStore([
        session(),
        pointer(LDS),
        open(1, 'archived'),
        open(2, status, over),
        part(3, 'pending'),
      ]);
      const r = await applyInbound(byLds(type, { lds_session_id: LDS }), s.store, NOW);
      expect(r.outcome).toBe('applied');
      expect(effect(s.part(2))).toBeDefined();
    });
  }

  it('naming only its LDS session while two parts are open is refused by name and changes nothing', async () => {
    const s = memoryStore([session(), pointer(LDS), open(1, 'monitoring'), open(2, 'monitoring')]);
    await expect(
      applyInbound(byLds('lds.session.paused.v1', { lds_session_id: LDS }), s.store, NOW),
    ).rejects.toMatchObject({
      kind: 'validation-error',
      errors: [{ pointer: '/data/part_order', rule: 'target' }],
    });
    expect(s.writes()).toBe(0);
  });

  it('the LDS session id wins over an external reference naming another session', async () => {
    const s = memoryStore([session(), pointer(LDS), open(1, 'waiting')]);
    const ce = byLds('lds.session.running.v1', {
      lds_session_id: LDS,
      external_ref: 'ses_01jzzzzzzzzzzzzzzzzzzzzzz0',
    });
    expect((await applyInbound(ce, s.store, NOW)).outcome).toBe('applied');
    expect(s.part(1).candidate_started_at).toBeDefined();
  });
});
