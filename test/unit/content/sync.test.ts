import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../shared/domain/clock.ts';
import type { Problem } from '../../../shared/domain/problem.ts';
import {
  checkPodRef,
  syncContent,
  type PodDefinitionRecord,
  type SyncPorts,
} from '../../../shared/content/sync.ts';
import type { PodRef } from '../../../shared/catalog/types.ts';
import { samplePackage } from './packages.ts';

function fakes(
  formRefs: Record<string, PodRef | undefined> = {
    'ospf-basics': { pod_type: 'cml_on_aws', status: 'pending' },
  },
) {
  const records = new Map<string, PodDefinitionRecord>();
  const machines = new Map<string, string>();
  const docs = new Map<string, unknown>();
  const confirmed: string[] = [];
  const statusAtConfirm: string[] = [];
  const ports: SyncPorts = {
    stage: 'dev',
    clock: new ManualClock('2026-12-01T09:00:00Z'),
    targets: {
      nativeStepsArn: 'arn:aws:lambda:us-east-1:0:function:n',
      jobRunnerArn: 'arn:aws:lambda:us-east-1:0:function:j',
    },
    repo: {
      get: async (id) => structuredClone(records.get(id)),
      listByName: async (name) =>
        [...records.values()].filter((r) => r.name === name).map((r) => structuredClone(r)),
      put: async (r, expected) => {
        const cur = records.get(r.id);
        if ((cur?.state_version ?? null) !== expected && !(expected === null && !cur))
          throw new Error(`conflict on ${r.id}`);
        records.set(r.id, structuredClone(r));
      },
    },
    registrar: {
      register: async (name, def) => (
        machines.set(name, def),
        `arn:aws:states:us-east-1:0:stateMachine:${name}`
      ),
    },
    documents: { put: async (id, doc) => (docs.set(id, doc), `s3://content/definitions/${id}.json`) },
    forms: {
      confirm: async (contentId, ref) => {
        const existing = formRefs[contentId];
        checkPodRef(existing, ref);
        confirmed.push(`${contentId}→${ref.definition_id}`);
        statusAtConfirm.push(records.get(ref.definition_id)?.status ?? 'absent');
        return existing ? 1 : 0;
      },
    },
  };
  return { ports, records, machines, docs, confirmed, statusAtConfirm };
}

describe('content sync', () => {
  it('turns the sample lablet into a READY definition with a machine per phase and confirms the form', async () => {
    const f = fakes();
    const r = await syncContent(
      { source_uri: 's3://content/lablet.zip', bytes: await samplePackage('lablet-ospf-basics') },
      f.ports,
    );
    expect(r).toMatchObject({ status: 'ready', outcome: 'ready', forms_confirmed: 1 });
    expect(r.id).toMatch(/^pd_[0-9a-f]{16}$/);
    const rec = f.records.get(r.id)!;
    expect(rec.state_history.map((h) => h.to)).toEqual(['defined', 'synchronizing', 'ready']);
    expect(rec.state_machines).toEqual({
      instantiate: `dev-lcm-${r.id}-instantiate`,
      collect: `dev-lcm-${r.id}-collect`,
      grade: `dev-lcm-${r.id}-grade`,
      archive: `dev-lcm-${r.id}-archive`,
    });
    expect([...f.machines.keys()]).toHaveLength(4);
    expect(rec).toMatchObject({
      name: 'lablet-ospf-basics',
      pod_type: 'cml_on_aws',
      host_type: 'cml_on_aws',
      ports: ['rtr01_serial', 'rtr02_serial', 'rtr03_serial', 'sw01_serial'],
      jobs: ['grade@v1', 'post_init@v1'],
    });
    expect(f.docs.get(r.id)).toMatchObject({
      grading_rules: expect.any(Object),
      topology: expect.any(Object),
    });
    expect(f.confirmed).toEqual([`ospf-basics→${r.id}`]);
  });

  it('syncing identical bytes creates nothing', async () => {
    const f = fakes();
    const bytes = await samplePackage('lablet-ospf-basics');
    const a = await syncContent({ source_uri: 's3://content/a.zip', bytes }, f.ports);
    const versions = f.records.get(a.id)!.state_version;
    const b = await syncContent({ source_uri: 's3://content/a.zip', bytes }, f.ports);
    expect(b).toMatchObject({ id: a.id, outcome: 'unchanged' });
    expect(f.records.size).toBe(1);
    expect(f.records.get(a.id)!.state_version).toBe(versions);
  });

  it('a changed package of the same name supersedes the older definition', async () => {
    const f = fakes();
    const a = await syncContent(
      { source_uri: 's3://content/a.zip', bytes: await samplePackage('lablet-ospf-basics') },
      f.ports,
    );
    const changed = await samplePackage('lablet-ospf-basics', { 'PAv1/files/extra.txt': 'v2' });
    const b = await syncContent({ source_uri: 's3://content/a.zip', bytes: changed }, f.ports);
    expect(b.id).not.toBe(a.id);
    expect(b.superseded).toEqual([a.id]);
    expect(f.records.get(a.id)).toMatchObject({ status: 'superseded', superseded_by: b.id });
  });

  it('a broken package fails with diagnostics and registers nothing; force re-runs it', async () => {
    const f = fakes();
    const bytes = await samplePackage('lablet-ospf-basics', {
      'PAv1/grading/rubric.yaml':
        'kind: EvaluationRuleset\nspec:\n  max_points: 100\n  items:\n    - { id: a, points: 90, checks: [{ source: rtr01_ospf, regex: FULL }] }\n',
    });
    const r = await syncContent({ source_uri: 's3://content/bad.zip', bytes }, f.ports);
    expect(r.status).toBe('failed');
    expect(f.records.get(r.id)).toMatchObject({
      status: 'failed',
      error_message: '1 problem(s) in the package',
      error_detail: [
        expect.objectContaining({
          file: 'PAv1/grading/rubric.yaml',
          pointer: '/spec/max_points',
          rule: 'rubric.max_points_sum',
        }),
      ],
    });
    expect(f.machines.size).toBe(0);
    expect((await syncContent({ source_uri: 's3://content/bad.zip', bytes }, f.ports)).outcome).toBe(
      'unchanged',
    );
    const forced = await syncContent({ source_uri: 's3://content/bad.zip', bytes, force: true }, f.ports);
    expect(forced.outcome).toBe('failed');
    expect(f.records.get(r.id)!.state_history.map((h) => h.to)).toEqual([
      'defined',
      'synchronizing',
      'failed',
      'synchronizing',
      'failed',
    ]);
  });

  it('confirms the forms before the definition turns READY: whoever reads READY can schedule them', async () => {
    const f = fakes();
    const r = await syncContent(
      { source_uri: 's3://content/lablet.zip', bytes: await samplePackage('lablet-ospf-basics') },
      f.ports,
    );
    expect(r.status).toBe('ready');
    expect(f.statusAtConfirm).toEqual(['synchronizing']);
  });

  it('a form that cannot take the content fails the sync with a named diagnostic; nothing turns READY', async () => {
    const f = fakes({ 'ospf-basics': { pod_type: 'vmware', status: 'ready' } });
    const r = await syncContent(
      { source_uri: 's3://content/lablet.zip', bytes: await samplePackage('lablet-ospf-basics') },
      f.ports,
    );
    expect(r).toMatchObject({ status: 'failed', forms_confirmed: 0 });
    expect(r.diagnostics).toEqual([
      expect.objectContaining({ file: 'PAv1/manifest.yaml', rule: 'form.pod_type_changed' }),
    ]);
    expect(f.records.get(r.id)!.state_history.map((h) => h.to)).toEqual([
      'defined',
      'synchronizing',
      'failed',
    ]);
    expect(f.confirmed).toEqual([]);
  });

  it('confirming a form whose pod type would change is refused: 409; an unknown pod type: 400', () => {
    expect(() =>
      checkPodRef({ pod_type: 'vmware', status: 'ready' }, { pod_type: 'cml_on_aws', definition_id: 'pd_x' }),
    ).toThrow(expect.objectContaining({ kind: 'pod-type-changed', status: 409 }) as unknown as Problem);
    expect(() => checkPodRef(undefined, { pod_type: 'kubernetes', definition_id: 'pd_x' })).toThrow(
      expect.objectContaining({ kind: 'unknown-pod-type', status: 400 }) as unknown as Problem,
    );
  });
});
