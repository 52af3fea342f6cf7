/**
 * The validator's package-level rules, one at a time and from both sides (issue 18, lines 1–539 of
 * validate.ts: reading YAML, the schemas, the manifest, pod type, connectors' placement fields,
 * topology files, jobs, rubric, reports, lifecycle and what a good package yields). Like
 * validate-rules.test.ts, each starts from a sample package, changes one thing and asserts each
 * diagnostic's rule and pointer, or that there is none.
 */
import { describe, expect, it } from 'vitest';
import { validatePackage } from '../../../shared/content/validate.ts';
import { editedYaml, sampleFiles } from './packages.ts';
import { all, type Changes, fields, found, lint, LABLET } from './lint-sample.ts';

/* eslint-disable @typescript-eslint/no-explicit-any -- the YAML documents are edited as parsed */

const MANIFEST = 'PAv1/manifest.yaml';
const TOPO = 'PAv1/topology/cml.yaml';
const CONN = 'PAv1/connectors.yaml';
const RUBRIC = 'PAv1/grading/rubric.yaml';
const LIFECYCLE = 'PAv1/lifecycle.yaml';
const POST_INIT = 'PAv1/jobs/post_init.yaml';
const GRADE = 'PAv1/jobs/grade.yaml';
const REPORT = 'PAv1/reports/score_report.yaml';
const text = (path: string) => sampleFiles(LABLET).get(path)!.toString('utf8');
const topology = (edit: (t: any) => void) => editedYaml(LABLET, TOPO, edit);
const connectors = (edit: (c: any) => void) => editedYaml(LABLET, CONN, edit);
const lifecycle = (edit: (l: any) => void) => editedYaml(LABLET, LIFECYCLE, edit);
const steps = (edit: (s: any[]) => void) => editedYaml(LABLET, POST_INIT, (j: any) => edit(j.spec.steps));
const manifest = (edit: (m: any) => void) => editedYaml(LABLET, MANIFEST, edit);
/** The sample lablet without its lifecycle, jobs, rubric and report: only manifest, topology and connectors. */
const BARE: Changes = {
  [LIFECYCLE]: null,
  [POST_INIT]: null,
  [GRADE]: null,
  [RUBRIC]: null,
  [REPORT]: null,
};

describe('reading YAML', () => {
  it('a file that does not parse is one yaml.syntax diagnostic at the root, with one line of message, and nothing else about it', async () => {
    const ds = await lint({ [LIFECYCLE]: 'kind: Lifecycle\nspec: { phases: [ {name: instantiate }\n' });
    expect(found(ds, LIFECYCLE)).toEqual(['yaml.syntax ']);
    expect(ds.find((d) => d.rule === 'yaml.syntax')!.message).not.toContain('\n');
  });

  it('a key given twice is a syntax error', async () => {
    const ds = await lint({ [REPORT]: `${text(REPORT)}kind: ProcessReportSpec\n` });
    expect(found(ds, REPORT)).toEqual(['yaml.syntax ']);
  });

  it('an alias is refused, even one, with nothing else about that file', async () => {
    const ds = await lint({
      [REPORT]:
        'kind: ProcessReportSpec\nspec: &s { process_type: Grading, report_class: score }\nother: *s\n',
    });
    expect(found(ds, REPORT)).toEqual(['yaml.alias ']);
    expect(ds.find((d) => d.rule === 'yaml.alias')!.message).toMatch(/^YAML aliases are not allowed \(.+\)$/);
    // an anchor that is never used is no alias
    const anchored = await lint({
      [REPORT]: 'kind: ProcessReportSpec\nspec: &s { process_type: Grading, report_class: score }\n',
    });
    expect(found(anchored, REPORT)).toEqual([]);
  });
});

describe('the schemas', () => {
  it('a document of the wrong type is refused at the root pointer ""', async () => {
    expect(found(await lint({ [REPORT]: '- a\n- b\n' }), REPORT)).toEqual(['schema.type ']);
  });

  it('a missing field is named in the message; other schema errors keep the schema’s words', async () => {
    const ds = await lint(
      manifest((m) => {
        delete m.content_id;
        m.host_type = 'mainframe';
      }),
    );
    expect(found(ds, MANIFEST)).toEqual(['schema.required /content_id', 'schema.enum /host_type']);
    expect(ds.find((d) => d.rule === 'schema.required')!.message).toBe('content_id is required');
    expect(ds.find((d) => d.rule === 'schema.enum')!.message).toMatch(/^must be one of /);
  });

  it('the CML topology’s schema errors are topology.* rules, and then its references are not checked', async () => {
    const ds = await lint(
      topology((t) => {
        delete t.nodes[0].label;
        t.links[0].n1 = 'n9';
      }),
    );
    expect(found(ds, TOPO)).toEqual(['topology.required /nodes/0/label']);
    expect(ds[0]!.message).toBe('label is required');
  });
});

describe('the manifest', () => {
  it('no manifest: manifest.missing at the root', async () => {
    const ds = await lint({ [MANIFEST]: null });
    expect(found(ds, MANIFEST)).toEqual(['manifest.missing ']);
    // and without a lifecycle.yaml either: the standard lifecycle, no lifecycle_ref to miss
    const bare = await lint({ [MANIFEST]: null, [LIFECYCLE]: null });
    expect(found(bare, MANIFEST)).toEqual(['manifest.missing ']);
  });

  it('a manifest that is not a mapping (a word, a number, false) is refused, never ingested', async () => {
    for (const m of ['hello\n', '42\n', 'false\n']) {
      const r = await validatePackage(sampleFiles(LABLET, { [MANIFEST]: m }));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(found(r.diagnostics, MANIFEST)).toEqual(['schema.type ']);
    }
  });

  it('a manifest that does not parse is that syntax error only', async () => {
    const ds = await lint({ [MANIFEST]: 'name: [\n' });
    expect(found(ds, MANIFEST)).toEqual(['yaml.syntax ']);
  });

  it('an empty manifest: the manifest could not be read', async () => {
    const r = await validatePackage(sampleFiles(LABLET, { [MANIFEST]: '' }));
    expect(r).toMatchObject({
      ok: false,
      diagnostics: [{ file: MANIFEST, pointer: '', rule: 'manifest.invalid' }],
    });
  });

  it('format_version other than PAv1 is refused at /format_version; PAv1 is not', async () => {
    const ds = await lint(manifest((m) => (m.format_version = 'PAv2')));
    expect(found(ds, MANIFEST)).toEqual(['manifest.format_version /format_version']);
    expect(ds[0]!.message).toContain('"PAv2"');
    expect(found(await lint(manifest((m) => (m.format_version = 'PAv1'))), MANIFEST)).toEqual([]);
  });

  it('a manifest with errors still declares the pod type and host type the package is detected with', async () => {
    const r = await validatePackage(
      sampleFiles(
        LABLET,
        manifest((m) => {
          m.host_type = 'hybrid_hardware';
          m.name = 'Bad Name';
        }),
      ),
    );
    expect(r).toMatchObject({ ok: false, partial: { name: 'Bad Name', pod_type: 'cml_on_aws' } });
    const f = await fields(manifest((m) => (m.host_type = 'hybrid_hardware')));
    expect(f.host_type).toBe('hybrid_hardware');
  });
});

describe('the pod type', () => {
  it('a legacy cml.yaml at the package root is a topology signal; the PAv1 one comes first', async () => {
    const f = await fields(
      manifest((m) => delete m.pod_type),
      { 'cml.yaml': 'nodes: []\n' },
    );
    expect(f.pod_type).toBe('cml_on_aws');
    expect(f.detection.map((s) => `${s.file} ${String(s.used)}`)).toEqual([
      'PAv1/topology/cml.yaml true',
      'cml.yaml false',
    ]);
    const legacy = await fields(
      manifest((m) => delete m.pod_type),
      { ...BARE, [TOPO]: null, [CONN]: null },
      {
        'cml.yaml': 'nodes: []\n',
      },
    );
    expect(legacy.detection).toEqual([
      { signal: 'topology file', file: 'cml.yaml', pod_type: 'cml_on_aws', used: true },
    ]);
  });

  it('no pod type anywhere: indeterminate, and the package is refused', async () => {
    const r = await validatePackage(
      sampleFiles(LABLET, { ...manifest((m) => delete m.pod_type), ...BARE, [TOPO]: null, [CONN]: null }),
    );
    expect(r).toMatchObject({ ok: false, partial: { pod_type: undefined } });
    if (!r.ok) expect(all(r.diagnostics)).toEqual([`${MANIFEST} pod_type.indeterminate /pod_type`]);
  });
});

describe('connectors: where they are placed', () => {
  const first = (c: Record<string, unknown>) => connectors((doc) => Object.assign(doc.connectors[0], c));

  it('host, port and username from runtime_env, with or without spaces, the dot or a $, with brackets and quotes', async () => {
    for (const host of [
      '${ .runtime_env.worker.address }',
      '${.runtime_env.worker.address}',
      '  ${ .runtime_env.worker.address }  ',
      '${ $runtime_env.worker.address }',
      '${ .runtime_env.devices["rtr-01"].address }',
      '${ .runtime_env.worker.addresses[0] }',
    ])
      expect(found(await lint(first({ host })), CONN), host).toEqual([]);
  });

  it('single quotes are not jq, but such a reference is still not a literal', async () => {
    expect(found(await lint(first({ host: "${ .runtime_env.devices['rtr_01'].address }" })), CONN)).toEqual([
      'job.jq_syntax /connectors/0/host',
    ]);
  });

  it('anything else is a literal: another root, text around it, two expressions, another shape', async () => {
    for (const host of [
      '${ .vars.address }',
      '${ .runtime_env.worker.address } + 1',
      'x${ .runtime_env.worker.address }',
      '${ .runtime_env.worker.address }x',
      '${ .runtime_env.worker.address } ${ .runtime_env.worker.address }',
      '${ .runtime_env.worker.address | ascii_downcase }',
      '${ .runtime_env.worker.address',
      '{ .runtime_env.worker.address }',
      '10.0.0.1',
      '',
    ])
      expect(found(await lint(first({ host })), CONN), host).toContain(
        'connectors.literal /connectors/0/host',
      );
  });

  it('a list is a literal too, even one holding a runtime_env reference', async () => {
    const ds = await lint(first({ host: ['${ .runtime_env.worker.address }'] }));
    expect(found(ds, CONN)).toContain('connectors.literal /connectors/0/host');
  });

  it('a connector without a secret reference is not refused for it', async () => {
    expect(await lint(connectors((doc) => delete doc.connectors[2].secret))).toEqual([]);
  });

  it('every placement field of every connector is checked, each at its pointer', async () => {
    const ds = await lint(
      connectors((doc) => {
        doc.connectors[1].port = '2001';
        doc.connectors[3].username = 'cisco';
      }),
    );
    expect(found(ds, CONN)).toEqual([
      'connectors.literal /connectors/1/port',
      'connectors.literal /connectors/3/username',
    ]);
  });

  it('a connector that is not a mapping is a schema error, not a crash', async () => {
    const ds = await lint(connectors((doc) => doc.connectors.push(null, 'rtr09')));
    // every diagnostic is one (the jobs' targets are no connectors now that the file is refused)
    expect(all(ds.filter((d) => !d.file?.startsWith('PAv1/jobs/')))).toEqual([
      `${CONN} schema.type /connectors/4`,
      `${CONN} schema.type /connectors/5`,
    ]);
  });

  it('an empty connectors.yaml is no connectors', async () => {
    const ds = await lint({ [CONN]: '' });
    expect(found(ds, CONN)).toEqual([]);
    expect(found(ds, POST_INIT)).toEqual([
      'job.target /spec/steps/1/target',
      'job.target /spec/steps/2/target',
    ]);
  });

  it('a connectors.yaml without `connectors` is refused by its schema; no connector is there for a job', async () => {
    const ds = await lint({ [CONN]: 'other: 1\n' });
    expect(found(ds, CONN)).toEqual(['schema.required /connectors', 'schema.additionalProperties /other']);
    expect(found(ds, POST_INIT)).toContain('job.target /spec/steps/1/target');
  });

  it('connectors that fail their schema are not used: a job’s target is then no connector', async () => {
    const ds = await lint(connectors((doc) => (doc.connectors[3].timeout = 'soon')));
    expect(found(ds, CONN)).toEqual(['schema.type /connectors/3/timeout']);
    expect(found(ds, POST_INIT)).toEqual([
      'job.target /spec/steps/1/target',
      'job.target /spec/steps/2/target',
    ]);
  });

  it('credentials and secret references are checked on every connector, at its index', async () => {
    const ds = await lint(
      connectors((doc) => {
        doc.connectors[2].password = 'cisco';
        doc.connectors[3].secret = 'nope';
      }),
    );
    expect(found(ds, CONN)).toEqual(
      expect.arrayContaining([
        'secret.value /connectors/2/password',
        'secret.reference /connectors/3/secret',
      ]),
    );
    expect(found(ds, CONN).filter((x) => x.startsWith('secret.'))).toHaveLength(2);
  });

  it('a secret read deep inside a connector is named by its JSON pointer, ~ and / escaped', async () => {
    const ds = await lint(
      first({
        options: { 'a/b': '${ .runtime_env.secrets.password }', 'c~d': ['x', '${ .runtime_env.secrets.x }'] },
      }),
    );
    expect(found(ds, CONN).filter((x) => x.startsWith('secret.'))).toEqual([
      'secret.expression /connectors/0/options/a~1b',
      'secret.expression /connectors/0/options/c~0d/1',
    ]);
  });

  it('the connectors’ names are the targets jobs may name', async () => {
    const ds = await lint(connectors((doc) => (doc.connectors[0].name = 'rtr01_console')));
    expect(found(ds, POST_INIT)).toEqual([
      'job.target /spec/steps/1/target',
      'job.target /spec/steps/2/target',
    ]);
  });
});

describe('topology files', () => {
  it('cml.yml is read as the CML topology', async () => {
    const f = await fields({ [TOPO]: null, 'PAv1/topology/cml.yml': text(TOPO) });
    expect(f.ports).toEqual(['rtr01_serial', 'rtr02_serial', 'rtr03_serial', 'sw01_serial']);
    expect((f.topology as any).lab.title).toBe('OSPF basics');
  });

  it('the topology is the parsed file; a CML topology without links has none to check', async () => {
    const f = await fields(
      topology((t) => {
        delete t.links;
      }),
    );
    expect(f.topology).not.toHaveProperty('links');
    expect((f.topology as any).nodes).toHaveLength(4);
  });

  it('only lcm:expose= tags expose a port, whatever another tag ends with', async () => {
    const f = await fields(topology((t) => (t.nodes[0].tags = ['lcm:expose=serial', 'other:tag1=ssh'])));
    expect(f.devices[0]!.expose).toEqual(['serial']);
  });

  it('no topology file: a connector’s device port is not checked against one', async () => {
    const ds = await lint({ [TOPO]: null });
    expect(found(ds, CONN)).toEqual([]);
  });

  it('a node without tags exposes nothing, its node definition is kept', async () => {
    const f = await fields(
      topology((t) => {
        delete t.nodes[3].tags;
      }),
      connectors((c) => (c.connectors[3].port = '${ .runtime_env.worker.port }')),
    );
    expect(f.devices[3]).toEqual({ name: 'sw01', node_definition: 'iosvl2', expose: [] });
    expect(f.ports).toEqual(['rtr01_serial', 'rtr02_serial', 'rtr03_serial']);
  });

  it('an empty topology file is no topology: no devices, so a connector’s device is not in it', async () => {
    const ds = await lint({ [TOPO]: '' });
    expect(found(ds, TOPO)).toEqual([]);
    expect(found(ds, CONN)).toEqual([
      'connectors.device /connectors/0/port',
      'connectors.device /connectors/1/port',
      'connectors.device /connectors/2/port',
      'connectors.device /connectors/3/port',
    ]);
    const f = await fields(
      { [TOPO]: '' },
      connectors((c) => c.connectors.forEach((x: any) => (x.port = '${ .runtime_env.worker.port }'))),
    );
    expect(f).toMatchObject({ topology: null, devices: [], ports: [], pod_type: 'cml_on_aws' });
  });

  it('a CML topology that does not parse yields no devices', async () => {
    const ds = await lint({ [TOPO]: 'nodes: [\n' });
    expect(found(ds, TOPO)).toEqual(['yaml.syntax ']);
    expect(found(ds, CONN)).toHaveLength(4);
    expect(ds.find((d) => d.file === CONN)!.message).toContain('(it has none)');
  });

  it('a proxmox or vmware topology is not checked against the CML schema and has no devices', async () => {
    for (const [file, podType] of [
      ['PAv1/topology/proxmox.yaml', 'proxmox'],
      ['PAv1/topology/vmware.yaml', 'vmware'],
    ] as const) {
      const f = await fields(
        manifest((m) => (m.pod_type = podType)),
        BARE,
        {
          [TOPO]: null,
          [CONN]: null,
          [file]: 'vms: [{ name: a }]\n',
        },
      );
      expect(f).toMatchObject({
        pod_type: podType,
        topology: { vms: [{ name: 'a' }] },
        devices: [],
        ports: [],
      });
    }
  });

  it('a radkit topology without devices is refused', async () => {
    const ds = await lint(
      manifest((m) => (m.pod_type = 'roc_radkit')),
      BARE,
      {
        [TOPO]: null,
        [CONN]: null,
        'PAv1/topology/radkit.yaml': 'service: radkit-lab-eu\n',
      },
    );
    expect(all(ds)).toEqual(['PAv1/topology/radkit.yaml radkit.devices /devices']);
    const nulls = await lint(
      manifest((m) => (m.pod_type = 'roc_radkit')),
      BARE,
      {
        [TOPO]: null,
        [CONN]: null,
        'PAv1/topology/radkit.yaml': 'service: radkit-lab-eu\ndevices: [{ name: a }, null]\n',
      },
    );
    expect(all(nulls)).toEqual(['PAv1/topology/radkit.yaml radkit.devices /devices']);
  });

  it('roc_radkit with connectors is refused at /connectors; another pod type with the same connectors is not', async () => {
    const radkit = {
      [TOPO]: null,
      'PAv1/topology/radkit.yaml': 'service: radkit-lab-eu\ndevices: [{ name: rtr01 }]\n',
    };
    const ds = await lint(
      manifest((m) => (m.pod_type = 'roc_radkit')),
      BARE,
      radkit,
      {
        [CONN]:
          'connectors:\n  - { name: rtr01, class: cisco_common, transport: ssh, port: "${ .runtime_env.devices.rtr01.ssh_port }", secret: cml/devices }\n',
      },
    );
    expect(found(ds, CONN)).toEqual(['connectors.radkit /connectors']);
    expect(
      found(
        await lint(
          manifest((m) => (m.pod_type = 'roc_radkit')),
          BARE,
          radkit,
          { [CONN]: null },
        ),
        CONN,
      ),
    ).toEqual([]);
  });
});

describe('jobs', () => {
  it('jobs are read from jobs/ and scenarios/, as .yaml or .yml; other files and folders are not jobs', async () => {
    const f = await fields(
      { [POST_INIT]: null, 'PAv1/scenarios/post_init.yml': text(POST_INIT) },
      {
        'PAv1/jobs/notes.md': 'not a job',
        'PAv1/jobs/old/grade.yaml': 'not: a job\n',
        'PAv1/jobsx/grade.yaml': 'not: a job\n',
        'PAv1/old/jobs/grade.yaml': 'not: a job\n',
        'PAv1/jobs/grade.yaml.bak': 'not: a job\n',
      },
    );
    expect(Object.keys(f.jobs).sort()).toEqual(['grade@v1', 'post_init@v1']);
  });

  it('a job that does not parse or fails its schema is not defined (and the lifecycle says so)', async () => {
    const ds = await lint(editedYaml(LABLET, POST_INIT, (j: any) => (j.kind = 'Job')));
    expect(found(ds, POST_INIT)).toEqual(['schema.const /kind']);
    expect(found(ds, LIFECYCLE)).toEqual(['lifecycle.job_ref /spec/phases/0/jobs/0/definition']);
  });

  it('the second of two job files with one name and version is refused, and the later file wins', async () => {
    const ds = await lint({ 'PAv1/jobs/a_post_init.yaml': text(POST_INIT) });
    expect(all(ds)).toEqual([`${POST_INIT} job.duplicate /metadata`]);
  });

  it('a step id used twice is refused at the second step', async () => {
    const ds = await lint(steps((s) => (s[3].id = 'settle')));
    expect(found(ds, POST_INIT)).toEqual(['job.step_id_unique /spec/steps/3/id']);
  });

  it('the catalogue’s refusals are placed under the step', async () => {
    const ds = await lint(steps((s) => (s[1].uses = 'teleport@v1')));
    expect(found(ds, POST_INIT)).toEqual(['catalogue.function /spec/steps/1/uses']);
    const wrong = await lint(steps((s) => (s[0].with.seconds = 'soon')));
    expect(found(wrong, POST_INIT)).toEqual(['catalogue.input.type /spec/steps/0/with/seconds']);
  });

  it('a target on a function that takes none is the catalogue’s refusal, not an unknown connector', async () => {
    const ds = await lint(steps((s) => (s[0].target = 'rtr09')));
    expect(found(ds, POST_INIT)).toEqual(['catalogue.target /spec/steps/0/target']);
  });

  it('copy@v1 names a file the package lacks, or one that is not text: two messages', async () => {
    const copy = (file: string) =>
      steps((s) => s.push({ id: 'base', uses: 'copy@v1', target: 'rtr01', with: { file } }));
    const [missing] = await lint(copy('gone.cfg'));
    expect(missing).toMatchObject({ rule: 'job.file_missing', pointer: '/spec/steps/4/with/file' });
    expect(missing!.message).toBe('copy@v1 sends files/gone.cfg, which the package does not ship');
    const [binary] = await lint(copy('bin.cfg'), { 'PAv1/files/bin.cfg': 'a\u0000b' });
    expect(binary!.message).toBe(
      'files/bin.cfg is not a text file of at most 64 KiB: copy@v1 sends text only',
    );
    // another function's `file` input is not a file of the package
    expect(found(await lint(steps((s) => (s[2].with.file = 'gone.cfg'))), POST_INIT)).toEqual([
      'catalogue.input /spec/steps/2/with/file',
    ]);
  });

  it('copy@v1 without a file name, or with a number, is the catalogue’s refusal only', async () => {
    const copy = (step: Record<string, unknown>) =>
      steps((s) => s.push({ id: 'base', uses: 'copy@v1', target: 'rtr01', ...step }));
    expect(found(await lint(copy({})), POST_INIT)).toEqual([
      'catalogue.input.required /spec/steps/4/with/file',
    ]);
    expect(found(await lint(copy({ with: { file: 5 } })), POST_INIT)).toEqual([
      'catalogue.input.type /spec/steps/4/with/file',
    ]);
  });

  it('a function that needs a target and has none is the catalogue’s refusal, not an unknown connector', async () => {
    const ds = await lint(steps((s) => delete s[2].target));
    expect(found(ds, POST_INIT)).toEqual(['catalogue.target /spec/steps/2/target']);
  });

  it('a `.vars` reference to what a step captures takes that step to have run first', async () => {
    const ds = await lint(steps((s) => (s[3].with.checks = '${ [.vars.lab_ready] }')));
    expect(found(ds, POST_INIT)).toEqual(['job.var_unknown /spec/steps/3/with']);
    const [nothing] = await lint(steps((s) => (s[3].with.checks = '${ [.vars.nothing] }')));
    expect(nothing!.message).toBe('.vars.nothing is not captured by an earlier step');
  });
});

describe('the rubric and reports', () => {
  const rubricDoc = (edit: (r: any) => void) => editedYaml(LABLET, RUBRIC, edit);

  it('a rubric that does not parse or fails its schema is not used: no max_points or source check on it', async () => {
    const ds = await lint(
      rubricDoc((r) => {
        r.spec.max_points = 1;
        r.spec.items[0].checks[0].source = 'nothing';
        r.kind = 'Nope';
      }),
    );
    expect(found(ds, RUBRIC)).toEqual(['schema.const /kind']);
  });

  it('a check’s source is read from any job’s captures', async () => {
    expect(await lint(rubricDoc((r) => (r.spec.items[0].checks[0].source = 'lab_ready')))).toEqual([]);
  });

  it('a source whose root is no capture, though a capture starts with it, is unknown', async () => {
    const ds = await lint(rubricDoc((r) => (r.spec.items[0].checks[0].source = 'rtr01.ospf')));
    expect(found(ds, RUBRIC)).toEqual(['rubric.source_unknown /spec/items/0/checks/0/source']);
    const later = await lint(rubricDoc((r) => (r.spec.items[5].checks[1].source = 'rtr09')));
    expect(found(later, RUBRIC)).toEqual(['rubric.source_unknown /spec/items/5/checks/1/source']);
  });

  it('max_points may differ from the sum by 1e-9, not more', async () => {
    const tiny = (points: number) =>
      rubricDoc((r) => {
        r.spec.items = [{ ...r.spec.items[0], points }];
        r.spec.max_points = 1e-9;
      });
    expect(found(await lint(tiny(2e-9)), RUBRIC)).toEqual([]);
    expect(found(await lint(tiny(2.1e-9)), RUBRIC)).toEqual(['rubric.max_points_sum /spec/max_points']);
  });

  it('an item twice and a bad regex are named at their index', async () => {
    const ds = await lint(
      rubricDoc((r) => {
        r.spec.items[4].id = r.spec.items[0].id;
        r.spec.items[2].checks[0].regex = '[';
      }),
    );
    expect(found(ds, RUBRIC)).toEqual([
      'rubric.regex /spec/items/2/checks/0/regex',
      'rubric.item_unique /spec/items/4/id',
    ]);
  });

  it('reports are read from reports/*.yaml and *.yml by name; nested files are not reports', async () => {
    const f = await fields(
      { [REPORT]: null, 'PAv1/reports/score_report.yml': text(REPORT) },
      {
        'PAv1/reports/old/other.yaml': 'x: 1\n',
        'PAv1/reports/readme.md': 'x',
        'PAv1/old/reports/other.yaml': 'x: 1\n',
        'PAv1/reports/other.yaml.bak': 'x: 1\n',
      },
    );
    expect(Object.keys(f.reports)).toEqual(['score_report']);
    expect(f.reports.score_report).toMatchObject({ kind: 'ProcessReportSpec' });
  });

  it('a report is named by its file name without the last .yaml', async () => {
    const f = await fields(
      { [REPORT]: null, 'PAv1/reports/score_report.yml.yaml': text(REPORT) },
      lifecycle((l) => delete l.spec.phases[2].jobs[0].report),
    );
    expect(Object.keys(f.reports)).toEqual(['score_report.yml']);
  });

  it('a report that does not parse is not there for a job to name', async () => {
    const ds = await lint({ [REPORT]: 'kind: [\n' });
    expect(all(ds)).toEqual([
      `${REPORT} yaml.syntax `,
      `${LIFECYCLE} lifecycle.report_ref /spec/phases/2/jobs/0/report`,
    ]);
  });
});

describe('.content.files', () => {
  const reads = (expr: string) => steps((s) => (s[3].with.checks = `\${ [${expr}] }`));

  it('the topology, the rubric and a report are there only when the package ships them', async () => {
    const cases: [string, Changes][] = [
      ['.content.files.topology', { [TOPO]: null, [CONN]: null, [GRADE]: null, [RUBRIC]: null }],
      ['.content.files.rubric', { [RUBRIC]: null }],
      ['.content.files.score_report', { [REPORT]: null }],
    ];
    for (const [expr, gone] of cases)
      expect(found(await lint(reads(expr), gone), POST_INIT), expr).toContain(
        'job.file_missing /spec/steps/3/with/checks',
      );
  });

  it('a report named .yml is there by its name; a nested one is not', async () => {
    expect(
      found(await lint(reads('.content.files.extra'), { 'PAv1/reports/extra.yml': text(REPORT) }), POST_INIT),
    ).toEqual([]);
    for (const path of [
      'PAv1/reports/old/extra.yaml',
      'PAv1/old/reports/extra.yaml',
      'PAv1/reports/extra.yaml.bak',
    ])
      expect(found(await lint(reads('.content.files.extra'), { [path]: 'x: 1\n' }), POST_INIT), path).toEqual(
        ['job.file_missing /spec/steps/3/with/checks'],
      );
  });
});

describe('the lifecycle', () => {
  it('an unknown native step is refused at its index, per pod type', async () => {
    const ds = await lint(
      lifecycle((l) => {
        l.spec.phases[0].native_steps_by_pod_type.proxmox = ['ports_alloc', 'reboot_universe'];
      }),
    );
    expect(found(ds, LIFECYCLE)).toEqual([
      'lifecycle.native_step /spec/phases/0/native_steps_by_pod_type/proxmox/1',
    ]);
    expect(ds[0]!.message).toBe('unknown native step "reboot_universe"');
  });

  it('a job the package does not define is refused at its index; the package’s lifecycle names the file', async () => {
    const ds = await lint(lifecycle((l) => l.spec.phases[2].jobs.push({ definition: 'collect@v1' })));
    expect(all(ds)).toEqual([`${LIFECYCLE} lifecycle.job_ref /spec/phases/2/jobs/1/definition`]);
  });

  it('the standard lifecycle checks the jobs the package ships, in "(standard lifecycle)"', async () => {
    // grade@v1 is shipped and named by the standard lifecycle's grade phase with `rubric: rubric`
    const ds = await lint({ [LIFECYCLE]: null, [RUBRIC]: null });
    expect(found(ds, '(standard lifecycle)')).toEqual(['lifecycle.rubric_ref /spec/phases/2/jobs/0/rubric']);
    expect(found(ds, LIFECYCLE)).toEqual([]);
  });

  it('a lifecycle_ref that is not a string is the schema’s refusal; lifecycle.yaml is read', async () => {
    const r = await validatePackage(
      sampleFiles(
        LABLET,
        manifest((m) => (m.lifecycle_ref = 7)),
      ),
    );
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(all(r.diagnostics)).toEqual([`${MANIFEST} schema.type /lifecycle_ref`]);
    }
  });

  it('a lifecycle that does not parse: the standard one is used', async () => {
    const ds = await lint({ [LIFECYCLE]: 'kind: [\n' });
    expect(all(ds)).toEqual([`${LIFECYCLE} yaml.syntax `]);
  });
});

describe('what a good package yields', () => {
  it('every field, from the manifest and the files', async () => {
    const r = await validatePackage(sampleFiles(LABLET));
    expect(r).toMatchObject({ ok: true, diagnostics: [] });
    const f = await fields();
    expect(f).toMatchObject({
      name: 'lablet-ospf-basics',
      version: '1.0.0',
      content_id: 'ospf-basics',
      pod_type: 'cml_on_aws',
      host_type: 'cml_on_aws',
      manifest: { name: 'lablet-ospf-basics', jobs_used: ['post_init@v1', 'grade@v1'] },
      lifecycle_source: 'package',
      lifecycle_phases: ['instantiate', 'collect', 'grade', 'archive'],
      grading_rules: { kind: 'EvaluationRuleset', spec: { max_points: 100 } },
      restore_rules: text('PAv1/restore/restore.yaml'),
    });
    expect(f.lifecycle.spec.phases).toHaveLength(4);
    expect(f.files).toEqual([
      'connectors.yaml',
      'files/rtr01-base.cfg',
      'grading/rubric.yaml',
      'jobs/grade.yaml',
      'jobs/post_init.yaml',
      'lifecycle.yaml',
      'manifest.yaml',
      'reports/score_report.yaml',
      'restore/restore.yaml',
      'topology/cml.yaml',
    ]);
    expect(f.file_texts).toEqual({ 'rtr01-base.cfg': text('PAv1/files/rtr01-base.cfg') });
    expect(f.connectors.map((c) => c.name)).toEqual(['rtr01', 'rtr02', 'rtr03', 'sw01']);
  });

  it('the web-only part: no host type, no topology, no rubric', async () => {
    const r = await validatePackage(sampleFiles('design-web-only'));
    if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
    expect(r.fields).toMatchObject({
      host_type: null,
      topology: null,
      devices: [],
      connectors: [],
      grading_rules: null,
      reports: {},
      restore_rules: null,
      file_texts: {},
      jobs: {},
      lifecycle_phases: ['instantiate', 'grade', 'archive'],
    });
  });

  it('file texts are keyed in name order, whatever order the package lists them', async () => {
    const files = new Map<string, Buffer>([
      ['PAv1/files/zeta.txt', Buffer.from('z')],
      ...sampleFiles(LABLET),
      ['PAv1/files/Alpha.txt', Buffer.from('a')],
      ['PAv1/notfiles/x.txt', Buffer.from('x')],
    ]);
    const r = await validatePackage(files);
    if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
    expect(Object.keys(r.fields.file_texts)).toEqual(['Alpha.txt', 'rtr01-base.cfg', 'zeta.txt']);
  });
});
