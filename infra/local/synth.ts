/**
 * The CDK app synthesized for one stage (offline, no bundling, no cdk-nag), read back into each
 * function's environment and IAM statements (template.ts). The local runtime synthesizes its own
 * stage at start-up; the result is cached under .build/ by a hash of everything the template is
 * made from (infra/, shared/, cdk.json, package-lock.json), so an unchanged tree starts fast and a
 * changed grant is picked up on the next start.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { bucketName } from '../naming.ts';
import type { LcmStack } from '../cdk/lcm-stack.ts';
import {
  templateProfiles,
  templateResolver as resolverOf,
  type CfnTemplate,
  type ResolveOptions,
  type TemplateProfiles,
  type TemplateResolver,
} from './template.ts';

export interface SynthTarget {
  stage: string;
  account: string;
  region: string;
  /** Repository root (defaults to this checkout). */
  root?: string;
}

const SOURCES = ['infra', 'shared', 'cdk.json', 'package-lock.json'];

function sourceHash(root: string, target: SynthTarget): string {
  const h = createHash('sha256').update(JSON.stringify({ ...target, root: undefined }));
  const walk = (p: string) => {
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const e of readdirSync(p).sort()) walk(join(p, e));
    } else if (/\.(ts|json|yaml|cjs|mjs)$/.test(p)) h.update(p.slice(root.length)).update(readFileSync(p));
  };
  for (const s of SOURCES) if (existsSync(join(root, s))) walk(join(root, s));
  return h.digest('hex').slice(0, 16);
}

/** Synthesizes the stack for `target` and returns the template with what the reader needs. */
export async function synthesize(target: SynthTarget): Promise<{
  template: CfnTemplate;
  profiles: TemplateProfiles;
}> {
  const root = target.root ?? resolve(import.meta.dirname, '../..');
  const [{ App }, { buildApp }] = await Promise.all([import('aws-cdk-lib'), import('../app.ts')]);
  const cdkJson = JSON.parse(readFileSync(join(root, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  const app = new App({
    context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], stage: target.stage },
  });
  const { stack } = buildApp(app, { env: { account: target.account, region: target.region } });
  const template = stackTemplate(stack);
  return { template, profiles: templateProfiles(template, resolveOptions(stack, target)) };
}

/**
 * The stack's template as `cdk synth` writes it, without writing an assembly or running the
 * validation plugins (cdk-nag runs in `npm run synth` and the infra tests).
 */
export function stackTemplate(stack: LcmStack): CfnTemplate {
  return stack.resolve(
    (stack as unknown as { _toCloudFormation(): unknown })._toCloudFormation(),
  ) as CfnTemplate;
}

/** What resolving the stack's template needs: logical ids of its functions, tasks and buckets. */
export function resolveOptions(stack: LcmStack, target: SynthTarget): ResolveOptions {
  const lid = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);
  return {
    stage: target.stage,
    account: target.account,
    region: target.region,
    // Buckets have no name in the template (CloudFormation generates one); the local runtime's.
    physicalNames: Object.fromEntries(
      [...stack.buckets].map(([name, b]) => [lid(b), bucketName(target.stage, name, target.account)]),
    ),
    functionIds: Object.fromEntries([...stack.functions].map(([name, f]) => [name, lid(f.fn)])),
    taskIds: Object.fromEntries([...stack.jobTasks].map(([name, t]) => [name, lid(t.taskDefinition)])),
  };
}

export function templateResolver(
  template: CfnTemplate,
  stack: LcmStack,
  target: SynthTarget,
): TemplateResolver {
  return resolverOf(template, resolveOptions(stack, target));
}

/** `synthesize`, cached by the hash of the sources the template is made from. */
export async function synthesizeCached(target: SynthTarget): Promise<TemplateProfiles> {
  const root = target.root ?? resolve(import.meta.dirname, '../..');
  const dir = join(root, '.build', 'local-profiles');
  const file = join(dir, `${target.stage}-${sourceHash(root, target)}.json`);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as TemplateProfiles;
  const { profiles } = await synthesize(target);
  mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(profiles, null, 1));
  renameSync(tmp, file); // atomic: a concurrent start reads the whole file or none

  return profiles;
}
