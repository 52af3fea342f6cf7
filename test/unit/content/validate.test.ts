import { describe, expect, it } from 'vitest';
import { readZip } from '../../../shared/content/package-reader.ts';
import { validatePackage } from '../../../shared/content/validate.ts';
import { brokenCases, samplePackage } from './packages.ts';

describe('the sample packages', () => {
  it('the lablet is valid and yields every typed field', async () => {
    const r = await validatePackage(await readZip(await samplePackage('lablet-ospf-basics')));
    if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
    expect(r.fields).toMatchObject({
      name: 'lablet-ospf-basics',
      version: '1.0.0',
      content_id: 'ospf-basics',
      pod_type: 'cml_on_aws',
      host_type: 'cml_on_aws',
      lifecycle_source: 'package',
    });
    expect(r.fields.ports).toEqual(['rtr01_serial', 'rtr02_serial', 'rtr03_serial', 'sw01_serial']);
    expect(r.fields.devices.map((d) => d.name)).toEqual(['rtr01', 'rtr02', 'rtr03', 'sw01']);
    expect(r.fields.lifecycle_phases).toEqual(['instantiate', 'collect', 'grade', 'archive']);
    expect(Object.keys(r.fields.jobs).sort()).toEqual(['grade@v1', 'post_init@v1']);
    expect(r.fields.grading_rules?.spec.items).toHaveLength(10);
    expect(r.fields.connectors).toHaveLength(4);
    expect(r.fields.reports).toHaveProperty('score_report');
    expect(r.fields.restore_rules).toContain('rtr01');
    expect(r.fields.detection.find((s) => s.used)).toMatchObject({
      signal: 'manifest.pod_type',
      pod_type: 'cml_on_aws',
    });
  });

  it('the web-only design part has no pod and no host', async () => {
    const r = await validatePackage(await readZip(await samplePackage('design-web-only')));
    if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
    expect(r.fields).toMatchObject({
      pod_type: 'none',
      host_type: null,
      lifecycle_source: 'standard',
      ports: [],
    });
  });

  it('the CCIE DOO part reaches its routers over SSH: ports core01_ssh and core02_ssh', async () => {
    const r = await validatePackage(await readZip(await samplePackage('doo-bgp')));
    if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
    expect(r.fields).toMatchObject({ pod_type: 'cml_on_aws', content_id: 'ccie-ei-doo-1' });
    expect(r.fields.ports).toEqual(['core01_ssh', 'core02_ssh']);
    expect(r.fields.connectors.map((c) => c.transport)).toEqual(['ssh', 'ssh']);
  });

  it('RADKit device access is refused at sync with a diagnostic that says what to do instead', async () => {
    const r = await validatePackage(
      await readZip(
        await samplePackage('doo-bgp', {
          'PAv1/manifest.yaml':
            'format_version: PAv1\nname: doo-radkit\nversion: 1.0.0\ncontent_id: doo-radkit\npod_type: roc_radkit\n',
          'PAv1/topology/cml.yaml': null,
          'PAv1/topology/radkit.yaml':
            'service: radkit-lab-eu\ndevices:\n  - { name: core01 }\n  - { name: core02 }\n',
        }),
      ),
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.diagnostics).toContainEqual({
      file: 'PAv1/connectors.yaml',
      pointer: '/connectors',
      rule: 'connectors.radkit',
      message: expect.stringMatching(/RADKit, which this product does not speak.*lcm:expose=ssh/),
    });
  });

  it('legacy files beside PAv1 are tolerated, and PAv1 wins', async () => {
    const r = await validatePackage(
      await readZip(
        await samplePackage('lablet-ospf-basics', {
          'mosaic_meta.json': '{}',
          'grade.xml': '<x/>',
          'RCUv1/readme.txt': 'old',
          'cml.yml': 'nodes: []',
        }),
      ),
    );
    expect(r.ok).toBe(true);
  });
});

describe('each broken package fails with a diagnostic naming the file and the rule', () => {
  it.each(brokenCases().map((c) => [c.name, c] as const))('%s', async (_n, c) => {
    const r = await validatePackage(await readZip(await samplePackage('lablet-ospf-basics', c.changes)));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.diagnostics).toContainEqual(expect.objectContaining({ file: c.file, rule: c.rule }));
    for (const d of r.diagnostics) expect(d.message.length).toBeGreaterThan(5);
  });

  it('covers at least twelve failure classes', () =>
    expect(new Set(brokenCases().map((c) => c.rule)).size).toBeGreaterThanOrEqual(12));
});
