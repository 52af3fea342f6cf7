/**
 * Two stages in one account do not reach each other: `dev` and `prod` synthesized into one app,
 * no IAM statement of one stage's template matches a name the other stage creates (tables,
 * buckets, bus, functions, the state machines and executions it registers at run time), and no
 * event rule of one matches the other's events.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { App } from 'aws-cdk-lib';
import { LcmStack } from '../../../infra/cdk/lcm-stack.ts';
import { stageConfig } from '../../../infra/cdk/config.ts';
import { system } from '../../../infra/system.ts';
import { bucketName, busName, functionName, tableName } from '../../../infra/naming.ts';
import { stackTemplate, templateResolver } from '../../../infra/local/synth.ts';
import { iamMatch, type PolicyStatement } from '../../../infra/local/iam.ts';
import { RESOURCELESS_ACTIONS } from '../../../infra/cdk/nag.ts';
import { matchesPattern } from '../../../infra/local/event-pattern.ts';
import * as names from '../../../shared/domain/names.ts';
import { AWS_EVENTS } from '../../../shared/events/types.ts';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const root = resolve(import.meta.dirname, '../../..');
const cdkJson = JSON.parse(readFileSync(resolve(root, 'cdk.json'), 'utf8')) as {
  context: Record<string, unknown>;
};

const app = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
const stages = ['dev', 'prod'] as const;
const stacks = Object.fromEntries(
  stages.map((stage) => [
    stage,
    new LcmStack(app, `lcm-${stage}`, {
      system,
      config: { ...stageConfig(app.node), stage },
      root,
      env: { account: ACCOUNT, region: REGION },
    }),
  ]),
) as Record<(typeof stages)[number], LcmStack>;

/** Every statement and every rule of a stage's template, intrinsics resolved. */
function synthesized(stage: (typeof stages)[number]) {
  const stack = stacks[stage];
  const template = stackTemplate(stack);
  const r = templateResolver(template, stack, { stage, account: ACCOUNT, region: REGION });
  const statements = Object.values(template.Resources)
    .filter((x) => x.Type === 'AWS::IAM::Policy')
    .flatMap(
      (x) =>
        r.resolve((x.Properties!.PolicyDocument as { Statement: unknown[] }).Statement) as PolicyStatement[],
    );
  const rules = Object.values(template.Resources)
    .filter((x) => x.Type === 'AWS::Events::Rule' && x.Properties!.EventPattern)
    .map((x) => ({
      name: String(r.resolve(x.Properties!.Name)),
      bus: x.Properties!.EventBusName ? String(r.resolve(x.Properties!.EventBusName)) : 'default',
      pattern: r.resolve(x.Properties!.EventPattern) as Record<string, unknown>,
    }));
  return { statements, rules };
}

/** What a stage names, in AWS and at run time. */
function namesOf(stage: string) {
  const machine = (n: string) => `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${n}`;
  const std = names.standardMachineName(stage, 'cml_on_aws', 'instantiate');
  const content = names.contentMachineName(stage, 'pd_0123456789abcdef', 'grade');
  const exec = names.executionName(stage, 'ses_01jabcdefghjkmnpqrstvwxyz0', 1, 'instantiate', 1);
  return {
    arns: [
      machine(std),
      machine(content),
      `arn:aws:states:${REGION}:${ACCOUNT}:execution:${std}:${exec}`,
      `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${tableName(stage, 'state')}`,
      `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${tableName(stage, 'views')}/index/gsi1`,
      `arn:aws:s3:::${bucketName(stage, 'content', ACCOUNT)}/packages/x.zip`,
      `arn:aws:s3:::${bucketName(stage, 'artefacts', ACCOUNT)}`,
      `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${busName(stage)}`,
      ...system.functions.map(
        (f) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${functionName(stage, f.name)}`,
      ),
      `arn:aws:iam::${ACCOUNT}:role/${stage}-lcm-state-machines`,
    ],
    events: [
      {
        source: AWS_EVENTS.executionStatusChanged.source,
        'detail-type': AWS_EVENTS.executionStatusChanged.detailType,
        account: ACCOUNT,
        region: REGION,
        detail: { status: 'SUCCEEDED', name: exec, stateMachineArn: machine(std) },
      },
      {
        source: AWS_EVENTS.objectCreated.source,
        'detail-type': AWS_EVENTS.objectCreated.detailType,
        account: ACCOUNT,
        region: REGION,
        detail: { bucket: { name: bucketName(stage, 'content', ACCOUNT) }, object: { key: 'p/x.zip' } },
      },
    ],
  };
}

/** Actions that take no resource ARN, as the stack's cdk-nag acknowledgements list them. */
const RESOURCELESS = new Set(Object.keys(RESOURCELESS_ACTIONS));

describe('stage isolation: dev and prod in one account', () => {
  const dev = synthesized('dev');
  const prod = synthesized('prod');

  for (const [self, other, s] of [
    ['dev', 'prod', dev],
    ['prod', 'dev', prod],
  ] as const) {
    it(`no IAM statement of ${self} matches a name of ${other}`, () => {
      const foreign = namesOf(other).arns;
      const own = namesOf(self).arns;
      const leaks: string[] = [];
      let ownMatched = 0;
      for (const st of s.statements.filter((x) => x.Effect === 'Allow')) {
        const resources = [st.Resource ?? []].flat();
        if (resources.includes('*')) {
          const actions = [st.Action ?? []].flat();
          expect(
            actions.filter((a) => !RESOURCELESS.has(a)),
            `unscoped actions in ${self}`,
          ).toEqual([]);
          continue;
        }
        for (const p of resources) {
          for (const arn of foreign) if (iamMatch(p, arn)) leaks.push(`${p} matches ${arn}`);
          ownMatched += own.filter((arn) => iamMatch(p, arn)).length;
        }
      }
      expect(leaks).toEqual([]);
      expect(ownMatched).toBeGreaterThan(0); // the names are the ones the grants are written for
    });

    it(`no event rule of ${self} matches an event of ${other}`, () => {
      const foreign = namesOf(other).events;
      const own = namesOf(self).events;
      const leaks: string[] = [];
      for (const rule of s.rules) {
        if (rule.bus !== 'default') {
          expect(rule.bus, rule.name).toBe(busName(self));
          continue;
        }
        for (const e of foreign)
          if (matchesPattern(rule.pattern, e)) leaks.push(`${rule.name} matches ${JSON.stringify(e.detail)}`);
      }
      expect(leaks).toEqual([]);
      // Each own event has a default-bus rule that takes it.
      for (const e of own)
        expect(s.rules.some((r) => r.bus === 'default' && matchesPattern(r.pattern, e))).toBe(true);
    });
  }
});
