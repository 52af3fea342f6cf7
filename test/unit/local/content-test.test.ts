/**
 * Issue 14: `lcm content test <package> [--devices model.yaml]`, the author's dry run against the
 * simulators. The sample lablet reaches 100/100 against its own device model; one changed answer
 * names the item that failed and why; the DOO sample is graded over SSH.
 */
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { main } from '../../../bin/cli.ts';
import { contentTest } from '../../../infra/local/content-test.ts';
import { CONTENT } from '../content/packages.ts';

const DEVICES = new URL('../../../seeds/devices/', import.meta.url).pathname;

async function dryRun(pkg: string, devices?: string) {
  let out = '';
  let err = '';
  const code = await main(
    ['content', 'test', join(CONTENT, pkg), ...(devices ? ['--devices', devices] : [])],
    (s) => void (out += s),
    (s) => void (err += s),
    contentTest,
  );
  return { code, out, err };
}

describe('lcm content test, the dry run', { timeout: 60_000 }, () => {
  it('runs the lablet phase by phase, step by step, and prints 100/100 item by item', async () => {
    const r = await dryRun('lablet-ospf-basics', join(DEVICES, 'lablet-ospf-basics.yaml'));
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    for (const phase of ['instantiate', 'collect', 'grade', 'archive'])
      expect(r.out).toContain(`■ phase ${phase}`);
    expect(r.out).toMatch(
      /✔ lab_resolve \(imported the topology into the CML simulator: 4 node\(s\)\) \d+ ms/,
    );
    expect(r.out).toMatch(/▸ job grade@v1 completed \d+ ms/);
    expect(r.out).toMatch(/✔ rtr01_neighbors collect@v1 succeeded \d+ ms/);
    expect(r.out).toMatch(/✔ r3-router-id +5\/5 +rtr03 uses router ID 3\.3\.3\.3/);
    expect(r.out).toMatch(/100\/100 \(100%\)/);
  });

  it('one changed answer in the device model: the item that failed and why, and that full marks are out of reach', async () => {
    const model = parse(await readFile(join(DEVICES, 'lablet-ospf-basics.yaml'), 'utf8')) as {
      devices: Record<string, { commands: Record<string, string> }>;
    };
    model.devices.rtr03!.commands['show ip protocols | include Router ID'] = '  Router ID 10.0.0.3';
    const file = join(await mkdtemp(join(tmpdir(), 'lcm-devices-')), 'model.yaml');
    await writeFile(file, stringify(model));
    const r = await dryRun('lablet-ospf-basics', file);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/✘ r3-router-id +0\/5 /);
    expect(r.out).toContain("rtr03's router ID is not 3.3.3.3");
    expect(r.out).toMatch(/95\/100 \(95%\)/);
    expect(r.out).toMatch(/does not reach full marks against .*model\.yaml: 1 item\(s\) failed/);
  });

  it('grades the CCIE DOO part over SSH', async () => {
    const r = await dryRun('doo-bgp', join(DEVICES, 'doo-bgp.yaml'));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/✔ core01_bgp collect@v1 succeeded/);
    expect(r.out).toMatch(/20\/20 \(100%\)/);
  });

  it('a package that does not lint is not run', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lcm-dry-'));
    await cp(join(CONTENT, 'lablet-ospf-basics'), dir, { recursive: true });
    await writeFile(
      join(dir, 'PAv1/jobs/post_init.yaml'),
      'kind: JobDefinition\nmetadata: { name: post_init, version: v1 }\nspec:\n  steps:\n    - { id: x, uses: collect@v1, target: rtr01, with: { command: "${ .content.files. }" } }\n',
    );
    let out = '';
    const code = await main(
      ['content', 'test', dir],
      (s) => void (out += s),
      () => undefined,
      contentTest,
    );
    expect(code).toBe(1);
    expect(out).toContain('[job.jq_syntax]');
    expect(out).not.toContain('■ phase');
  });
});
