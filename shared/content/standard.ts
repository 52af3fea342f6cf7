/**
 * The product's standard lifecycle, for content that ships no lifecycle.yaml (CONTENT.md §8):
 * which phases each pod type runs, and the deterministic names its state machines are registered
 * under. Content with its own lifecycle registers `lcm-<pod definition id>-<phase>` instead.
 */
import type { PodType } from '../catalog/types.ts';

export const STANDARD_PHASES: Record<PodType, string[]> = {
  cml_on_aws: ['instantiate', 'collect', 'grade', 'archive'],
  proxmox: ['instantiate', 'collect', 'grade', 'archive'],
  vmware: ['instantiate', 'collect', 'grade', 'archive'],
  roc_radkit: ['instantiate', 'collect', 'grade', 'archive'],
  none: ['instantiate', 'grade', 'archive'],
};

export const standardMachineName = (podType: PodType, phase: string) => `lcm-standard-${podType}-${phase}`;

export function standardPhases(podType: PodType): Record<string, string> {
  return Object.fromEntries(STANDARD_PHASES[podType].map((ph) => [ph, standardMachineName(podType, ph)]));
}
