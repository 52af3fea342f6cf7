import { makeTimeslot } from '../../../shared/domain/timeslot.ts';
import { newTimedResource } from '../../../shared/domain/timed-resource.ts';
import type {
  PartDoc,
  PhaseExecution,
  PodDoc,
  SessionDoc,
  SessionTree,
} from '../../../shared/domain/session.ts';
import { iso } from '../../../shared/domain/clock.ts';
import { decide, recordPhaseOutcome, type Command } from '../../../shared/orchestration/decide.ts';

export const T0 = Date.parse('2026-12-01T09:00:00Z');
export const MIN = 60_000;
export const SID = 'ses_01jabcdefghjkmnpqrstvwxyz0';

const STANDARD = (pd: string, pod: boolean) =>
  pod
    ? {
        instantiate: `dev-lcm-${pd}-instantiate`,
        collect: `dev-lcm-${pd}-collect`,
        grade: `dev-lcm-${pd}-grade`,
        archive: `dev-lcm-${pd}-archive`,
      }
    : { instantiate: `dev-lcm-${pd}-instantiate`, grade: `dev-lcm-${pd}-grade` };

/** A part's current phase execution, attempt 1 of state machine `sm`, started at `startedAt`. */
export function execution(
  phase: string,
  name: string,
  startedAt: number,
  rest: Partial<PhaseExecution> = {},
): PhaseExecution {
  return {
    phase,
    execution_name: name,
    state_machine: 'sm',
    attempt: 1,
    started_at: iso(startedAt),
    ...rest,
  };
}

export function tree(opts: {
  execution: 'single' | 'sequential' | 'parallel';
  parts: { minutes: number; pod: boolean; lead?: number; review?: 'auto' | 'manual'; gates?: boolean }[];
  startOffsetMin?: number;
  abortOnFailure?: boolean;
}): SessionTree {
  const start = T0 + (opts.startOffsetMin ?? 60) * MIN;
  // As the planner lays them out: parallel parts all from the start, the others back to back.
  const parallel = opts.execution === 'parallel';
  const total = parallel
    ? Math.max(...opts.parts.map((p) => p.minutes))
    : opts.parts.reduce((n, p) => n + p.minutes, 0);
  const session: SessionDoc = {
    ...newTimedResource(SID, 'pending', 'completed', T0, 'api'),
    session_type: 't',
    part_execution: opts.execution,
    abort_on_part_failure: opts.abortOnFailure,
    timeslot: makeTimeslot({ start, end: start + total * MIN }),
    cut_score: 70,
    candidate: { candidate_id: 'c1' },
  } as SessionDoc;
  let cursor = start;
  const parts: PartDoc[] = opts.parts.map((p, i) => {
    const ts = makeTimeslot({
      start: cursor,
      end: cursor + p.minutes * MIN,
      lead_time_minutes: p.lead ?? 15,
    });
    if (!parallel) cursor += p.minutes * MIN;
    return {
      ...newTimedResource(`${SID}.p${i + 1}`, 'pending', 'pending', T0, 'api'),
      session_id: SID,
      order: i + 1,
      name: `part${i + 1}`,
      form: { fqn: `Exam CCIE EI v1.1 M${i + 1} F-1`, version: '1' },
      pod_definition_id: `pd_${i + 1}`,
      timeslot: ts,
      duration_minutes: p.minutes,
      gates_next: p.gates ?? opts.execution === 'sequential',
      review: p.review ?? 'auto',
      phases: STANDARD(`pd_${i + 1}`, p.pod),
    } as PartDoc;
  });
  const pods: PodDoc[] = opts.parts.flatMap((p, i) =>
    p.pod
      ? [
          {
            ...newTimedResource(`pod_${i + 1}`, 'pending', 'ready', T0, 'api'),
            session_id: SID,
            part_order: i + 1,
            index: 0,
            pod_type: 'cml_on_aws',
          } as PodDoc,
        ]
      : [],
  );
  return { session, parts, pods };
}

/**
 * Drives a tree with the pure decision and a scripted world: every started execution ends with
 * the outcome `world` chooses, "running" pods come up when instantiate succeeds, time advances in
 * steps. Returns the final tree and the history of commands.
 */
export function drive(
  t: SessionTree,
  opts: {
    until: number;
    stepMin?: number;
    outcome?: (c: Extract<Command, { kind: 'start_execution' }>) => 'succeeded' | 'failed';
    onStep?: (t: SessionTree, now: number) => void;
  },
) {
  let now = T0;
  const commands: Command[] = [];
  const versions: number[] = [];
  let cur = t;
  while (now <= opts.until) {
    for (let i = 0; i < 20; i++) {
      const d = decide(cur, now, 'dev');
      cur = d.tree;
      commands.push(...d.commands);
      versions.push(cur.session.state_version);
      let moved = false;
      for (const c of d.commands) {
        if (c.kind !== 'start_execution') continue;
        const outcome = opts.outcome?.(c) ?? 'succeeded';
        // The world: native steps move pods as the phase runs.
        for (const pod of cur.pods.filter((p) => p.part_order === c.part)) {
          if (c.phase === 'instantiate') pod.status = 'provisioning';
          if (c.phase === 'instantiate' && outcome === 'succeeded') pod.status = 'ready';
          if (c.phase === 'archive' && outcome === 'succeeded') pod.status = 'terminated';
        }
        moved =
          recordPhaseOutcome(
            cur,
            c.execution_name,
            outcome,
            outcome === 'failed' ? 'boom' : undefined,
            now,
          ) || moved;
      }
      opts.onStep?.(cur, now);
      if (!moved && d.changed.length === 0) break;
    }
    now += (opts.stepMin ?? 5) * MIN;
  }
  return { tree: cur, commands };
}

/** A running session of 60-minute parts, one per entry of `pods` (`true`: the part has a pod). */
export function running(execution: 'single' | 'sequential' | 'parallel', pods: boolean[]): SessionTree {
  const t = tree({ execution, parts: pods.map((pod) => ({ minutes: 60, pod })) });
  t.session.status = 'running';
  return t;
}
