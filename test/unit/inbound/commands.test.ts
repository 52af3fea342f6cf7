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
