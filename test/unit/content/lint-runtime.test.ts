/**
 * Issue 14, finding 5: lint is the runtime's own validation. Each package below linted clean and
 * failed only when a candidate's lab started (instantiate, a job or grading rejected it). Each must
 * now fail `lcm content lint` and content sync with a diagnostic naming file, pointer and rule.
 */
import { describe, expect, it } from 'vitest';
import { readZip } from '../../../shared/content/package-reader.ts';
import { validatePackage } from '../../../shared/content/validate.ts';
import { syncContent } from '../../../shared/content/sync.ts';
import { ManualClock } from '../../../shared/domain/clock.ts';
import { main } from '../../../bin/cli.ts';
import { filesOf, samplePackage } from './packages.ts';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const POST_INIT = (step: string) =>
  `kind: JobDefinition\nmetadata: { name: post_init, version: v1 }\nspec:\n  steps:\n${step}`;

const topology = (links: string, tags = '["lcm:expose=serial"]') => `lab: { title: t }
nodes:
  - { id: n0, label: rtr01, node_definition: iosv, x: 0, y: 0, tags: ${tags}, interfaces: [{ id: i0, label: Gi0/0, type: physical, slot: 0 }] }
  - { id: n1, label: rtr02, node_definition: iosv, x: 0, y: 0, tags: ["lcm:expose=serial"], interfaces: [{ id: i0, label: Gi0/0, type: physical, slot: 0 }] }
  - { id: n2, label: rtr03, node_definition: iosv, x: 0, y: 0, tags: ["lcm:expose=serial"], interfaces: [] }
  - { id: n3, label: sw01, node_definition: iosvl2, x: 0, y: 0, tags: ["lcm:expose=serial"], interfaces: [] }
links:
${links}`;

const connector = (fields: string) => `connectors:
  - { name: rtr01, class: cisco_common, ${fields} }
  - { name: rtr02, class: cisco_common, transport: telnet, port: "\${ .runtime_env.devices.rtr02.serial_port }" }
  - { name: rtr03, class: cisco_common, transport: telnet, port: "\${ .runtime_env.devices.rtr03.serial_port }" }
  - { name: sw01, class: cisco_common, transport: telnet, port: "\${ .runtime_env.devices.sw01.serial_port }" }
`;

interface Gap {
  name: string;
  changes: Record<string, string | null>;
  file: string;
  pointer: string;
  rule: string;
  message: RegExp;
}

const GAPS: Gap[] = [
  {
    name: 'a jq syntax error in a `with` expression',
    changes: {
      'PAv1/jobs/post_init.yaml': POST_INIT(
        '    - { id: look, uses: collect@v1, target: rtr01, with: { command: "${ .content.files. }" } }\n',
      ),
    },
    file: 'PAv1/jobs/post_init.yaml',
    pointer: '/spec/steps/0/with/command',
    rule: 'job.jq_syntax',
    message: /syntax error/,
  },
  {
    name: 'a jq call of an undefined function in a `when`',
    changes: {
      'PAv1/jobs/post_init.yaml': POST_INIT(
        '    - { id: wait, uses: pause@v1, with: { seconds: 1 }, when: "${ .vars | no_such_fn }" }\n',
      ),
    },
    file: 'PAv1/jobs/post_init.yaml',
    pointer: '/spec/steps/0/when',
    rule: 'job.jq_syntax',
    message: /no_such_fn\/0 is not defined/,
  },
  {
    name: 'a CML topology whose links have no interface references',
    changes: { 'PAv1/topology/cml.yaml': topology('  - { id: l0, n1: n0, n2: n1 }') },
    file: 'PAv1/topology/cml.yaml',
    pointer: '/links/0/i1',
    rule: 'topology.required',
    message: /i1 is required/,
  },
  {
    name: 'a CML link naming an interface its node does not have',
    changes: { 'PAv1/topology/cml.yaml': topology('  - { id: l0, n1: n0, n2: n1, i1: i0, i2: i7 }') },
    file: 'PAv1/topology/cml.yaml',
    pointer: '/links/0/i2',
    rule: 'topology.link_interface',
    message: /n1 has no interface i7/,
  },
  {
    name: 'copy@v1 naming a file the package does not ship',
    changes: {
      'PAv1/jobs/post_init.yaml': POST_INIT(
        '    - { id: base, uses: copy@v1, target: rtr01, with: { file: rtr01-missing.cfg } }\n',
      ),
    },
    file: 'PAv1/jobs/post_init.yaml',
    pointer: '/spec/steps/0/with/file',
    rule: 'job.file_missing',
    message: /rtr01-missing\.cfg/,
  },
  {
    name: 'a connector with a transport the product does not speak',
    changes: {
      'PAv1/connectors.yaml': connector(
        'transport: radkit, port: "${ .runtime_env.devices.rtr01.serial_port }"',
      ),
    },
    file: 'PAv1/connectors.yaml',
    pointer: '/connectors/0/transport',
    rule: 'connectors.transport',
    message: /radkit/,
  },
  {
    name: 'a connector whose device exposes no port of that kind',
    changes: {
      'PAv1/connectors.yaml': connector(
        'transport: telnet, port: "${ .runtime_env.devices.rtr01.pat_port }"',
      ),
    },
    file: 'PAv1/connectors.yaml',
    pointer: '/connectors/0/port',
    rule: 'connectors.port_not_exposed',
    message: /rtr01 exposes no pat port/,
  },
  {
    name: 'a connector whose transport does not match the kind of port it names',
    changes: {
      'PAv1/connectors.yaml': connector(
        'transport: telnet, port: "${ .runtime_env.devices.rtr01.ssh_port }"',
      ),
    },
    file: 'PAv1/connectors.yaml',
    pointer: '/connectors/0/transport',
    rule: 'connectors.transport_port',
    message: /an ssh port is reached over ssh, not telnet/,
  },
  {
    name: 'an unknown port tag',
    changes: {
      'PAv1/topology/cml.yaml': topology(
        '  - { id: l0, n1: n0, n2: n1, i1: i0, i2: i0 }',
        '["lcm:expose=serial", "lcm:expose=pat:22"]',
      ),
    },
    file: 'PAv1/topology/cml.yaml',
    pointer: '/nodes/0/tags/1',
    rule: 'topology.port_tag',
    message: /pat:22/,
  },
];

describe('lint = runtime (issue 14, finding 5)', { timeout: 30_000 }, () => {
  it.each(GAPS.map((g) => [g.name, g] as const))('%s is a named diagnostic', async (_n, g) => {
    const r = await validatePackage(await readZip(await samplePackage('lablet-ospf-basics', g.changes)));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.diagnostics).toContainEqual(
      expect.objectContaining({
        file: g.file,
        pointer: g.pointer,
        rule: g.rule,
        message: expect.stringMatching(g.message),
      }),
    );
  });

  it('the sample packages still lint clean', async () => {
    for (const dir of ['lablet-ospf-basics', 'design-web-only']) {
      const r = await validatePackage(await readZip(await samplePackage(dir)));
      expect(r.ok ? [] : r.diagnostics).toEqual([]);
    }
  });

  it('`lcm content lint` reports it: file, pointer and rule, exit 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lcm-lint-rt-'));
    const files = filesOf('lablet-ospf-basics');
    for (const [p, v] of Object.entries(GAPS[0]!.changes)) files.set(p, Buffer.from(v!));
    for (const [p, b] of files) {
      await mkdir(dirname(join(dir, p)), { recursive: true });
      await writeFile(join(dir, p), b);
    }
    let err = '';
    const code = await main(
      ['content', 'lint', dir],
      () => undefined,
      (s) => void (err += s),
    );
    expect(code).toBe(1);
    expect(err).toContain('PAv1/jobs/post_init.yaml#/spec/steps/0/with/command [job.jq_syntax]');
  });

  it('content sync reports it and registers nothing', async () => {
    const records = new Map<string, { status: string; diagnostics?: unknown }>();
    const r = await syncContent(
      {
        bytes: await samplePackage('lablet-ospf-basics', GAPS[2]!.changes),
        source_uri: 's3://content/x.zip',
      },
      {
        clock: new ManualClock('2026-12-01T09:00:00Z'),
        targets: { nativeStepsArn: 'arn:n', jobRunnerArn: 'arn:j' },
        stage: 'dev',
        repo: {
          get: async (id) => records.get(id) as never,
          listByName: async () => [],
          put: async (rec) => void records.set(rec.id, rec as never),
        },
        registrar: { register: async () => expect.fail('nothing is registered') },
        documents: { put: async () => expect.fail('nothing is stored') },
        forms: { confirm: async () => 0 },
      },
    );
    expect(r.status).toBe('failed');
    expect(r.diagnostics).toContainEqual(
      expect.objectContaining({
        file: 'PAv1/topology/cml.yaml',
        pointer: '/links/0/i1',
        rule: 'topology.required',
      }),
    );
  });
});
