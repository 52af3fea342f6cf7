/**
 * Content sync (a package lands in the content bucket, or the API asks), written against ports so the Lambda, the CLI and the
 * tests share it: SHA-256 → deterministic pod definition id → `defined → synchronizing` →
 * read and validate → `ready` with every field (the document in the content bucket, the summary
 * on the item, the state machines registered) or `failed` with diagnostics → older READY
 * definitions of the same name and pod type `superseded` → the forms' pod refs confirmed.
 * The CloudEvents leave through the outbox when these status changes commit.
 */
import { createHash } from 'node:crypto';
import { iso, type Clock } from '../domain/clock.ts';
import { Problem } from '../domain/problem.ts';
import { newTimedResource, transition } from '../domain/timed-resource.ts';
import type { PodRef } from '../catalog/types.ts';
import type { PodType } from '../domain/lifecycle.ts';
import type { CompileTargets } from '../../state-machines/compile.ts';
import { ContentError, type Diagnostic } from './diagnostics.ts';
import { readZip } from './package-reader.ts';
import { validatePackage, type PodDefinitionFields } from './validate.ts';
import { checkPodRef, identityOf, podDefinitionId } from './identity.ts';

export type PodDefinitionStatus = 'defined' | 'synchronizing' | 'ready' | 'failed' | 'superseded' | 'expired';

export interface PodDefinitionRecord {
  id: string;
  name: string;
  version: string | null;
  content_id: string | null;
  pod_type: PodType | 'unknown';
  host_type: string | null;
  status: PodDefinitionStatus;
  desired_status: 'ready';
  state_version: number;
  state_history: { from: string | null; to: string; at: string; by: string; reason?: string }[];
  created_at: string;
  updated_at: string;
  content_hash: string;
  source_uri: string;
  devices?: PodDefinitionFields['devices'];
  ports?: string[];
  lifecycle_phases?: string[];
  lifecycle_source?: 'package' | 'standard';
  jobs?: string[];
  state_machines?: Record<string, string>;
  document_ref?: string;
  detection?: PodDefinitionFields['detection'];
  synced_at?: string;
  error_message?: string;
  /** The first MAX_DIAGNOSTICS diagnostics (the item stays under DynamoDB's 400 KB). */
  error_detail?: Diagnostic[];
  /** How many diagnostics the package had in all. */
  diagnostics_total?: number;
  superseded_by?: string;
}

export interface PodDefinitionRepository {
  get(id: string): Promise<PodDefinitionRecord | undefined>;
  listByName(name: string): Promise<PodDefinitionRecord[]>;
  /** Conditional: `expectedVersion` null = must not exist. */
  put(record: PodDefinitionRecord, expectedVersion: number | null): Promise<void>;
}

export interface StateMachineRegistrar {
  /** Create or update; returns the ARN. The same name and definition registers nothing new. */
  register(name: string, definition: string): Promise<string>;
}

export interface DocumentStore {
  /** Stores the full pod definition document; returns its reference (s3://…). */
  put(id: string, document: unknown): Promise<string>;
}

export interface FormConfirmer {
  /** Confirms every form delivering `content_id`; throws a Problem on a pod type conflict. */
  confirm(contentId: string, ref: PodRef & { definition_id: string }): Promise<number>;
}

export interface SyncPorts {
  repo: PodDefinitionRepository;
  registrar: StateMachineRegistrar;
  documents: DocumentStore;
  forms: FormConfirmer;
  clock: Clock;
  targets: CompileTargets;
  /** The deployment stage the machines are registered for (their names carry it). */
  stage: string;
}

export interface SyncInput {
  source_uri: string;
  bytes: Buffer;
  name?: string;
  force?: boolean;
}

export interface SyncResult {
  id: string;
  status: PodDefinitionStatus;
  outcome: 'ready' | 'failed' | 'unchanged';
  superseded: string[];
  diagnostics: Diagnostic[];
  forms_confirmed: number;
}

/**
 * Diagnostics kept on a failed definition (and returned by sync): the first 100, each message cut
 * to 500 characters, with the total beside them. A 1.1 MB package produced 17,911 (5.3 MB): the
 * `failed` write exceeded the 400 KB item limit and the definition stayed `synchronizing`.
 * `lcm content lint` still prints them all.
 */
export const MAX_DIAGNOSTICS = 100;
const MAX_MESSAGE = 500;
export const capDiagnostics = (d: Diagnostic[]): Diagnostic[] =>
  d
    .slice(0, MAX_DIAGNOSTICS)
    .map((x) =>
      x.message.length > MAX_MESSAGE ? { ...x, message: `${x.message.slice(0, MAX_MESSAGE - 1)}…` } : x,
    );

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** Reads and validates without writing anything: what `lcm content lint` and the API preview use. */
export async function inspectPackage(
  bytes: Buffer,
): Promise<{ hash: string; result: Awaited<ReturnType<typeof validatePackage>> }> {
  const hash = sha256(bytes);
  try {
    return { hash, result: await validatePackage(await readZip(bytes)) };
  } catch (e) {
    if (e instanceof ContentError)
      return { hash, result: { ok: false, diagnostics: e.diagnostics, partial: {} } };
    throw e;
  }
}

export { checkPodRef, identityOf, podDefinitionId };

export async function syncContent(input: SyncInput, ports: SyncPorts): Promise<SyncResult> {
  const { hash, result } = await inspectPackage(input.bytes);
  const { name, podType, id } = identityOf(input, result, hash);
  const now = ports.clock.now();
  const existing = await ports.repo.get(id);
  const unchanged = (r: PodDefinitionRecord): SyncResult => ({
    id,
    status: r.status,
    outcome: 'unchanged',
    superseded: [],
    diagnostics: r.error_detail ?? [],
    forms_confirmed: 0,
  });
  // A forced sync re-runs a failed definition, and reclaims one left `synchronizing` by a sync
  // that died (a worker crash, an unwritable result): it would stay there for ever otherwise.
  const reclaimable = existing?.status === 'failed' || existing?.status === 'synchronizing';
  if (existing && (!reclaimable || !input.force)) return unchanged(existing);

  // defined → synchronizing, written once (a forced re-sync moves failed/synchronizing → synchronizing).
  let rec: PodDefinitionRecord;
  if (existing)
    rec = {
      ...transition(existing, 'synchronizing', { now, by: 'content-sync', reason: 'forced re-sync' }),
      error_message: undefined,
      error_detail: undefined,
      diagnostics_total: undefined,
    };
  else {
    const defined = newTimedResource<PodDefinitionStatus, 'ready'>(
      id,
      'defined',
      'ready',
      now,
      'content-sync',
    );
    rec = {
      ...transition(defined, 'synchronizing', { now, by: 'content-sync', reason: 'package received' }),
      state_version: 1,
      name,
      version: (result.ok ? result.fields.version : result.partial.version) ?? null,
      content_id: (result.ok ? result.fields.content_id : result.partial.content_id) ?? null,
      pod_type: podType as PodType | 'unknown',
      host_type: result.ok ? result.fields.host_type : null,
      content_hash: hash,
      source_uri: input.source_uri,
    } as PodDefinitionRecord;
  }
  await ports.repo.put(rec, existing ? existing.state_version : null);

  const fail = async (all: Diagnostic[], message: string): Promise<SyncResult> => {
    const diagnostics = capDiagnostics(all);
    const failed = {
      ...transition(rec, 'failed', { now, by: 'content-sync', reason: message.slice(0, MAX_MESSAGE) }),
      error_message: message.slice(0, MAX_MESSAGE),
      error_detail: diagnostics,
      diagnostics_total: all.length,
    } as PodDefinitionRecord;
    await ports.repo.put(failed, rec.state_version);
    return { id, status: 'failed', outcome: 'failed', superseded: [], diagnostics, forms_confirmed: 0 };
  };
  if (!result.ok)
    return fail(
      result.diagnostics,
      `${result.diagnostics.length} problem(s) in the package${result.diagnostics.length > MAX_DIAGNOSTICS ? ` (the first ${MAX_DIAGNOSTICS} listed)` : ''}`,
    );

  const f = result.fields;
  let machines: Record<string, string>;
  try {
    // The compiler and its ASL validator (asl-validator, jsonata, jsonpath-plus) load on the first
    // package that gets this far: a sync of an unchanged or invalid package never compiles (D227).
    const { compileLifecycle } = await import('../../state-machines/compile.ts');
    const compiled = compileLifecycle(f.lifecycle, {
      stage: ports.stage,
      podDefinitionId: id,
      podType: f.pod_type,
      availableJobs: new Set(Object.keys(f.jobs)),
      standardLifecycle: f.lifecycle_source === 'standard',
      targets: ports.targets,
    });
    machines = {};
    for (const m of compiled) {
      await ports.registrar.register(m.name, m.definition);
      machines[m.phase] = m.name;
    }
  } catch (e) {
    return fail(
      [
        {
          file: 'PAv1/lifecycle.yaml',
          pointer: '',
          rule: 'lifecycle.compile',
          message: (e as Error).message,
        },
      ],
      'the lifecycle could not be compiled or registered',
    );
  }
  const document_ref = await ports.documents.put(id, {
    id,
    ...f,
    content_hash: hash,
    source_uri: input.source_uri,
  });
  // The forms first, READY last (D28): whoever reads READY can schedule the forms it delivers. A
  // form whose pod type would change fails the sync; nothing turns READY.
  let forms_confirmed: number;
  try {
    forms_confirmed = await ports.forms.confirm(f.content_id, {
      pod_type: f.pod_type,
      status: 'ready',
      definition_id: id,
      version: f.version,
      content_hash: hash,
      state_machines: machines,
    });
  } catch (e) {
    if (!(e instanceof Problem)) throw e;
    return fail(
      [
        {
          file: 'PAv1/manifest.yaml',
          pointer: '/pod_type',
          rule: `form.${e.kind.replaceAll('-', '_')}`,
          message: e.message,
        },
      ],
      'a form delivering this content cannot take it',
    );
  }
  const ready: PodDefinitionRecord = {
    ...transition(rec, 'ready', { now, by: 'content-sync', reason: 'validated and registered' }),
    version: f.version,
    content_id: f.content_id,
    host_type: f.host_type,
    devices: f.devices,
    ports: f.ports,
    lifecycle_phases: f.lifecycle_phases,
    lifecycle_source: f.lifecycle_source,
    jobs: Object.keys(f.jobs).sort(),
    state_machines: machines,
    document_ref,
    detection: f.detection,
    synced_at: iso(now),
  };
  await ports.repo.put(ready, rec.state_version);

  // Older READY definitions of the same name and pod type give way.
  const superseded: string[] = [];
  for (const old of await ports.repo.listByName(name)) {
    if (old.id === id || old.status !== 'ready' || old.pod_type !== f.pod_type) continue;
    const s = {
      ...transition(old, 'superseded', {
        now,
        by: 'content-sync',
        reason: `superseded by ${id}`,
        terminal: true,
      }),
      superseded_by: id,
    } as PodDefinitionRecord;
    await ports.repo.put(s, old.state_version);
    superseded.push(old.id);
  }
  return { id, status: 'ready', outcome: 'ready', superseded, diagnostics: [], forms_confirmed };
}
