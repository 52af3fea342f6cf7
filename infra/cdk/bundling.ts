/**
 * One set of esbuild options for every Lambda bundle: the CDK construct uses it, and the bundle
 * size test builds with exactly the same options.
 */
export const LAMBDA_NODE_TARGET = 'node22';
/**
 * ssh2's optional native add-ons (`cpu-features`, `sshcrypto.node`): ssh2 loads them in a
 * try/catch and uses pure JavaScript when they are absent; a bundle cannot carry a `.node` file.
 */
export const NATIVE_ADDONS = ['cpu-features', '*.node'];
/** The Node 22 Lambda runtime ships AWS SDK v3: bundles leave it out (smaller, faster cold starts). */
export const EXTERNAL_MODULES = ['@aws-sdk/*', ...NATIVE_ADDONS];
/**
 * An ES module has no CommonJS globals; bundled CommonJS code expects them. `require` for the
 * externals and built-ins it loads, `__filename`/`__dirname` for the code that reads them at load
 * (ssh2's poly1305 and agent modules: without them every bundle carrying ssh2 failed its cold start
 * with a ReferenceError, D180).
 */
export const ESM_BANNER = [
  "import { createRequire as __lcmCreateRequire } from 'module';",
  "import { fileURLToPath as __lcmFileURLToPath } from 'url';",
  "import { dirname as __lcmDirname } from 'path';",
  'const require = __lcmCreateRequire(import.meta.url);',
  'const __filename = __lcmFileURLToPath(import.meta.url);',
  'const __dirname = __lcmDirname(__filename);',
].join(' ');

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
