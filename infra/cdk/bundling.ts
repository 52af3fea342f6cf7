/**
 * One set of esbuild options for every Lambda bundle: the CDK construct uses it, and the bundle
 * size test builds with exactly the same options.
 */
export const LAMBDA_NODE_TARGET = 'node22';
/** The Node 22 Lambda runtime ships AWS SDK v3: bundles leave it out (smaller, faster cold starts). */
/**
 * Left out of every bundle: the SDK (in the Lambda runtime) and ssh2's optional native add-ons
 * (`cpu-features`, `sshcrypto.node`), which ssh2 loads in a try/catch and replaces with pure
 * JavaScript when absent; a bundle cannot carry a `.node` file, and npm does not build them here.
 */
export const EXTERNAL_MODULES = ['@aws-sdk/*', 'cpu-features', '*.node'];
export const ESM_BANNER =
  "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

export function esbuildOptions(entry: string, outfile: string) {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node' as const,
    format: 'esm' as const,
    target: LAMBDA_NODE_TARGET,
    mainFields: ['module', 'main'],
    minify: true,
    sourcemap: false,
    external: EXTERNAL_MODULES,
    banner: { js: ESM_BANNER },
    logLevel: 'silent' as const,
    metafile: true,
  };
}
