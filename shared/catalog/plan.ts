/**
 * Schedule-time planning, before anything is provisioned: choose the definition, pin each part's
 * form, lay out the part windows (sequential parts back to back unless the request gives
 * windows), validate that every part window lies inside the session (part ⊆ session) and that
 * the parts' durations fit together (Σ part durations ≤ session duration), and build the session
 * tree (session, parts, pod instances) ready to be written in one transaction. Pure: everything
 * it needs is passed in; every refusal is a Problem naming the failing field.
 */
import { iso } from '../domain/clock.ts';
import { partId, podInstanceId, type SessionId } from '../domain/ids.ts';
import { Problem, type ProblemError } from '../domain/problem.ts';
import { newTimedResource } from '../domain/timed-resource.ts';
import { DEFAULT_MAX_PAUSE_MINUTES } from '../domain/pause.ts';
import { makeTimeslot, type Timeslot } from '../domain/timeslot.ts';
import type { PartDoc, PodDoc, SessionDoc, SessionTree } from '../domain/session.ts';
import { compareVersions, parsePinned } from './fqn.ts';
import { eligibility, formFilter, pickForm } from './resolve.ts';
import { type Form, type PartDefinition, type SessionDefinition, hasPod } from './types.ts';

export interface CreateSessionRequest {
  session_type?: string;
  fqn?: string;
  timeslot: { start: string; end: string; lead_time_minutes?: number; teardown_buffer_minutes?: number };
  candidate: { candidate_id: string; first_name?: string; last_name?: string; email?: string };
  reservation_id?: string;
  parts?: { order: number; form?: string; window?: { start: string; end: string } }[];
  metadata?: Record<string, string | number | boolean>;
}

export interface PlanInput {
  definitions: SessionDefinition[];
  forms: Form[];
  request: CreateSessionRequest;
  now: number;
  sessionId: SessionId;
  createdBy: string;
  /** phase → state machine name for a form's content (its pod definition's, or the standard lifecycle's). */
  phasesFor(form: Form): Record<string, string>;
}

export interface Plan {
  tree: SessionTree;
  definition: SessionDefinition;
  pinned: { order: number; fqn: string; version: string }[];
}

const MAX_SESSION_MINUTES = 24 * 60;
const MIN = 60_000;
/** How far ahead a session may start when its definition does not say. */
export const DEFAULT_BOOKING_HORIZON_DAYS = 365;
/** How much later than booked a session may be extended when its definition does not say. */
export const DEFAULT_MAX_EXTENSION_MINUTES = 60;

export function planSession(input: PlanInput): Plan {
  const { request: req, now } = input;
  const definition = chooseDefinition(input);
  checkPartsCount(definition);
  const session = sessionTimeslot(req, definition, now);
  const overrides = new Map((req.parts ?? []).map((p, i) => [p.order, { ...p, index: i }]));
  for (const [order, o] of overrides)
    if (!definition.parts.some((p) => p.order === order))
      throw new Problem(
        'validation-error',
        `the definition ${definition.session_type} has no part ${order}`,
        {
          errors: [
            {
              pointer: `/parts/${o.index}/order`,
              detail: `parts are ${definition.parts.map((p) => p.order).join(', ')}`,
              rule: 'part.order',
            },
          ],
        },
      );

  const parts = [...definition.parts].sort((a, b) => a.order - b.order);
  const forms = pinForms(input, definition, parts, overrides);
  const windows = layOutWindows(definition, parts, session, overrides);

  const sessionDoc: SessionDoc = {
    ...newTimedResource(input.sessionId, 'pending', 'completed', now, input.createdBy),
    session_type: definition.session_type,
    definition_version: definition.version,
    addressed_by:
      definition.addressed_by === 'fqn' ? forms.get(parts[0]!.order)!.fqn : definition.session_type,
    part_execution: definition.part_execution,
    ...(definition.abort_on_part_failure ? { abort_on_part_failure: true } : {}),
    timeslot: session,
    extend_limit: iso(
      Math.min(
        Date.parse(session.end) +
          (definition.timeslot_policy.max_extension_minutes ?? DEFAULT_MAX_EXTENSION_MINUTES) * MIN,
        Date.parse(session.start) + MAX_SESSION_MINUTES * MIN,
      ),
    ),
    cut_score: definition.cut_score,
    candidate: req.candidate,
    ...(req.reservation_id ? { reservation_id: req.reservation_id } : {}),
  } as SessionDoc;
  const extra = sessionDoc as unknown as Record<string, unknown>;
  extra.created_by = input.createdBy;
  if (req.metadata) extra.metadata = req.metadata;
  extra.parts_summary = parts.map((p) => ({ order: p.order, name: p.name, form: pick(forms.get(p.order)!) }));

  const partDocs: PartDoc[] = [];
  const podDocs: PodDoc[] = [];
  for (const p of parts) {
    const form = forms.get(p.order)!;
    const ts = windows.get(p.order)!;
    partDocs.push({
      ...newTimedResource(partId(input.sessionId, p.order), 'pending', 'pending', now, input.createdBy),
      session_id: input.sessionId,
      order: p.order,
      name: p.name,
      form: pick(form),
      ...(form.pod_ref?.definition_id ? { pod_definition_id: form.pod_ref.definition_id } : {}),
      pod_type: form.pod_ref?.pod_type ?? 'none',
      timeslot: ts,
      duration_minutes: (Date.parse(ts.end) - Date.parse(ts.start)) / MIN,
      gates_next: p.gates_next,
      review: p.review ?? 'auto',
      ...(p.review === 'manual' && p.review_deadline_minutes !== undefined
        ? { review_deadline_minutes: p.review_deadline_minutes }
        : {}),
      phases: input.phasesFor(form),
      max_pause_minutes: definition.timeslot_policy.max_pause_minutes ?? DEFAULT_MAX_PAUSE_MINUTES,
    } as PartDoc);
    if (hasPod(form))
      podDocs.push({
        ...newTimedResource(
          podInstanceId(input.sessionId, p.order),
          'pending',
          'ready',
          now,
          input.createdBy,
        ),
        session_id: input.sessionId,
        part_order: p.order,
        index: 0,
        ...(form.pod_ref?.definition_id ? { pod_definition_id: form.pod_ref.definition_id } : {}),
        pod_type: form.pod_ref!.pod_type,
      } as PodDoc);
  }
  return {
    tree: { session: sessionDoc, parts: partDocs, pods: podDocs },
    definition,
    pinned: parts.map((p) => ({ order: p.order, ...pick(forms.get(p.order)!) })),
  };
}

const pick = (f: Form) => ({ fqn: f.fqn, version: f.version });

function chooseDefinition(input: PlanInput): SessionDefinition {
  const { request: req, definitions, forms } = input;
  if (!req.session_type && !req.fqn)
    throw new Problem('validation-error', 'give session_type or fqn', {
      errors: [{ pointer: '/session_type', detail: 'session_type or fqn is required', rule: 'required' }],
    });
  if (req.session_type) {
    const d = definitions.find((x) => x.session_type === req.session_type);
    if (!d)
      throw new Problem('unknown-session-type', `no session definition "${req.session_type}"`, {
        errors: [
          {
            pointer: '/session_type',
            detail: `known: ${definitions
              .map((x) => x.session_type)
              .sort()
              .join(', ')}`,
            rule: 'session_type',
          },
        ],
      });
    if (d.addressed_by === 'session_type' && req.fqn)
      throw new Problem(
        'ambiguous-addressing',
        `${d.session_type} sessions are addressed by session_type; fqn would be ignored (pin a part's form with parts[].form)`,
        { errors: [{ pointer: '/fqn', detail: 'not used by this session type', rule: 'addressed_by' }] },
      );
    if (d.addressed_by === 'fqn' && !req.fqn)
      throw new Problem('validation-error', `${d.session_type} sessions are addressed by the form's FQN`, {
        errors: [{ pointer: '/fqn', detail: 'is required for this session type', rule: 'addressed_by' }],
      });
    return d;
  }
  const { fqn } = parsePinned(req.fqn!, '/fqn');
  const form = forms.find((f) => f.fqn === fqn);
  if (!form)
    throw new Problem('unknown-form', `no form "${fqn}" in the catalog`, {
      errors: [{ pointer: '/fqn', detail: 'unknown FQN', rule: 'fqn.known' }],
    });
  const byFqn = definitions.filter((d) => d.addressed_by === 'fqn' && d.parts.length === 1);
  const d = byFqn.find(
    (x) => formFilter(x.parts[0]!.selector_pattern, x.parts[0]!.requirements)(form) !== 'selector',
  );
  if (!d)
    throw new Problem('unknown-session-type', `no FQN-addressed session type accepts "${fqn}"`, {
      errors: [
        {
          pointer: '/fqn',
          detail: `none of ${byFqn.map((x) => x.session_type).join(', ')} selects this form`,
          rule: 'addressed_by',
        },
      ],
    });
  return d;
}

/**
 * `requirements.parts_count`: how many parts of one session a selector may fill. Parts that share
 * a selector pattern count together; each one's parts_count bounds the group.
 */
function checkPartsCount(d: SessionDefinition): void {
  const bySelector = new Map<string, PartDefinition[]>();
  for (const p of d.parts)
    bySelector.set(p.selector_pattern, [...(bySelector.get(p.selector_pattern) ?? []), p]);
  for (const [selector, group] of bySelector)
    for (const p of group) {
      const max = p.requirements?.parts_count;
      if (max === undefined || group.length <= max) continue;
      throw new Problem(
        'parts-count-exceeded',
        `the definition ${d.session_type} has ${group.length} parts from "${selector}"; part ${p.order} (${p.name}) admits ${max}`,
        {
          errors: [
            {
              pointer: '/session_type',
              detail: `${group.length} parts share "${selector}" (orders ${group.map((x) => x.order).join(', ')}); parts_count is ${max}`,
              rule: 'requirements.parts_count',
            },
          ],
        },
      );
    }
}

function sessionTimeslot(req: CreateSessionRequest, d: SessionDefinition, now: number): Timeslot {
  const start = Date.parse(req.timeslot.start);
  const end = Date.parse(req.timeslot.end);
  const errors: ProblemError[] = [];
  if (!(end > start))
    errors.push({ pointer: '/timeslot/end', detail: 'must be after start', rule: 'timeslot.order' });
  else if (end - start > MAX_SESSION_MINUTES * MIN)
    errors.push({
      pointer: '/timeslot/end',
      detail: `a session lasts at most ${MAX_SESSION_MINUTES / 60} h`,
      rule: 'timeslot.max',
    });
  if (end <= now)
    errors.push({ pointer: '/timeslot/end', detail: 'is in the past', rule: 'timeslot.future' });
  const horizonDays = d.timeslot_policy.booking_horizon_days ?? DEFAULT_BOOKING_HORIZON_DAYS;
  if (start > now + horizonDays * 24 * 60 * MIN)
    errors.push({
      pointer: '/timeslot/start',
      detail: `${d.session_type} sessions are booked at most ${horizonDays} days ahead`,
      rule: 'timeslot.horizon',
    });
  if (errors.length) throw new Problem('invalid-timeslot', errors[0]!.detail, { errors });
  return makeTimeslot({
    start,
    end,
    lead_time_minutes: req.timeslot.lead_time_minutes ?? d.timeslot_policy.lead_time_minutes,
    teardown_buffer_minutes:
      req.timeslot.teardown_buffer_minutes ?? d.timeslot_policy.teardown_buffer_minutes,
  });
}

function pinForms(
  input: PlanInput,
  d: SessionDefinition,
  parts: PartDefinition[],
  overrides: Map<number, { form?: string; index: number }>,
): Map<number, Form> {
  const out = new Map<number, Form>();
  const used = new Set<string>();
  const problems: ProblemError[] = [];
  const explicit = (order: number) =>
    overrides.get(order)?.form ??
    (d.addressed_by === 'fqn' && order === parts[0]!.order ? input.request.fqn : undefined);
  // Explicit forms first, so the pool never hands out a form a later part asked for by name.
  for (const p of parts) {
    const wanted = explicit(p.order);
    if (!wanted) continue;
    const pointer = overrides.get(p.order)?.form ? `/parts/${overrides.get(p.order)!.index}/form` : '/fqn';
    const { fqn, version } = parsePinned(wanted, pointer);
    const versions = input.forms.filter((f) => f.fqn === fqn && (!version || f.version === version));
    if (!versions.length)
      throw new Problem('unknown-form', `no form "${wanted}" in the catalog`, {
        errors: [{ pointer, detail: 'unknown FQN or version', rule: 'fqn.known' }],
      });
    const filter = formFilter(p.selector_pattern, p.requirements);
    const fit = versions
      .filter((f) => filter(f) === undefined)
      .sort((a, b) => compareVersions(b.version, a.version));
    if (!fit.length) {
      const why = filter(versions[0]!) ?? eligibility(versions[0]!) ?? 'not eligible';
      problems.push({
        pointer,
        detail: `part ${p.order} (${p.name}) cannot use ${wanted}: ${why === 'selector' ? `does not match "${p.selector_pattern}"` : why}`,
        rule: 'form.eligible',
      });
      continue;
    }
    if (used.has(fit[0]!.fqn)) {
      problems.push({ pointer, detail: `${fqn} is already used by another part`, rule: 'form.unique' });
      continue;
    }
    used.add(fit[0]!.fqn);
    out.set(p.order, fit[0]!);
  }
  if (problems.length)
    throw new Problem('empty-pool', problems.map((e) => e.detail).join('; '), { errors: problems });
  for (const p of parts) {
    if (out.has(p.order)) continue;
    const r = pickForm(input.forms, p.selector_pattern, p.requirements, used);
    if ('form' in r) {
      used.add(r.form.fqn);
      out.set(p.order, r.form);
    } else {
      const sample = r.reasons.slice(0, 5).map((x) => `${x.form}: ${x.reason}`);
      problems.push({
        pointer: `/parts/${p.order - 1}`,
        detail: `part ${p.order} (${p.name}): no eligible form for "${p.selector_pattern}" (${r.counts.matched_selector} matched the selector${sample.length ? `; ${sample.join('; ')}` : ''})`,
        rule: 'pool.empty',
      });
    }
  }
  if (problems.length)
    throw new Problem('empty-pool', `no eligible form for ${problems.length} part(s)`, { errors: problems });
  return out;
}

function layOutWindows(
  d: SessionDefinition,
  parts: PartDefinition[],
  session: Timeslot,
  overrides: Map<number, { window?: { start: string; end: string }; index: number }>,
): Map<number, Timeslot> {
  const out = new Map<number, Timeslot>();
  const sStart = Date.parse(session.start);
  const sEnd = Date.parse(session.end);
  const slot = (start: number, end: number, p: PartDefinition) =>
    makeTimeslot({
      start,
      end,
      lead_time_minutes: p.lead_time_minutes ?? session.lead_time_minutes,
      teardown_buffer_minutes: session.teardown_buffer_minutes,
    });
  const explicitWindow = (p: PartDefinition) => {
    const o = overrides.get(p.order);
    if (!o?.window) return undefined;
    const start = Date.parse(o.window.start);
    const end = Date.parse(o.window.end);
    const pointer = `/parts/${o.index}/window`;
    if (!(end > start))
      throw new Problem('invalid-timeslot', `part ${p.order}: the window ends before it starts`, {
        errors: [{ pointer: `${pointer}/end`, detail: 'must be after start', rule: 'window.order' }],
      });
    if (start < sStart || end > sEnd)
      throw new Problem(
        'window-outside-session',
        `part ${p.order}'s window ${o.window.start}–${o.window.end} is outside the session ${session.start}–${session.end}`,
        {
          errors: [{ pointer, detail: 'must lie inside the session timeslot', rule: 'part ⊆ session' }],
        },
      );
    return { start, end, pointer };
  };

  // One rule for every profile: without explicit windows a part gets its full duration_minutes,
  // laid out from the session start (sequential: back to back); a session too short for that is
  // refused, never shrinks a part. Explicit windows are taken as given (inside the session).
  const sessionMinutes = (sEnd - sStart) / MIN;
  const needed = (p: PartDefinition) => (overrides.get(p.order)?.window ? 0 : p.duration_minutes);
  const total =
    d.part_execution === 'sequential'
      ? parts.reduce((n, p) => n + needed(p), 0)
      : Math.max(...parts.map(needed));
  if (d.part_execution === 'single') {
    const p = parts[0]!;
    const w = explicitWindow(p);
    if (!w && total > sessionMinutes)
      throw new Problem(
        'windows-do-not-fit',
        `part ${p.order} (${p.name}) needs ${p.duration_minutes} min; the session lasts ${sessionMinutes} min`,
        {
          errors: [
            {
              pointer: '/timeslot',
              detail: `Σ part durations (${total} min) > session duration (${sessionMinutes} min)`,
              rule: 'Σ parts ≤ session',
            },
          ],
        },
      );
    out.set(p.order, slot(w?.start ?? sStart, w?.end ?? sStart + p.duration_minutes * MIN, p));
    return out;
  }
  // The cumulative rule: the parts' durations must fit in the session.
  if (d.part_execution === 'sequential' && total > sessionMinutes)
    throw new Problem(
      'windows-do-not-fit',
      `the parts need ${total} min back to back; the session lasts ${sessionMinutes} min`,
      {
        errors: [
          {
            pointer: '/timeslot',
            detail: `Σ part durations (${total} min) > session duration (${sessionMinutes} min)`,
            rule: 'Σ parts ≤ session',
          },
        ],
      },
    );
  let cursor = sStart;
  let prevEnd = sStart;
  for (const p of parts) {
    const w = explicitWindow(p);
    if (d.part_execution === 'parallel') {
      const start = w?.start ?? sStart;
      const end = w?.end ?? Math.min(sEnd, sStart + p.duration_minutes * MIN);
      if (!w && sStart + p.duration_minutes * MIN > sEnd)
        throw new Problem(
          'windows-do-not-fit',
          `part ${p.order} needs ${p.duration_minutes} min; the session lasts ${sessionMinutes} min`,
          {
            errors: [
              {
                pointer: '/timeslot',
                detail: 'a parallel part must fit in the session',
                rule: 'part ⊆ session',
              },
            ],
          },
        );
      out.set(p.order, slot(start, end, p));
      continue;
    }
    if (w) {
      if (w.start < prevEnd)
        throw new Problem(
          'windows-do-not-fit',
          `part ${p.order}'s window starts before part ${p.order - 1} ends`,
          {
            errors: [
              {
                pointer: w.pointer,
                detail: `sequential parts may not overlap (previous ends ${iso(prevEnd)})`,
                rule: 'sequential.order',
              },
            ],
          },
        );
      out.set(p.order, slot(w.start, w.end, p));
      prevEnd = w.end;
      cursor = w.end;
      continue;
    }
    const start = Math.max(cursor, prevEnd);
    const end = start + p.duration_minutes * MIN;
    if (end > sEnd)
      throw new Problem(
        'windows-do-not-fit',
        `part ${p.order} would end at ${iso(end)}, after the session ends at ${session.end}`,
        {
          errors: [
            {
              pointer: `/parts/${p.order - 1}`,
              detail: 'the laid-out window does not fit in the session',
              rule: 'part ⊆ session',
            },
          ],
        },
      );
    out.set(p.order, slot(start, end, p));
    prevEnd = end;
    cursor = end;
  }
  return out;
}
