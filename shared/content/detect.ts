/**
 * Pod-type detection: the manifest's `pod_type` first, then the topology file the package ships
 * (radkit, proxmox, vmware, cml, in that order; root-level legacy files last). First match wins,
 * every signal is kept for the audit log. A manifest that contradicts its topology fails with
 * both named; a package with no signal fails as indeterminate.
 */
import { hostTypeFor, type HostType, type PodType } from '../domain/lifecycle.ts';
import type { Diagnostic } from './diagnostics.ts';

export interface Signal {
  signal: string;
  file: string;
  pod_type: PodType;
  used: boolean;
}

export interface Detection {
  pod_type?: PodType;
  host_type?: HostType | null;
  signals: Signal[];
  diagnostics: Diagnostic[];
}

const TOPOLOGY_SIGNALS: [string, PodType][] = [
  ['PAv1/topology/radkit.yaml', 'roc_radkit'],
  ['PAv1/topology/proxmox.yaml', 'proxmox'],
  ['PAv1/topology/vmware.yaml', 'vmware'],
  ['PAv1/topology/cml.yaml', 'cml_on_aws'],
  ['PAv1/topology/cml.yml', 'cml_on_aws'],
  ['cml.yaml', 'cml_on_aws'],
  ['cml.yml', 'cml_on_aws'],
  ['radkit.yaml', 'roc_radkit'],
];

/** `paths` are package paths (with `PAv1/`); `manifestPodType` as declared, if any. */
export function detectPodType(
  paths: Set<string>,
  manifestPodType?: PodType,
  manifestHostType?: HostType,
): Detection {
  const signals: Signal[] = [];
  if (manifestPodType)
    signals.push({
      signal: 'manifest.pod_type',
      file: 'PAv1/manifest.yaml',
      pod_type: manifestPodType,
      used: false,
    });
  for (const [file, pod_type] of TOPOLOGY_SIGNALS)
    if (paths.has(file)) signals.push({ signal: 'topology file', file, pod_type, used: false });
  const diagnostics: Diagnostic[] = [];
  const topo = signals.filter((s) => s.signal === 'topology file');
  if (!signals.length) {
    diagnostics.push({
      file: 'PAv1/manifest.yaml',
      pointer: '/pod_type',
      rule: 'pod_type.indeterminate',
      message:
        'pod type indeterminate: no manifest pod_type and no topology file (PAv1/topology/{cml,radkit,proxmox,vmware}.yaml, cml.yaml, radkit.yaml)',
    });
    return { signals, diagnostics };
  }
  const chosen = signals[0]!;
  chosen.used = true;
  if (manifestPodType === 'none' && topo.length)
    diagnostics.push({
      file: 'PAv1/manifest.yaml',
      pointer: '/pod_type',
      rule: 'pod_type.contradiction',
      message: `manifest declares pod_type none (web-only) but the package has a topology: ${topo.map((t) => t.file).join(', ')}`,
    });
  else if (manifestPodType) {
    const other = topo.find((t) => t.pod_type !== manifestPodType);
    if (other)
      diagnostics.push({
        file: 'PAv1/manifest.yaml',
        pointer: '/pod_type',
        rule: 'pod_type.contradiction',
        message: `manifest declares pod_type ${manifestPodType} but ${other.file} signals ${other.pod_type}`,
      });
  }
  return {
    pod_type: chosen.pod_type,
    host_type: hostTypeFor(chosen.pod_type, manifestHostType),
    signals,
    diagnostics,
  };
}
