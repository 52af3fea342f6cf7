/**
 * The secrets adapter reads Secrets Manager through a client loaded on the first read (D212): the
 * secret the topology binds, once per five minutes per process; the inline variable the local
 * runtime sets is read without calling it.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cmlCredentials, ldsCredentials } from '../../../shared/adapters/secrets.ts';
import { resetClients } from '../../../shared/runtime/aws.ts';

const sm = mockClient(SecretsManagerClient);
const VARS = ['LCM_CML_SECRET_ARN', 'LCM_CML_CREDENTIALS', 'LCM_LDS_SECRET_ARN', 'LCM_LDS_CREDENTIALS'];
const saved = Object.fromEntries(VARS.map((v) => [v, process.env[v]]));

beforeEach(() => {
  for (const v of VARS) delete process.env[v];
  process.env.AWS_REGION = 'us-east-1';
  sm.reset();
  resetClients();
});
afterEach(() => {
  for (const v of VARS)
    if (saved[v] === undefined) delete process.env[v];
    else process.env[v] = saved[v];
  resetClients();
});

describe('secrets through Secrets Manager (client on first use)', () => {
  it('reads the bound secret by its ARN and keeps it five minutes', async () => {
    const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:lcm-lds-AbCdEf';
    process.env.LCM_LDS_SECRET_ARN = arn;
    sm.on(GetSecretValueCommand).resolves({ SecretString: '{"url":"https://lds.example","token":"t-1"}' });
    expect(await ldsCredentials(1_000)).toEqual({ url: 'https://lds.example', token: 't-1' });
    expect(await ldsCredentials(1_000 + 299_999)).toEqual({ url: 'https://lds.example', token: 't-1' });
    expect(sm.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input)).toEqual([{ SecretId: arn }]);
    await ldsCredentials(1_000 + 300_000);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('an inline value (the local runtime) is read without calling Secrets Manager', async () => {
    process.env.LCM_CML_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:lcm-cml-AbCdEf';
    process.env.LCM_CML_CREDENTIALS = '{"cml":{"username":"u","password":"p"}}';
    expect(await cmlCredentials(0)).toEqual({ cml: { username: 'u', password: 'p' } });
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });
});
