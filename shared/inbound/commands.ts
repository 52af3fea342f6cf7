/**
 * External CloudEvents → commands on a session tree (DOMAIN.md §6). Pure mapping plus a small
 * conditional write: the candidate starting or ending a part, an external grade. Anything else is
 * acknowledged and ignored.
 */
import { iso } from '../domain/clock.ts';
import { Problem } from '../domain/problem.ts';
import type { CloudEvent } from '../events/cloudevent.ts';
import { INBOUND_EVENT_TYPES } from '../events/types.ts';
import { isConflict } from '../store/errors.ts';
import { keys } from '../store/keys.ts';
import type { StateStore, StoredItem } from '../store/state-store.ts';

export const ALLOWED_SOURCE_PREFIXES = ['lds.', 'grader.'];

export type InboundOutcome = { outcome: 'applied' | 'ignored'; detail: string };

export function assertAllowedSource(source: string): void {
  if (!ALLOWED_SOURCE_PREFIXES.some((p) => source.startsWith(p)))
    throw new Problem(
      'forbidden',
      `source "${source}" is not allow-listed (${ALLOWED_SOURCE_PREFIXES.join(', ')}*)`,
    );
}

export function targetOf(ce: CloudEvent): { session_id: string; part_order: number } {
  const data = (ce.data ?? {}) as { session_id?: string; part_order?: number };
  const m = /^sessions\/(ses_[0-9a-z]+)\/parts\/(\d+)$/.exec(ce.subject ?? '');
  const session_id = data.session_id ?? m?.[1];
  const part_order = data.part_order ?? (m ? Number(m[2]) : undefined);
  if (!session_id || !part_order)
    throw new Problem('validation-error', 'the event names no session part', {
      errors: [
        {
          pointer: '/subject',
          detail: 'give subject sessions/<id>/parts/<n> or data.session_id and data.part_order',
          rule: 'target',
        },
      ],
    });
  return { session_id, part_order };
}

export async function applyInbound(ce: CloudEvent, store: StateStore, now: number): Promise<InboundOutcome> {
  assertAllowedSource(ce.source);
  const patch = patchFor(ce, now);
  if (!patch) return { outcome: 'ignored', detail: `type ${ce.type} is not acted on` };
  const { session_id, part_order } = targetOf(ce);
  for (let attempt = 0; attempt < 5; attempt++) {
    const part = await store.get<StoredItem & { status: string }>(keys.part(session_id, part_order));
    if (!part) throw new Problem('not-found', `no part ${part_order} in session ${session_id}`);
    const verdict = patch.applies(part);
    if (verdict !== true) return { outcome: 'ignored', detail: verdict };
    try {
      await store.put(
        { ...part, ...patch.fields, updated_at: iso(now), state_version: part.state_version + 1 },
        part.state_version,
      );
      return { outcome: 'applied', detail: patch.describe };
    } catch (e) {
      if (!isConflict(e)) throw e;
    }
  }
  throw new Problem('conflict', 'the part kept changing; retry');
}

interface Patch {
  fields: Record<string, unknown>;
  describe: string;
  applies(part: StoredItem & { status: string }): true | string;
}

function patchFor(ce: CloudEvent, now: number): Patch | undefined {
  const reason = (ce.data as { reason?: string } | undefined)?.reason;
  switch (ce.type) {
    case INBOUND_EVENT_TYPES.ldsSessionRunning:
      return {
        fields: { candidate_started_at: iso(now) },
        describe: 'candidate started',
        applies: (p) =>
          p.candidate_started_at
            ? 'already started'
            : ['waiting', 'instantiating', 'pending'].includes(p.status)
              ? true
              : `part is ${p.status}`,
      };
    case INBOUND_EVENT_TYPES.ldsSessionEnded:
      return {
        fields: { end_requested: { at: iso(now), by: ce.source, ...(reason ? { reason } : {}) } },
        describe: 'candidate ended the part',
        applies: (p) =>
          p.end_requested
            ? 'already ended'
            : ['waiting', 'monitoring'].includes(p.status)
              ? true
              : `part is ${p.status}`,
      };
    default:
      return undefined;
  }
}
