/**
 * One set of esbuild options for every Lambda bundle: the CDK construct uses it, and the bundle
 * size test builds with exactly the same options.
 */
import { buildSync } from 'esbuild';

export const LAMBDA_NODE_TARGET = 'node22';
/**
 * ssh2's optional native add-ons (`cpu-features`, `sshcrypto.node`): ssh2 loads them in a
 * try/catch and uses pure JavaScript when they are absent; a bundle cannot carry a `.node` file.
 */
export const NATIVE_ADDONS = ['cpu-features', '*.node'];
/**
 * Every AWS SDK package, as left out of a first pass that finds which ones an entry imports
 * statically (`sdkLoadedOnFirstUse`).
 */
export const ALL_SDK = ['@aws-sdk/*'];

/**
 * The AWS SDK packages an entry reaches only through a dynamic `import()` (loaded on first use:
 * the deep health check's clients, the reconciler's Lambda, ECS and S3, D185–D188). They stay
 * external, loaded from the Lambda runtime's own SDK when first called; the packages a handler
 * imports statically are bundled, minified and tree-shaken with it (D189): imported from
 * `node_modules` they cost a cold start 2–3× more CPU (Node resolving and compiling the SDK's
 * many CommonJS files) than bundled. A package imported both ways is bundled (one copy).
 */
export function sdkLoadedOnFirstUse(entry: string): string[] {
  const { metafile } = buildSync({
    entryPoints: [entry],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'esm',
    target: LAMBDA_NODE_TARGET,
    mainFields: ['module', 'main'],
    external: [...ALL_SDK, ...NATIVE_ADDONS],
    logLevel: 'silent',
    metafile: true,
  });
  const pkg = (path: string) => path.split('/').slice(0, 2).join('/');
  const imports = Object.values(metafile.outputs).flatMap((o) => o.imports);
  const sdk = imports.filter((i) => i.external && i.path.startsWith('@aws-sdk/'));
  const stat = new Set(sdk.filter((i) => i.kind !== 'dynamic-import').map((i) => pkg(i.path)));
  return [...new Set(sdk.filter((i) => i.kind === 'dynamic-import').map((i) => pkg(i.path)))]
    .filter((p) => !stat.has(p))
    .sort();
}

/** What an entry's bundle leaves out: the SDK packages it loads on first use, and ssh2's add-ons. */
export const externalModulesFor = (entry: string) => [...sdkLoadedOnFirstUse(entry), ...NATIVE_ADDONS];
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
    external: externalModulesFor(entry),
    banner: { js: ESM_BANNER },
    logLevel: 'silent' as const,
    metafile: true,
  };
}
