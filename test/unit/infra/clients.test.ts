import { describe, expect, it } from 'vitest';
import { perClients, resetClients } from '../../../shared/runtime/aws.ts';
import { dynamoClient } from '../../../shared/runtime/aws-dynamodb.ts';

describe('SDK clients, once per process', () => {
  it('perClients builds once per set of clients and again after resetClients (no stale client kept)', () => {
    resetClients();
    let built = 0;
    const holder = perClients(() => ({ n: ++built, client: dynamoClient() }));
    const a = holder();
    expect(holder()).toBe(a);
    expect(built).toBe(1);
    expect(a.client).toBe(dynamoClient());

    resetClients(); // the local runtime re-pointing endpoints
    const b = holder();
    expect(built).toBe(2);
    expect(b.client).not.toBe(a.client);
    expect(b.client).toBe(dynamoClient());
    expect(holder()).toBe(b);
  });
});
