/**
 * What a job reads from its content: the job definition, the connectors, and the `content` scope
 * (`files.<name>`: the rubric, report specs, the topology and the small text files the package
 * ships under files/), all from the pod definition document sync stored.
 */
import { Problem } from '../domain/problem.ts';
import type { JobDefinition } from '../dsl/catalogue.ts';
import type { JobContent } from './jobs.ts';

export interface PodDefinitionDocument {
  id: string;
  name: string;
  version: string;
  content_id: string;
  pod_type: string;
  jobs: Record<string, JobDefinition>;
  connectors?: Record<string, unknown>[];
  grading_rules?: unknown;
  reports?: Record<string, unknown>;
  topology?: unknown;
  file_texts?: Record<string, string>;
}

export function jobContentFromDocument(
  doc: PodDefinitionDocument,
  job: string,
  extra: { form_fqn?: string } = {},
): JobContent {
  const definition = doc.jobs?.[job];
  if (!definition)
    throw new Problem(
      'not-found',
      `pod definition ${doc.id} has no job ${job}; it has ${Object.keys(doc.jobs ?? {}).join(', ') || 'none'}`,
    );
  const files: Record<string, unknown> = { ...(doc.file_texts ?? {}) };
  for (const [name, spec] of Object.entries(doc.reports ?? {})) files[name] = spec;
  if (doc.topology) files.topology = doc.topology;
  if (doc.grading_rules) files.rubric = doc.grading_rules;
  return {
    definition,
    connectors: doc.connectors ?? [],
    content: {
      pod_definition_id: doc.id,
      name: doc.name,
      version: doc.version,
      content_id: doc.content_id,
      ...(extra.form_fqn ? { form_fqn: extra.form_fqn } : {}),
      files,
    },
  };
}
