/**
 * Can a session of this type, starting then, be hosted? (`GET /v1/availability`, D123.) The
 * session is planned exactly as booking it would plan it (definition, forms, part windows; the
 * same refusals), its pods' demand read from their content, and `canHost` answers beside the booked
 * demand, on the workers that run and those the bounds let start, with the CML boot time: a worker
 * that could only be started too late is a no, with the reason. Nothing is written.
 */
import { loadCatalog } from '../catalog/service.ts';
import { planSession } from '../catalog/plan.ts';
import type { Clock } from '../domain/clock.ts';
import { iso } from '../domain/clock.ts';
import type { SessionId } from '../domain/ids.ts';
import { Problem } from '../domain/problem.ts';
import { canHost, type FleetConfig } from '../domain/scaling.ts';
import type { StateStore } from '../store/state-store.ts';
import type { ViewStore } from '../store/views.ts';
import { bookedDemand, bookingsOfTree, type DemandOf } from './demand.ts';
import { allWorkers } from './reconcile.ts';
import { workerTemplates } from './templates.ts';

export interface AvailabilityQuery {
  session_type: string;
  start: string;
  fqn?: string;
}

export interface AvailabilityDeps {
  store: StateStore;
  views: ViewStore;
  clock: Clock;
  demandOf: DemandOf;
  config: FleetConfig;
}

const MIN = 60_000;
const ASKED = 'ses_availability' as SessionId;

export async function availability(deps: AvailabilityDeps, q: AvailabilityQuery) {
  const now = deps.clock.now();
  const start = Date.parse(q.start);
  if (Number.isNaN(start))
    throw new Problem('validation-error', 'start is not a date-time', {
      errors: [{ pointer: '/start', detail: 'an RFC 3339 date-time', rule: 'format' }],
    });
  const { definitions, forms } = await loadCatalog(deps.store, now);
  const definition = definitions.find((d) => d.session_type === q.session_type);
  const end = start + (definition?.timeslot_policy.default_duration_minutes ?? 60) * MIN;
  const { tree } = planSession({
    definitions,
    forms,
    request: {
      session_type: q.session_type,
      ...(q.fqn ? { fqn: q.fqn } : {}),
      timeslot: { start: iso(start), end: iso(end) },
      candidate: { candidate_id: 'availability' },
    },
    now,
    sessionId: ASKED,
    createdBy: 'availability',
    phasesFor: () => ({}),
  });
  const asked = await bookingsOfTree(tree, deps.demandOf);
  const [workers, templates, bookings] = await Promise.all([
    allWorkers(deps.store),
    workerTemplates(deps.store),
    bookedDemand(deps.views, deps.demandOf),
  ]);
  const answer = canHost(asked, { workers, templates, bookings, config: deps.config }, now);
  return {
    session_type: tree.session.session_type,
    start: iso(start),
    ...answer,
    pods: asked.map((b) => ({
      part_order: tree.pods.find((p) => p.id === b.pod_id)!.part_order,
      host_type: b.host_type,
      provision_at: iso(b.provision_at),
      needs: b.needs,
    })),
  };
}
