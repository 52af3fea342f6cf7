/**
 * `lcm content test <package> [--devices model.yaml]`: the author's dry run. The package is
 * validated as sync validates it, then its lifecycle runs end to end on this machine against the
 * simulators: the topology is imported into the CML simulator and the lab started (its nodes'
 * consoles answer from the device model: what each console says to each command), and every
 * phase's jobs run with the product's own job executor, console adapters (telnet and SSH) and CML
 * client. Each phase and step is printed with its timing, then the score report item by item; a
 * package whose grade does not reach full marks against the device model says so (exit 1).
 *
 * Product-owned native steps that reach systems a dry run does not have (the lab delivery system,
 * the artefacts bucket, the state table) are listed as skipped; pauses and retry backoffs do not
 * wait (a dry run checks the content, not the clock).
 */
import { readFile, stat } from 'node:fs/promises';
import { parse } from 'yaml';
import { CmlClient } from '../../shared/adapters/cml.ts';
import { DeviceConsoles } from '../../shared/adapters/console.ts';
import { readDirectory, readZip, type PackageFiles } from '../../shared/content/package-reader.ts';
import { validatePackage, type PodDefinitionFields } from '../../shared/content/validate.ts';
import { formatDiagnostic } from '../../shared/content/diagnostics.ts';
import { phasesFor, type NativeStep } from '../../shared/domain/lifecycle.ts';
import { parsePortName } from '../../shared/domain/ports.ts';
import { jobContentFromDocument, type PodDefinitionDocument } from '../../shared/scenario/content.ts';
import { runJob, type StepResult } from '../../shared/scenario/executor.ts';
import type { ReportRef, ScenarioServices } from '../../shared/scenario/functions.ts';
import type { ReadinessReport, ScoreReport } from '../../shared/scenario/grading.ts';
import { STANDARD_LIFECYCLE } from '../../state-machines/standard-lifecycle.ts';
import { freePort } from './ports.ts';
import { LocalPods, type DeviceModels } from './pods.ts';
import { CmlSimulator } from './sim/cml-server.ts';

export interface ContentTestOptions {
  /** a device model file (YAML, `devices: { <label>: { commands: {…} } }`, as seeds/devices/*.yaml) */
  devices?: string;
  out: (s: string) => void;
}

const CML = { username: 'lcm-dry-run', password: 'dry-run-cml-password' };
const DEVICE_CREDS = { enable_password: 'lab-enable-1', username: 'lab', password: 'lab-ssh-1' };
const ms = (t: number) => `${Math.round(performance.now() - t)} ms`;

/** Runs the dry run; resolves to the exit code (0 full marks, 1 problems or marks lost). */
export async function contentTest(target: string, opts: ContentTestOptions): Promise<number> {
  const { out } = opts;
  const t0 = performance.now();
  const files: PackageFiles = (await stat(target)).isDirectory()
    ? await readDirectory(target)
    : await readZip(await readFile(target));
  const v = await validatePackage(files);
  if (!v.ok) {
    out(`✘ ${target}: ${v.diagnostics.length} problem(s); fix them before a dry run\n`);
    for (const d of v.diagnostics) out(`  ${formatDiagnostic(d)}\n`);
    return 1;
  }
  const f = v.fields;
  out(`▶ ${f.name} ${f.version} (${f.pod_type}) — lint ✔ ${ms(t0)}\n`);
  const models: DeviceModels = opts.devices
    ? ((parse(await readFile(opts.devices, 'utf8')) as { devices?: DeviceModels }).devices ?? {})
    : {};
  if (opts.devices) {
    const unknown = Object.keys(models).filter((m) => !f.devices.some((d) => d.name === m));
    if (unknown.length) out(`  ! the device model names devices the topology lacks: ${unknown.join(', ')}\n`);
  }

  const pods = new LocalPods(undefined, DEVICE_CREDS, models);
  const sim = new CmlSimulator({ ...CML, delayScale: 0, onLabAction: pods.onLabAction });
  const { url } = await sim.start();
  const cml = new CmlClient({ baseUrl: url, ...CML });
  const title = `lcm-dry-run-${f.name}`;
  const runtime_env: Record<string, unknown> = {
    worker: { id: 'dry-run', address: '127.0.0.1', cml_url: url },
    lab_title: title,
    devices: {},
  };
  const reports: (ScoreReport | ReadinessReport)[] = [];
  const services: ScenarioServices = {
    console: new DeviceConsoles(),
    cml: () => cml,
    // The dry run's own credentials: `cml/devices` is what the device model's consoles accept.
    secrets: {
      resolve: async (ref) => {
        if (ref === 'cml/devices') return DEVICE_CREDS;
        if (ref === 'cml/api') return CML;
        throw new Error(`unknown secret reference ${ref}`);
      },
    },
    reports: {
      put: async (jobId, stepId, report) => {
        reports.push(report);
        return `memory://reports/${jobId}/${stepId}.json`;
      },
    },
    sleep: async (_ms, signal) => {
      if (signal?.aborted) throw new Error('aborted');
    },
    deadline: (wait, signal) =>
      new Promise<void>((resolve, reject) => {
        const t = setTimeout(resolve, wait);
        signal?.addEventListener('abort', () => (clearTimeout(t), reject(new Error('aborted'))), {
          once: true,
        });
      }),
    now: () => new Date().toISOString(),
  };
  const doc = { id: 'pd_dry_run', ...f } as unknown as PodDefinitionDocument;
  const lifecycle = f.lifecycle_source === 'standard' ? STANDARD_LIFECYCLE : f.lifecycle;
  let failed = false;
  let labId: string | undefined;
  const score: ScoreReport[] = [];

  try {
    for (const phase of phasesFor(lifecycle, f.pod_type)) {
      const tp = performance.now();
      out(`\n■ phase ${phase.name}\n`);
      for (const step of phase.native_steps_by_pod_type?.[f.pod_type] ?? []) {
        const ts = performance.now();
        const note = await nativeStep(step as NativeStep);
        out(`  ${note.includes('skipped') ? '·' : '✔'} ${step} ${note} ${ms(ts)}\n`);
      }
      for (const j of phase.jobs ?? []) {
        if (!f.jobs[j.definition]) {
          if (f.lifecycle_source === 'standard') continue; // the standard lifecycle's jobs apply when shipped
          throw new Error(`job ${j.definition} is not in the package`);
        }
        const tj = performance.now();
        const content = jobContentFromDocument(doc, j.definition);
        const before = reports.length;
        const r = await runJob(
          content.definition,
          {
            session: { id: 'dry-run', cut_score: 70, part: { order: 1, name: 'dry run' } },
            content: content.content,
            runtime_env,
          },
          {
            services,
            connectors: content.connectors,
            job: { id: `dry-run-${phase.name}-${j.definition}`, pod_definition_id: doc.id },
          },
        );
        out(`  ▸ job ${j.definition} ${r.status} ${ms(tj)}\n`);
        for (const s of r.steps) out(stepLine(s));
        for (const rep of reports.slice(before)) if ('per_item' in rep) score.push(rep);
        if (r.status !== 'completed') {
          failed = true;
          out(`  ✘ ${r.error?.step_id ?? ''}: ${r.error?.detail ?? r.status}\n`);
          break;
        }
      }
      out(`  phase ${phase.name} ${failed ? 'failed' : 'done'} in ${ms(tp)}\n`);
      if (failed && phase.on_failure !== 'continue') break;
    }
  } finally {
    if (labId) await cml.stopLab(labId).catch(() => undefined);
    await pods.stop();
    await sim.stop();
  }

  out(`\n${'═'.repeat(60)}\n`);
  if (!score.length) {
    out(
      failed
        ? `✘ no score report: the lifecycle failed before grading (${ms(t0)})\n`
        : `✔ lifecycle completed; the package grades nothing (${ms(t0)})\n`,
    );
    return failed ? 1 : 0;
  }
  const last = score.at(-1)!;
  out('Score report\n');
  for (const it of last.per_item) {
    out(
      `  ${it.passed ? '✔' : '✘'} ${it.id.padEnd(18)} ${String(it.points_awarded).padStart(4)}/${String(it.points_max).padEnd(4)} ${it.description}\n`,
    );
    for (const issue of it.issues) out(`      ✘ ${issue}\n`);
  }
  out(
    `  ${'─'.repeat(56)}\n  ${last.points_awarded}/${last.points_max} (${last.percentage}%) in ${ms(t0)}\n`,
  );
  const lost = last.per_item.filter((i) => !i.passed);
  if (failed || lost.length) {
    out(
      `✘ this package's grade does not reach full marks against ${opts.devices ?? 'the generic device model'}: ${lost.length} item(s) failed${failed ? ', and the lifecycle failed' : ''}\n`,
    );
    return 1;
  }
  return 0;

  /** The native steps a dry run can do on this machine; the rest are named and skipped. */
  async function nativeStep(step: NativeStep): Promise<string> {
    switch (step) {
      case 'lab_resolve': {
        const topology = f.topology ?? genericTopology(f);
        const lab = await cml.importLab(
          { ...topology, lab: { ...((topology.lab as object) ?? {}), title } },
          title,
        );
        labId = lab.id;
        runtime_env.lab_id = lab.id;
        return `(imported the topology into the CML simulator: ${f.devices.length} node(s))`;
      }
      case 'ports_alloc': {
        const devices: Record<string, Record<string, unknown>> = {};
        for (const name of f.ports) {
          const p = parsePortName(name);
          if (!p) continue;
          (devices[p.device] ??= {})[`${p.kind}_port`] = await freePort();
        }
        runtime_env.devices = devices;
        return `(${f.ports.join(', ') || 'no ports'})`;
      }
      case 'tags_sync': {
        const devices = runtime_env.devices as Record<string, Record<string, number>>;
        for (const n of await cml.listNodes(labId!)) {
          const mine = Object.entries(devices[n.label] ?? {})
            .filter(([k]) => k.endsWith('_port'))
            .map(([k, port]) => `lcm:${k.slice(0, -'_port'.length)}=${port}`);
          await cml.setNodeTags(labId!, n.id, [...n.tags.filter((t) => !t.startsWith('lcm:')), ...mine]);
        }
        return '';
      }
      case 'lab_start':
        await cml.startLab(labId!);
        if (!(await cml.waitConverged(labId!, { timeoutMs: 30_000, pollMs: 100 })))
          throw new Error('the lab did not converge');
        return '(consoles answer from the device model)';
      case 'lab_stop':
        if (labId) await cml.stopLab(labId);
        return '';
      case 'lab_wipe':
        if (labId) {
          await cml.wipeLab(labId);
          await cml.deleteLab(labId);
          labId = undefined;
        }
        return '';
      default:
        return '(skipped: no lab delivery system, state table or artefacts bucket in a dry run)';
    }
  }
}

function genericTopology(f: PodDefinitionFields): Record<string, unknown> {
  return {
    lab: {},
    nodes: f.devices.map((d, i) => ({
      id: `n${i}`,
      label: d.name,
      node_definition: d.node_definition ?? 'iosv',
      x: i * 100,
      y: 0,
    })),
    links: [],
  };
}

function stepLine(s: StepResult): string {
  const mark = { succeeded: '✔', skipped: '·', continued: '!', failed: '✘' }[s.status];
  const tries = s.attempts > 1 ? ` (${s.attempts} attempts)` : '';
  const why = s.error ? ` — ${s.error.detail}` : '';
  return `    ${mark} ${s.id} ${s.uses} ${s.status}${tries} ${s.duration_ms} ms${why}\n`;
}

/** The report kinds a dry run collects (for callers that want them). */
export type { ReportRef };
