/**
 * Issue: content sync. A package uploaded to the content bucket becomes a READY pod definition
 * with its state machines, announced on the bus; broken ones fail with named diagnostics;
 * identical bytes create nothing; a changed package supersedes.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { S3Client } from '@aws-sdk/client-s3';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { api, busEvents, contentBucket, hasLocalEndpoints, waitFor } from './support/api.ts';
import { samplePackage } from '../unit/content/packages.ts';

let s3: S3Client;
let bucket: string;
beforeAll(() => {
  ({ s3, bucket } = contentBucket());
});

interface PodDef {
  id: string;
  name: string;
  status: string;
  state_machines?: Record<string, string>;
  error_detail?: { file: string; pointer: string; rule: string }[];
  superseded_by?: string;
}

const upload = (key: string, body: Buffer) =>
  s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
const events = async (type: string, id: string) =>
  (await busEvents()).filter((e) => e['detail-type'] === type && e.detail.data.id === id);

describe('content sync through the local content bucket', () => {
  // How fast (upload → READY) is `npm run bench content`'s figure; here, that it happens.
  it('the sample lablet becomes READY with a machine per phase and a ready event', async () => {
    const zip = await samplePackage('lablet-ospf-basics', {
      'PAv1/files/e2e-marker.txt': `first ${Date.now()}`,
    });
    await upload('e2e/lablet-ospf-basics.zip', zip);
    const ready = await waitFor(
      'pod_definition.ready',
      async () => {
        const list = await api<{ items: PodDef[] }>('GET', '/v1/pod-definitions?name=lablet-ospf-basics');
        return list.body.items.find((d) => d.status === 'ready');
      },
      120_000,
    );
    expect(Object.keys(ready.state_machines ?? {}).sort()).toEqual([
      'archive',
      'collect',
      'grade',
      'instantiate',
    ]);
    const full = await api<PodDef & { grading_rules: unknown; topology: unknown }>(
      'GET',
      `/v1/pod-definitions/${ready.id}`,
    );
    expect(full.body.grading_rules).toBeTruthy();
    expect(full.body.topology).toBeTruthy();
    if (hasLocalEndpoints()) {
      const ev = await waitFor('ready event', async () =>
        (await events('lcm.pod_definition.ready.v1', ready.id)).length
          ? events('lcm.pod_definition.ready.v1', ready.id)
          : undefined,
      );
      expect(ev).toHaveLength(1);
    }
  });

  it('a broken package fails its sync with a diagnostic naming the file and rule', async () => {
    const zip = await samplePackage('lablet-ospf-basics', {
      'PAv1/manifest.yaml':
        'format_version: PAv1\nname: e2e-broken\nversion: 1.0.0\ncontent_id: e2e-broken\npod_type: proxmox\n',
    });
    await upload('e2e/broken.zip', zip);
    const failed = await waitFor(
      'sync_failed',
      async () =>
        (await api<{ items: PodDef[] }>('GET', '/v1/pod-definitions?name=e2e-broken')).body.items.find(
          (d) => d.status === 'failed',
        ),
      120_000,
    );
    expect(failed.error_detail).toContainEqual(
      expect.objectContaining({ file: 'PAv1/manifest.yaml', rule: 'pod_type.contradiction' }),
    );
  });

  it('POST /v1/content/sync: identical bytes create nothing; a changed package supersedes and says so', async () => {
    const v1 = await samplePackage('lablet-ospf-basics', {
      'PAv1/manifest.yaml':
        'format_version: PAv1\nname: e2e-supersede\nversion: 1.0.0\ncontent_id: e2e-supersede\npod_type: cml_on_aws\n',
    });
    await upload('e2e/supersede-v1.zip', v1);
    const first = await waitFor(
      'v1 ready',
      async () =>
        (await api<{ items: PodDef[] }>('GET', '/v1/pod-definitions?name=e2e-supersede')).body.items.find(
          (d) => d.status === 'ready',
        ),
      120_000,
    );
    const again = await api<{ pod_definition_id: string; status: string }>('POST', '/v1/content/sync', {
      source_uri: `s3://${bucket}/e2e/supersede-v1.zip`,
    });
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ pod_definition_id: first.id, status: 'ready' });
    const v2 = await samplePackage('lablet-ospf-basics', {
      'PAv1/manifest.yaml':
        'format_version: PAv1\nname: e2e-supersede\nversion: 1.1.0\ncontent_id: e2e-supersede\npod_type: cml_on_aws\n',
    });
    await upload('e2e/supersede-v2.zip', v2);
    const old = await waitFor(
      'superseded',
      async () =>
        (await api<{ items: PodDef[] }>('GET', '/v1/pod-definitions?name=e2e-supersede')).body.items.find(
          (d) => d.id === first.id && d.status === 'superseded',
        ),
      120_000,
    );
    expect(old.superseded_by).toMatch(/^pd_/);
    const list = await api<{ items: PodDef[] }>('GET', '/v1/pod-definitions?name=e2e-supersede');
    expect(list.body.items).toHaveLength(2);
    if (hasLocalEndpoints()) {
      const ev = await waitFor('superseded event', async () =>
        (await events('lcm.pod_definition.superseded.v1', first.id)).length
          ? events('lcm.pod_definition.superseded.v1', first.id)
          : undefined,
      );
      expect(ev[0]!.detail.data).toMatchObject({ superseded_by: old.superseded_by });
    }
  });

  it('POST /v1/content/sync refuses a missing object and another bucket', async () => {
    expect((await api('POST', '/v1/content/sync', { source_uri: `s3://${bucket}/nope.zip` })).status).toBe(
      404,
    );
    expect((await api('POST', '/v1/content/sync', { source_uri: 's3://other-bucket/x.zip' })).status).toBe(
      422,
    );
  });
});
