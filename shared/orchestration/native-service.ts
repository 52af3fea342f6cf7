/** Wires the native steps' ports from the environment (Lambda in AWS, the local runtime). */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { CmlClient } from '../adapters/cml.ts';
import { LdsRestAdapter, type LdsPort } from '../adapters/lds.ts';
import { S3Documents } from '../content/adapters.ts';
import { Problem } from '../domain/problem.ts';
import { documentClient, s3Client } from '../runtime/aws.ts';
import { runtimeClock } from '../runtime/clock.ts';
import { env, envOptional } from '../runtime/env.ts';
import { credentials } from '../scenario/lifecycle.ts';
import { keys } from '../store/keys.ts';
import { StateStore, type StoredItem } from '../store/state-store.ts';
import type { NativePorts, PodContent } from './native.ts';

let ldsCache: { at: number; port: LdsPort } | undefined;

async function ldsPort(now: number): Promise<LdsPort> {
  if (ldsCache && now - ldsCache.at < 300_000) return ldsCache.port;
  let cfg: { url?: string; token?: string } = {};
  if (process.env.LCM_LDS_CREDENTIALS) cfg = JSON.parse(process.env.LCM_LDS_CREDENTIALS) as typeof cfg;
  else if (envOptional('ldsSecretArn')) {
    const out = await new SecretsManagerClient({}).send(
      new GetSecretValueCommand({ SecretId: env('ldsSecretArn') }),
    );
    cfg = JSON.parse(out.SecretString ?? '{}') as typeof cfg;
  }
  if (!cfg.url || !cfg.token)
    throw new Problem('unauthorized', 'the lab delivery system secret has no url and token');
  const port = new LdsRestAdapter(cfg.url, cfg.token);
  ldsCache = { at: now, port };
  return port;
}

interface TopologyDoc {
  nodes?: { cpus?: number; ram?: number }[];
}

export function nativePorts(): NativePorts {
  const store = new StateStore(documentClient(), env('stateTable'));
  const clock = runtimeClock();
  const docs = new Map<string, Promise<Record<string, unknown>>>();
  const doc = (id: string) => {
    let d = docs.get(id);
    if (!d) {
      d = (async () => {
        const pd = await store.get<StoredItem & { document_ref?: string }>(keys.podDefinition(id));
        if (!pd?.document_ref) throw new Problem('not-found', `no synced pod definition ${id}`);
        return new S3Documents(s3Client(), env('contentBucket')).get(pd.document_ref);
      })();
      docs.set(id, d);
    }
    return d;
  };
  return {
    store,
    clock,
    cml: async (worker) => {
      const creds = (await credentials(clock.now())).cml;
      if (!creds) throw new Problem('unauthorized', 'no CML credentials (the cml secret is empty)');
      const baseUrl = worker.cml_url ?? `https://${worker.address}`;
      return new CmlClient({ baseUrl, username: creds.username, password: creds.password });
    },
    lds: () => ldsPort(clock.now()),
    content: async (podDefinitionId, pod): Promise<PodContent> => {
      if (!podDefinitionId)
        return {
          title: `lcm-${pod.id}`,
          topology: null,
          ports: ['node1_serial'],
          needs: { cpu_cores: 1, memory_gb: 1, nodes: 1 },
        };
      const d = await doc(podDefinitionId);
      const topology = (d.topology ?? null) as (Record<string, unknown> & TopologyDoc) | null;
      const nodes = topology?.nodes ?? [];
      return {
        title: `lcm-${pod.id}`,
        topology,
        ports: (d.ports as string[] | undefined) ?? [],
        needs: {
          cpu_cores: Math.max(
            1,
            nodes.reduce((s, n) => s + (n.cpus ?? 1), 0),
          ),
          memory_gb: Math.max(1, Math.ceil(nodes.reduce((s, n) => s + (n.ram ?? 512), 0) / 1024)),
          nodes: Math.max(1, nodes.length),
        },
      };
    },
    archive: async (key, body) => {
      const bucket = env('artefactsBucket');
      await s3Client().send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: JSON.stringify(body),
          ContentType: 'application/json',
        }),
      );
      return `s3://${bucket}/${key}`;
    },
  };
}
