/**
 * One set of esbuild options for every Lambda bundle: the CDK construct uses it, and the bundle
 * size test builds with exactly the same options.
 */
import { readFileSync } from 'node:fs';
import { buildSync, type Plugin } from 'esbuild';

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

/**
 * Lets esbuild drop the schemas of the SDK operations a bundle never sends (D225). Each SDK
 * client's `schemas/schemas_0.js` describes every operation of its service as arrays whose member
 * traits are objects with computed keys naming module constants (`{ [_xN]: _iSn }`, `const _xN =
 * "xmlName"`). esbuild keeps an unused declaration whose computed key is not a literal (evaluating
 * a key may call `toString`), so nothing in the file was tree-shaken: EC2's 8,800 schemas were 540
 * KB of the fleet reconciler's 956 KB bundle, parsed and evaluated at every cold start for the
 * seven operations it sends. The plugin writes each such key as the string constant it names (the
 * same object, key for key); the schemas no command in the bundle reaches are then dropped.
 * Only keys naming a `const _x = "…"` string literal of that file are rewritten.
 */
export const sdkSchemaKeysPlugin: Plugin = {
  name: 'lcm-sdk-schema-keys',
  setup(b) {
    b.onLoad(
      { filter: /[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/ },
      (args) => ({
        contents: inlineSchemaKeys(readFileSync(args.path, 'utf8')),
        loader: 'js',
      }),
    );
  },
};

/** `{ [_xN]: v }` → `{ ["xmlName"]: v }` for every `const _xN = "xmlName";` the module declares. */
export function inlineSchemaKeys(source: string): string {
  const constants = new Map<string, string>();
  for (const m of source.matchAll(/^const (_\w+) = ("[^"\\\n]*");$/gm)) constants.set(m[1]!, m[2]!);
  return source.replace(/\[(_\w+)\]:/g, (key, name: string) => {
    const value = constants.get(name);
    return value === undefined ? key : `[${value}]:`;
  });
}

/** A bundle's entry file in its directory: Lambda's handler is `index.handler`. */
export const BUNDLE_ENTRY = 'index.mjs';

/**
 * A Lambda bundle is a directory (D241): `index.mjs` and the chunks esbuild splits off
 * (`chunk-<hash>.mjs`, beside it, imported by relative URL). What the handler reaches only through
 * a dynamic `import()` (the content API's sync pipeline, ssh2 on a job's first console, the state
 * machine compiler on the first compile) is in a chunk of its own, read and parsed when first
 * imported; a single file made every cold start parse it (content-api 1.55 → 0.96 × the floor,
 * measured). Chunks are flat in the directory, so code reading `import.meta.url` or `__dirname`
 * (ssh2, the jq worker's files beside the bundle) finds what it found beside the single file.
 */
export function esbuildOptions(entry: string, outdir: string) {
  return {
    entryPoints: [entry],
    outdir,
    entryNames: 'index',
    chunkNames: 'chunk-[hash]',
    outExtension: { '.js': '.mjs' },
    splitting: true,
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
    plugins: [sdkSchemaKeysPlugin],
  };
}
