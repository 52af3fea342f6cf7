/**
 * Bundles one Lambda entry into a directory as `index.mjs`, the chunks split off it (D241) and
 * their source maps, with the one set of esbuild options (`esbuildOptions`, plugins included) the
 * bundle test and the bench build with (D225). The CDK construct runs it in a child process: an asset's local bundling is synchronous,
 * and esbuild runs plugins only in its asynchronous API.
 *
 *   node --import tsx infra/cdk/bundle-lambda.ts <entry> <output directory>
 */
import { resolve } from 'node:path';
import { build } from 'esbuild';
import { esbuildOptions } from './bundling.ts';

export async function bundleLambda(entry: string, outDir: string): Promise<void> {
  await build({
    ...esbuildOptions(resolve(entry), outDir),
    sourcemap: true,
    metafile: false,
  });
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const [entry, outDir] = process.argv.slice(2);
  if (!entry || !outDir) throw new Error('usage: bundle-lambda.ts <entry> <output directory>');
  await bundleLambda(entry, outDir);
}
