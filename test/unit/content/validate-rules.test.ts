/**
 * The validator's rules, one at a time and from both sides (issue 18): each starts from the sample
 * lablet (which lints clean), changes one thing and asserts the diagnostic's rule and pointer, or
 * that there is none. The broken-package classes are in validate.test.ts, the runtime's own
 * refusals in lint-runtime.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { validatePackage } from '../../../shared/content/validate.ts';
import { editedYaml, sampleFiles } from './packages.ts';
import { fields, found, lint, LABLET } from './lint-sample.ts';

/* eslint-disable @typescript-eslint/no-explicit-any -- the YAML documents are edited as parsed */

const TOPO = 'PAv1/topology/cml.yaml';
const CONN = 'PAv1/connectors.yaml';
const RUBRIC = 'PAv1/grading/rubric.yaml';
const LIFECYCLE = 'PAv1/lifecycle.yaml';
const POST_INIT = 'PAv1/jobs/post_init.yaml';
const topology = (edit: (t: any) => void) => editedYaml(LABLET, TOPO, edit);
const connectors = (edit: (c: any) => void) => editedYaml(LABLET, CONN, edit);
const rubric = (edit: (r: any) => void) => editedYaml(LABLET, RUBRIC, edit);
const lifecycle = (edit: (l: any) => void) => editedYaml(LABLET, LIFECYCLE, edit);
const postInit = (edit: (j: any) => void) => editedYaml(LABLET, POST_INIT, edit);
const manifest = (edit: (m: any) => void) => editedYaml(LABLET, 'PAv1/manifest.yaml', edit);

describe('the CML topology, as a lab import checks it', () => {
  it('a node id used twice is named at the second node, and a label used twice too', async () => {
    expect(found(await lint(topology((t) => (t.nodes[1].id = 'n0'))), TOPO)).toContain(
      'topology.node_unique /nodes/1/id',
    );
    const labels = found(await lint(topology((t) => (t.nodes[2].label = 'rtr01'))), TOPO);
    expect(labels).toContain('topology.node_unique /nodes/2/label');
    expect(labels).not.toContain('topology.node_unique /nodes/2/id');
    expect(labels).not.toContain('topology.node_unique /nodes/0/label');
  });

  it('an interface id used twice in one node is refused; the same id on two nodes is not', async () => {
    const ds = await lint(topology((t) => (t.nodes[0].interfaces[1].id = 'i0')));
    expect(found(ds, TOPO)).toContain('topology.interface_unique /nodes/0/interfaces/1/id');
    expect(found(await lint(topology(() => undefined)), TOPO)).toEqual([]);
  });

  it('port tags: lcm:expose= with a port kind is a port, another lcm: tag is refused, other tags are left alone', async () => {
    const tags = ['lcm:expose=serial', 'color:red', 'lcm:expose=bogus', 'lcm:console', 'lcm:expose=ssh'];
    expect(found(await lint(topology((t) => (t.nodes[0].tags = tags))), TOPO)).toEqual([
      'topology.port_tag /nodes/0/tags/2',
      'topology.port_tag /nodes/0/tags/3',
    ]);
    const [tag] = (await lint(topology((t) => (t.nodes[0].tags = ['lcm:expose=bogus'])))).filter(
      (d) => d.rule === 'topology.port_tag',
    );
    expect(tag!.message).toContain('lcm:expose=serial, lcm:expose=ssh, lcm:expose=pat, lcm:expose=vnc');
    const f = await fields(
      topology((t) => (t.nodes[0].tags = ['color:red', 'lcm:expose=ssh', 'lcm:expose=serial'])),
    );
    expect(f.devices[0]).toEqual({ name: 'rtr01', node_definition: 'iosv', expose: ['ssh', 'serial'] });
    expect(f.ports).toEqual(['rtr01_serial', 'rtr01_ssh', 'rtr02_serial', 'rtr03_serial', 'sw01_serial']);
  });

  it('a link id used twice is refused at the second link', async () => {
    const ds = await lint(topology((t) => (t.links[2].id = 'l0')));
    expect(found(ds, TOPO)).toEqual(['topology.link_unique /links/2/id']);
  });

  it('a link to a node the topology lacks is named at that end, and its interface is not checked', async () => {
    expect(found(await lint(topology((t) => (t.links[0].n1 = 'n9'))), TOPO)).toEqual([
      'topology.link_node /links/0/n1',
    ]);
    expect(found(await lint(topology((t) => (t.links[0].n2 = 'n9'))), TOPO)).toEqual([
      'topology.link_node /links/0/n2',
    ]);
  });

  it('a link to an interface its node lacks is named at that end; a node with no interfaces has none', async () => {
    const missing = await lint(topology((t) => (t.links[1].i2 = 'i7')));
    expect(found(missing, TOPO)).toEqual(['topology.link_interface /links/1/i2']);
    expect(missing.find((d) => d.rule === 'topology.link_interface')!.message).toContain(
      '(it has i0, i1, i2, i3)',
    );
    expect(
      found(
        await lint(
          topology((t) => {
            delete t.nodes[0].interfaces;
          }),
        ),
        TOPO,
      ),
    ).toEqual(['topology.link_interface /links/0/i1']);
    const none = await lint(
      topology((t) => {
        delete t.nodes[0].interfaces;
      }),
    );
    expect(none.find((d) => d.rule === 'topology.link_interface')!.message).toContain('(it has none)');
  });

  it('an interface two links connect is refused at the second link, each end on its own', async () => {
    expect(found(await lint(topology((t) => (t.links[1].i2 = 'i1'))), TOPO)).toEqual([
      'topology.interface_in_use /links/1/i2',
    ]);
    expect(
      found(
        await lint(
          topology((t) => {
            t.links[1].n1 = 'n0';
          }),
        ),
        TOPO,
      ),
    ).toEqual(['topology.interface_in_use /links/1/i1']);
  });
});

describe('connectors a job could not open', () => {
  const port = (device: string, kind: string) => `\${ .runtime_env.devices.${device}.${kind}_port }`;
  const first = (c: Record<string, unknown>, tags?: string[]) => [
    connectors((doc) => Object.assign(doc.connectors[0], c)),
    ...(tags ? [topology((t) => (t.nodes[0].tags = tags))] : []),
  ];

  it('a transport the console adapter does not speak, and nothing else checked on that connector', async () => {
    const ds = await lint(...first({ transport: 'radkit', port: port('rtr09', 'serial') }));
    expect(found(ds, CONN)).toEqual(['connectors.transport /connectors/0/transport']);
  });

  it('a device the topology lacks', async () => {
    const ds = await lint(...first({ port: port('rtr09', 'serial') }));
    expect(found(ds, CONN)).toEqual(['connectors.device /connectors/0/port']);
    expect(ds[0]!.message).toContain('(it has rtr01, rtr02, rtr03, sw01)');
  });

  it('a port that is no kind of port', async () => {
    const ds = await lint(...first({ port: port('rtr01', 'console') }));
    expect(found(ds, CONN)).toEqual(['connectors.port_kind /connectors/0/port']);
    expect(ds[0]!.message).toContain('(serial_port, ssh_port, pat_port, vnc_port)');
  });

  it('a transport that does not reach that kind of port (a vnc port is reached by none)', async () => {
    const tags = ['lcm:expose=serial', 'lcm:expose=ssh', 'lcm:expose=vnc'];
    expect(
      found(await lint(...first({ transport: 'telnet', port: port('rtr01', 'ssh') }, tags)), CONN),
    ).toEqual(['connectors.transport_port /connectors/0/transport']);
    expect(found(await lint(...first({ transport: 'ssh', port: port('rtr01', 'vnc') }, tags)), CONN)).toEqual(
      ['connectors.transport_port /connectors/0/transport'],
    );
    const message = async (transport: string, kind: string) =>
      (await lint(...first({ transport, port: port('rtr01', kind) }, [...tags, 'lcm:expose=pat']))).find(
        (d) => d.rule === 'connectors.transport_port',
      )!.message;
    expect(await message('telnet', 'ssh')).toBe('an ssh port is reached over ssh, not telnet');
    expect(await message('ssh', 'pat')).toBe('a pat port is reached over telnet, not ssh');
    expect(await message('ssh', 'vnc')).toBe('a vnc port is reached over no console transport, not ssh');
  });

  it('a port the device does not expose; exposed, the connector is good', async () => {
    expect(found(await lint(...first({ transport: 'ssh', port: port('rtr01', 'ssh') })), CONN)).toEqual([
      'connectors.port_not_exposed /connectors/0/port',
    ]);
    const f = await fields(
      ...first({ transport: 'ssh', port: port('rtr01', 'ssh') }, ['lcm:expose=serial', 'lcm:expose=ssh']),
    );
    expect(f.connectors[0]).toMatchObject({ name: 'rtr01', transport: 'ssh' });
  });

  it('a device port reference is the whole value, with or without spaces and the leading dot', async () => {
    for (const text of [
      'x${ .runtime_env.devices.rtr09.serial_port }',
      '${ .runtime_env.devices.rtr09.serial_port }x',
    ])
      expect(found(await lint(...first({ port: text })), CONN)).toEqual([
        'connectors.literal /connectors/0/port',
      ]);
    for (const text of [
      '${.runtime_env.devices.rtr09.serial_port}',
      '${ runtime_env.devices.rtr09.serial_port }',
    ])
      expect(found(await lint(...first({ port: text })), CONN)).toContain(
        'connectors.device /connectors/0/port',
      );
  });

  it('a port that is not a device port reference is not checked against the topology', async () => {
    expect(found(await lint(...first({ port: '${ .runtime_env.worker.port }' })), CONN)).toEqual([]);
  });

  it('every string of a connector is a template whose jq must compile; other values are not', async () => {
    expect(found(await lint(...first({ prompt: '${ .runtime_env | }', timeout: 30 })), CONN)).toEqual([
      'job.jq_syntax /connectors/0/prompt',
    ]);
  });

  it('host, port and username come from runtime_env, never a literal (a number is a literal too)', async () => {
    expect(found(await lint(...first({ host: '10.0.0.1', username: 7 })), CONN)).toEqual([
      'connectors.literal /connectors/0/host',
      'connectors.literal /connectors/0/username',
      // a number is not a string, which the schema says too
      ...found(await lint(...first({ username: 7 })), CONN).filter(
        (x) => !x.startsWith('connectors.literal'),
      ),
    ]);
    expect(found(await lint(...first({ username: '${ .runtime_env.user }' })), CONN)).toEqual([]);
  });

  it('credentials only by reference: a password is refused, an unknown reference too, and reading one in an expression', async () => {
    expect(found(await lint(...first({ password: 'cisco' })), CONN)).toContain(
      'secret.value /connectors/0/password',
    );
    expect(found(await lint(...first({ secret: 'cml/nothing' })), CONN)).toContain(
      'secret.reference /connectors/0/secret',
    );
    expect(found(await lint(...first({ secret: 'cml/api' })), CONN)).toEqual([]);
    const ds = found(await lint(...first({ prompt: '${ .runtime_env.secrets.password }' })), CONN);
    expect(ds).toContain('secret.expression /connectors/0/prompt');
  });

  it('a credential given is refused as a value, not scanned again as an expression', async () => {
    expect(
      found(await lint(...first({ enable_password: '${ .runtime_env.secrets.enable_password }' })), CONN),
    ).toEqual(['secret.value /connectors/0/enable_password']);
  });

  it('a connector’s expressions are not checked against the package’s files', async () => {
    expect(found(await lint(...first({ prompt: '${ .content.files.missing }' })), CONN)).toEqual([]);
  });

  it('no connectors.yaml: no connectors and no diagnostic about them', async () => {
    const ds = await lint({ [CONN]: null });
    expect(found(ds, CONN)).toEqual([]);
  });
});

describe('the rubric', () => {
  it('max_points is the sum of the items’ points, to within rounding', async () => {
    expect(found(await lint(rubric((r) => (r.spec.max_points = 101))), RUBRIC)).toEqual([
      'rubric.max_points_sum /spec/max_points',
    ]);
    expect(found(await lint(rubric((r) => (r.spec.max_points = 99))), RUBRIC)).toEqual([
      'rubric.max_points_sum /spec/max_points',
    ]);
    const thirds = rubric((r) => {
      r.spec.items = r.spec.items.slice(0, 3).map((it: any) => ({ ...it, points: 0.1 }));
      r.spec.max_points = 0.3; // 0.1 + 0.1 + 0.1 is 0.30000000000000004
    });
    expect(found(await lint(thirds), RUBRIC)).toEqual([]);
  });

  it('an item id used twice is refused at the second', async () => {
    expect(found(await lint(rubric((r) => (r.spec.items[3].id = r.spec.items[1].id))), RUBRIC)).toEqual([
      'rubric.item_unique /spec/items/3/id',
    ]);
  });

  it('a check’s regex must compile', async () => {
    expect(found(await lint(rubric((r) => (r.spec.items[5].checks[1].regex = '(unclosed'))), RUBRIC)).toEqual(
      ['rubric.regex /spec/items/5/checks/1/regex'],
    );
  });

  it('a check reads what a job captures: the capture itself or a field of it', async () => {
    expect(
      found(await lint(rubric((r) => (r.spec.items[2].checks[0].source = 'rtr02_ospf.lines'))), RUBRIC),
    ).toEqual([]);
    expect(
      found(await lint(rubric((r) => (r.spec.items[2].checks[0].source = 'rtr09_ospf'))), RUBRIC),
    ).toEqual(['rubric.source_unknown /spec/items/2/checks/0/source']);
  });
});

describe('the lifecycle', () => {
  it('a phase named twice is refused at the second', async () => {
    const ds = await lint(lifecycle((l) => l.spec.phases.push(structuredClone(l.spec.phases[1]))));
    expect(found(ds, LIFECYCLE)).toEqual(['lifecycle.phase_unique /spec/phases/4/name']);
  });

  it('a job’s rubric and report must be in the package', async () => {
    const ds = await lint(
      lifecycle((l) =>
        Object.assign(l.spec.phases[2].jobs[0], { rubric: 'other', report: 'missing_report' }),
      ),
    );
    expect(found(ds, LIFECYCLE)).toEqual([
      'lifecycle.rubric_ref /spec/phases/2/jobs/0/rubric',
      'lifecycle.report_ref /spec/phases/2/jobs/0/report',
    ]);
    const other = await lint(
      lifecycle((l) => (l.spec.phases[2].jobs[0].rubric = 'other')),
      { 'PAv1/grading/other.yaml': 'kind: EvaluationRuleset\n' },
    );
    expect(found(other, LIFECYCLE)).toEqual([]);
  });

  it('the rubric named `rubric` must have been read', async () => {
    const ds = await lint(rubric((r) => (r.spec = 'not a ruleset')));
    expect(found(ds, LIFECYCLE)).toEqual(['lifecycle.rubric_ref /spec/phases/2/jobs/0/rubric']);
  });

  it('a report that fails its schema is not there for a job to name', async () => {
    const ds = await lint(
      editedYaml(LABLET, 'PAv1/reports/score_report.yaml', (r: any) => (r.kind = 'Nope')),
    );
    expect(found(ds, LIFECYCLE)).toEqual(['lifecycle.report_ref /spec/phases/2/jobs/0/report']);
  });

  it('lifecycle_ref names the lifecycle file; one not in the package is refused', async () => {
    const f = await fields(
      manifest((m) => (m.lifecycle_ref = 'flow.yaml')),
      {
        'PAv1/flow.yaml': sampleFiles(LABLET).get(LIFECYCLE)!.toString(),
        [LIFECYCLE]: null,
      },
    );
    expect(f).toMatchObject({
      lifecycle_source: 'package',
      lifecycle_phases: ['instantiate', 'collect', 'grade', 'archive'],
    });
    const ds = await lint(manifest((m) => (m.lifecycle_ref = 'flow.yaml')));
    expect(found(ds, 'PAv1/manifest.yaml')).toEqual(['lifecycle.missing /lifecycle_ref']);
  });

  it('no lifecycle.yaml: the standard lifecycle, whose jobs apply only when the package ships them', async () => {
    const f = await fields({ [LIFECYCLE]: null });
    expect(f.lifecycle_source).toBe('standard');
    expect(f.lifecycle_phases).toEqual(['instantiate', 'collect', 'grade', 'archive']);
  });

  it('a lifecycle that fails its schema is not used', async () => {
    const ds = await lint(lifecycle((l) => (l.spec.phases[0].name = 'warmup')));
    expect(found(ds, LIFECYCLE)).toContain('schema.enum /spec/phases/0/name');
  });
});

describe('jobs', () => {
  const steps = (edit: (s: any[]) => void) => postInit((j) => edit(j.spec.steps));

  it('a job defined twice (same name and version in two files) is refused', async () => {
    const ds = await lint({
      'PAv1/jobs/post_init_again.yaml': sampleFiles(LABLET).get(POST_INIT)!.toString(),
    });
    expect(found(ds, 'PAv1/jobs/post_init_again.yaml')).toEqual(['job.duplicate /metadata']);
  });

  it('a `.vars` reference must be captured by an earlier step or name one', async () => {
    const late = await lint(steps((s) => s.splice(2, 0, s.splice(3, 1)[0])));
    expect(found(late, POST_INIT)).toEqual(['job.var_unknown /spec/steps/2/with']);
    const byId = await lint(steps((s) => (s[3].with.checks = '${ [.vars.settle] }')));
    expect(found(byId, POST_INIT)).toEqual([]);
    const inWhen = await lint(steps((s) => (s[0].when = '.vars.nothing_yet == 1')));
    expect(found(inWhen, POST_INIT)).toEqual(['job.var_unknown /spec/steps/0/with']);
    const dollar = await lint(steps((s) => (s[3].with.checks = '${ [$vars.nothing_yet] }')));
    expect(found(dollar, POST_INIT)).toEqual(['job.var_unknown /spec/steps/3/with']);
  });

  it('a null in `with` is a wrong input, not a crash', async () => {
    const ds = found(await lint(steps((s) => (s[0].with.seconds = null))), POST_INIT);
    expect(ds.length).toBeGreaterThan(0);
    expect(ds.every((d) => d.endsWith('/spec/steps/0/with/seconds'))).toBe(true);
  });

  it('a target must be a connector, for a function that needs one', async () => {
    expect(found(await lint(steps((s) => (s[2].target = 'rtr09'))), POST_INIT)).toEqual([
      'job.target /spec/steps/2/target',
    ]);
  });

  it('expressions may not read credentials, in `with` or in `when`', async () => {
    expect(
      found(await lint(steps((s) => (s[0].when = '.runtime_env.secrets.password'))), POST_INIT),
    ).toContain('secret.expression /spec/steps/0/when');
    expect(
      found(
        await lint(steps((s) => (s[2].with.command = 'show ${ .runtime_env.secrets.password }'))),
        POST_INIT,
      ),
    ).toContain('secret.expression /spec/steps/2/with/command');
  });

  it('a template that does not parse is a jq syntax diagnostic', async () => {
    expect(found(await lint(steps((s) => (s[2].with.command = 'show ${ .vars'))), POST_INIT)).toEqual([
      'job.jq_syntax /spec/steps/2/with/command',
    ]);
  });

  it('a `when` is one jq expression, with or without ${ }', async () => {
    expect(found(await lint(steps((s) => (s[0].when = '.vars |'))), POST_INIT)).toEqual([
      'job.jq_syntax /spec/steps/0/when',
    ]);
    expect(found(await lint(steps((s) => (s[0].when = '${ true }'))), POST_INIT)).toEqual([]);
    expect(found(await lint(steps((s) => (s[0].when = 'true'))), POST_INIT)).toEqual([]);
  });

  it('`.content.files.<name>` must be something the package has: a file, the topology, the rubric, a report', async () => {
    const reads = (expr: string) => steps((s) => (s[3].with.checks = `\${ [${expr}] }`));
    for (const expr of [
      '.content.files["rtr01-base.cfg"]',
      '.content.files.topology',
      '.content.files.rubric',
      '.content.files.score_report',
    ])
      expect(found(await lint(reads(expr)), POST_INIT)).toEqual([]);
    expect(found(await lint(reads('.content.files.missing')), POST_INIT)).toEqual([
      'job.file_missing /spec/steps/3/with/checks',
    ]);
    expect(found(await lint(reads('.content.files["gone.cfg"]')), POST_INIT)).toEqual([
      'job.file_missing /spec/steps/3/with/checks',
    ]);
  });

  it('copy@v1 sends a text file the package ships, of at most 64 KiB', async () => {
    const copy = (file: string) =>
      steps((s) => s.push({ id: 'base', uses: 'copy@v1', target: 'rtr01', with: { file } }));
    expect(found(await lint(copy('rtr01-base.cfg')), POST_INIT)).toEqual([]);
    expect(found(await lint(copy('${ .vars.name }')), POST_INIT)).toEqual([
      'job.var_unknown /spec/steps/4/with',
    ]);
    const big = (bytes: number) => ({ 'PAv1/files/big.cfg': 'x'.repeat(bytes) });
    expect(found(await lint(copy('big.cfg'), big(64 * 1024)), POST_INIT)).toEqual([]);
    expect(found(await lint(copy('big.cfg'), big(64 * 1024 + 1)), POST_INIT)).toEqual([
      'job.file_missing /spec/steps/4/with/file',
    ]);
    expect(found(await lint(copy('bin.cfg'), { 'PAv1/files/bin.cfg': 'a\u0000b' }), POST_INIT)).toEqual([
      'job.file_missing /spec/steps/4/with/file',
    ]);
  });
});

describe('what a good package yields', () => {
  it('file texts: the small text files under files/ only, by name', async () => {
    const f = await fields({
      'PAv1/files/b.txt': 'b',
      'PAv1/files/big.txt': 'x'.repeat(64 * 1024 + 1),
      'PAv1/files/edge.txt': 'y'.repeat(64 * 1024),
      'PAv1/files/bin.dat': 'a\u0000b',
    });
    expect(Object.keys(f.file_texts)).toEqual(['b.txt', 'edge.txt', 'rtr01-base.cfg']);
    expect(f.file_texts['b.txt']).toBe('b');
    expect(f.files).toEqual([...f.files].sort());
    expect(f.files).toContain('files/bin.dat');
  });

  it('no restore rules: null', async () => {
    expect((await fields({ 'PAv1/restore/restore.yaml': null })).restore_rules).toBeNull();
  });

  it('a refused package still tells its name, version, content id and pod type, when the manifest has them', async () => {
    const r = await validatePackage(
      sampleFiles(
        LABLET,
        rubric((x) => (x.spec.max_points = 1)),
      ),
    );
    expect(r).toMatchObject({
      ok: false,
      partial: {
        name: 'lablet-ospf-basics',
        version: '1.0.0',
        content_id: 'ospf-basics',
        pod_type: 'cml_on_aws',
      },
    });
    const odd = await validatePackage(
      sampleFiles(
        LABLET,
        manifest((m) => Object.assign(m, { name: 7, version: 1, content_id: false })),
      ),
    );
    expect(odd.ok).toBe(false);
    if (!odd.ok) expect(odd.partial).toEqual({ pod_type: 'cml_on_aws' });
  });

  it('format_version is required (the schema says so), and then only the schema says so', async () => {
    const ds = await lint(
      manifest((m) => {
        delete m.format_version;
      }),
    );
    expect(found(ds, 'PAv1/manifest.yaml')).toEqual(['schema.required /format_version']);
  });

  it('a radkit topology lists its devices by name, each reached over ssh', async () => {
    const radkit = (devices: unknown) => ({
      'PAv1/manifest.yaml': editedYaml(LABLET, 'PAv1/manifest.yaml', (m: any) => (m.pod_type = 'roc_radkit'))[
        'PAv1/manifest.yaml'
      ]!,
      [TOPO]: null,
      [CONN]: null,
      [LIFECYCLE]: null,
      'PAv1/jobs/grade.yaml': null,
      'PAv1/jobs/post_init.yaml': null,
      [RUBRIC]: null,
      'PAv1/topology/radkit.yaml': JSON.stringify({ service: 'radkit-lab-eu', devices }),
    });
    const f = await fields(radkit([{ name: 'core01' }, { name: 'core02' }]));
    expect(f.devices).toEqual([
      { name: 'core01', expose: ['ssh'] },
      { name: 'core02', expose: ['ssh'] },
    ]);
    expect(f.ports).toEqual(['core01_ssh', 'core02_ssh']);
    for (const devices of [[], [{ name: 'core01' }, { label: 'core02' }], 'core01'])
      expect(found(await lint(radkit(devices)), 'PAv1/topology/radkit.yaml')).toEqual([
        'radkit.devices /devices',
      ]);
  });
});
