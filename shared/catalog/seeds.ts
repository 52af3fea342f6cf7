/**
 * Loads the seed catalog (seeds/*.yaml): YAML without aliases, each file validated against its
 * JSON Schema, cross-checked (unique keys, FQNs well formed, parts ordered), with diagnostics that
 * name the file and the JSON pointer. Pure apart from reading the files.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { Problem, type ProblemError } from '../domain/problem.ts';
import { validateAgainst, type JsonSchema } from '../api/schema.ts';
import { parseFqn } from './fqn.ts';
import { compileSelector } from './selector.ts';
import {
  formsFileSchema,
  sessionDefinitionsFileSchema,
  workerTemplatesFileSchema,
  workersFileSchema,
} from './schemas.ts';
import type { Form, SessionDefinition, WorkerTemplate } from './types.ts';

/** seeds/workers.yaml: the fleet's warm minimum and scaling settings (D125). */
export interface SeedFleet {
  region?: string;
  warm: { template: string; region: string; count: number }[];
  boot_minutes?: number;
  margin_minutes?: number;
  look_ahead_minutes?: number;
  cooldown_minutes?: number;
  max_workers_per_region?: number;
  scale_down_to?: 'stopped' | 'terminated';
}

export interface Seeds {
  definitions: SessionDefinition[];
  forms: Form[];
  workerTemplates: WorkerTemplate[];
  fleet: SeedFleet;
}

export const SEED_FILES = {
  definitions: 'session-definitions.yaml',
  forms: 'forms.yaml',
  workerTemplates: 'worker-templates.yaml',
  workers: 'workers.yaml',
} as const;

/** Parses one YAML seed text; refuses aliases and reports errors with the file name. */
export function parseSeedYaml(file: string, text: string, schema: JsonSchema): unknown {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  const errors: ProblemError[] = doc.errors.map((e) => ({
    file,
    pointer: '',
    detail: e.message,
    rule: 'yaml.syntax',
  }));
  if (
    !errors.length &&
    /(^|[\s[{,])[&*][A-Za-z0-9_-]+/m.test(text.replace(/#.*$/gm, '').replace(/"[^"]*"/g, ''))
  )
    errors.push({
      file,
      pointer: '',
      detail: 'YAML anchors and aliases are not allowed in seeds',
      rule: 'yaml.alias',
    });
  if (errors.length) throw new Problem('validation-error', `${file}: ${errors[0]!.detail}`, { errors });
  const data = doc.toJS({ maxAliasCount: 0 });
  const invalid = validateAgainst(schema, data).map((e) => ({ ...e, file }));
  if (invalid.length)
    throw new Problem('validation-error', `${file}${invalid[0]!.pointer}: ${invalid[0]!.detail}`, {
      errors: invalid,
    });
  return data;
}

export function buildSeeds(files: Record<keyof typeof SEED_FILES, string>): Seeds {
  const defs = (
    parseSeedYaml(SEED_FILES.definitions, files.definitions, sessionDefinitionsFileSchema) as {
      definitions: SessionDefinition[];
    }
  ).definitions;
  const rawForms = (
    parseSeedYaml(SEED_FILES.forms, files.forms, formsFileSchema) as { forms: Omit<Form, 'track_type'>[] }
  ).forms;
  const templates = (
    parseSeedYaml(SEED_FILES.workerTemplates, files.workerTemplates, workerTemplatesFileSchema) as {
      templates: WorkerTemplate[];
    }
  ).templates;
  const fleet = (parseSeedYaml(SEED_FILES.workers, files.workers, workersFileSchema) as { fleet: SeedFleet })
    .fleet;
  const errors: ProblemError[] = [];

  const seenTypes = new Set<string>();
  defs.forEach((d, i) => {
    const at = `/definitions/${i}`;
    if (seenTypes.has(d.session_type))
      errors.push({
        file: SEED_FILES.definitions,
        pointer: `${at}/session_type`,
        detail: `duplicate session_type ${d.session_type}`,
        rule: 'unique',
      });
    seenTypes.add(d.session_type);
    const orders = d.parts.map((p) => p.order);
    if (
      new Set(orders).size !== orders.length ||
      [...orders].sort((a, b) => a - b).some((o, j) => o !== j + 1)
    )
      errors.push({
        file: SEED_FILES.definitions,
        pointer: `${at}/parts`,
        detail: 'part orders must be 1..n without gaps or repeats',
        rule: 'parts.order',
      });
    if (d.part_execution === 'single' && d.parts.length !== 1)
      errors.push({
        file: SEED_FILES.definitions,
        pointer: `${at}/parts`,
        detail: 'part_execution single needs exactly one part',
        rule: 'parts.single',
      });
    if (d.addressed_by === 'fqn' && d.parts.length !== 1)
      errors.push({
        file: SEED_FILES.definitions,
        pointer: `${at}/addressed_by`,
        detail: 'only single-part types are addressed by FQN',
        rule: 'addressed_by',
      });
    d.parts.forEach((p, j) => {
      try {
        compileSelector(p.selector_pattern);
      } catch (e) {
        errors.push({
          file: SEED_FILES.definitions,
          pointer: `${at}/parts/${j}/selector_pattern`,
          detail: (e as Error).message,
          rule: 'selector',
        });
      }
    });
  });

  const forms: Form[] = [];
  const seenForms = new Set<string>();
  rawForms.forEach((f, i) => {
    const at = `/forms/${i}`;
    try {
      const parsed = parseFqn(f.fqn, `${at}/fqn`);
      const key = `${f.fqn}@${f.version}`;
      if (seenForms.has(key))
        errors.push({
          file: SEED_FILES.forms,
          pointer: `${at}/version`,
          detail: `duplicate form ${key}`,
          rule: 'unique',
        });
      seenForms.add(key);
      forms.push({ ...(f as Form), ...parsed, exposure_count: f.exposure_count ?? 0 });
    } catch (e) {
      errors.push({
        ...((e as Problem).errors?.[0] ?? { pointer: `${at}/fqn`, detail: String(e) }),
        file: SEED_FILES.forms,
      });
    }
  });

  const templateNames = new Set(templates.map((t) => t.name));
  fleet.warm.forEach((w, i) => {
    if (!templateNames.has(w.template))
      errors.push({
        file: SEED_FILES.workers,
        pointer: `/fleet/warm/${i}/template`,
        detail: `unknown template ${w.template}`,
        rule: 'template.known',
      });
  });

  if (errors.length)
    throw new Problem('validation-error', `${errors[0]!.file}${errors[0]!.pointer}: ${errors[0]!.detail}`, {
      errors,
    });
  return { definitions: defs, forms, workerTemplates: templates, fleet };
}

export async function loadSeeds(dir: string): Promise<Seeds> {
  const read = (f: string) => readFile(join(dir, f), 'utf8');
  const [definitions, forms, workerTemplates, workers] = await Promise.all([
    read(SEED_FILES.definitions),
    read(SEED_FILES.forms),
    read(SEED_FILES.workerTemplates),
    read(SEED_FILES.workers),
  ]);
  return buildSeeds({ definitions, forms, workerTemplates, workers });
}
