/**
 * Issue 4 figures: the sample lablet's sync (in process, against in-memory ports, and through the
 * local runtime from bucket upload to READY), and the compile time per phase.
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ManualClock } from '../../shared/domain/clock.ts';
import { compileLifecycle } from '../../state-machines/compile.ts';
import { readZip } from '../../shared/content/package-reader.ts';
import { validatePackage } from '../../shared/content/validate.ts';
import { syncContent, type SyncPorts } from '../../shared/content/sync.ts';
import { DynamoPodDefinitions } from '../../shared/content/adapters.ts';
import { StateStore } from '../../shared/store/state-store.ts';
import { startLocalRuntime } from '../../infra/local/runtime.ts';
import { samplePackage } from '../unit/content/packages.ts';
import { percentile } from './stats.ts';
import type { BenchResult } from './run.ts';

export async function run(): Promise<BenchResult> {
  const zip = await samplePackage('lablet-ospf-basics');
  const r = await await validatePackage(await readZip(zip));
  if (!r.ok) throw new Error('sample invalid');
  const targets = {
    nativeStepsArn: 'arn:aws:lambda:us-east-1:0:function:n',
    jobRunnerArn: 'arn:aws:lambda:us-east-1:0:function:j',
  };
  const compileOnce = () =>
    compileLifecycle(r.fields.lifecycle, {
      stage: 'dev',
      podDefinitionId: 'pd_0123456789abcdef',
      podType: 'cml_on_aws',
      availableJobs: new Set(Object.keys(r.fields.jobs)),
      standardLifecycle: false,
      targets,
    });
  compileOnce();
  const reps = 20;
  let t0 = performance.now();
  for (let i = 0; i < reps; i++) compileOnce();
  const perPhase = (performance.now() - t0) / reps / r.fields.lifecycle_phases.length;

  t0 = performance.now();
  for (let i = 0; i < reps; i++) await validatePackage(await readZip(zip));
  const readValidate = (performance.now() - t0) / reps;

  const inMemory: number[] = [];
  for (let i = 0; i < 10; i++) {
    const bytes = await samplePackage('lablet-ospf-basics', { 'PAv1/files/n.txt': String(i) });
    const records = new Map();
    const ports: SyncPorts = {
      stage: 'dev',
      clock: new ManualClock(Date.now()),
      targets,
      repo: {
        get: async (id) => records.get(id),
        listByName: async () => [...records.values()],
        put: async (x) => void records.set(x.id, x),
      },
      registrar: { register: async (n) => n },
      documents: { put: async (id) => id },
      forms: { confirm: async () => 0 },
    };
    const s = performance.now();
    await syncContent({ source_uri: 's3://b/k.zip', bytes }, ports);
    inMemory.push(performance.now() - s);
  }

  const rt = await startLocalRuntime({ port: 0, log: () => undefined });
  try {
    const s3 = new S3Client({
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    const repo = new DynamoPodDefinitions(
      new StateStore(DynamoDBDocumentClient.from(new DynamoDBClient({})), rt.env.LCM_STATE_TABLE!),
    );
    const e2e: number[] = [];
    for (let i = 0; i < 5; i++) {
      const bytes = await samplePackage('lablet-ospf-basics', { 'PAv1/files/n.txt': `run ${i}` });
      const s = performance.now();
      await s3.send(
        new PutObjectCommand({ Bucket: rt.env.LCM_CONTENT_BUCKET, Key: `bench/${i}.zip`, Body: bytes }),
      );
      for (;;) {
        const all = await repo.listByName('lablet-ospf-basics');
        if (all.filter((d) => d.status === 'ready').length === 1 && all.length === i + 1) break;
        await new Promise((x) => setTimeout(x, 20));
      }
      e2e.push(performance.now() - s);
    }
    return {
      name: 'content sync and compilation',
      figures: {
        'compile time per phase (ms, incl. asl-validator)': perPhase,
        'read + validate the sample package (ms)': readValidate,
        'sync in process, in-memory ports, p50 (ms)': percentile(inMemory, 50),
        'upload → READY through the local runtime, p50 (ms)': percentile(e2e, 50),
        'upload → READY through the local runtime, max (ms)': Math.max(...e2e),
        'package size (bytes)': zip.length,
        'state machines per package': r.fields.lifecycle_phases.length,
      },
    };
  } finally {
    await rt.stop();
  }
}
