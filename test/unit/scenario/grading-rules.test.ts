/**
 * Grading and the session's combined report, each cut-score boundary from both sides (issue 18).
 */
import { describe, expect, it } from 'vitest';
import { asText, gradeRubric, readiness, regexFlags } from '../../../shared/scenario/grading.ts';
import { combinePartReports } from '../../../shared/orchestration/aggregate.ts';
import type { PartDoc } from '../../../shared/domain/session.ts';

const NOW = '2026-12-01T00:00:00Z';
type Check = { source: string; regex: string; flags?: string[]; on_fail?: string };
const rubric = (
  items: { id: string; points: number; checks: Check[]; description?: string }[],
  max = 100,
  domain?: string,
) => ({
  kind: 'EvaluationRuleset' as const,
  spec: { max_points: max, items, ...(domain ? { domain } : {}) },
});
const scored = (awarded: number, max = 3) =>
  gradeRubric(
    rubric(
      [
        { id: 'a', points: awarded, checks: [{ source: 'x', regex: '^ok$' }] },
        { id: 'b', points: max - awarded, checks: [{ source: 'x', regex: '^no$' }] },
      ],
      max,
    ),
    { x: 'ok' },
    { cutScore: 66.67, now: NOW },
  );

describe('gradeRubric', () => {
  it('passes at exactly the cut score and fails just under it (percentage to two decimals)', () => {
    expect(scored(2)).toMatchObject({ points_awarded: 2, points_max: 3, percentage: 66.67, passed: true });
    const under = gradeRubric(
      rubric([{ id: 'a', points: 6666, checks: [{ source: 'x', regex: 'ok' }] }], 10000),
      { x: 'ok' },
      { cutScore: 66.67, now: NOW },
    );
    expect(under).toMatchObject({ percentage: 66.66, passed: false, cut_score: 66.67 });
  });

  it('an item passes only when every check passes; each failing check is an issue, on_fail first', () => {
    const r = gradeRubric(
      rubric([
        {
          id: 'i1',
          points: 40,
          description: 'first',
          checks: [
            { source: 'a', regex: 'up' },
            { source: 'b', regex: 'up', on_fail: 'b is down' },
            { source: 'c', regex: 'up' },
            { source: 'gone', regex: '.*' },
          ],
        },
        { id: 'i2', points: 60, checks: [{ source: 'a', regex: 'up' }] },
      ]),
      { a: 'is up', b: 'down', c: { state: 'down' } },
      { cutScore: 60, now: NOW },
    );
    expect(r.per_item).toEqual([
      {
        id: 'i1',
        description: 'first',
        points_awarded: 0,
        points_max: 40,
        passed: false,
        issues: ['b is down', 'c does not match /up/', 'gone was not collected'],
      },
      { id: 'i2', description: 'i2', points_awarded: 60, points_max: 60, passed: true, issues: [] },
    ]);
    expect(r).toMatchObject({
      kind: 'ScoreReport',
      points_awarded: 60,
      percentage: 60,
      passed: true,
      graded_at: NOW,
    });
    expect(r).not.toHaveProperty('domain');
  });

  it('a check on a value collected as null or undefined fails, except against a pattern that accepts empty text', () => {
    const r = gradeRubric(
      rubric([
        { id: 'n', points: 1, checks: [{ source: 'n', regex: 'null' }] },
        { id: 'e', points: 1, checks: [{ source: 'n', regex: '^$' }] },
      ]),
      { n: null },
      { cutScore: 0, now: NOW },
    );
    expect(r.per_item.map((i) => i.passed)).toEqual([false, true]);
  });

  it('honours the regex flags', () => {
    const g = (flags?: string[]) =>
      gradeRubric(
        rubric([{ id: 'f', points: 1, checks: [{ source: 'x', regex: '^b.C$', flags }] }], 1),
        { x: 'a\nb\nc' },
        {
          cutScore: 100,
          now: NOW,
        },
      ).passed;
    expect(g()).toBe(false);
    expect(g(['multiline', 'ignorecase'])).toBe(false); // `.` stops at the newline
    expect(
      gradeRubric(
        rubric(
          [
            {
              id: 'f',
              points: 1,
              checks: [{ source: 'x', regex: '^B$', flags: ['multiline', 'ignorecase'] }],
            },
          ],
          1,
        ),
        { x: 'a\nb\nc' },
        { cutScore: 100, now: NOW },
      ).passed,
    ).toBe(true);
    expect(
      gradeRubric(
        rubric([{ id: 'f', points: 1, checks: [{ source: 'x', regex: 'a.b', flags: ['dotall'] }] }], 1),
        { x: 'a\nb' },
        { cutScore: 100, now: NOW },
      ).passed,
    ).toBe(true);
    expect(regexFlags(['multiline', 'ignorecase', 'dotall', 'unknown'])).toBe('mis');
    expect(regexFlags(undefined)).toBe('');
  });

  it('a rubric with no points scores 0 % and keeps its domain', () => {
    const r = gradeRubric(rubric([], 0, 'routing'), {}, { cutScore: 0, now: NOW });
    expect(r).toMatchObject({ percentage: 0, points_max: 0, domain: 'routing', passed: true });
    expect(gradeRubric(rubric([], 0), {}, { cutScore: 1, now: NOW }).passed).toBe(false);
  });

  it('reads collected values as text', () => {
    expect(asText(undefined)).toBe('');
    expect(asText(null)).toBe('');
    expect(asText('s')).toBe('s');
    expect(asText({ a: 1 })).toBe('{"a":1}');
    expect(asText(3)).toBe('3');
  });
});

describe('readiness', () => {
  it('is ready only when there is at least one check and all passed', () => {
    expect(readiness([true, { passed: true }], NOW)).toEqual({
      kind: 'ReadinessReport',
      ready: true,
      checks: [
        { index: 0, passed: true },
        { index: 1, passed: true },
      ],
      checked_at: NOW,
    });
    expect(readiness([true, { passed: 'yes' }], NOW).ready).toBe(false);
    expect(readiness([true, false], NOW).checks.map((c) => c.passed)).toEqual([true, false]);
    expect(readiness([], NOW).ready).toBe(false);
    expect(readiness(true, NOW).ready).toBe(true);
    expect(readiness(null, NOW).ready).toBe(false);
    expect(readiness('true', NOW).ready).toBe(false);
    expect(readiness(undefined, NOW).ready).toBe(false);
    expect(readiness([undefined, true], NOW).checks[0]!.passed).toBe(false);
  });
});

describe('combinePartReports', () => {
  const partDoc = (order: number, report?: object, status = 'archived') =>
    ({
      order,
      name: `p${order}`,
      form: { fqn: `F${order}`, version: '1' },
      status,
      ...(report ? { score_report: report } : {}),
    }) as unknown as PartDoc;

  it('sums the parts in order, rounds to two decimals and passes at exactly the cut score', () => {
    const r = combinePartReports(
      [
        partDoc(2, { points_awarded: 1, points_max: 3, percentage: 33.33, passed: false }),
        partDoc(1, {
          points_awarded: 3,
          points_max: 3,
          percentage: 100,
          passed: true,
          per_item: [{ id: 'x' }],
        }),
      ],
      66.67,
    );
    expect(r).toMatchObject({
      kind: 'session',
      points_awarded: 4,
      points_max: 6,
      percentage: 66.67,
      passed: true,
    });
    expect(r.per_part.map((p) => p.order)).toEqual([1, 2]);
    expect(r.per_part[0]).toEqual({
      order: 1,
      name: 'p1',
      form: { fqn: 'F1', version: '1' },
      status: 'archived',
      points_awarded: 3,
      points_max: 3,
      percentage: 100,
      passed: true,
      per_item: [{ id: 'x' }],
    });
    expect(r.per_part[1]).not.toHaveProperty('per_item');
    expect(combinePartReports([partDoc(1, { points_awarded: 2, points_max: 3 })], 66.67).passed).toBe(true);
    expect(combinePartReports([partDoc(1, { points_awarded: 2, points_max: 3 })], 66.68).passed).toBe(false);
  });

  it('a part without a report counts no points and is listed with nulls; nothing scored never passes', () => {
    const r = combinePartReports([partDoc(1, undefined, 'failed'), partDoc(2, { points_max: 5 })], 0);
    expect(r).toMatchObject({ points_awarded: 0, points_max: 0, percentage: 0, passed: false, cut_score: 0 });
    expect(r.per_part[0]).toMatchObject({
      status: 'failed',
      points_awarded: null,
      points_max: null,
      percentage: null,
      passed: null,
    });
    expect(r.per_part[1]).toMatchObject({ points_awarded: null, points_max: 5 });
    const half = combinePartReports(
      [partDoc(1, { points_awarded: 0, points_max: 4 }), partDoc(2, { points_awarded: 4 })],
      0,
    );
    expect(half).toMatchObject({ points_awarded: 0, points_max: 4, passed: true });
  });
});
