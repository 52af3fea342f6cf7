/**
 * Where jq-wasm's files are: next to a Lambda bundle or the job image (copied at bundling), else
 * the installed package's. One answer for the lint-time compiler and the run-time engine.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { envOptional } from '../runtime/env.ts';

/** The folder of the running module: in a bundle, the bundle's own folder. */
export const moduleDir = (): string => {
  try {
    return dirname(fileURLToPath(import.meta.url));
  } catch {
    return process.cwd();
  }
};

/** jq.wasm's bytes: `LCM_JQ_WASM`, next to the bundle, else the installed package's build. */
export function jqWasmBinary(): Uint8Array {
  const candidates = [envOptional('jqWasm'), join(moduleDir(), 'jq.wasm')].filter((p): p is string =>
    Boolean(p),
  );
  for (const p of candidates) if (existsSync(p)) return readFileSync(p);
  const pkg = createRequire(import.meta.url).resolve(['jq-wasm', 'package.json'].join('/'));
  return readFileSync(join(dirname(pkg), 'dist', 'build', 'jq.wasm'));
}
