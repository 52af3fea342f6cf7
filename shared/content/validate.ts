/**
 * Validates a PAv1 package and, when it is good, produces every typed field of its
 * PodDefinition. Each problem is a diagnostic naming the file, the JSON pointer and
 * the rule; a package with any diagnostic is not ingested at all.
 */
import { parseDocument } from 'yaml';
import { validateAgainst, type JsonSchema } from '../api/schema.ts';
import { isNativeStep, phasesFor, type HostType, type Lifecycle, type PodType } from '../domain/lifecycle.ts';
import { FUNCTION_CATALOGUE, validateStepAgainstCatalogue, type JobDefinition } from '../dsl/catalogue.ts';
import { jqCompiler, type JqCompiler } from '../dsl/jq-check.ts';
import { parseTemplate } from '../dsl/template.ts';
import { CONSOLE_TRANSPORTS } from '../adapters/console-transports.ts';
import { EXPOSE_TAG, PORT_KINDS, isPortKind } from '../domain/ports.ts';
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

function schemaCheck(
  file: string,
  schema: JsonSchema,
  data: unknown,
  d: Diagnostic[],
  rulePrefix = 'schema',
): boolean {
  const errs = validateAgainst(schema, data);
  for (const e of errs) {
    const pointer = e.pointer === '/' ? '' : e.pointer;
    const field = pointer.split('/').at(-1);
    d.push({
      file,
      pointer,
      rule: `${rulePrefix}.${e.rule ?? 'invalid'}`,
      message: e.rule === 'required' && field ? `${field} is required` : e.detail,
    });
  }
  return errs.length === 0;
}

/**
 * Validates a package. Whatever instantiate, a job or grading would reject because of the
 * package is reported here (jq compiled, the CML topology checked as a lab import checks it,
 * file references, connector transports and the ports they name): lint = runtime.
 */
export async function validatePackage(all: PackageFiles): Promise<ValidationResult> {
  const jq = await jqCompiler();
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
    const m = parseYaml(P('manifest.yaml'), mBuf, d);
    // A manifest that is a word or a number is refused by its schema (D280); an empty one is
    // null: "the manifest could not be read" below.
    if (m !== undefined && typeof m !== 'object')
      schemaCheck(P('manifest.yaml'), manifestSchema as JsonSchema, m, d);
    manifest = m as Record<string, unknown> | undefined;
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
  for (const k of all.keys()) if (!k.includes('/')) paths.add(k); // legacy root files
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
      schemaCheck(P(topoFile), cmlSchema as JsonSchema, topology, d, 'topology')
    ) {
      const nodes = topology.nodes as CmlNode[];
      checkCmlReferences(P(topoFile), nodes, (topology.links ?? []) as CmlLink[], d);
      devices = nodes.map((n) => ({
        name: n.label,
        node_definition: n.node_definition,
        expose: (n.tags ?? [])
          .filter((t) => t.startsWith(EXPOSE_TAG))
          .map((t) => t.slice(EXPOSE_TAG.length))
          .filter(isPortKind),
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
  checkConnectors(P('connectors.yaml'), connectors, devices, topoFile !== undefined, jq, d);
  if (podType === 'roc_radkit' && connectors.length)
    d.push({
      file: P('connectors.yaml'),
      pointer: '/connectors',
      rule: 'connectors.radkit',
      message:
        'roc_radkit devices are reached through RADKit, which this product does not speak: no job could open these connectors. Deliver the devices as a cml_on_aws pod whose nodes expose ssh or serial ports (lcm:expose=ssh) and keep the connectors, or ship the roc_radkit package without device connectors',
    });

  // What `.content.files.<name>` holds at run time (shared/scenario/content.ts).
  const texts = fileTexts(files);
  const contentFiles = new Set(Object.keys(texts));
  if (topoFile) contentFiles.add('topology');
  if (files.has('grading/rubric.yaml')) contentFiles.add('rubric');
  for (const k of files.keys()) {
    const m = /^reports\/([^/]+)\.ya?ml$/.exec(k);
    if (m) contentFiles.add(m[1]!);
  }

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
      for (const x of expressionsOf(step.with, `${at}/with`)) checkExpression(file, x, jq, contentFiles, d);
      if (typeof step.when === 'string')
        checkExpression(file, { pointer: `${at}/when`, text: step.when, bare: true }, jq, contentFiles, d);
      if (step.uses === 'copy@v1' && typeof step.with?.file === 'string' && !step.with.file.includes('${')) {
        const name = step.with.file;
        if (!Object.hasOwn(texts, name))
          d.push({
            file,
            pointer: `${at}/with/file`,
            rule: 'job.file_missing',
            message: files.has(`files/${name}`)
              ? `files/${name} is not a text file of at most ${MAX_FILE_TEXT / 1024} KiB: copy@v1 sends text only`
              : `copy@v1 sends files/${name}, which the package does not ship`,
          });
      }
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
      file_texts: texts,
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

interface CmlNode {
  id: string;
  label: string;
  node_definition: string;
  tags?: string[];
  interfaces?: { id: string }[];
}
interface CmlLink {
  id: string;
  n1: string;
  n2: string;
  i1: string;
  i2: string;
}

/** What a CML lab import checks beyond the schema: unique ids and labels, links to real interfaces, port tags. */
function checkCmlReferences(file: string, nodes: CmlNode[], links: CmlLink[], d: Diagnostic[]): void {
  const byId = new Map<string, CmlNode>();
  const labels = new Set<string>();
  nodes.forEach((n, i) => {
    if (byId.has(n.id))
      d.push({
        file,
        pointer: `/nodes/${i}/id`,
        rule: 'topology.node_unique',
        message: `node id ${n.id} is used twice`,
      });
    if (labels.has(n.label))
      d.push({
        file,
        pointer: `/nodes/${i}/label`,
        rule: 'topology.node_unique',
        message: `node label ${n.label} is used twice`,
      });
    byId.set(n.id, n);
    labels.add(n.label);
    const ifaces = new Set<string>();
    (n.interfaces ?? []).forEach((f, k) => {
      if (ifaces.has(f.id))
        d.push({
          file,
          pointer: `/nodes/${i}/interfaces/${k}/id`,
          rule: 'topology.interface_unique',
          message: `node ${n.id} has two interfaces ${f.id}`,
        });
      ifaces.add(f.id);
    });
    (n.tags ?? []).forEach((t, k) => {
      if (!t.startsWith('lcm:')) return;
      const kind = t.startsWith(EXPOSE_TAG) ? t.slice(EXPOSE_TAG.length) : undefined;
      if (kind !== undefined && isPortKind(kind)) return;
      d.push({
        file,
        pointer: `/nodes/${i}/tags/${k}`,
        rule: 'topology.port_tag',
        message: `unknown port tag "${t}": a node exposes a port with ${Object.keys(PORT_KINDS)
          .map((p) => `${EXPOSE_TAG}${p}`)
          .join(', ')} (the product allocates the port number itself)`,
      });
    });
  });
  const used = new Set<string>();
  links.forEach((l, j) => {
    if (used.has(`link:${l.id}`))
      d.push({
        file,
        pointer: `/links/${j}/id`,
        rule: 'topology.link_unique',
        message: `link id ${l.id} is used twice`,
      });
    used.add(`link:${l.id}`);
    for (const [nk, ik] of [
      ['n1', 'i1'],
      ['n2', 'i2'],
    ] as const) {
      const node = byId.get(l[nk]);
      if (!node) {
        d.push({
          file,
          pointer: `/links/${j}/${nk}`,
          rule: 'topology.link_node',
          message: `link ${l.id} joins node ${l[nk]}, which the topology does not have`,
        });
        continue;
      }
      if (!(node.interfaces ?? []).some((f) => f.id === l[ik])) {
        d.push({
          file,
          pointer: `/links/${j}/${ik}`,
          rule: 'topology.link_interface',
          message: `node ${node.id} has no interface ${l[ik]} (it has ${(node.interfaces ?? []).map((f) => f.id).join(', ') || 'none'})`,
        });
        continue;
      }
      const key = `${node.id}/${l[ik]}`;
      if (used.has(key))
        d.push({
          file,
          pointer: `/links/${j}/${ik}`,
          rule: 'topology.interface_in_use',
          message: `interface ${l[ik]} of node ${node.id} is already connected by another link`,
        });
      used.add(key);
    }
  });
}

const PORT_REF = /^\s*\$\{\s*\.?\$?runtime_env\.devices\.([A-Za-z0-9_-]+)\.([a-z]+)_port\s*\}\s*$/;

/** Connectors a job could not open: a transport the console adapter does not speak, a port the device does not expose. */
function checkConnectors(
  file: string,
  connectors: Record<string, unknown>[],
  devices: PodDefinitionFields['devices'],
  hasTopology: boolean,
  jq: JqCompiler,
  d: Diagnostic[],
): void {
  const spoken = CONSOLE_TRANSPORTS as readonly string[];
  connectors.forEach((c, i) => {
    const at = `/connectors/${i}`;
    for (const [k, v] of Object.entries(c))
      if (typeof v === 'string') checkExpression(file, { pointer: `${at}/${k}`, text: v }, jq, undefined, d);
    const transport = String(c.transport);
    if (!spoken.includes(transport)) {
      d.push({
        file,
        pointer: `${at}/transport`,
        rule: 'connectors.transport',
        message: `transport "${transport}" is not one the console adapter speaks (${spoken.join(', ')})`,
      });
      return;
    }
    const ref = typeof c.port === 'string' ? PORT_REF.exec(c.port) : null;
    if (!ref || !hasTopology) return;
    const [, device, kind] = ref as unknown as [string, string, string];
    const dev = devices.find((x) => x.name === device);
    if (!dev) {
      d.push({
        file,
        pointer: `${at}/port`,
        rule: 'connectors.device',
        message: `the topology has no device ${device} (it has ${devices.map((x) => x.name).join(', ') || 'none'})`,
      });
      return;
    }
    if (!isPortKind(kind)) {
      d.push({
        file,
        pointer: `${at}/port`,
        rule: 'connectors.port_kind',
        message: `"${kind}_port" is no kind of port (${Object.keys(PORT_KINDS)
          .map((p) => `${p}_port`)
          .join(', ')})`,
      });
      return;
    }
    if (!(PORT_KINDS[kind].transports as readonly string[]).includes(transport)) {
      d.push({
        file,
        pointer: `${at}/transport`,
        rule: 'connectors.transport_port',
        message: `${/^[aeiosx]/.test(kind) ? 'an' : 'a'} ${kind} port is reached over ${PORT_KINDS[kind].transports.join(' or ') || 'no console transport'}, not ${transport}`,
      });
      return;
    }
    if (!dev.expose.includes(kind))
      d.push({
        file,
        pointer: `${at}/port`,
        rule: 'connectors.port_not_exposed',
        message: `device ${device} exposes no ${kind} port: tag its node ${EXPOSE_TAG}${kind}${dev.expose.length ? ` (it exposes ${dev.expose.join(', ')})` : ''}`,
      });
  });
}

interface Expr {
  pointer: string;
  text: string;
  /** a `when`: one jq expression, with or without `${ }` */
  bare?: boolean;
}

/** Every string under a step's `with` that holds a `${ }` template, with its pointer. */
function expressionsOf(v: unknown, pointer: string): Expr[] {
  if (typeof v === 'string') return v.includes('${') ? [{ pointer, text: v }] : [];
  if (Array.isArray(v)) return v.flatMap((x, i) => expressionsOf(x, `${pointer}/${i}`));
  if (v && typeof v === 'object')
    return Object.entries(v).flatMap(([k, x]) =>
      expressionsOf(x, `${pointer}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`),
    );
  return [];
}

/** Parses the template and compiles each expression with jq; names `.content.files.<x>` the package lacks. */
function checkExpression(
  file: string,
  x: Expr,
  jq: JqCompiler,
  contentFiles: Set<string> | undefined,
  d: Diagnostic[],
): void {
  let exprs: string[];
  try {
    exprs =
      x.bare && !x.text.includes('${')
        ? [x.text]
        : parseTemplate(x.text).flatMap((s) => ('expr' in s ? [s.expr] : []));
  } catch (e) {
    d.push({ file, pointer: x.pointer, rule: 'job.jq_syntax', message: (e as Error).message });
    return;
  }
  for (const e of exprs) {
    const err = jq(e);
    if (err) {
      d.push({ file, pointer: x.pointer, rule: 'job.jq_syntax', message: `jq: ${err} in \${ ${e} }` });
      continue;
    }
    if (!contentFiles) continue;
    for (const m of e.matchAll(/\.content\.files\.([A-Za-z_][A-Za-z0-9_]*)|\.content\.files\["([^"]+)"\]/g)) {
      const name = m[1] ?? m[2]!;
      if (!contentFiles.has(name))
        d.push({
          file,
          pointer: x.pointer,
          rule: 'job.file_missing',
          message: `.content.files.${name} is not in the package (it has ${[...contentFiles].sort().join(', ')})`,
        });
    }
  }
}
