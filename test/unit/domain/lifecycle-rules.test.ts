/**
 * The lifecycle vocabulary of shared/domain/lifecycle.ts, each from both sides (issue 18): which
 * pod types, phase names and native steps exist, and which host type a pod runs on.
 */
import { describe, expect, it } from 'vitest';
import {
  HOST_TYPES,
  NATIVE_STEPS,
  PHASE_ORDER,
  POD_TYPES,
  hostTypeFor,
  isNativeStep,
  isPhaseName,
  isPodType,
  phasesFor,
  type Lifecycle,
} from '../../../shared/domain/lifecycle.ts';

describe('pod types', () => {
  it.each(POD_TYPES)('%s is a pod type', (t) => {
    expect(isPodType(t)).toBe(true);
  });

  it.each(['native_aws', 'CML_ON_AWS', '', undefined, null, 5, {}])('%s is not', (t) => {
    expect(isPodType(t)).toBe(false);
  });
});

describe('the host type a pod runs on', () => {
  it('a declared host type wins over the pod type, whatever the pod type', () => {
    expect(hostTypeFor('cml_on_aws', 'native_aws')).toBe('native_aws');
    expect(hostTypeFor('none', 'native_aws')).toBe('native_aws');
    expect(hostTypeFor('roc_radkit', 'vmware')).toBe('vmware');
  });

  it('web-only content (none) needs no host', () => {
    expect(hostTypeFor('none')).toBeNull();
  });

  it('device-based content (roc_radkit) runs on hybrid hardware', () => {
    expect(hostTypeFor('roc_radkit')).toBe('hybrid_hardware');
  });

  it.each(['cml_on_aws', 'proxmox', 'vmware'] as const)('%s runs on a host of its own name', (t) => {
    expect(hostTypeFor(t)).toBe(t);
    expect(HOST_TYPES).toContain(t);
  });
});

describe('phase names', () => {
  it('the phases run in the documented order', () => {
    expect(PHASE_ORDER).toEqual([
      'instantiate',
      'post_init',
      'ready',
      'monitor',
      'collect',
      'grade',
      'review',
      'submit',
      'teardown',
      'archive',
    ]);
  });

  it.each(PHASE_ORDER)('%s is a phase name', (p) => {
    expect(isPhaseName(p)).toBe(true);
  });

  it.each(['setup', 'Ready', '', 'lab_start'])('%s is not', (p) => {
    expect(isPhaseName(p)).toBe(false);
  });
});

describe('native steps', () => {
  it.each(Object.keys(NATIVE_STEPS))('%s is a native step', (s) => {
    expect(isNativeStep(s)).toBe(true);
  });

  it.each(['lab_boot', '', 'instantiate', 'toString', 'hasOwnProperty', '__proto__'])('%s is not', (s) => {
    expect(isNativeStep(s)).toBe(false);
  });
});

describe('the phases a pod type runs', () => {
  const lifecycle: Lifecycle = {
    kind: 'Lifecycle',
    spec: {
      phases: [
        { name: 'instantiate' },
        { name: 'collect', pod_types: ['cml_on_aws', 'proxmox'] },
        { name: 'grade', pod_types: [] },
        { name: 'archive' },
      ],
    },
  };

  it('a phase without pod_types runs for every pod type; one with them only for those, in document order', () => {
    expect(phasesFor(lifecycle, 'cml_on_aws').map((p) => p.name)).toEqual([
      'instantiate',
      'collect',
      'archive',
    ]);
    expect(phasesFor(lifecycle, 'none').map((p) => p.name)).toEqual(['instantiate', 'archive']);
  });
});
