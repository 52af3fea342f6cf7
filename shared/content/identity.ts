/**
 * A package's identity (name, pod type, id) and the pod ref check, apart from the sync pipeline so
 * the content API's read routes and the forms' adapter do not load the package reader, yaml, the
 * schema compiler and jq with them (D210).
 */
import { shortHash } from '../domain/ids.ts';
import { Problem } from '../domain/problem.ts';
import type { PodRef } from '../catalog/types.ts';
import { isPodType, POD_TYPES } from '../domain/lifecycle.ts';
import type { validatePackage } from './validate.ts';

export const podDefinitionId = (name: string, podType: string, contentHash: string) =>
  `pd_${shortHash(name, podType, contentHash)}`;

/** The identity a package syncs under: name (given or from the manifest), pod type, hash. */
export function identityOf(
  input: { name?: string; source_uri: string },
  r: Awaited<ReturnType<typeof validatePackage>>,
  hash: string,
) {
  const partial = r.ok ? r.fields : r.partial;
  const name =
    input.name ??
    partial.name ??
    input.source_uri
      .split('/')
      .pop()!
      .replace(/\.zip$/, '')
      .toLowerCase()
      .replace(/[^a-z0-9_.-]/g, '-');
  const podType = partial.pod_type ?? 'unknown';
  return { name, podType, id: podDefinitionId(name, podType, hash) };
}

/**
 * Confirming a pod ref: its pod type is checked first (an unknown one is a 400), and a definition
 * cannot change the pod type of a form that already delivers it (409).
 */
export function checkPodRef(
  existing: PodRef | undefined,
  incoming: { pod_type: string; definition_id: string },
  current?: { definition_name?: string },
): void {
  if (!isPodType(incoming.pod_type))
    throw new Problem(
      'unknown-pod-type',
      `pod type "${incoming.pod_type}" is not one of ${POD_TYPES.join(', ')}`,
      { errors: [{ pointer: '/pod_ref/pod_type', detail: 'unknown pod type', rule: 'pod_type' }] },
    );
  if (existing && existing.pod_type !== incoming.pod_type)
    throw new Problem(
      'pod-type-changed',
      `the form's content was ${existing.pod_type}${current?.definition_name ? ` (${current.definition_name})` : ''}; the package is ${incoming.pod_type}`,
      {
        errors: [
          {
            pointer: '/pod_ref/pod_type',
            detail: `changes from ${existing.pod_type} to ${incoming.pod_type}`,
            rule: 'pod_type.stable',
          },
        ],
      },
    );
}
