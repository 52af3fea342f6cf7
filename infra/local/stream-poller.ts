/**
 * The DynamoDB Streams → Lambda event source mapping, locally: polls every shard of the state
 * table's stream (DynamoDB Local's real stream records), hands batches to the stream handler in
 * order, honours `batchItemFailures` (retry from the first failed record), bisects a batch on a
 * handler error, stops after the declared retry limit and sends what is left to an on-failure
 * list, so a poison record never blocks its shard.
 */
import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { StreamTrigger } from '../topology.ts';
import type { LocalFunctions } from './functions.ts';

export interface StreamFailure {
  function: string;
  firstSequenceNumber: string;
  lastSequenceNumber: string;
  records: number;
  error: string;
  at: string;
}

export interface PollerOptions {
  client: DynamoDBStreamsClient;
  streamArn: string;
  functionName: string;
  trigger: StreamTrigger;
  fns: LocalFunctions;
  pollIntervalMs?: number;
  /** Chaos: probability that a delivered batch is delivered a second time. */
  duplicateRate?: number;
  random?: () => number;
}

export class StreamPoller {
  readonly failures: StreamFailure[] = [];
  stats = {
    batches: 0,
    records: 0,
    duplicates: 0,
    retries: 0,
    lastDeliveryLatencyMs: 0,
    /** the slowest handler invocation for one batch, and the sum over all (mean = total / batches) */
    maxDeliveryLatencyMs: 0,
    totalDeliveryLatencyMs: 0,
  };
  #running = false;
  #loops = new Map<string, Promise<void>>();
  #busy = 0;
  #idleWaiters: (() => void)[] = [];
  #lastRecordAt = 0;

  constructor(private readonly o: PollerOptions) {}

  start(): void {
    if (this.#running) return;
    this.#running = true;
    void this.discover();
  }

  async stop(): Promise<void> {
    this.#running = false;
    await Promise.allSettled(this.#loops.values());
  }

  get running() {
    return this.#running;
  }

  /** True when the last poll of every shard found nothing and no batch is being handled. */
  get quiet() {
    return this.#busy === 0 && Date.now() - this.#lastRecordAt > (this.o.pollIntervalMs ?? 20) * 3;
  }

  private async discover(): Promise<void> {
    while (this.#running) {
      try {
        const out = await this.o.client.send(new DescribeStreamCommand({ StreamArn: this.o.streamArn }));
        for (const shard of out.StreamDescription?.Shards ?? []) {
          const id = shard.ShardId!;
          if (this.#loops.has(id)) continue;
          // A child shard waits for its parent to be drained, preserving per-key order.
          const parent = shard.ParentShardId ? this.#loops.get(shard.ParentShardId) : undefined;
          this.#loops.set(
            id,
            (parent ?? Promise.resolve()).then(() => this.pollShard(id)),
          );
        }
      } catch (e) {
        if (this.#running) console.error(`[stream] describe failed: ${(e as Error).message}`);
      }
      await sleep(1000);
    }
  }

  private async pollShard(shardId: string): Promise<void> {
    let iterator: string | undefined = (
      await this.o.client.send(
        new GetShardIteratorCommand({
          StreamArn: this.o.streamArn,
          ShardId: shardId,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      )
    ).ShardIterator;
    while (this.#running && iterator) {
      let out;
      try {
        out = await this.o.client.send(
          new GetRecordsCommand({ ShardIterator: iterator, Limit: this.o.trigger.batchSize }),
        );
      } catch (e) {
        if (!this.#running) return;
        console.error(`[stream] GetRecords failed on ${shardId}: ${(e as Error).message}`);
        await sleep(200);
        continue;
      }
      iterator = out.NextShardIterator;
      const records = out.Records ?? [];
      if (records.length === 0) {
        await sleep(this.o.pollIntervalMs ?? 20);
        continue;
      }
      this.#lastRecordAt = Date.now();
      this.#busy++;
      try {
        await this.deliver(
          records.map((r) => this.toLambdaRecord(r)),
          0,
        );
        // Chaos: each record is delivered again with probability duplicateRate (at-least-once).
        const again = this.o.duplicateRate
          ? records.filter(() => (this.o.random ?? Math.random)() < this.o.duplicateRate!)
          : [];
        if (again.length) {
          this.stats.duplicates += again.length;
          await this.deliver(
            again.map((r) => this.toLambdaRecord(r)),
            0,
          );
        }
      } finally {
        this.#busy--;
        this.#lastRecordAt = Date.now();
        if (this.#busy === 0) for (const w of this.#idleWaiters.splice(0)) w();
      }
    }
  }

  private toLambdaRecord(r: _Record): DynamoDBRecord {
    return {
      eventID: r.eventID,
      eventName: r.eventName as DynamoDBRecord['eventName'],
      eventVersion: r.eventVersion ?? '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: r.awsRegion,
      eventSourceARN: this.o.streamArn,
      dynamodb: {
        ApproximateCreationDateTime: r.dynamodb?.ApproximateCreationDateTime
          ? Math.floor(new Date(r.dynamodb.ApproximateCreationDateTime).getTime() / 1000)
          : undefined,
        Keys: r.dynamodb?.Keys as never,
        NewImage: wireImage(r.dynamodb?.NewImage) as never,
        OldImage: wireImage(r.dynamodb?.OldImage) as never,
        SequenceNumber: r.dynamodb?.SequenceNumber,
        SizeBytes: r.dynamodb?.SizeBytes,
        StreamViewType: r.dynamodb?.StreamViewType as never,
      },
    };
  }

  /** One batch, with AWS's retry, partial-failure and bisect semantics. */
  private async deliver(batch: DynamoDBRecord[], attemptsSoFar: number): Promise<void> {
    let pending = batch;
    let attempts = attemptsSoFar;
    while (pending.length) {
      const event: DynamoDBStreamEvent = { Records: pending };
      this.stats.batches++;
      this.stats.records += pending.length;
      let failedFrom: number;
      let error: string;
      const t0 = Date.now();
      try {
        const res = (await this.o.fns.invoke(this.o.functionName, event)) as
          { batchItemFailures?: { itemIdentifier: string }[] } | undefined;
        const took = Date.now() - t0;
        this.stats.lastDeliveryLatencyMs = took;
        this.stats.totalDeliveryLatencyMs += took;
        this.stats.maxDeliveryLatencyMs = Math.max(this.stats.maxDeliveryLatencyMs, took);
        const failed = new Set((res?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
        if (failed.size === 0) return;
        failedFrom = pending.findIndex((r) => failed.has(r.dynamodb?.SequenceNumber ?? ''));
        if (failedFrom < 0) failedFrom = 0; // an identifier we did not send: retry the whole batch, as Lambda does
        error = 'batch item failure';
      } catch (e) {
        // Powertools' FullBatchFailureError keeps each record's error in `recordErrors`.
        const each = (e as { recordErrors?: unknown[] }).recordErrors;
        error = [(e as Error).message, ...(each ?? []).map(describeError)].join(' | ');
        attempts++;
        if (attempts > this.o.trigger.maxRetries) return this.toFailure(pending, error);
        this.stats.retries++;
        if (this.o.trigger.bisectOnError && pending.length > 1) {
          const mid = Math.ceil(pending.length / 2);
          await this.deliver(pending.slice(0, mid), attempts);
          await this.deliver(pending.slice(mid), attempts);
          return;
        }
        await sleep(10 * attempts);
        continue;
      }
      attempts++;
      pending = pending.slice(failedFrom);
      if (attempts > this.o.trigger.maxRetries) return this.toFailure(pending, error);
      this.stats.retries++;
      await sleep(10 * attempts);
    }
  }

  private toFailure(records: DynamoDBRecord[], error: string): void {
    this.failures.push({
      function: this.o.functionName,
      firstSequenceNumber: records[0]?.dynamodb?.SequenceNumber ?? '',
      lastSequenceNumber: records.at(-1)?.dynamodb?.SequenceNumber ?? '',
      records: records.length,
      error,
      at: new Date().toISOString(),
    });
    console.error(`[stream] ${records.length} record(s) sent to the on-failure list after retries: ${error}`);
  }

  /** Resolves once the poller has nothing in hand and the last poll found nothing. */
  async settled(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.quiet) {
      if (Date.now() > deadline) throw new Error('stream poller did not settle');
      await sleep(10);
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The SDK's Streams client reads an empty map attribute (`{"M":{}}` on the wire) back as `{}`,
 * which no unmarshaller accepts; Lambda's event source mapping delivers the wire form. Restore it.
 */
export function wireImage(img: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!img) return img;
  const fix = (v: unknown): unknown => {
    if (!v || typeof v !== 'object') return v;
    const av = v as Record<string, unknown>;
    const keys = Object.keys(av).filter((k) => av[k] !== undefined);
    if (keys.length === 0) return { M: {} };
    if (keys.length === 1 && keys[0] === 'M')
      return {
        M: Object.fromEntries(Object.entries(av.M as Record<string, unknown>).map(([k, x]) => [k, fix(x)])),
      };
    if (keys.length === 1 && keys[0] === 'L') return { L: (av.L as unknown[]).map(fix) };
    return v;
  };
  return Object.fromEntries(Object.entries(img).map(([k, v]) => [k, fix(v)]));
}

/** A record's error with its cause (Powertools wraps the SDK's error: the cause says what failed). */
function describeError(x: unknown): string {
  const e = x as Error & { cause?: unknown };
  const own = String(e?.message ?? x);
  const c = e?.cause as Error | undefined;
  return c?.message ? `${own} (${c.name}: ${c.message})` : own;
}
