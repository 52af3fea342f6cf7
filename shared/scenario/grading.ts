/**
 * Grading: a rubric's items are checked against the collected `vars`; an item
 * passes when all its checks pass. Pure: the report is built here, stored elsewhere.
 */
import type { Rubric } from '../content/validate.ts';

export interface ItemResult {
  id: string;
  description: string;
  points_awarded: number;
  points_max: number;
  passed: boolean;
  issues: string[];
}

export interface ScoreReport {
  kind: 'ScoreReport';
  domain?: string;
  points_awarded: number;
  points_max: number;
  percentage: number;
  passed: boolean;
  cut_score: number;
  per_item: ItemResult[];
  graded_at: string;
}

export interface ReadinessReport {
  kind: 'ReadinessReport';
  ready: boolean;
  checks: { index: number; passed: boolean; detail?: string }[];
  checked_at: string;
}

export function regexFlags(flags: readonly string[] | undefined): string {
  let f = '';
  for (const x of flags ?? []) {
    if (x === 'multiline') f += 'm';
    else if (x === 'ignorecase') f += 'i';
    else if (x === 'dotall') f += 's';
  }
  return f;
}

/** A value collected into vars, as text a regex can read. */
export const asText = (v: unknown): string =>
  v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);

export function gradeRubric(
  rubric: Rubric,
  vars: Record<string, unknown>,
  opts: { cutScore: number; now: string },
): ScoreReport {
  const per_item: ItemResult[] = rubric.spec.items.map((item) => {
    const issues: string[] = [];
    for (const check of item.checks) {
      const present = Object.hasOwn(vars, check.source);
      const ok = present && new RegExp(check.regex, regexFlags(check.flags)).test(asText(vars[check.source]));
      if (!ok)
        issues.push(
          check.on_fail ??
            (present
              ? `${check.source} does not match /${check.regex}/`
              : `${check.source} was not collected`),
        );
    }
    const passed = issues.length === 0;
    return {
      id: item.id,
      description: item.description ?? item.id,
      points_awarded: passed ? item.points : 0,
      points_max: item.points,
      passed,
      issues,
    };
  });
  const points_awarded = per_item.reduce((s, i) => s + i.points_awarded, 0);
  const points_max = rubric.spec.max_points;
  const percentage = points_max ? Math.round((points_awarded / points_max) * 10000) / 100 : 0;
  return {
    kind: 'ScoreReport',
    ...(rubric.spec.domain ? { domain: rubric.spec.domain } : {}),
    points_awarded,
    points_max,
    percentage,
    passed: percentage >= opts.cutScore,
    cut_score: opts.cutScore,
    per_item,
    graded_at: opts.now,
  };
}

export function readiness(checks: unknown, now: string): ReadinessReport {
  const list = Array.isArray(checks) ? checks : [checks];
  const results = list.map((c, index) => ({
    index,
    passed:
      c === true || (typeof c === 'object' && c !== null && (c as { passed?: unknown }).passed === true),
  }));
  return {
    kind: 'ReadinessReport',
    ready: results.length > 0 && results.every((r) => r.passed),
    checks: results,
    checked_at: now,
  };
}
