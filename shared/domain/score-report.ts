/**
 * Rolls the per-part score reports into the one combined report of a session:
 * per part, per item, totals, percentage, and passed against the definition's cut score. A part
 * that ended without a report is listed with no points, so a reader sees why totals are smaller.
 */
import type { PartDoc } from './session.ts';

export interface CombinedReport {
  kind: 'session';
  points_awarded: number;
  points_max: number;
  percentage: number;
  passed: boolean;
  cut_score: number;
  per_part: {
    order: number;
    name: string;
    form: { fqn: string; version: string };
    status: string;
    points_awarded: number | null;
    points_max: number | null;
    percentage: number | null;
    passed: boolean | null;
    per_item?: unknown[];
    /** How an external grader's result reached the part (D78), when one did. */
    external?: ExternalGrading;
  }[];
}

/** An external grader's outcome on a part's report (`grader.grading.completed|failed.v1`, D78). */
export interface ExternalGrading {
  status: 'completed' | 'failed';
  source: string;
  event_id: string;
  at: string;
  reason?: string;
  report_ref?: string;
}

export function combinePartReports(parts: PartDoc[], cutScore: number): CombinedReport {
  let awarded = 0;
  let max = 0;
  const per_part = [...parts]
    .sort((a, b) => a.order - b.order)
    .map((p) => {
      const r = p.score_report as
        | {
            points_awarded?: number;
            points_max?: number;
            percentage?: number;
            passed?: boolean;
            per_item?: unknown[];
            external?: ExternalGrading;
          }
        | undefined;
      if (r && typeof r.points_max === 'number' && typeof r.points_awarded === 'number') {
        awarded += r.points_awarded;
        max += r.points_max;
      }
      return {
        order: p.order,
        name: p.name,
        form: p.form,
        status: p.status,
        points_awarded: r?.points_awarded ?? null,
        points_max: r?.points_max ?? null,
        percentage: r?.percentage ?? null,
        passed: r?.passed ?? null,
        ...(r?.per_item ? { per_item: r.per_item } : {}),
        ...(r?.external ? { external: r.external } : {}),
      };
    });
  const percentage = max ? Math.round((awarded / max) * 10000) / 100 : 0;
  return {
    kind: 'session',
    points_awarded: awarded,
    points_max: max,
    percentage,
    passed: max > 0 && percentage >= cutScore,
    cut_score: cutScore,
    per_part,
  };
}
