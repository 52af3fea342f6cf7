/** The sync's ports on AWS services: DynamoDB (pod definitions, forms), Step Functions, S3. */
import {
  CreateStateMachineCommand,
  StateMachineAlreadyExists,
  UpdateStateMachineCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { PutObjectCommand, GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { keys } from '../store/keys.ts';
import type { StateStore, StoredItem } from '../store/state-store.ts';
import { PARTITIONS } from '../store/keys.ts';
import type { Form, PodRef } from '../catalog/types.ts';
import {
  checkPodRef,
  type DocumentStore,
  type FormConfirmer,
  type PodDefinitionRecord,
  type PodDefinitionRepository,
  type StateMachineRegistrar,
} from './sync.ts';

export class DynamoPodDefinitions implements PodDefinitionRepository {
  constructor(private readonly store: StateStore) {}
  get(id: string) {
    return this.store.get(keys.podDefinition(id)) as Promise<(PodDefinitionRecord & StoredItem) | undefined>;
  }
  async listByName(name: string): Promise<PodDefinitionRecord[]> {
    const out: PodDefinitionRecord[] = [];
    let cursor: Record<string, unknown> | undefined;
    do {
      const page = await this.store.queryIndex<PodDefinitionRecord>(
        'gsi1',
        'gsi1pk',
        keys.podDefinitionByName(name),
        { cursor, forward: false },
      );
      out.push(...page.items);
      cursor = page.cursor;
    } while (cursor);
    return out;
  }
  put(r: PodDefinitionRecord, expectedVersion: number | null) {
    const clean = Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined));
    return this.store.put(
      {
        ...keys.podDefinition(r.id),
        gsi1pk: keys.podDefinitionByName(r.name),
        gsi1sk: `${r.created_at}#${r.id}`,
        entity: 'pod_definition',
        ...clean,
        state_version: r.state_version,
      } as StoredItem,
      expectedVersion,
    );
  }
}

export class SfnRegistrar implements StateMachineRegistrar {
  constructor(
    private readonly sfn: SFNClient,
    private readonly roleArn: string,
    private readonly arnOf: (name: string) => string,
    private readonly logGroupArn?: string,
  ) {}

  /** Errors to the stack's state-machine log group, and X-Ray traces, for every registered machine. */
  private get observability() {
    if (!this.logGroupArn) return {};
    const logGroupArn = `${this.logGroupArn.replace(/:\*$/, '')}:*`;
    return {
      loggingConfiguration: {
        level: 'ERROR' as const,
        includeExecutionData: false,
        destinations: [{ cloudWatchLogsLogGroup: { logGroupArn } }],
      },
      tracingConfiguration: { enabled: true },
    };
  }

  async register(name: string, definition: string): Promise<string> {
    try {
      const out = await this.sfn.send(
        new CreateStateMachineCommand({
          name,
          definition,
          roleArn: this.roleArn,
          type: 'STANDARD',
          ...this.observability,
        }),
      );
      return out.stateMachineArn!;
    } catch (e) {
      if (!(e instanceof StateMachineAlreadyExists)) throw e;
      const arn = this.arnOf(name);
      await this.sfn.send(
        new UpdateStateMachineCommand({
          stateMachineArn: arn,
          definition,
          roleArn: this.roleArn,
          ...this.observability,
        }),
      );
      return arn;
    }
  }
}

export class S3Documents implements DocumentStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}
  async put(id: string, document: unknown): Promise<string> {
    const key = `definitions/${id}.json`;
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: JSON.stringify(document),
        ContentType: 'application/json',
      }),
    );
    return `s3://${this.bucket}/${key}`;
  }
  async get(ref: string): Promise<Record<string, unknown>> {
    const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(ref);
    if (!m) throw new Error(`not an s3 reference: ${ref}`);
    const out = await this.s3.send(new GetObjectCommand({ Bucket: m[1], Key: m[2] }));
    return JSON.parse(await out.Body!.transformToString()) as Record<string, unknown>;
  }
}

/** Confirms the pod ref of every form that delivers this content, conditionally, re-reading on a race. */
export class StoreFormConfirmer implements FormConfirmer {
  constructor(
    private readonly store: StateStore,
    private readonly now: () => string,
  ) {}
  async confirm(contentId: string, ref: PodRef & { definition_id: string }): Promise<number> {
    const forms = (await this.store.queryPartition<StoredItem & Form>(PARTITIONS.forms)).filter(
      (f) => f.content_id === contentId,
    );
    // Every form is checked before any is written: a refusal changes nothing.
    for (const f of forms) checkPodRef(f.pod_ref, ref);
    let n = 0;
    for (const f of forms) {
      let wrote = false;
      await this.store.update<StoredItem & Form>(keys.form(f.fqn, f.version), (cur) => {
        wrote = !(cur.pod_ref?.definition_id === ref.definition_id && cur.pod_ref.status === 'ready');
        return wrote ? { ...cur, pod_ref: ref, updated_at: this.now() } : undefined;
      });
      if (wrote) n++;
    }
    return n;
  }
}
