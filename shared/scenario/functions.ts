/**
 * The function catalogue's implementations. Each takes its resolved `with`
 * input and returns the outputs its catalogue entry declares; devices are reached through the
 * console port, CML through the CML port, reports are stored through the report port and
 * referenced, never inlined.
 */
import type { JobStep } from '../dsl/catalogue.ts';
import { Problem } from '../domain/problem.ts';
import type { Rubric } from '../content/validate.ts';
import type { ConsolePort, ConsoleSession } from '../adapters/console.ts';
import type { CmlPort } from '../adapters/cml.ts';
import type { Credentials } from '../domain/secrets.ts';
import type { Scopes } from './jq.ts';
import {
  asText,
  gradeRubric,
  readiness,
  regexFlags,
  type ReadinessReport,
  type ScoreReport,
} from './grading.ts';

export interface ReportRef {
  kind: 'score' | 'readiness';
  ref: string;
  summary: Record<string, unknown>;
}

export interface ReportStore {
  /** Stores a report document; returns its reference (s3://…). */
  put(jobId: string, stepId: string, report: ScoreReport | ReadinessReport): Promise<string>;
}

/** A run's whole outputs when they are too large for its record (the artefacts bucket). */
export interface OutputStore {
  /** Stores the document; returns its reference (s3://…). */
  put(jobId: string, run: number, outputs: Record<string, unknown>): Promise<string>;
}

/** Resolves a secret reference (`cml/devices`) outside the expression language. */
export interface SecretsPort {
  resolve(ref: string): Promise<Credentials>;
}

export interface ScenarioServices {
  console: ConsolePort;
  /** The CML API of the pod's worker (from runtime_env.worker), with credentials the port resolves itself. */
  cml(runtimeEnv: Record<string, unknown>): CmlPort | Promise<CmlPort>;
  /** Credentials named by connectors (`secret: cml/devices`). */
  secrets?: SecretsPort;
  reports: ReportStore;
  /** Where outputs too large for the job record go; without it they keep a preview only (the dry run). */
  outputs?: OutputStore;
  /** Waits `ms` of the clock's time; rejects when the signal aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** A step timeout: the clock's time with a floor of real time (see deadlineFor). Default: sleep. */
  deadline?(ms: number, signal?: AbortSignal): Promise<void>;
  now(): string;
}

export interface StepContext {
  step: JobStep;
  input: Record<string, unknown>;
  scopes: Scopes;
  signal: AbortSignal;
  services: ScenarioServices;
  timeoutMs: number;
  job: { id: string; pod_definition_id: string; process_type?: string };
  /** The console session of the step's target, opened once per job and reused. */
  console(): Promise<ConsoleSession>;
  addReport(r: ReportRef): void;
}

export type ScenarioFunctionImpl = (ctx: StepContext) => Promise<Record<string, unknown>>;

const INVALID = /^% ?Invalid input|^% ?Incomplete command|^% ?Ambiguous command/m;

function failOnInvalid(output: string, what: string): void {
  const m = INVALID.exec(output);
  if (m) throw new Problem('validation-error', `the device rejected ${what}: ${m[0]}`);
}

const str = (v: unknown, name: string): string => {
  if (typeof v !== 'string')
    throw new Problem('validation-error', `${name} must be a string, got ${JSON.stringify(v)}`);
  return v;
};

function contentFile(ctx: StepContext, ref: unknown): unknown {
  if (typeof ref !== 'string') return ref;
  const files = (ctx.scopes.content.files ?? {}) as Record<string, unknown>;
  if (Object.hasOwn(files, ref)) return files[ref];
  throw new Problem('not-found', `the content has no file named ${ref}`);
}

async function lab(ctx: StepContext): Promise<{ cml: CmlPort; labId: string }> {
  const labId = (ctx.input.lab_id ?? ctx.scopes.runtime_env.lab_id) as string | undefined;
  if (!labId) throw new Problem('validation-error', 'no lab_id given and none in runtime_env');
  return { cml: await ctx.services.cml(ctx.scopes.runtime_env), labId };
}

async function nodeId(cml: CmlPort, labId: string, node: string): Promise<string> {
  const nodes = await cml.listNodes(labId);
  const n = nodes.find((x) => x.label === node || x.id === node);
  if (!n) throw new Problem('not-found', `lab ${labId} has no node ${node}`);
  return n.id;
}

export const SCENARIO_FUNCTIONS: Record<string, ScenarioFunctionImpl> = {
  'pause@v1': async (ctx) => {
    const seconds = Number(ctx.input.seconds ?? 0);
    await ctx.services.sleep(seconds * 1000, ctx.signal);
    return { waited_seconds: seconds };
  },

  'exec@v1': async (ctx) => {
    const session = await ctx.console();
    const commands = Array.isArray(ctx.input.commands)
      ? ctx.input.commands.map((c, i) => str(c, `commands[${i}]`))
      : [str(ctx.input.command, 'command')];
    let output: string;
    if (ctx.input.config_mode === true)
      output = await session.configure(commands, { timeoutMs: ctx.timeoutMs });
    else {
      const outs: string[] = [];
      for (const c of commands) {
        const o = await session.run(c, { timeoutMs: ctx.timeoutMs });
        failOnInvalid(o, `"${c}"`);
        outs.push(o);
      }
      output = outs.filter(Boolean).join('\n');
    }
    failOnInvalid(output, 'a command');
    return { output, exit_code: 0 };
  },

  'copy@v1': async (ctx) => {
    const name = str(ctx.input.file, 'file');
    const text = contentFile(ctx, name);
    if (typeof text !== 'string') throw new Problem('validation-error', `file ${name} is not text`);
    const lines = text.split(/\r?\n/).filter((l) => l.trim() && !l.startsWith('!'));
    const session = await ctx.console();
    const output = await session.configure(lines, { timeoutMs: ctx.timeoutMs });
    return { bytes: Buffer.byteLength(text), output };
  },

  'collect@v1': async (ctx) => {
    const session = await ctx.console();
    const command = str(ctx.input.command, 'command');
    const output = await session.run(command, { timeoutMs: ctx.timeoutMs });
    failOnInvalid(output, `"${command}"`);
    return { output };
  },

  'evaluate.regex@v1': async (ctx) => {
    const source = asText(ctx.input.source);
    let re: RegExp;
    try {
      re = new RegExp(str(ctx.input.regex, 'regex'), regexFlags(ctx.input.flags as string[] | undefined));
    } catch (e) {
      throw new Problem('validation-error', `bad regex: ${(e as Error).message}`);
    }
    const m = re.exec(source);
    const matched = m !== null;
    const passed = ctx.input.negate === true ? !matched : matched;
    return { passed, match: m?.[0] ?? null, groups: m ? m.slice(1).map((g) => g ?? null) : [] };
  },

  'report.score@v1': async (ctx) => {
    const rubric = contentFile(ctx, ctx.input.rubric ?? 'rubric') as Rubric | undefined;
    if (!rubric || (rubric as { kind?: string }).kind !== 'EvaluationRuleset')
      throw new Problem('validation-error', 'report.score needs an EvaluationRuleset rubric');
    const cutScore = Number(ctx.input.cut_score ?? ctx.scopes.session.cut_score ?? 70);
    const report = gradeRubric(rubric, ctx.scopes.vars, { cutScore, now: ctx.services.now() });
    const ref = await ctx.services.reports.put(ctx.job.id, ctx.step.id, report);
    const summary = {
      points_awarded: report.points_awarded,
      points_max: report.points_max,
      percentage: report.percentage,
      passed: report.passed,
    };
    // The part keeps the per-item results too (bounded: one line per rubric item), so the
    // session's combined report can list them without reading every document back.
    ctx.addReport({
      kind: 'score',
      ref,
      summary: {
        ...summary,
        per_item: report.per_item.map(({ id, points_awarded, points_max, passed, issues }) => ({
          id,
          points_awarded,
          points_max,
          passed,
          issues,
        })),
      },
    });
    return { ...summary, report_ref: ref };
  },

  'report.readiness@v1': async (ctx) => {
    const report = readiness(ctx.input.checks ?? [], ctx.services.now());
    const ref = await ctx.services.reports.put(ctx.job.id, ctx.step.id, report);
    ctx.addReport({ kind: 'readiness', ref, summary: { ready: report.ready } });
    return { ready: report.ready, report_ref: ref };
  },

  'cml.lab_resolve@v1': async (ctx) => {
    const cml = await ctx.services.cml(ctx.scopes.runtime_env);
    const title = String(ctx.input.title ?? ctx.scopes.runtime_env.lab_title ?? '');
    if (!title) throw new Problem('validation-error', 'cml.lab_resolve needs a title');
    const found = await cml.findLabByTitle(title);
    if (found) return { lab_id: found.id, created: false };
    const topology = contentFile(ctx, ctx.input.topology ?? 'topology');
    if (!topology) throw new Problem('not-found', `no lab titled ${title} and no topology to import`);
    const created = await cml.importLab(topology as object, title);
    return { lab_id: created.id, created: true };
  },

  'cml.lab_start@v1': async (ctx) => {
    const { cml, labId } = await lab(ctx);
    await cml.startLab(labId);
    const waitMs = Number(ctx.input.wait_seconds ?? ctx.timeoutMs / 1000) * 1000;
    const converged = await cml.waitConverged(labId, {
      timeoutMs: waitMs,
      pollMs: 2000,
      sleep: (ms) => ctx.services.sleep(ms, ctx.signal),
    });
    if (!converged) throw new Problem('timeout', `lab ${labId} did not converge within ${waitMs / 1000} s`);
    return { state: (await cml.getLab(labId)).state, converged };
  },

  'cml.lab_stop@v1': async (ctx) => {
    const { cml, labId } = await lab(ctx);
    await cml.stopLab(labId);
    return { state: (await cml.getLab(labId)).state };
  },

  'cml.wipe@v1': async (ctx) => {
    const { cml, labId } = await lab(ctx);
    await cml.wipeLab(labId);
    return { state: (await cml.getLab(labId)).state };
  },

  'cml.power@v1': async (ctx) => {
    const { cml, labId } = await lab(ctx);
    const id = await nodeId(cml, labId, str(ctx.input.node, 'node'));
    if (ctx.input.state === 'on') await cml.startNode(labId, id);
    else await cml.stopNode(labId, id);
    const n = (await cml.listNodes(labId)).find((x) => x.id === id);
    return { state: n?.state ?? 'UNKNOWN' };
  },

  'cml.bounce_interface@v1': async (ctx) => {
    const { cml, labId } = await lab(ctx);
    const id = await nodeId(cml, labId, str(ctx.input.node, 'node'));
    const name = str(ctx.input.interface, 'interface');
    const iface = (await cml.listInterfaces(labId, id)).find((i) => i.label === name || i.id === name);
    if (!iface) throw new Problem('not-found', `node ${String(ctx.input.node)} has no interface ${name}`);
    await cml.setInterfaceState(labId, iface.id, 'stop');
    await cml.setInterfaceState(labId, iface.id, 'start');
    const after = (await cml.listInterfaces(labId, id)).find((i) => i.id === iface.id);
    return { state: after?.state ?? 'UNKNOWN' };
  },
};
