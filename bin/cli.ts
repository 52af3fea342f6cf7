/**
 * The content author's command line (`npx lcm …`):
 *   lcm content lint <zip|dir>                         the sync's validation, human-readable
 *   lcm content test <zip|dir> [--devices model.yaml]  the author's dry run against the simulators
 *   lcm lifecycle compile <lifecycle.yaml|package> [--phase p] [--pod-type t] [--stage s]   prints ASL
 *   lcm lifecycle graph <lifecycle.yaml|package> [--pod-type t]                 Mermaid per phase
 *   lcm lifecycle standard                                                     the standard lifecycle.yaml
 *   lcm ops redrive --stage <s> [--queue <name>] [--dry-run]   dead letters back to their functions
 * Exit codes: 0 fine, 1 the content has problems, 2 usage.
 */
import { readFile, stat } from 'node:fs/promises';
import { parse, stringify } from 'yaml';
import { readDirectory, readZip, type PackageFiles } from '../shared/content/package-reader.ts';
import { validatePackage } from '../shared/content/validate.ts';
import { ContentError, formatDiagnostic } from '../shared/content/diagnostics.ts';
import type { Lifecycle, PodType } from '../shared/domain/lifecycle.ts';
import { compileLifecycle, toMermaid } from '../state-machines/compile.ts';
import { STANDARD_LIFECYCLE } from '../state-machines/standard-lifecycle.ts';

const USAGE = `usage:
  lcm content lint <package.zip|directory>
  lcm content test <package.zip|directory> [--devices <model.yaml>]
  lcm lifecycle compile <lifecycle.yaml|package> [--phase <name>] [--pod-type <type>] [--stage <stage>, default dev]
  lcm lifecycle graph <lifecycle.yaml|package> [--pod-type <type>]
  lcm lifecycle standard
  lcm ops redrive --stage <stage> [--queue <queue-name>] [--dry-run]`;

/**
 * The dry run (`lcm content test`) needs the local simulators, which product code does not import:
 * the launcher (bin/lcm.mjs) hands it in (docs/decisions.md, D50).
 */
export type ContentTestRunner = (
  target: string,
  opts: { devices?: string; out: (s: string) => void },
) => Promise<number>;

export async function main(
  argv: string[],
  out: (s: string) => void = (s) => process.stdout.write(s),
  err: (s: string) => void = (s) => process.stderr.write(s),
  contentTest?: ContentTestRunner,
): Promise<number> {
  const [group, cmd, target, ...rest] = argv;
  const flag = (name: string) => {
    const i = rest.indexOf(`--${name}`);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  if (group === 'lifecycle' && cmd === 'standard' && !target) {
    out(
      `# The product's standard lifecycle, applied to content that ships no lifecycle.yaml.\n${stringify(STANDARD_LIFECYCLE)}`,
    );
    return 0;
  }
  if (group === 'ops' && cmd === 'redrive') return opsRedrive(argv.slice(2), out, err);
  if (!group || !cmd || !target || !['content', 'lifecycle'].includes(group)) {
    err(`${USAGE}\n`);
    return 2;
  }
  try {
    if (group === 'content' && cmd === 'test') {
      if (!contentTest) {
        err('content test needs the local simulators: run it as `npx lcm content test …`\n');
        return 2;
      }
      const devices = flag('devices');
      return await contentTest(target, { ...(devices ? { devices } : {}), out });
    }
    if (group === 'content' && cmd === 'lint') {
      const files = await load(target);
      const r = await validatePackage(files);
      if (r.ok) {
        out(
          `✔ ${target}: ${r.fields.name} ${r.fields.version} (${r.fields.pod_type}, lifecycle: ${r.fields.lifecycle_source}, phases: ${r.fields.lifecycle_phases.join(' → ')}, jobs: ${Object.keys(r.fields.jobs).join(', ') || 'none'})\n`,
        );
        return 0;
      }
      err(
        `✘ ${target}: ${r.diagnostics.length} problem(s)\n${r.diagnostics.map((d) => `  ${formatDiagnostic(d)}`).join('\n')}\n`,
      );
      return 1;
    }
    if (group === 'lifecycle' && (cmd === 'compile' || cmd === 'graph')) {
      const { lifecycle, podType, jobs, podDefinitionId, standard } = await lifecycleOf(
        target,
        flag('pod-type') as PodType | undefined,
      );
      if (cmd === 'graph') {
        out(toMermaid(lifecycle, podType));
        return 0;
      }
      const machines = compileLifecycle(lifecycle, {
        stage: flag('stage') ?? 'dev',
        podDefinitionId,
        podType,
        availableJobs: jobs,
        standardLifecycle: standard,
        targets: { nativeStepsArn: '${NativeStepsFunctionArn}', jobRunnerArn: '${JobRunnerFunctionArn}' },
      }).filter((m) => !flag('phase') || m.phase === flag('phase'));
      if (!machines.length) {
        err(`no phase "${flag('phase')}" in this lifecycle\n`);
        return 1;
      }
      out(
        machines.length === 1
          ? `${machines[0]!.definition}\n`
          : `${JSON.stringify(Object.fromEntries(machines.map((m) => [m.name, JSON.parse(m.definition)])), null, 2)}\n`,
      );
      return 0;
    }
    err(`${USAGE}\n`);
    return 2;
  } catch (e) {
    if (e instanceof ContentError) {
      err(`✘ ${target}:\n${e.diagnostics.map((d) => `  ${formatDiagnostic(d)}`).join('\n')}\n`);
      return 1;
    }
    err(`✘ ${(e as Error).message}\n`);
    return 1;
  }
}

async function load(target: string): Promise<PackageFiles> {
  const st = await stat(target);
  return st.isDirectory() ? readDirectory(target) : readZip(await readFile(target));
}

async function lifecycleOf(target: string, podTypeFlag?: PodType) {
  if (/\.ya?ml$/.test(target)) {
    const lifecycle = parse(await readFile(target, 'utf8'), { maxAliasCount: 0 }) as Lifecycle;
    const jobs = new Set(lifecycle.spec.phases.flatMap((p) => (p.jobs ?? []).map((j) => j.definition)));
    return {
      lifecycle,
      podType: podTypeFlag ?? ('cml_on_aws' as PodType),
      jobs,
      podDefinitionId: 'pd_0000000000000000',
      standard: false,
    };
  }
  const r = await validatePackage(await load(target));
  if (!r.ok) throw new ContentError(r.diagnostics);
  return {
    lifecycle: r.fields.lifecycle_source === 'standard' ? STANDARD_LIFECYCLE : r.fields.lifecycle,
    podType: podTypeFlag ?? r.fields.pod_type,
    jobs: new Set(Object.keys(r.fields.jobs)),
    podDefinitionId: 'pd_0000000000000000',
    standard: r.fields.lifecycle_source === 'standard',
  };
}

/**
 * `lcm ops redrive`: every dead-letter queue of the stage (`<stage>-lcm-*-dlq`), or the one named,
 * handed back to the functions its letters failed in (shared/ops/redrive.ts). Uses the caller's AWS
 * credentials and region. Exit 0 when every letter was redriven, 1 when some were kept.
 */
async function opsRedrive(
  args: string[],
  out: (s: string) => void,
  err: (s: string) => void,
): Promise<number> {
  const opt = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const stage = opt('stage');
  if (!stage || !/^[a-z][a-z0-9-]{0,15}$/.test(stage)) {
    err(`${USAGE}\n(--stage is required: the stage whose dead letters to redrive)\n`);
    return 2;
  }
  const [
    { SQSClient, ListQueuesCommand },
    { DynamoDBStreamsClient },
    { LambdaClient },
    { redriveDeadLetters },
  ] = await Promise.all([
    import('@aws-sdk/client-sqs'),
    import('@aws-sdk/client-dynamodb-streams'),
    import('@aws-sdk/client-lambda'),
    import('../shared/ops/redrive.ts'),
  ]);
  const clients = {
    sqs: new SQSClient({}),
    streams: new DynamoDBStreamsClient({}),
    lambda: new LambdaClient({}),
  };
  // The stage's physical names (infra/naming.ts, which bin/ does not import): `<stage>-lcm-<name>`.
  const prefix = `${stage}-lcm-`;
  const urls: string[] = [];
  let next: string | undefined;
  do {
    const page = await clients.sqs.send(new ListQueuesCommand({ QueueNamePrefix: prefix, NextToken: next }));
    urls.push(...(page.QueueUrls ?? []));
    next = page.NextToken;
  } while (next);
  const only = opt('queue');
  const queues = urls.filter((u) => {
    const name = u.split('/').at(-1)!;
    return name.endsWith('-dlq') && (!only || name === only);
  });
  if (!queues.length) {
    err(`no dead-letter queue ${only ?? `${prefix}*-dlq`} in this account and region\n`);
    return 1;
  }
  const rows = await redriveDeadLetters(clients, queues, { dryRun: args.includes('--dry-run') });
  for (const r of rows)
    out(
      `${r.outcome.padEnd(13)} ${r.kind.padEnd(6)} ${r.queue.split('/').at(-1)} ${r.messageId} → ${r.target}${r.records !== undefined ? ` (${r.records} record(s)${r.gone ? `, ${r.gone} gone` : ''})` : ''}${r.detail ? `: ${r.detail}` : ''}\n`,
    );
  out(
    `${rows.length} letter(s) in ${queues.length} queue(s); ${rows.filter((r) => r.outcome === 'redriven').length} redriven\n`,
  );
  return rows.every((r) => r.outcome === 'redriven' || r.outcome === 'would-redrive') ? 0 : 1;
}
