/**
 * The CDK app: `npx cdk synth` / `npx cdk deploy`. One stack per stage, generated from the
 * topology declaration, checked by cdk-nag's AwsSolutions pack.
 */
import { resolve } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { system } from './system.ts';
import { stageConfig } from './cdk/config.ts';
import { LcmStack } from './cdk/lcm-stack.ts';

export function buildApp(app: App = new App(), opts: { env?: { account?: string; region?: string } } = {}) {
  const config = stageConfig(app.node);
  const stack = new LcmStack(app, `lcm-${config.stage}`, {
    system,
    config,
    root: resolve(import.meta.dirname, '..'),
    env: opts.env ?? { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
    description: `LCM on AWS (${config.stage}): lab and exam session delivery`,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack, config };
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const { app, config } = buildApp();
  if (!config.jwtIssuer && config.target === 'aws')
    console.warn(
      'note: -c jwtIssuer=https://… is not set; the API uses a placeholder issuer (set it before a real deploy)',
    );
  app.synth();
}
