/**
 * `lcm ops redrive`: the dead letters of a stage handed back to the functions they failed in.
 *
 * Three kinds of letter reach the stage's queues (`<stage>-lcm-*-dlq`):
 * - **stream**: a DynamoDB stream batch the dispatcher gave up on. The letter holds only where the
 *   batch was (shard, first and last sequence number); the records are re-read from the stream
 *   while it still holds them (24 h), and the ones it no longer holds are named, not invented.
 * - **event**: an EventBridge event a rule's target did not take; re-delivered to the target.
 * - **async**: an asynchronous invocation that failed; its payload re-delivered to the function.
 *
 * A letter is deleted only when the function took it without error (for a stream batch: no item
 * failure); otherwise it stays for the next run or a person. Consumers are idempotent (every
 * stream record and event is), so a redrive of something that did go through changes nothing.
 */
import {
  DeleteMessageCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type DynamoDBStreamsClient,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';

export interface RedriveClients {
  sqs: SQSClient;
  streams: DynamoDBStreamsClient;
  lambda: LambdaClient;
}

export type RedriveOutcome = 'redriven' | 'partly-gone' | 'gone' | 'failed' | 'would-redrive' | 'unknown';

export interface RedriveRow {
  queue: string;
  messageId: string;
  kind: 'stream' | 'event' | 'async' | 'unknown';
  target: string;
  outcome: RedriveOutcome;
  /** Records handed to the function (stream letters). */
  records?: number;
  /** Records of the batch the stream no longer holds. */
  gone?: number;
  detail?: string;
}

interface StreamBatchInfo {
  shardId: string;
  startSequenceNumber: string;
  endSequenceNumber: string;
  batchSize?: number;
  streamArn: string;
}

/** Letters read per queue in one run, at most (a run can be repeated). */
const MAX_PER_QUEUE = 1000;
/** Seconds a letter this run kept stays invisible, so the run does not read it twice. */
const VISIBILITY_SECONDS = 120;
/** GetRecords pages read per batch before giving up looking for its last record. */
const MAX_PAGES = 50;

export async function redriveDeadLetters(
  c: RedriveClients,
  queueUrls: string[],
  opts: { dryRun?: boolean } = {},
): Promise<RedriveRow[]> {
  const rows: RedriveRow[] = [];
  for (const queue of queueUrls) {
    const seen = new Set<string>();
    while (seen.size < MAX_PER_QUEUE) {
      const out = await c.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queue,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
          MessageAttributeNames: ['All'],
          // A dry run leaves every letter visible; the seen set ends the loop.
          VisibilityTimeout: opts.dryRun ? 0 : VISIBILITY_SECONDS,
        }),
      );
      const fresh = (out.Messages ?? []).filter((m) => m.MessageId && !seen.has(m.MessageId));
      if (!fresh.length) break;
      for (const m of fresh) {
        seen.add(m.MessageId!);
        const row = await redriveOne(c, queue, m, opts.dryRun ?? false);
        rows.push(row);
        if (row.outcome === 'redriven')
          await c.sqs.send(new DeleteMessageCommand({ QueueUrl: queue, ReceiptHandle: m.ReceiptHandle }));
      }
    }
  }
  return rows;
}

async function redriveOne(
  c: RedriveClients,
  queue: string,
  m: Message,
  dryRun: boolean,
): Promise<RedriveRow> {
  return redriveLetter(
    c,
    { queue, messageId: m.MessageId ?? '', body: m.Body ?? '' },
    m.MessageAttributes?.TARGET_ARN?.StringValue,
    dryRun,
  );
}

/**
 * One letter, wherever it was read from (an SQS queue, or the local runtime's dead letters, which
 * have no queue): classified by its body as above and handed back to its function.
 */
export async function redriveLetter(
  c: Pick<RedriveClients, 'lambda' | 'streams'>,
  letter: { queue: string; messageId: string; body: string },
  targetArn: string | undefined,
  dryRun: boolean,
): Promise<RedriveRow> {
  const base = { queue: letter.queue, messageId: letter.messageId };
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(letter.body) as Record<string, unknown>;
  } catch {
    return { ...base, kind: 'unknown', target: '', outcome: 'unknown', detail: 'the body is not JSON' };
  }
  const ctx = body.requestContext as { functionArn?: string } | undefined;
  const batch = body.DDBStreamBatchInfo as StreamBatchInfo | undefined;
  if (batch && ctx?.functionArn) return redriveStream(c, base, ctx.functionArn, batch, dryRun);
  if (targetArn) return deliver(c, { ...base, kind: 'event', target: targetArn }, body, dryRun);
  if (ctx?.functionArn && 'requestPayload' in body)
    return deliver(c, { ...base, kind: 'async', target: ctx.functionArn }, body.requestPayload, dryRun);
  return {
    ...base,
    kind: 'unknown',
    target: '',
    outcome: 'unknown',
    detail: 'not a stream, event or async letter',
  };
}

async function deliver(
  c: Pick<RedriveClients, 'lambda'>,
  row: Omit<RedriveRow, 'outcome'>,
  payload: unknown,
  dryRun: boolean,
): Promise<RedriveRow> {
  if (dryRun) return { ...row, outcome: 'would-redrive' };
  const failure = await invoke(c, row.target, payload);
  return failure ? { ...row, outcome: 'failed', detail: failure } : { ...row, outcome: 'redriven' };
}

/** Invokes synchronously; answers why the function did not take the payload, if it did not. */
async function invoke(
  c: Pick<RedriveClients, 'lambda'>,
  fn: string,
  payload: unknown,
): Promise<string | undefined> {
  try {
    const out = await c.lambda.send(
      new InvokeCommand({
        FunctionName: fn,
        InvocationType: 'RequestResponse',
        Payload: Buffer.from(JSON.stringify(payload)),
      }),
    );
    const text = out.Payload ? Buffer.from(out.Payload).toString('utf8') : '';
    if (out.FunctionError) return `${out.FunctionError}: ${text}`;
    const answer = text ? (JSON.parse(text) as { batchItemFailures?: unknown[] } | null) : null;
    if (answer?.batchItemFailures?.length)
      return `the function failed ${answer.batchItemFailures.length} record(s) again`;
    return undefined;
  } catch (e) {
    return `${(e as Error).name}: ${(e as Error).message}`;
  }
}

const seq = (s: string | undefined) => BigInt(s ?? '0');

async function redriveStream(
  c: Pick<RedriveClients, 'lambda' | 'streams'>,
  base: { queue: string; messageId: string },
  fn: string,
  b: StreamBatchInfo,
  dryRun: boolean,
): Promise<RedriveRow> {
  const row = { ...base, kind: 'stream' as const, target: fn };
  const range = `${b.shardId} ${b.startSequenceNumber}…${b.endSequenceNumber}`;
  const [start, end] = [seq(b.startSequenceNumber), seq(b.endSequenceNumber)];
  const expected = b.batchSize ?? 1;
  let iterator: string | undefined;
  try {
    iterator = (
      await c.streams.send(
        new GetShardIteratorCommand({
          StreamArn: b.streamArn,
          ShardId: b.shardId,
          ShardIteratorType: 'AT_SEQUENCE_NUMBER',
          SequenceNumber: b.startSequenceNumber,
        }),
      )
    ).ShardIterator;
  } catch (e) {
    const name = (e as Error).name;
    if (name === 'TrimmedDataAccessException' || name === 'ResourceNotFoundException')
      return {
        ...row,
        outcome: 'gone',
        records: 0,
        gone: expected,
        detail: `${range}: no longer in the stream (${name}); the letter is kept`,
      };
    throw e;
  }
  // The first record is read AT its sequence number; if the stream trimmed it meanwhile, the shard
  // answers from its oldest record, so anything below `start` or above `end` is left out.
  const records: StreamRecord[] = [];
  for (let page = 0; iterator && page < MAX_PAGES; page++) {
    const out = await c.streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
    let past = false;
    for (const r of out.Records ?? []) {
      const n = seq(r.dynamodb?.SequenceNumber);
      if (n > end) past = true;
      else if (n >= start) records.push(r);
    }
    if (past || !out.NextShardIterator || !(out.Records ?? []).length) break;
    iterator = out.NextShardIterator;
  }
  const gone = Math.max(0, expected - records.length);
  const goneDetail = gone ? `${range}: ${gone} of ${expected} record(s) no longer in the stream` : undefined;
  if (!records.length)
    return { ...row, outcome: 'gone', records: 0, gone, detail: goneDetail ?? `${range}: no record found` };
  if (dryRun)
    return {
      ...row,
      outcome: 'would-redrive',
      records: records.length,
      gone,
      ...(goneDetail ? { detail: goneDetail } : {}),
    };
  const failure = await invoke(c, fn, { Records: records.map((r) => lambdaRecord(r, b.streamArn)) });
  if (failure) return { ...row, outcome: 'failed', records: records.length, gone, detail: failure };
  return gone
    ? {
        ...row,
        outcome: 'partly-gone',
        records: records.length,
        gone,
        detail: `${goneDetail}; the letter is kept`,
      }
    : { ...row, outcome: 'redriven', records: records.length, gone: 0 };
}

/** A GetRecords record as Lambda's event source mapping delivers it. */
function lambdaRecord(r: StreamRecord, streamArn: string) {
  const d = r.dynamodb ?? {};
  const when = d.ApproximateCreationDateTime as unknown;
  return JSON.parse(
    JSON.stringify(
      {
        ...r,
        eventSourceARN: streamArn,
        dynamodb: {
          ...d,
          ...(when instanceof Date ? { ApproximateCreationDateTime: Math.floor(when.getTime() / 1000) } : {}),
        },
      },
      // Binary attribute values travel base64-encoded in the event, as Lambda sends them.
      (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v),
    ),
  ) as unknown;
}
