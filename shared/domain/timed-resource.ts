import { iso } from './clock.ts';

export const STATE_HISTORY_LIMIT = 50;

/** One entry of `state_history`: the outbox announces one status change per entry. */
export interface StateTransition<S extends string = string> {
  from: S | null;
  to: S;
  at: string;
  by: string;
  reason?: string;
}

/** Every runtime resource: intent (`desired_status`) down, status up, versioned for OCC. */
export interface TimedResource<S extends string = string, D extends string = string> {
  id: string;
  status: S;
  desired_status: D;
  state_version: number;
  state_history: StateTransition<S>[];
  created_at: string;
  updated_at: string;
  started_at?: string;
  ended_at?: string;
}

export function newTimedResource<S extends string, D extends string>(
  id: string,
  status: S,
  desired: D,
  now: number,
  by: string,
): TimedResource<S, D> {
  const at = iso(now);
  return {
    id,
    status,
    desired_status: desired,
    state_version: 1,
    state_history: [{ from: null, to: status, at, by, reason: 'created' }],
    created_at: at,
    updated_at: at,
  };
}

/**
 * The one status transition: returns the resource moved to `to`, with one more history entry (the
 * oldest dropped past STATE_HISTORY_LIMIT) and `state_version` + 1; `started` stamps the first
 * start, `terminal` the end. Pure: the caller persists it conditioned on the old version.
 */
export function transition<S extends string, D extends string, R extends TimedResource<S, D>>(
  r: R & TimedResource<S, D>,
  to: NoInfer<S>,
  ctx: { now: number; by: string; reason?: string; terminal?: boolean; started?: boolean },
): R {
  const at = iso(ctx.now);
  const entry: StateTransition<S> = {
    from: r.status,
    to,
    at,
    by: ctx.by,
    ...(ctx.reason ? { reason: ctx.reason } : {}),
  };
  const history = [...r.state_history, entry].slice(-STATE_HISTORY_LIMIT);
  return {
    ...r,
    status: to,
    state_version: r.state_version + 1,
    state_history: history,
    updated_at: at,
    ...(ctx.started && !r.started_at ? { started_at: at } : {}),
    ...(ctx.terminal ? { ended_at: at } : {}),
  };
}
