/**
 * Powertools idempotency, configured once for the product: records live in the state or views
 * table under one partition per scope, and expire through the table's TTL attribute. What holds
 * the SDK client is rebuilt with the clients (`perClients`), never left pointing at an old endpoint.
 */
import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyValidationError,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import type { ItempotentFunctionOptions } from '@aws-lambda-powertools/idempotency/types';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context } from 'aws-lambda';
import { perClients } from './aws.ts';
import { dynamoClient } from './aws-dynamodb.ts';
import { env } from './env.ts';
import { Problem } from '../domain/problem.ts';

export interface IdempotentOptions {
  table: 'stateTable' | 'viewsTable';
  /** The partition the records live in (`keys.idempotencyPartition(scope)`, `viewKeys.outboxPartition`). */
  partition: string;
  /** JMESPath into the argument that identifies a request (`key`, `eventID`, `[source, id]`). */
  keyPath: string;
  /** JMESPath of the part that must be the same on a replay (a different body with the key is refused). */
  payloadPath?: string;
  expiresAfterSeconds: number;
  /** Which argument holds the request (default 0). */
  dataIndexArgument?: number;
}

export interface Idempotent<A extends unknown[], R> {
  /** The wrapped function, built for the current SDK clients. */
  call(context: Context | undefined, ...args: A): Promise<R>;
}

export function idempotent<A extends unknown[], R>(
  fn: (...args: A) => Promise<R>,
  o: IdempotentOptions,
): Idempotent<A, R> {
  const config = new IdempotencyConfig({
    eventKeyJmesPath: o.keyPath,
    ...(o.payloadPath ? { payloadValidationJmesPath: o.payloadPath } : {}),
    expiresAfterSeconds: o.expiresAfterSeconds,
  });
  const wrapped = perClients(() =>
    makeIdempotent(fn as (...args: unknown[]) => Promise<R>, {
      persistenceStore: new DynamoDBPersistenceLayer({
        tableName: env(o.table),
        keyAttr: 'pk',
        sortKeyAttr: 'sk',
        staticPkValue: o.partition,
        expiryAttr: 'expires_at',
        awsSdkV3Client: dynamoClient(),
      }),
      config,
      dataIndexArgument: o.dataIndexArgument ?? 0,
    } satisfies ItempotentFunctionOptions<unknown[]>),
  );
  return {
    call: (context, ...args) => {
      // Powertools stops an in-progress record from outliving the invocation that wrote it.
      if (context) config.registerLambdaContext(context);
      return wrapped()(...args);
    },
  };
}

/**
 * What an Idempotency-Key misuse means to the caller: the same key with another body (422), or
 * the first request with this key still running (409). Anything else is returned unchanged.
 */
export function idempotencyProblem(e: unknown): unknown {
  if (e instanceof IdempotencyValidationError)
    return new Problem('idempotency-key-reused', 'this Idempotency-Key was used with a different body', {
      errors: [
        { pointer: '/headers/idempotency-key', detail: 'reused with another body', rule: 'idempotency' },
      ],
    });
  if (e instanceof IdempotencyAlreadyInProgressError)
    return new Problem(
      'idempotency-in-progress',
      'a request with this Idempotency-Key is still in progress; retry shortly',
    );
  return e;
}
