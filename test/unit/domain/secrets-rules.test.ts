/**
 * The secrets-by-reference rules of shared/domain/secrets.ts, each from both sides (issue 18):
 * which references exist, which keys are credentials, what jq and storage may see, and which jq
 * expressions lint refuses because they read a secret path.
 */
import { describe, expect, it } from 'vitest';
import {
  SECRET_KEY,
  isSecretReference,
  readsSecret,
  secretPointers,
  withoutSecrets,
} from '../../../shared/domain/secrets.ts';

describe('secret references', () => {
  it('names exactly the two references content may use', () => {
    expect(isSecretReference('cml/devices')).toBe(true);
    expect(isSecretReference('cml/api')).toBe(true);
  });

  it('refuses another name, an inherited property name and a non-string', () => {
    expect(isSecretReference('cml/other')).toBe(false);
    expect(isSecretReference('toString')).toBe(false);
    expect(isSecretReference('constructor')).toBe(false);
    expect(isSecretReference(['cml/api'])).toBe(false);
    expect(isSecretReference(undefined)).toBe(false);
  });
});

describe('secret-looking keys', () => {
  it.each([
    'password',
    'pass',
    'enable_password',
    'PASSWORD',
    'client_secret',
    'token',
    'api_key',
    'api-key',
    'apikey',
    'API_KEY',
    'private_key',
    'private-key',
    'privatekey',
    'credentials',
  ])('%s is a credential', (key) => expect(SECRET_KEY.test(key)).toBe(true));

  it.each(['username', 'host', 'port', 'api', 'key', 'private', 'api.key', 'private key', 'pas'])(
    '%s is not a credential',
    (key) => expect(SECRET_KEY.test(key)).toBe(false),
  );
});

describe('withoutSecrets: what jq and storage may see', () => {
  it('drops every value under a secret-looking key at any depth, in objects and arrays, and keeps the rest', () => {
    const input = {
      username: 'admin',
      password: 'p',
      port: 22,
      enabled: false,
      none: null,
      devices: [{ name: 'r1', enable_password: 'e', tags: ['a', 'b'] }, 'plain', 3],
      nested: { deeper: { token: 't', kept: { api_key: 'k', value: 1 } } },
    };
    expect(withoutSecrets(input)).toEqual({
      username: 'admin',
      port: 22,
      enabled: false,
      none: null,
      devices: [{ name: 'r1', tags: ['a', 'b'] }, 'plain', 3],
      nested: { deeper: { kept: { value: 1 } } },
    });
  });

  it('copies: the input keeps its secrets and the copy shares no object with it', () => {
    const input = { a: { password: 'p', b: 1 }, list: [{ c: 2 }] };
    const out = withoutSecrets(input);
    expect(input.a.password).toBe('p');
    expect(out.a).not.toBe(input.a);
    expect(out.list).not.toBe(input.list);
    expect(out.list[0]).not.toBe(input.list[0]);
  });

  it('returns primitives unchanged', () => {
    expect(withoutSecrets('password')).toBe('password');
    expect(withoutSecrets(0)).toBe(0);
    expect(withoutSecrets(null)).toBe(null);
  });
});

describe('secretPointers: where the secrets are, never what', () => {
  it('points at every secret-looking key, through arrays, and does not descend under one', () => {
    expect(
      secretPointers({
        user: 'admin',
        password: { nested_token: 'x' },
        devices: [{ name: 'r1', enable_password: 'e' }, { name: 'r2' }],
        deep: { a: { api_key: 'k' } },
      }),
    ).toEqual(['/password', '/devices/0/enable_password', '/deep/a/api_key']);
  });

  it('prefixes the pointers with the given location; a value without secrets has none', () => {
    expect(secretPointers([{ token: 't' }], '/vars')).toEqual(['/vars/0/token']);
    expect(secretPointers({ a: [1, { b: 'c' }] })).toEqual([]);
    expect(secretPointers('password')).toEqual([]);
    expect(secretPointers(null)).toEqual([]);
  });
});

describe('readsSecret: jq expressions lint refuses', () => {
  it.each([
    '.runtime_env.devices.r1.enable_password',
    '.runtime_env.devices.r1 . password',
    '.runtime_env.devices.r1."password"',
    '.runtime_env.devices.r1. "password"',
    '.runtime_env["password"]',
    '.runtime_env[ "api_key"]',
    '.runtime_env.devices.r1.my-token',
    '.runtime_env.devices.r1.user_secret',
    '.runtime_env.x.PASSWORD',
    '$runtime_env.cml',
    '$runtime_env . cml.url',
    '$runtime_env ."cml"',
    '$runtime_env["cml"]',
    '$runtime_env [ "cml"]',
  ])('%s reads a secret', (expr) => expect(readsSecret(expr)).toBe(true));

  it.each([
    '.runtime_env.devices.r1.console_port',
    '.runtime_env.cmlx',
    '.runtime_env.pod.cml_version',
    '.password',
    '.vars.token',
    '$vars["password"]',
    '.runtime_env["devices"]',
    '.runtime_env.devices | keys',
  ])('%s does not', (expr) => expect(readsSecret(expr)).toBe(false));
});
