/**
 * Secrets by reference (issue 14, finding 1): credentials never enter jq's input or `vars`.
 * Connectors name them (`secret: cml/devices`); the secrets port resolves them outside the
 * expression language; whatever a job computes from its scopes cannot contain a secret.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runJob } from '../../../shared/scenario/executor.ts';
import { readSecret } from '../../../shared/adapters/secrets.ts';
import { validatePackage } from '../../../shared/content/validate.ts';
import { readZip } from '../../../shared/content/package-reader.ts';
import { FakeConsoles, FakeSecrets, connectors, job, services } from './fakes.ts';
import { samplePackage } from '../content/packages.ts';

const SECRET = 'Enable-S3cret-Zq9';
const API_PASSWORD = 'Cml-Api-Pa55-Kx2';

/** Every form of the secrets a capture below could produce. */
const forms = (s: string) => [
  s,
  Buffer.from(s).toString('base64'),
  s.toUpperCase(),
  s.toLowerCase(),
  JSON.stringify([...s].map((c) => c.codePointAt(0))).slice(1, -1),
  s.slice(0, 6),
  s.slice(-6),
  [...s].reverse().join(''),
];

describe('secrets never reach jq', () => {
  it('a job capturing @base64, ascii_upcase, explode and regex groups of every string it can see leaks no secret, and the device still gets its enable password', async () => {
    const consoles = new FakeConsoles({
      2001: {
        'show privilege': 'Current privilege level is 15',
        'show run | include enable': `enable secret ${SECRET}`,
      },
    });
    const secrets = new FakeSecrets({
      'cml/devices': { username: 'admin', password: 'Dev-Pa55-Qq1', enable_password: SECRET },
      'cml/api': { username: 'admin', password: API_PASSWORD },
    });
    const conns = connectors(['r1']);
    // What a lifecycle job's runner was given before: credentials inside runtime_env.
    const runtime_env = {
      worker: { address: '127.0.0.1' },
      devices: { r1: { serial_port: 2001, enable_password: SECRET, password: 'Dev-Pa55-Qq1' } },
      cml: { username: 'admin', password: API_PASSWORD },
    };
    const all = '[$runtime_env | .. | strings] + [.. | strings] | join(",")';
    const r = await runJob(
      job([
        {
          id: 'priv',
          uses: 'collect@v1',
          target: 'r1',
          with: { command: 'show privilege' },
          capture: { output: 'priv' },
        },
        // A device echoing the secret: what is captured into vars is already masked.
        {
          id: 'echo',
          uses: 'collect@v1',
          target: 'r1',
          with: { command: 'show run | include enable' },
          capture: { output: 'cfg' },
        },
        {
          id: 'echo_b64',
          uses: 'evaluate.regex@v1',
          with: { source: '${ .vars.cfg | @base64 }', regex: '.*' },
          capture: { match: 'cfg_b64' },
        },
        {
          id: 'b64',
          uses: 'evaluate.regex@v1',
          with: { source: `\${ ${all} | @base64 }`, regex: '.*' },
          capture: { match: 'b64' },
        },
        {
          id: 'upper',
          uses: 'evaluate.regex@v1',
          with: { source: `\${ ${all} | ascii_upcase }`, regex: '.*' },
          capture: { match: 'upper' },
        },
        {
          id: 'codes',
          uses: 'evaluate.regex@v1',
          with: { source: `\${ ${all} | explode | map(tostring) | join(",") }`, regex: '.*' },
          capture: { match: 'codes' },
        },
        {
          id: 'groups',
          uses: 'evaluate.regex@v1',
          with: { source: `\${ ${all} | explode | reverse | implode }`, regex: '(.{6})(.*)(.{6})' },
          capture: { groups: 'groups' },
        },
        {
          id: 'direct',
          uses: 'evaluate.regex@v1',
          with: {
            source: '${ [.runtime_env.devices.r1.enable_password, $runtime_env.cml.password] | tostring }',
            regex: '.*',
          },
          capture: { match: 'direct' },
        },
      ]),
      { session: { id: 'ses_1' }, content: { files: {} }, runtime_env },
      {
        services: { ...services(consoles), secrets },
        connectors: conns,
        job: { id: 'job_secret01', pod_definition_id: 'pd_secret01' },
      },
    );
    expect(r.status, JSON.stringify(r.error)).toBe('completed');
    const out = JSON.stringify(r);
    for (const s of [SECRET, API_PASSWORD, 'Dev-Pa55-Qq1'])
      for (const f of forms(s)) expect(out, `a form of a secret: ${f}`).not.toContain(f);
    expect(out).toContain('127.0.0.1'); // the capture did run over runtime_env
    expect(consoles.opened[0]).toMatchObject({ enable_password: SECRET, username: 'admin' });
  });

  it('an unknown secret reference fails the step with a generic error', async () => {
    const r = await runJob(
      job([{ id: 'c', uses: 'collect@v1', target: 'r1', with: { command: 'show clock' } }]),
      {
        session: {},
        content: {},
        runtime_env: { worker: { address: '127.0.0.1' }, devices: { r1: { serial_port: 2001 } } },
      },
      {
        services: { ...services(new FakeConsoles({ 2001: {} })), secrets: new FakeSecrets({}) },
        connectors: connectors(['r1']).map((c) => ({ ...c, secret: 'cml/nope' })),
        job: { id: 'job_secret02', pod_definition_id: 'pd_secret01' },
      },
    );
    expect(r.status).toBe('failed');
    expect(r.error).toMatchObject({ kind: 'validation-error', step_id: 'c' });
    expect(r.error!.detail).toContain('cml/nope');
  });
});

describe('the adapter reads secrets without quoting them', () => {
  const before = process.env.LCM_CML_CREDENTIALS;
  afterEach(() => {
    if (before === undefined) delete process.env.LCM_CML_CREDENTIALS;
    else process.env.LCM_CML_CREDENTIALS = before;
  });
  it('a secret that is not JSON is refused without its text', async () => {
    process.env.LCM_CML_CREDENTIALS = 'hunter2-NotJson{';
    const e = (await readSecret('cml', 0).catch((x: unknown) => x)) as Error;
    expect(e.message).toContain('cml');
    expect(JSON.stringify({ m: e.message, s: e.stack, c: (e as { cause?: unknown }).cause })).not.toMatch(
      /hunter|NotJson/,
    );
  });
});

describe('lint refuses packages that read secrets', () => {
  it('an expression reading a secret path, or a credential given in a connector, is a named diagnostic', async () => {
    const pkg = await samplePackage('lablet-ospf-basics', {
      'PAv1/jobs/peek.yaml': `kind: JobDefinition
metadata: { name: peek, version: v1 }
spec:
  steps:
    - { id: a, uses: evaluate.regex@v1, with: { source: "\${ .runtime_env.devices.rtr01.enable_password | @base64 }", regex: "." } }
    - { id: b, uses: evaluate.regex@v1, with: { source: "\${ $runtime_env.cml | tostring }", regex: "." } }
    - { id: c, uses: pause@v1, when: "\${ .runtime_env.devices.rtr01[\\"password\\"] != null }", with: { seconds: 1 } }
`,
      'PAv1/connectors.yaml': `connectors:
  - { name: rtr01, class: cisco_common, transport: telnet, port: "\${ .runtime_env.devices.rtr01.serial_port }", enable_password: "\${ .runtime_env.devices.rtr01.enable_password }" }
  - { name: rtr02, class: cisco_common, transport: telnet, port: "\${ .runtime_env.devices.rtr02.serial_port }", secret: cml/devices }
  - { name: rtr03, class: cisco_common, transport: telnet, port: "\${ .runtime_env.devices.rtr03.serial_port }", secret: cml/devices }
  - { name: sw01, class: cisco_common, transport: telnet, port: "\${ .runtime_env.devices.sw01.serial_port }", secret: vault/other }
`,
    });
    const r = await validatePackage(await readZip(pkg));
    expect(r.ok).toBe(false);
    const got = r.diagnostics.map((d) => `${d.file}#${d.pointer} ${d.rule}`);
    expect(got).toEqual(
      expect.arrayContaining([
        'PAv1/jobs/peek.yaml#/spec/steps/0/with/source secret.expression',
        'PAv1/jobs/peek.yaml#/spec/steps/1/with/source secret.expression',
        'PAv1/jobs/peek.yaml#/spec/steps/2/when secret.expression',
        'PAv1/connectors.yaml#/connectors/0/enable_password secret.value',
        'PAv1/connectors.yaml#/connectors/3/secret secret.reference',
      ]),
    );
    expect(got.filter((g) => g.includes('connectors/1') || g.includes('connectors/2'))).toEqual([]);
  });

  it('the seeded packages name their credentials by reference and lint clean', async () => {
    for (const dir of ['lablet-ospf-basics', 'doo-bgp']) {
      const r = await validatePackage(await readZip(await samplePackage(dir)));
      expect(r.ok, JSON.stringify(r.diagnostics)).toBe(true);
      if (r.ok) for (const c of r.fields.connectors) expect(c.secret).toBe('cml/devices');
    }
  });
});
