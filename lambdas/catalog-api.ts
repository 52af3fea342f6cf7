/** GET /v1/session-definitions[/{type}] and GET /v1/forms (the resolution preview). */
import { httpHandler, route } from '../shared/api/http.ts';
import { catalogContracts } from '../shared/api/contracts/catalog.ts';
import { candidates } from '../shared/catalog/resolve.ts';
import { loadCatalog } from '../shared/catalog/service.ts';
import { formKey, type Requirements } from '../shared/catalog/types.ts';
import { Problem } from '../shared/domain/problem.ts';
import { strip } from '../shared/store/views.ts';
import { StateStore } from '../shared/store/state-store.ts';
import { documentClient } from '../shared/runtime/aws.ts';
import { env } from '../shared/runtime/env.ts';

const store = () => new StateStore(documentClient(), env('stateTable'));
const publicDoc = (x: object) => {
  const { seed_hash: _h, state_version: _v, ...rest } = strip(x as Record<string, unknown>);
  return rest;
};

interface PreviewQuery {
  selector?: string;
  track_type?: string;
  track_level?: string;
  track_acronym?: string;
  exam_version?: string;
  module_acronym?: string;
  requires_pod?: boolean;
  include_rejected?: boolean;
  limit?: number;
}

const list = (v?: string) =>
  v
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;

export const handler = httpHandler([
  route<unknown, { profile?: string }, unknown>(catalogContracts.listDefinitions, async (req) => {
    const { definitions } = await loadCatalog(store());
    const items = definitions
      .filter((d) => !req.query.profile || d.profile === req.query.profile)
      .map(publicDoc);
    return { status: 200, body: { items } };
  }),
  route<{ type: string }, unknown, unknown>(catalogContracts.getDefinition, async (req) => {
    const { definitions } = await loadCatalog(store());
    const d = definitions.find((x) => x.session_type === req.params.type);
    if (!d) throw new Problem('not-found', `no session definition "${req.params.type}"`);
    return { status: 200, body: publicDoc(d) };
  }),
  route<unknown, PreviewQuery, unknown>(catalogContracts.previewForms, async (req) => {
    const q = req.query;
    const requirements: Requirements = {
      ...(list(q.track_type) ? { track_types: list(q.track_type) } : {}),
      ...(list(q.track_level) ? { track_levels: list(q.track_level) } : {}),
      ...(list(q.track_acronym) ? { track_acronyms: list(q.track_acronym) } : {}),
      ...(list(q.exam_version) ? { exam_versions: list(q.exam_version) } : {}),
      ...(list(q.module_acronym) ? { module_acronyms: list(q.module_acronym) } : {}),
      ...(q.requires_pod !== undefined ? { requires_pod: q.requires_pod } : {}),
    };
    const { forms } = await loadCatalog(store());
    let c;
    try {
      c = candidates(forms, q.selector ?? '**', requirements);
    } catch (e) {
      if (e instanceof Problem)
        throw new Problem('validation-error', e.message, {
          errors: [{ pointer: '/query/selector', detail: e.message, rule: 'selector' }],
        });
      throw e;
    }
    const limit = q.limit ?? 100;
    return {
      status: 200,
      body: {
        selector: q.selector ?? '**',
        requirements,
        counts: c.counts,
        admitted: c.admitted.slice(0, limit).map((f) => ({
          id: formKey(f),
          fqn: f.fqn,
          version: f.version,
          status: f.status,
          exposure_count: f.exposure_count ?? 0,
          pod_type: f.pod_ref?.pod_type ?? 'none',
        })),
        ...(q.include_rejected ? { rejected: c.rejected.slice(0, limit) } : {}),
      },
    };
  }),
]);
