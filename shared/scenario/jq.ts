/**
 * jq for the job DSL, on jq-wasm (pinned: 3.0.0-jq-1.8.2). The wasm module is
 * loaded once per process; each expression's program text (with the four scope variables bound)
 * is built once and cached. Every expression reads `{session, content, runtime_env, vars}`, and
 * the same scopes are bound as `$session`, `$content`, `$runtime_env` and `$vars`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Jq, loadJq } from 'jq-wasm';
import { Problem } from '../domain/problem.ts';
import { envOptional } from '../runtime/env.ts';

let loading: Promise<Jq> | undefined;

/** Where jq.wasm is: next to a Lambda bundle (copied at bundling), else the installed package. */
function wasmBinary(): Uint8Array {
  const candidates = [envOptional('jqWasm'), join(dirname(fileURLToPath(import.meta.url)), 'jq.wasm')].filter(
    (p): p is string => Boolean(p),
  );
  for (const p of candidates) if (existsSync(p)) return readFileSync(p);
  const req = createRequire(import.meta.url);
  const pkg = req.resolve(['jq-wasm', 'package.json'].join('/'));
  return readFileSync(join(dirname(pkg), 'dist', 'build', 'jq.wasm'));
}

export function jqEngine(): Promise<Jq> {
  loading ??= loadJq({ wasmBinary: wasmBinary() }).catch((e: unknown) => {
    loading = undefined;
    throw e;
  });
  return loading;
}

const PROGRAMS = new Map<string, string>();
const MAX_PROGRAMS = 2000;

/** The program text for an expression with the scope variables bound; built once per expression. */
export function program(expression: string): string {
  let p = PROGRAMS.get(expression);
  if (p === undefined) {
    p = `. as {$session, $content, $runtime_env, $vars} | (${expression})`;
    if (PROGRAMS.size >= MAX_PROGRAMS) PROGRAMS.delete(PROGRAMS.keys().next().value!);
    PROGRAMS.set(expression, p);
  }
  return p;
}

export interface Scopes {
  session: Record<string, unknown>;
  content: Record<string, unknown>;
  runtime_env: Record<string, unknown>;
  vars: Record<string, unknown>;
}

/** Evaluates one jq expression against the scopes; its first output (null when it yields none). */
export async function evaluateJq(expression: string, scopes: Scopes): Promise<unknown> {
  const jq = await jqEngine();
  try {
    return jq.first(scopes as unknown as object, program(expression)) ?? null;
  } catch (e) {
    const stderr = (e as { stderr?: string }).stderr ?? (e as Error).message;
    throw new Problem('expression-error', `jq: ${firstLine(stderr)} in \${ ${expression} }`, {
      extensions: { expression },
    });
  }
}

const firstLine = (s: string) =>
  s
    .replace(/^jq: error(?: \(at [^)]*\))?: /, '')
    .split('\n')[0]!
    .trim();
