/**
 * `lcm ops redrive` (issue 16, finding 6: the stream's on-failure queue holds only shard and
 * sequence numbers, with 24 h stream retention and no redrive tooling). Each dead letter is
 * re-delivered to the function it failed in: a stream batch re-read by shard and sequence while the
 * stream still holds it (and the records it no longer holds named), an event to its rule's target,
 * an asynchronous invocation's payload to its function. A message is deleted only after the
 * function took it without error.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  DeleteMessageCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import {
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  TrimmedDataAccessException,
} from '@aws-sdk/client-dynamodb-streams';
import { InvokeCommand, LambdaClient, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { redriveDeadLetters } from '../../../shared/ops/redrive.ts';
import { main } from '../../../bin/cli.ts';

/** What Lambda answers (the SDK wraps it in a blob adapter; its bytes are what the code reads). */
const payload = (s: string) => Buffer.from(s) as unknown as NonNullable<InvokeCommandOutput['Payload']>;

const sqs = mockClient(SQSClient);
const streams = mockClient(DynamoDBStreamsClient);
const lambda = mockClient(LambdaClient);
beforeEach(() => (sqs.reset(), streams.reset(), lambda.reset()));

const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/dev-lcm-stream-dispatcher-stream-dlq';
const STREAM = 'arn:aws:dynamodb:eu-west-1:123456789012:table/dev-lcm-state/stream/2026-12-01T00:00:00.000';
const FN = 'arn:aws:lambda:eu-west-1:123456789012:function:dev-stream-dispatcher';

const streamFailure = (start: string, end: string, batchSize: number) => ({
  requestContext: {
    requestId: 'r',
    functionArn: FN,
    condition: 'RetryAttemptsExhausted',
    approximateInvokeCount: 3,
  },
  responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
  version: '1.0',
  timestamp: '2026-12-01T09:00:00.000Z',
  DDBStreamBatchInfo: {
    shardId: 'shardId-0001',
    startSequenceNumber: start,
    endSequenceNumber: end,
    batchSize,
    streamArn: STREAM,
  },
});
const record = (seq: string) => ({
  eventID: `e${seq}`,
  eventName: 'MODIFY' as const,
  eventSource: 'aws:dynamodb',
  eventVersion: '1.1',
  awsRegion: 'eu-west-1',
  dynamodb: {
    SequenceNumber: seq,
    Keys: { pk: { S: 'SESSION#ses_1' }, sk: { S: 'SESSION' } },
    StreamViewType: 'NEW_AND_OLD_IMAGES' as const,
  },
});
const messages = (...bodies: { body: unknown; attrs?: Record<string, string> }[]) => ({
  Messages: bodies.map((b, i) => ({
    MessageId: `m${i}`,
    ReceiptHandle: `h${i}`,
    Body: JSON.stringify(b.body),
    ...(b.attrs
      ? {
          MessageAttributes: Object.fromEntries(
            Object.entries(b.attrs).map(([k, v]) => [k, { DataType: 'String', StringValue: v }]),
          ),
        }
      : {}),
  })),
});
const clients = () => ({
  sqs: new SQSClient({}),
  streams: new DynamoDBStreamsClient({}),
  lambda: new LambdaClient({}),
});
const payloadOf = (i: number) =>
  JSON.parse(
    Buffer.from(lambda.commandCalls(InvokeCommand)[i]!.args[0].input.Payload as Uint8Array).toString(),
  ) as {
    Records: { dynamodb: { SequenceNumber: string }; eventSourceARN: string }[];
  };
const ok = (body: unknown = { batchItemFailures: [] }) => ({
  StatusCode: 200,
  Payload: payload(JSON.stringify(body)),
});

describe('lcm ops redrive', () => {
  it('re-reads a failed stream batch by shard and sequence and hands exactly its records to the function, then deletes the letter', async () => {
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce(messages({ body: streamFailure('100', '102', 3) }))
      .resolves({});
    streams.on(GetShardIteratorCommand).resolves({ ShardIterator: 'it1' });
    streams.on(GetRecordsCommand, { ShardIterator: 'it1' }).resolves({
      Records: [record('100'), record('101'), record('102'), record('103')],
      NextShardIterator: 'it2',
    });
    lambda.on(InvokeCommand).resolves(ok());
    const report = await redriveDeadLetters(clients(), [QUEUE]);
    expect(streams.commandCalls(GetShardIteratorCommand)[0]!.args[0].input).toEqual({
      StreamArn: STREAM,
      ShardId: 'shardId-0001',
      ShardIteratorType: 'AT_SEQUENCE_NUMBER',
      SequenceNumber: '100',
    });
    expect(lambda.commandCalls(InvokeCommand)[0]!.args[0].input).toMatchObject({
      FunctionName: FN,
      InvocationType: 'RequestResponse',
    });
    expect(payloadOf(0).Records.map((r) => r.dynamodb.SequenceNumber)).toEqual(['100', '101', '102']);
    expect(payloadOf(0).Records[0]!.eventSourceARN).toBe(STREAM);
    expect(sqs.commandCalls(DeleteMessageCommand).map((c) => c.args[0].input)).toEqual([
      { QueueUrl: QUEUE, ReceiptHandle: 'h0' },
    ]);
    expect(report).toEqual([
      expect.objectContaining({ kind: 'stream', outcome: 'redriven', records: 3, gone: 0 }),
    ]);
  });

  it('says which records the stream no longer holds, redrives the rest and keeps the letter', async () => {
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce(
        messages({ body: streamFailure('100', '102', 3) }, { body: streamFailure('200', '201', 2) }),
      )
      .resolves({});
    streams
      .on(GetShardIteratorCommand, { SequenceNumber: '100' })
      .rejects(new TrimmedDataAccessException({ message: 'trimmed', $metadata: {} }))
      .on(GetShardIteratorCommand, { SequenceNumber: '200' })
      .resolves({ ShardIterator: 'it' });
    // The oldest record of the second batch is past the retention: the shard now starts at 201.
    streams.on(GetRecordsCommand).resolves({ Records: [record('201'), record('202')] });
    lambda.on(InvokeCommand).resolves(ok());
    const report = await redriveDeadLetters(clients(), [QUEUE]);
    expect(report[0]).toMatchObject({ outcome: 'gone', records: 0, gone: 3 });
    expect(report[0]!.detail).toMatch(/shardId-0001 100…102: no longer in the stream/);
    expect(report[1]).toMatchObject({ outcome: 'partly-gone', records: 1, gone: 1 });
    expect(payloadOf(0).Records.map((r) => r.dynamodb.SequenceNumber)).toEqual(['201']);
    expect(sqs.commandCalls(DeleteMessageCommand)).toHaveLength(0);
  });

  it('keeps the letter when the function fails it again', async () => {
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce(messages({ body: streamFailure('100', '100', 1) }))
      .resolves({});
    streams.on(GetShardIteratorCommand).resolves({ ShardIterator: 'it' });
    streams.on(GetRecordsCommand).resolves({ Records: [record('100')] });
    lambda.on(InvokeCommand).resolves(ok({ batchItemFailures: [{ itemIdentifier: '100' }] }));
    const report = await redriveDeadLetters(clients(), [QUEUE]);
    expect(report[0]).toMatchObject({ outcome: 'failed' });
    expect(sqs.commandCalls(DeleteMessageCommand)).toHaveLength(0);
  });

  it("re-delivers an event to its rule's target and an asynchronous invocation's payload to its function", async () => {
    const event = { id: 'ev1', source: 'lcm.sessions', 'detail-type': 'x', detail: {} };
    const target = 'arn:aws:lambda:eu-west-1:123456789012:function:dev-reconciler';
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce(
        messages(
          {
            body: event,
            attrs: {
              RULE_ARN: 'arn:aws:events:eu-west-1:123456789012:rule/dev-lcm-bus/r',
              TARGET_ARN: target,
            },
          },
          {
            body: {
              requestContext: { functionArn: FN, condition: 'RetriesExhausted' },
              requestPayload: { a: 1 },
            },
          },
        ),
      )
      .resolves({});
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload('null') });
    const report = await redriveDeadLetters(clients(), [QUEUE]);
    const calls = lambda.commandCalls(InvokeCommand).map((c) => c.args[0].input);
    expect(calls[0]).toMatchObject({ FunctionName: target });
    expect(JSON.parse(Buffer.from(calls[0]!.Payload as Uint8Array).toString())).toEqual(event);
    expect(calls[1]).toMatchObject({ FunctionName: FN });
    expect(JSON.parse(Buffer.from(calls[1]!.Payload as Uint8Array).toString())).toEqual({ a: 1 });
    expect(report.map((r) => [r.kind, r.outcome])).toEqual([
      ['event', 'redriven'],
      ['async', 'redriven'],
    ]);
    expect(sqs.commandCalls(DeleteMessageCommand)).toHaveLength(2);
  });

  it('a function error keeps an event letter; --dry-run invokes and deletes nothing', async () => {
    const letter = messages({ body: { id: 'ev1' }, attrs: { TARGET_ARN: FN } });
    sqs.on(ReceiveMessageCommand).resolvesOnce(letter).resolves({});
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: payload('{"errorMessage":"boom"}'),
    });
    expect((await redriveDeadLetters(clients(), [QUEUE]))[0]).toMatchObject({
      outcome: 'failed',
      detail: expect.stringContaining('boom'),
    });
    expect(sqs.commandCalls(DeleteMessageCommand)).toHaveLength(0);

    sqs.reset();
    lambda.reset();
    sqs.on(ReceiveMessageCommand).resolvesOnce(letter).resolves({});
    expect((await redriveDeadLetters(clients(), [QUEUE], { dryRun: true }))[0]).toMatchObject({
      outcome: 'would-redrive',
    });
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(0);
    expect(sqs.commandCalls(DeleteMessageCommand)).toHaveLength(0);
  });
});

describe('the command line', () => {
  it("`lcm ops redrive --stage dev` reads the stage's dead-letter queues only and prints one line per letter", async () => {
    const url = (n: string) => `https://sqs.eu-west-1.amazonaws.com/123456789012/${n}`;
    sqs.on(ListQueuesCommand).resolves({
      QueueUrls: [url('dev-lcm-stream-dispatcher-stream-dlq'), url('dev-lcm-something-else')],
    });
    sqs
      .on(ReceiveMessageCommand, { QueueUrl: url('dev-lcm-stream-dispatcher-stream-dlq') })
      .resolvesOnce(messages({ body: { id: 'ev1' }, attrs: { TARGET_ARN: FN } }))
      .resolves({});
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload('null') });
    let printed = '';
    expect(
      await main(
        ['ops', 'redrive', '--stage', 'dev'],
        (s) => void (printed += s),
        () => {},
      ),
    ).toBe(0);
    expect(sqs.commandCalls(ListQueuesCommand)[0]!.args[0].input).toMatchObject({
      QueueNamePrefix: 'dev-lcm-',
    });
    expect(
      sqs.commandCalls(ReceiveMessageCommand).every((c) => c.args[0].input.QueueUrl!.endsWith('-dlq')),
    ).toBe(true);
    expect(printed).toContain('redriven');
    expect(printed).toContain('1 letter(s) in 1 queue(s); 1 redriven');
    let usage = '';
    expect(
      await main(
        ['ops', 'redrive'],
        () => {},
        (s) => void (usage += s),
      ),
    ).toBe(2);
    expect(usage).toContain('--stage is required');
  });
});
