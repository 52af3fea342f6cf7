/** Wires the native steps' ports from the environment (Lambda in AWS, the local runtime). */
import { CmlClient } from '../adapters/cml.ts';
import { LdsRestAdapter } from '../adapters/lds.ts';
import { S3Documents } from '../adapters/s3-documents.ts';
import { cmlCredentials, ldsCredentials } from '../adapters/secrets.ts';
import { podDefinitionDocument } from '../content/pod-definitions.ts';
import { Problem } from '../domain/problem.ts';
import type { HostType } from '../domain/lifecycle.ts';
import { topologyNeeds, type Licence } from '../domain/placement.ts';
import { documentClient } from '../runtime/aws-dynamodb.ts';
import { s3SdkOnFirstUse } from '../runtime/aws-s3-on-first-use.ts';
import { runtimeClock } from '../runtime/clock.ts';
import { env } from '../runtime/env.ts';
import { StateStore } from '../store/state-store.ts';
import type { NativePorts, PodContent } from './native.ts';

interface TopologyDoc {
  nodes?: { cpus?: number; ram?: number }[];
}

export function nativePorts(): NativePorts {
  const store = new StateStore(documentClient(), env('stateTable'));
  const clock = runtimeClock();
  // One invocation reads a pod definition's document once, however many steps and pods need it.
  const docs = new Map<string, Promise<Record<string, unknown>>>();
  const doc = (id: string) => {
    let d = docs.get(id);
    if (!d) docs.set(id, (d = podDefinitionDocument(id, s3SdkOnFirstUse, store)));
    return d;
  };
  return {
    store,
    clock,
    cml: async (worker) => {
      const creds = (await cmlCredentials(clock.now())).cml;
      if (!creds) throw new Problem('unauthorized', 'no CML credentials (the cml secret is empty)');
      const baseUrl = worker.cml_url ?? `https://${worker.address}`;
      return new CmlClient({ baseUrl, username: creds.username, password: creds.password });
    },
    lds: async () => {
      const cfg = await ldsCredentials(clock.now());
      if (!cfg.url || !cfg.token)
        throw new Problem('unauthorized', 'the lab delivery system secret has no url and token');
      return new LdsRestAdapter(cfg.url, cfg.token);
    },
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
      return {
        title: `lcm-${pod.id}`,
        topology,
        ports: (d.ports as string[] | undefined) ?? [],
        host_type: (d.host_type as HostType | null | undefined) ?? null,
        license: ((d.manifest as { license?: Licence } | undefined)?.license ?? null) as Licence | null,
        needs: topologyNeeds(topology),
      };
    },
    // S3 on first use (D212), as the pod definition read: most steps neither read nor archive.
    archive: async (key, body) =>
      new S3Documents(await s3SdkOnFirstUse(), env('artefactsBucket')).putAt(key, body),
  };
}
