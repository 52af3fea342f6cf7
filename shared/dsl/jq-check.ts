/**
 * Compiles a job DSL expression with the very jq the scenario engine runs (jq-wasm, pinned
 * 3.0.0-jq-1.8.2), without running it: syntax errors, unknown functions and unknown variables
 * are jq compile errors, so content sync and `lcm content lint` report what a job would fail on.
 *
 * The expression is compiled inside `if false then (…) else null end` with the four scope
 * variables bound exactly as at run time, so nothing of it executes. So that an expression
 * cannot close that parenthesis and run code of its own at lint, it must balance its brackets
 * (strings and `\( )` interpolations respected) and carry no `#` comment.
 */
import { type Jq, loadJq } from 'jq-wasm';
import { jqWasmBinary } from './jq-wasm.ts';

let loading: Promise<Jq> | undefined;

function engine(): Promise<Jq> {
  loading ??= loadJq({ wasmBinary: jqWasmBinary() }).catch((e: unknown) => {
    loading = undefined;
    throw e;
  });
  return loading;
}

/** A synchronous compiler: the error text of an expression, or undefined when it compiles. */
export type JqCompiler = (expression: string) => string | undefined;

const CLOSE: Record<string, string> = { ')': '(', ']': '[', '}': '{' };

/** Brackets balanced and never closed beyond the expression, no comment; else what is wrong. */
function shape(expr: string): string | undefined {
  // Each frame: a bracket in code, or a string (whose `\(` opens an interpolation frame '\(').
  const stack: string[] = [];
  const inString = () => stack.at(-1) === '"';
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i]!;
    if (inString()) {
      if (c === '\\') {
        if (expr[i + 1] === '(') {
          stack.push('\\(');
          i++;
        } else i++;
      } else if (c === '"') stack.pop();
      continue;
    }
    if (c === '"') stack.push('"');
    else if (c === '#') return 'comments (#) are not allowed in ${ } expressions';
    else if (c === '(' || c === '[' || c === '{') stack.push(c);
    else if (c in CLOSE) {
      const top = stack.pop();
      if (!(top === CLOSE[c] || (c === ')' && top === '\\(')))
        return `syntax error: unbalanced "${c}" at column ${i + 1}`;
    }
  }
  if (stack.length) return `syntax error: unclosed "${stack.at(-1) === '"' ? '"' : stack.at(-1)}"`;
  return undefined;
}

const firstLine = (s: string) =>
  s
    .replace(/^jq: error(?: \(at [^)]*\))?: /, '')
    .split('\n')[0]!
    .replace(/ at <top-level>, line \d+, column \d+:?$/, '')
    .trim();

/** Loads jq once per process and returns its compiler. */
export async function jqCompiler(): Promise<JqCompiler> {
  const jq = await engine();
  return (expression) => {
    const bad = shape(expression);
    if (bad) return bad;
    const program = `. as {$session, $content, $runtime_env, $vars} | if false then (${expression}\n) else null end`;
    try {
      const r = jq.raw(null, program);
      return r.exitCode === 0 ? undefined : firstLine(r.stderr) || `jq exited with ${r.exitCode}`;
    } catch (e) {
      return firstLine((e as { stderr?: string }).stderr ?? (e as Error).message);
    }
  };
}
