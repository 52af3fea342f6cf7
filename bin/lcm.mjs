#!/usr/bin/env node
// The content author's command line. Runs the TypeScript sources through tsx's loader.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./cli.ts');
// `lcm content test` runs the package against the local simulators (infra/local): the launcher
// hands the dry run in, so the product code under bin/ never imports infra/ (D50).
const contentTest = async (target, opts) => {
  const { contentTest: run } = await import('../infra/local/content-test.ts');
  return run(target, opts);
};
process.exitCode = await main(process.argv.slice(2), undefined, undefined, contentTest);
