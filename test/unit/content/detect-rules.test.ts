/**
 * Pod-type detection rules (issue 18, mutation testing): the manifest's pod_type first, then the
 * topology files in their fixed order; first match wins and is the only signal marked used;
 * every signal is kept; a contradiction names both sides; no signal is indeterminate.
 */
import { describe, expect, it } from 'vitest';
import { detectPodType } from '../../../shared/content/detect.ts';

const ORDER = [
  ['PAv1/topology/radkit.yaml', 'roc_radkit'],
  ['PAv1/topology/proxmox.yaml', 'proxmox'],
  ['PAv1/topology/vmware.yaml', 'vmware'],
  ['PAv1/topology/cml.yaml', 'cml_on_aws'],
  ['PAv1/topology/cml.yml', 'cml_on_aws'],
  ['cml.yaml', 'cml_on_aws'],
  ['cml.yml', 'cml_on_aws'],
  ['radkit.yaml', 'roc_radkit'],
] as const;

describe('detectPodType', () => {
  it('no manifest pod_type and no topology file: indeterminate, no pod type', () => {
    const d = detectPodType(new Set(['PAv1/manifest.yaml', 'PAv1/topology/other.yaml']));
    expect(d.pod_type).toBeUndefined();
    expect(d.host_type).toBeUndefined();
    expect(d.signals).toEqual([]);
    expect(d.diagnostics.map((x) => [x.file, x.pointer, x.rule])).toEqual([
      ['PAv1/manifest.yaml', '/pod_type', 'pod_type.indeterminate'],
    ]);
  });

  it.each(ORDER)('%s alone signals %s', (file, pod) => {
    const d = detectPodType(new Set([file]));
    expect(d.pod_type).toBe(pod);
    expect(d.signals).toEqual([{ signal: 'topology file', file, pod_type: pod, used: true }]);
    expect(d.diagnostics).toEqual([]);
  });

  it('every topology file is kept as a signal, in the fixed order, and the first one is used', () => {
    const all = new Set(ORDER.map(([f]) => f).reverse());
    const d = detectPodType(all);
    expect(d.signals.map((s) => s.file)).toEqual(ORDER.map(([f]) => f));
    expect(d.signals.map((s) => s.used)).toEqual([true, false, false, false, false, false, false, false]);
    expect(d.pod_type).toBe('roc_radkit');
    // Two topology files that disagree are not a contradiction without a manifest pod_type.
    expect(d.diagnostics).toEqual([]);
  });

  it('each file in the order wins over every later one', () => {
    for (let i = 0; i < ORDER.length - 1; i++) {
      const d = detectPodType(new Set(ORDER.slice(i).map(([f]) => f)));
      expect(d.signals[0]).toMatchObject({ file: ORDER[i]![0], used: true });
      expect(d.pod_type).toBe(ORDER[i]![1]);
    }
  });

  it('the manifest pod_type comes first and is used; agreeing topology files are signals too', () => {
    const d = detectPodType(new Set(['PAv1/topology/cml.yaml', 'cml.yml']), 'cml_on_aws');
    expect(d.signals).toEqual([
      { signal: 'manifest.pod_type', file: 'PAv1/manifest.yaml', pod_type: 'cml_on_aws', used: true },
      { signal: 'topology file', file: 'PAv1/topology/cml.yaml', pod_type: 'cml_on_aws', used: false },
      { signal: 'topology file', file: 'cml.yml', pod_type: 'cml_on_aws', used: false },
    ]);
    expect(d.pod_type).toBe('cml_on_aws');
    expect(d.host_type).toBe('cml_on_aws');
    expect(d.diagnostics).toEqual([]);
  });

  it('a manifest without a topology file is used alone', () => {
    const d = detectPodType(new Set(), 'proxmox');
    expect(d.pod_type).toBe('proxmox');
    expect(d.signals).toHaveLength(1);
    expect(d.diagnostics).toEqual([]);
  });

  it('a topology file that contradicts the manifest is named with the pod type it signals', () => {
    const d = detectPodType(new Set(['PAv1/topology/cml.yaml', 'PAv1/topology/vmware.yaml']), 'cml_on_aws');
    expect(d.pod_type).toBe('cml_on_aws');
    expect(d.diagnostics).toHaveLength(1);
    expect(d.diagnostics[0]).toMatchObject({
      file: 'PAv1/manifest.yaml',
      pointer: '/pod_type',
      rule: 'pod_type.contradiction',
    });
    expect(d.diagnostics[0]!.message).toContain('PAv1/topology/vmware.yaml signals vmware');
  });

  it('pod_type none (web-only) with any topology file is a contradiction naming every file', () => {
    const d = detectPodType(new Set(['cml.yaml', 'radkit.yaml']), 'none');
    expect(d.pod_type).toBe('none');
    expect(d.diagnostics).toHaveLength(1);
    expect(d.diagnostics[0]!.rule).toBe('pod_type.contradiction');
    expect(d.diagnostics[0]!.message).toContain('cml.yaml, radkit.yaml');
  });

  it('pod_type none without a topology has no host', () => {
    const d = detectPodType(new Set(), 'none');
    expect(d.pod_type).toBe('none');
    expect(d.host_type).toBeNull();
    expect(d.diagnostics).toEqual([]);
  });

  it('the host type: declared wins; radkit is hybrid hardware; otherwise the pod type', () => {
    expect(detectPodType(new Set(['radkit.yaml'])).host_type).toBe('hybrid_hardware');
    expect(detectPodType(new Set(['PAv1/topology/vmware.yaml'])).host_type).toBe('vmware');
    expect(detectPodType(new Set(['radkit.yaml']), undefined, 'proxmox').host_type).toBe('proxmox');
  });
});
