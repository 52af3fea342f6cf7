/**
 * The pause rule, pure, with the clock passed in: a running part (`waiting` or `monitoring`) may be
 * paused by a proctor or by the lab delivery system; while it is paused its clock stops (no
 * deadline fires), and when it resumes its deadline and its window move later by exactly the
 * pause. In a sequential session the later unsettled parts and the session's end move with it (the
 * candidate loses no time in later parts); otherwise the session's end moves only as far as the
 * part's new end needs. A part may be paused at most `max_pause_minutes` in total (from the
 * definition): a pause that reaches the allowance ends by itself at that instant.
 */
import { Problem } from './problem.ts';
import { PART_SETTLED, type PartDoc, type PartStatus, type SessionTree } from './session.ts';
export type { PauseOrigin, PauseRecord, PauseRequest } from './session.ts';
import type { Timeslot } from './timeslot.ts';

const MIN = 60_000;
/** When a definition does not say how long its parts may be paused in total. */
export const DEFAULT_MAX_PAUSE_MINUTES = 30;
/** The statuses in which the candidate's clock runs, and so may be stopped. */
export const PAUSABLE: ReadonlySet<PartStatus> = new Set(['waiting', 'monitoring']);
/** How many times a part may be paused (its record stays under the item size limit). */
export const MAX_PAUSES = 50;

type Pausable = Pick<
  PartDoc,
  'order' | 'status' | 'paused' | 'pause_requested' | 'resume_requested' | 'pauses' | 'max_pause_minutes'
>;

/** The part's pause allowance in milliseconds. */
export const pauseAllowanceMs = (p: Pick<PartDoc, 'max_pause_minutes'>) =>
  (p.max_pause_minutes ?? DEFAULT_MAX_PAUSE_MINUTES) * MIN;

/** How long the part has been paused in total, its finished pauses only. */
export const pausedMs = (p: Pick<PartDoc, 'pauses'>) =>
  (p.pauses ?? []).reduce((n, x) => n + (Date.parse(x.until) - Date.parse(x.at)), 0);

/** The instant a pause that started at `at` ends by itself: when the allowance is used up. */
export const pauseLimitAt = (p: Pick<PartDoc, 'pauses' | 'max_pause_minutes'>, at: number) =>
  at + Math.max(0, pauseAllowanceMs(p) - pausedMs(p));

/** Why the part cannot be paused now, or undefined. An outstanding pause is not a refusal. */
export function pauseProblem(p: Pausable): Problem | undefined {
  if (!PAUSABLE.has(p.status))
    return new Problem(
      'state-conflict',
      `part ${p.order} is ${p.status}; only a waiting or monitored part can be paused`,
    );
  if (pauseAllowanceMs(p) - pausedMs(p) <= 0 || (p.pauses?.length ?? 0) >= MAX_PAUSES)
    return new Problem(
      'validation-error',
      `part ${p.order} has used its ${p.max_pause_minutes ?? DEFAULT_MAX_PAUSE_MINUTES} minutes (or ${MAX_PAUSES} pauses) of pause`,
      { errors: [{ pointer: '/', detail: 'no pause allowance left', rule: 'pause.max' }] },
    );
  return undefined;
}

/** Why the part cannot be resumed now, or undefined. */
export function resumeProblem(p: Pausable): Problem | undefined {
  if (!p.paused && !p.pause_requested) return new Problem('state-conflict', `part ${p.order} is not paused`);
  return undefined;
}

/** True while the part's clock is stopped (applied or asked for and not yet resumed). */
export const isPaused = (p: Pick<PartDoc, 'paused'>) => !!p.paused;

export interface ResumePlan {
  /** How long the pause lasted: everything below moved by exactly this. */
  pauseMs: number;
  /** The resumed part's and the shifted later parts' new windows and deadlines, by order. */
  parts: Map<number, { timeslot: Timeslot; deadline?: string }>;
  /** The session's new end, when it moves. */
  sessionEnd?: string;
  /** The session's new extension limit, when the end moves (a pause is not an extension). */
  extendLimit?: string;
}

const iso = (ms: number) => new Date(ms).toISOString();
const shift = (ts: Timeslot, ms: number, startToo: boolean): Timeslot => ({
  ...ts,
  ...(startToo ? { start: iso(Date.parse(ts.start) + ms) } : {}),
  end: iso(Date.parse(ts.end) + ms),
});

/**
 * What resuming part `order` at `resumeAt` moves. The pause lasted `resumeAt - paused.at` (never
 * less than zero): the part's deadline and window end move by it; in a sequential session every
 * later unsettled part that has not opened moves as a whole, and the session's end with them;
 * otherwise the session's end moves to the part's new end if that is later.
 */
export function planResume(t: SessionTree, order: number, resumeAt: number): ResumePlan {
  const part = t.parts.find((p) => p.order === order)!;
  const pauseMs = Math.max(0, resumeAt - Date.parse(part.paused!.at));
  const parts = new Map<number, { timeslot: Timeslot; deadline?: string }>();
  parts.set(order, {
    timeslot: shift(part.timeslot, pauseMs, false),
    ...(part.deadline ? { deadline: iso(Date.parse(part.deadline) + pauseMs) } : {}),
  });
  const s = t.session;
  let end = Date.parse(s.timeslot.end);
  if (s.part_execution === 'sequential') {
    for (const p of t.parts)
      if (p.order > order && !PART_SETTLED.has(p.status) && !p.activated_at)
        parts.set(p.order, { timeslot: shift(p.timeslot, pauseMs, true) });
    end += pauseMs;
  } else end = Math.max(end, Date.parse(parts.get(order)!.timeslot.end));
  if (end === Date.parse(s.timeslot.end) || pauseMs === 0) return { pauseMs, parts };
  const moved = end - Date.parse(s.timeslot.end);
  return {
    pauseMs,
    parts,
    sessionEnd: iso(end),
    ...(s.extend_limit ? { extendLimit: iso(Date.parse(s.extend_limit) + moved) } : {}),
  };
}
