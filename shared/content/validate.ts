/**
 * Validates a PAv1 package and, when it is good, produces every typed field of its
 * PodDefinition. Each problem is a diagnostic naming the file, the JSON pointer and
 * the rule; a package with any diagnostic is not ingested at all.
 */
import { parseDocument } from 'yaml';
import { validateAgainst, type JsonSchema } from '../api/schema.ts';
import { isNativeStep, phasesFor, type HostType, type Lifecycle, type PodType } from '../domain/lifecycle.ts';
import { FUNCTION_CATALOGUE, validateStepAgainstCatalogue, type JobDefinition } from '../dsl/catalogue.ts';
import { detectPodType, type Signal } from './detect.ts';
import { CREDENTIAL_FIELDS, SECRET_REFERENCES, isSecretReference, readsSecret } from '../domain/secrets.ts';
import type { Diagnostic } from './diagnostics.ts';
import { pav1View, type PackageFiles } from './package-reader.ts';
import { STANDARD_LIFECYCLE } from '../../state-machines/standard-lifecycle.ts';
import manifestSchema from './schemas/manifest.schema.json' with { type: 'json' };
import lifecycleSchema from './schemas/lifecycle.schema.json' with { type: 'json' };
import jobSchema from './schemas/job.schema.json' with { type: 'json' };
import connectorsSchema from './schemas/connectors.schema.json' with { type: 'json' };
import rubricSchema from './schemas/rubric.schema.json' with { type: 'json' };
import reportSchema from './schemas/report.schema.json' with { type: 'json' };
import cmlSchema from './schemas/cml-topology.schema.json' with { type: 'json' };

export interface Rubric {
  kind: 'EvaluationRuleset';
  spec: {
    domain?: string;
    max_points: number;
    items: {
      id: string;
      points: number;
      description?: string;
      checks: { source: string; regex: string; flags?: string[]; on_fail?: string }[];
    }[];
  };
}

export interface PodDefinitionFields {
  name: string;
  version: string;
  content_id: string;
  pod_type: PodType;
  host_type: HostType | null;
  manifest: Record<string, unknown>;
  topology: Record<string, unknown> | null;
  devices: { name: string; node_definition?: string; expose: string[] }[];
  ports: string[];
  connectors: Record<string, unknown>[];
  lifecycle: Lifecycle;
  lifecycle_source: 'package' | 'standard';
  lifecycle_phases: string[];
  jobs: Record<string, JobDefinition>;
  grading_rules: Rubric | null;
  reports: Record<string, unknown>;
  restore_rules: string | null;
  files: string[];
  /** Text of the small files under `files/` (≤ 64 KiB each), for `copy@v1` and `content.files`. */
  file_texts: Record<string, string>;
  detection: Signal[];
}

export type ValidationResult =
  | { ok: true; fields: PodDefinitionFields; diagnostics: [] }
  | {
      ok: false;
      diagnostics: Diagnostic[];
      partial: { name?: string; version?: string; pod_type?: PodType; content_id?: string };
    };

const EXPR = /^\s*\$\{\s*\.?\$?runtime_env[.\w\s[\]"'-]*\}\s*$/;
const PLACEMENT_FIELDS = ['host', 'port', 'username'];

export function parseYaml(file: string, buf: Buffer, d: Diagnostic[]): unknown {
  const text = buf.toString('utf8');
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length) {
    d.push({ file, pointer: '', rule: 'yaml.syntax', message: doc.errors[0]!.message.split('\n')[0]! });
    return undefined;
  }
  try {
    // Aliases can multiply a small file into gigabytes: the package format has no use for them.
    return doc.toJS({ maxAliasCount: 0 });
  } catch (e) {
    d.push({
      file,
      pointer: '',
      rule: 'yaml.alias',
      message: `YAML aliases are not allowed (${(e as Error).message})`,
    });
    return undefined;
  }
}

function schemaCheck(file: string, schema: JsonSchema, data: unknown, d: Diagnostic[]): boolean {
  const errs = validateAgainst(schema, data);
  for (const e of errs)
    d.push({
      file,
      pointer: e.pointer === '/' ? '' : e.pointer,
      rule: `schema.${e.rule ?? 'invalid'}`,
      message: e.detail,
    });
  return errs.length === 0;
}

export function validatePackage(all: PackageFiles): ValidationResult {
  const d: Diagnostic[] = [];
  const { files } = pav1View(all);
  const P = (f: string) => `PAv1/${f}`;
  const partial: { name?: string; version?: string; pod_type?: PodType; content_id?: string } = {};

  // manifest
  const mBuf = files.get('manifest.yaml');
  let manifest: Record<string, unknown> | undefined;
  if (!mBuf)
    d.push({
      file: P('manifest.yaml'),
      pointer: '',
      rule: 'manifest.missing',
      message: 'PAv1/manifest.yaml is required',
    });
  else {
    manifest = parseYaml(P('manifest.yaml'), mBuf, d) as Record<string, unknown> | undefined;
    if (manifest && typeof manifest === 'object') {
      if (manifest.format_version !== undefined && manifest.format_version !== 'PAv1')
        d.push({
          file: P('manifest.yaml'),
          pointer: '/format_version',
          rule: 'manifest.format_version',
          message: `unknown format_version "${String(manifest.format_version)}"; this product reads PAv1`,
        });
      schemaCheck(P('manifest.yaml'), manifestSchema as JsonSchema, manifest, d);
      partial.name = typeof manifest.name === 'string' ? manifest.name : undefined;
      partial.version = typeof manifest.version === 'string' ? manifest.version : undefined;
      partial.content_id = typeof manifest.content_id === 'string' ? manifest.content_id : undefined;
    }
  }

  // pod type
  const paths = new Set([...files.keys()].map((k) => P(k)));
  for (const k of all.keys()) if (!k.startsWith('PAv1/') && !k.includes('/')) paths.add(k); // legacy root files
  const detection = detectPodType(
    paths,
    manifest?.pod_type as PodType | undefined,
    manifest?.host_type as HostType | undefined,
  );
  d.push(...detection.diagnostics);
  const podType = detection.pod_type;
  partial.pod_type = podType;

  // connectors
  let connectors: Record<string, unknown>[] = [];
  const cBuf = files.get('connectors.yaml');
  if (cBuf) {
    const c = parseYaml(P('connectors.yaml'), cBuf, d) as
      { connectors?: Record<string, unknown>[] } | undefined;
    if (c) {
      (c.connectors ?? []).forEach((conn, i) => {
        for (const f of PLACEMENT_FIELDS)
          if (conn && conn[f] !== undefined && (typeof conn[f] !== 'string' || !EXPR.test(String(conn[f]))))
            d.push({
              file: P('connectors.yaml'),
              pointer: `/connectors/${i}/${f}`,
              rule: 'connectors.literal',
              message: `${f} must come from \${ .runtime_env.… }, never a literal`,
            });
        d.push(...connectorSecretDiagnostics(P('connectors.yaml'), conn, `/connectors/${i}`));
      });
      if (schemaCheck(P('connectors.yaml'), connectorsSchema as JsonSchema, c, d))
        connectors = c.connectors ?? [];
    }
  }
  const connectorNames = new Set(connectors.map((c) => String(c.name)));

  // topology
  let topology: Record<string, unknown> | null = null;
  let devices: PodDefinitionFields['devices'] = [];
  const topoFile = [
    'topology/cml.yaml',
    'topology/cml.yml',
    'topology/radkit.yaml',
    'topology/proxmox.yaml',
    'topology/vmware.yaml',
  ].find((f) => files.has(f));
  if (topoFile) {
    topology = (parseYaml(P(topoFile), files.get(topoFile)!, d) as Record<string, unknown>) ?? null;
    if (
      topology &&
      topoFile.startsWith('topology/cml') &&
      schemaCheck(P(topoFile), cmlSchema as JsonSchema, topology, d)
    ) {
      const nodes = topology.nodes as { label: string; node_definition: string; tags?: string[] }[];
      devices = nodes.map((n) => ({
        name: n.label,
        node_definition: n.node_definition,
        expose: (n.tags ?? [])
          .filter((t) => t.startsWith('lcm:expose='))
          .map((t) => t.slice('lcm:expose='.length)),
      }));
    } else if (topology && topoFile === 'topology/radkit.yaml') {
      const devs = (topology.devices ?? []) as { name?: string }[];
      if (!Array.isArray(devs) || !devs.length || devs.some((x) => typeof x?.name !== 'string'))
        d.push({
          file: P(topoFile),
          pointer: '/devices',
          rule: 'radkit.devices',
          message: 'a radkit topology lists its devices as [{name, …}]',
        });
      else devices = devs.map((x) => ({ name: x.name!, expose: ['ssh'] }));
    }
  }
  const ports = devices.flatMap((dev) => dev.expose.map((p) => `${dev.name}_${p}`)).sort();

  // jobs
  const jobs: Record<string, JobDefinition> = {};
  const capturedByJob: Record<string, Set<string>> = {};
  for (const [path, buf] of [...files].filter(([k]) => /^(jobs|scenarios)\/[^/]+\.ya?ml$/.test(k)).sort()) {
    const file = P(path);
    const job = parseYaml(file, buf, d) as JobDefinition | undefined;
    if (!job || !schemaCheck(file, jobSchema as JsonSchema, job, d)) continue;
    const key = `${job.metadata.name}@${job.metadata.version}`;
    if (jobs[key])
      d.push({ file, pointer: '/metadata', rule: 'job.duplicate', message: `${key} is defined twice` });
    jobs[key] = job;
    const ids = new Set<string>();
    const captured = new Set<string>();
    job.spec.steps.forEach((step, i) => {
      const at = `/spec/steps/${i}`;
      if (ids.has(step.id))
        d.push({
          file,
          pointer: `${at}/id`,
          rule: 'job.step_id_unique',
          message: `step id ${step.id} is used twice`,
        });
      ids.add(step.id);
      for (const e of validateStepAgainstCatalogue(step, (s, x) => validateAgainst(s, x)))
        d.push({ file, pointer: `${at}${e.pointer}`, rule: e.rule, message: e.detail });
      for (const [pointer, text] of [
        ...stringsWithin(step.with, `${at}/with`),
        ...(typeof step.when === 'string' ? ([[`${at}/when`, step.when]] as const) : []),
      ])
        if (readsSecret(text)) d.push(secretExpression(file, pointer));
      if (step.target && FUNCTION_CATALOGUE[step.uses]?.needsTarget && !connectorNames.has(step.target))
        d.push({
          file,
          pointer: `${at}/target`,
          rule: 'job.target',
          message: `no connector "${step.target}" in connectors.yaml`,
        });
      for (const ref of varRefs(step))
        if (!captured.has(ref) && !ids.has(ref))
          d.push({
            file,
            pointer: `${at}/with`,
            rule: 'job.var_unknown',
            message: `.vars.${ref} is not captured by an earlier step`,
          });
      for (const v of Object.values(step.capture ?? {})) captured.add(v);
    });
    capturedByJob[key] = captured;
  }

  // rubric and reports
  let rubric: Rubric | null = null;
  const rBuf = files.get('grading/rubric.yaml');
  if (rBuf) {
    const r = parseYaml(P('grading/rubric.yaml'), rBuf, d) as Rubric | undefined;
    if (r && schemaCheck(P('grading/rubric.yaml'), rubricSchema as JsonSchema, r, d)) {
      const sum = r.spec.items.reduce((n, it) => n + it.points, 0);
      if (Math.abs(sum - r.spec.max_points) > 1e-9)
        d.push({
          file: P('grading/rubric.yaml'),
          pointer: '/spec/max_points',
          rule: 'rubric.max_points_sum',
          message: `max_points ${r.spec.max_points} differs from the sum of the items' points (${sum})`,
        });
      const seen = new Set<string>();
      r.spec.items.forEach((it, i) => {
        if (seen.has(it.id))
          d.push({
            file: P('grading/rubric.yaml'),
            pointer: `/spec/items/${i}/id`,
            rule: 'rubric.item_unique',
            message: `item ${it.id} appears twice`,
          });
        seen.add(it.id);
        it.checks.forEach((c, j) => {
          try {
            new RegExp(c.regex);
          } catch (e) {
            d.push({
              file: P('grading/rubric.yaml'),
              pointer: `/spec/items/${i}/checks/${j}/regex`,
              rule: 'rubric.regex',
              message: (e as Error).message,
            });
          }
        });
      });
      rubric = r;
    }
  }
  const reports: Record<string, unknown> = {};
  for (const [path, buf] of [...files].filter(([k]) => /^reports\/[^/]+\.ya?ml$/.test(k))) {
    const r = parseYaml(P(path), buf, d);
    if (r && schemaCheck(P(path), reportSchema as JsonSchema, r, d))
      reports[path.replace(/^reports\//, '').replace(/\.ya?ml$/, '')] = r;
  }

  // lifecycle
  const ref = typeof manifest?.lifecycle_ref === 'string' ? manifest.lifecycle_ref : 'lifecycle.yaml';
  let lifecycle: Lifecycle = STANDARD_LIFECYCLE;
  let source: 'package' | 'standard' = 'standard';
  const lBuf = files.get(ref);
  if (lBuf) {
    const l = parseYaml(P(ref), lBuf, d) as Lifecycle | undefined;
    if (l && schemaCheck(P(ref), lifecycleSchema as JsonSchema, l, d)) {
      lifecycle = l;
      source = 'package';
    }
  } else if (manifest?.lifecycle_ref)
    d.push({
      file: P('manifest.yaml'),
      pointer: '/lifecycle_ref',
      rule: 'lifecycle.missing',
      message: `lifecycle_ref ${ref} is not in the package`,
    });
  const phaseNames = new Set<string>();
  lifecycle.spec.phases.forEach((ph, i) => {
    const file = source === 'package' ? P(ref) : '(standard lifecycle)';
    const at = `/spec/phases/${i}`;
    if (phaseNames.has(ph.name))
      d.push({
        file,
        pointer: `${at}/name`,
        rule: 'lifecycle.phase_unique',
        message: `phase ${ph.name} appears twice`,
      });
    phaseNames.add(ph.name);
    for (const [pt, steps] of Object.entries(ph.native_steps_by_pod_type ?? {}))
      steps.forEach((s, j) => {
        if (!isNativeStep(s))
          d.push({
            file,
            pointer: `${at}/native_steps_by_pod_type/${pt}/${j}`,
            rule: 'lifecycle.native_step',
            message: `unknown native step "${s}"`,
          });
      });
    (ph.jobs ?? []).forEach((j, k) => {
      if (source === 'standard' && !jobs[j.definition]) return; // the standard lifecycle's jobs apply only if the package ships them
      if (!jobs[j.definition])
        d.push({
          file,
          pointer: `${at}/jobs/${k}/definition`,
          rule: 'lifecycle.job_ref',
          message: `job ${j.definition} is not defined in jobs/`,
        });
      if (j.rubric && !(j.rubric === 'rubric' ? rubric : files.has(`grading/${j.rubric}.yaml`)))
        d.push({
          file,
          pointer: `${at}/jobs/${k}/rubric`,
          rule: 'lifecycle.rubric_ref',
          message: `rubric ${j.rubric} is not in grading/`,
        });
      if (j.report && !reports[j.report])
        d.push({
          file,
          pointer: `${at}/jobs/${k}/report`,
          rule: 'lifecycle.report_ref',
          message: `report ${j.report} is not in reports/`,
        });
    });
  });
  if (rubric) {
    const graded = new Set(Object.values(capturedByJob).flatMap((s) => [...s]));
    rubric.spec.items.forEach((it, i) =>
      it.checks.forEach((c, j) => {
        const root = c.source.split('.')[0]!;
        if (!graded.has(root) && !graded.has(c.source))
          d.push({
            file: P('grading/rubric.yaml'),
            pointer: `/spec/items/${i}/checks/${j}/source`,
            rule: 'rubric.source_unknown',
            message: `no job captures "${c.source}"`,
          });
      }),
    );
  }

  if (d.length || !manifest || !podType)
    return {
      ok: false,
      diagnostics: d.length
        ? d
        : [
            {
              file: P('manifest.yaml'),
              pointer: '',
              rule: 'manifest.invalid',
              message: 'the manifest could not be read',
            },
          ],
      partial,
    };
  const phases = phasesFor(lifecycle, podType).map((p) => p.name);
  return {
    ok: true,
    diagnostics: [],
    fields: {
      name: String(manifest.name),
      version: String(manifest.version),
      content_id: String(manifest.content_id),
      pod_type: podType,
      host_type: detection.host_type ?? null,
      manifest,
      topology,
      devices,
      ports,
      connectors,
      lifecycle,
      lifecycle_source: source,
      lifecycle_phases: phases,
      jobs,
      grading_rules: rubric,
      reports,
      restore_rules: files.get('restore/restore.yaml')?.toString('utf8') ?? null,
      files: [...files.keys()].sort(),
      file_texts: fileTexts(files),
      detection: detection.signals,
    },
  };
}

const MAX_FILE_TEXT = 64 * 1024;
function fileTexts(files: Map<string, Buffer>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [path, buf] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    if (!path.startsWith('files/') || buf.length > MAX_FILE_TEXT || buf.includes(0)) continue;
    out[path.slice('files/'.length)] = buf.toString('utf8');
  }
  return out;
}

/** Every string inside a value, with its JSON pointer. */
function stringsWithin(v: unknown, at: string): (readonly [string, string])[] {
  if (typeof v === 'string') return [[at, v]];
  if (Array.isArray(v)) return v.flatMap((x, i) => stringsWithin(x, `${at}/${i}`));
  if (v && typeof v === 'object')
    return Object.entries(v).flatMap(([k, x]) =>
      stringsWithin(x, `${at}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`),
    );
  return [];
}

const secretExpression = (file: string, pointer: string): Diagnostic => ({
  file,
  pointer,
  rule: 'secret.expression',
  message:
    'expressions may not read credentials (runtime_env holds none at run time): name them on the connector with secret: <reference>',
});

/**
 * Credentials by reference: a connector names a secret (`secret: cml/devices`) that the adapter
 * resolves; it never gives a password, and none of its expressions reads a secret path.
 */
function connectorSecretDiagnostics(file: string, conn: unknown, at: string): Diagnostic[] {
  if (!conn || typeof conn !== 'object') return [];
  const c = conn as Record<string, unknown>;
  const out: Diagnostic[] = [];
  for (const f of CREDENTIAL_FIELDS)
    if (c[f] !== undefined)
      out.push({
        file,
        pointer: `${at}/${f}`,
        rule: 'secret.value',
        message: `${f} is not given by content: name the credentials with secret: ${Object.keys(SECRET_REFERENCES).join(' | ')}`,
      });
  if (c.secret !== undefined && !isSecretReference(c.secret))
    out.push({
      file,
      pointer: `${at}/secret`,
      rule: 'secret.reference',
      message: `unknown secret reference ${JSON.stringify(c.secret)}; known: ${Object.keys(SECRET_REFERENCES).join(', ')}`,
    });
  for (const [pointer, text] of stringsWithin(
    Object.fromEntries(
      Object.entries(c).filter(([k]) => !(CREDENTIAL_FIELDS as readonly string[]).includes(k)),
    ),
    at,
  ))
    if (readsSecret(text)) out.push(secretExpression(file, pointer));
  return out;
}

/** `.vars.x` / `$vars.x` references inside a step's `with` and `when` (the root variable names). */
function varRefs(step: { with?: unknown; when?: string }): string[] {
  const text = JSON.stringify(step.with ?? {}) + (step.when ?? '');
  return [...text.matchAll(/(?:\.vars|\$vars)\.([a-z][a-z0-9_]*)/g)].map((m) => m[1]!);
}
