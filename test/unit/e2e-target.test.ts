import { describe, expect, it } from 'vitest';
import { e2eTarget } from '../e2e/support/target.ts';

describe('the end-to-end target switch', () => {
  it('defaults to the local runtime', () => {
    expect(e2eTarget({})).toEqual({ kind: 'local' });
  });
  it('selects a LocalStack deployment through the standard endpoint variables', () => {
    expect(
      e2eTarget({
        LCM_E2E_TARGET: 'localstack',
        LCM_API_URL: 'http://localhost:4566/restapis/x/',
        AWS_ENDPOINT_URL: 'http://localhost:4566',
      }),
    ).toEqual({
      kind: 'localstack',
      apiUrl: 'http://localhost:4566/restapis/x',
      awsEndpoint: 'http://localhost:4566',
      s3Endpoint: 'http://localhost:4566',
    });
  });
  it('names what is missing', () => {
    expect(() => e2eTarget({ LCM_E2E_TARGET: 'localstack' })).toThrow(/LCM_API_URL and AWS_ENDPOINT_URL/);
    expect(() => e2eTarget({ LCM_E2E_TARGET: 'aws' })).toThrow(/local" or "localstack/);
  });
});
