/**
 * EventBridge event-pattern matching, written for the project (no faithful matcher exists in
 * this ecosystem; see docs/decisions.md). Semantics follow AWS's "Amazon EventBridge event
 * patterns", "Content filtering" and "Arrays in event patterns" pages: every field of the
 * pattern must match; a pattern array matches if any element matches; an event array matches if
 * any of its elements matches; `$or` at any level; operators prefix, suffix, anything-but
 * (values, prefix, suffix, wildcard, equals-ignore-case), numeric, exists, equals-ignore-case,
 * wildcard and cidr. `validatePattern` rejects what AWS rejects, naming the offending field.
 */
import { Problem, type ProblemError } from '../../shared/domain/problem.ts';

export type EventPattern = Record<string, unknown>;
type Pred = (v: unknown) => boolean;
type Matcher = (event: unknown) => boolean;

const OPERATORS = new Set([
  'prefix',
  'suffix',
  'anything-but',
  'numeric',
  'exists',
  'equals-ignore-case',
  'wildcard',
  'cidr',
]);
const NUMERIC_OPS = new Set(['=', '<', '<=', '>', '>=']);

// ---- validation ----------------------------------------------------------------------------

export function validatePattern(pattern: unknown): void {
  const errors: ProblemError[] = [];
  if (!isObject(pattern))
    errors.push({ pointer: '', detail: 'an event pattern must be a JSON object', rule: 'pattern.object' });
  else if (Object.keys(pattern).length === 0)
    errors.push({ pointer: '', detail: 'an event pattern must not be empty', rule: 'pattern.empty' });
  else validateObject(pattern, '', errors);
  if (errors.length)
    throw new Problem(
      'validation-error',
      `Event pattern is not valid. Reason: ${errors[0]!.detail} at ${errors[0]!.pointer || '/'}`,
      { errors },
    );
}

function validateObject(obj: Record<string, unknown>, path: string, errors: ProblemError[]): void {
  for (const [key, value] of Object.entries(obj)) {
    const here = `${path}/${escapePointer(key)}`;
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2 || !value.every(isObject))
        errors.push({
          pointer: here,
          detail: '$or must be an array of at least two pattern objects',
          rule: 'or.shape',
        });
      else
        value.forEach((sub, i) =>
          Object.keys(sub).length
            ? validateObject(sub, `${here}/${i}`, errors)
            : errors.push({
                pointer: `${here}/${i}`,
                detail: 'an $or branch must not be empty',
                rule: 'or.empty',
              }),
        );
      continue;
    }
    if (Array.isArray(value)) {
      if (value.length === 0)
        errors.push({ pointer: here, detail: 'empty arrays are not allowed', rule: 'leaf.empty' });
      value.forEach((m, i) => validateMatcher(m, `${here}/${i}`, errors));
    } else if (isObject(value)) {
      if (Object.keys(value).length === 0)
        errors.push({ pointer: here, detail: 'empty objects are not allowed', rule: 'object.empty' });
      else validateObject(value, here, errors);
    } else
      errors.push({
        pointer: here,
        detail: `match value must be an array or an object, got ${typeName(value)}`,
        rule: 'leaf.array',
      });
  }
}

function validateMatcher(m: unknown, at: string, errors: ProblemError[]): void {
  if (m === null || ['string', 'number', 'boolean'].includes(typeof m)) return;
  if (!isObject(m))
    return void errors.push({
      pointer: at,
      detail: `match value must be a string, number, boolean, null or operator object`,
      rule: 'leaf.value',
    });
  const keys = Object.keys(m);
  if (keys.length !== 1)
    return void errors.push({
      pointer: at,
      detail: `an operator object holds exactly one operator, got ${keys.length}`,
      rule: 'operator.count',
    });
  const op = keys[0]!;
  const arg = m[op];
  const here = `${at}/${escapePointer(op)}`;
  const bad = (detail: string, rule: string): void => void errors.push({ pointer: here, detail, rule });
  if (!OPERATORS.has(op)) return void bad(`Unrecognized match type ${op}`, 'operator.unknown');
  switch (op) {
    case 'prefix':
    case 'suffix':
      if (typeof arg === 'string') return;
      if (isObject(arg) && Object.keys(arg).length === 1 && typeof arg['equals-ignore-case'] === 'string')
        return;
      return void bad(
        `${op} match pattern must be a string or {"equals-ignore-case": string}`,
        `${op}.value`,
      );
    case 'equals-ignore-case':
      if (typeof arg !== 'string')
        bad('equals-ignore-case match pattern must be a string', 'equals-ignore-case.value');
      return;
    case 'exists':
      if (typeof arg !== 'boolean') bad('exists match pattern must be either true or false', 'exists.value');
      return;
    case 'wildcard':
      return validateWildcard(arg, here, errors);
    case 'cidr':
      if (typeof arg !== 'string' || !parseCidr(arg))
        bad(`cidr match pattern must be a valid IPv4 or IPv6 CIDR block`, 'cidr.value');
      return;
    case 'numeric':
      return validateNumeric(arg, here, errors);
    case 'anything-but':
      return validateAnythingBut(arg, here, errors);
  }
}

function validateWildcard(arg: unknown, at: string, errors: ProblemError[]): void {
  if (typeof arg !== 'string')
    return void errors.push({
      pointer: at,
      detail: 'wildcard match pattern must be a string',
      rule: 'wildcard.value',
    });
  if (/(^|[^\\])\*\*/.test(arg))
    errors.push({
      pointer: at,
      detail: 'consecutive wildcard characters are not allowed',
      rule: 'wildcard.consecutive',
    });
}

function validateNumeric(arg: unknown, at: string, errors: ProblemError[]): void {
  const bad = (detail: string): void => void errors.push({ pointer: at, detail, rule: 'numeric.shape' });
  if (!Array.isArray(arg) || (arg.length !== 2 && arg.length !== 4))
    return bad('numeric expects one or two comparisons: [op, n] or [op, n, op, n]');
  for (let i = 0; i < arg.length; i += 2) {
    if (!NUMERIC_OPS.has(arg[i] as string))
      return bad(`Unrecognized numeric range operator: ${JSON.stringify(arg[i])}`);
    if (typeof arg[i + 1] !== 'number' || !Number.isFinite(arg[i + 1]))
      return bad(`numeric value must be a number, got ${JSON.stringify(arg[i + 1])}`);
  }
  if (arg.length === 4) {
    const [lo, a, hi, b] = arg as [string, number, string, number];
    if (!['>', '>='].includes(lo) || !['<', '<='].includes(hi))
      return bad('a numeric range is a lower bound (> or >=) followed by an upper bound (< or <=)');
    if (!(a < b)) return bad('the bottom of a numeric range must be less than its top');
  }
}

function validateAnythingBut(arg: unknown, at: string, errors: ProblemError[]): void {
  const bad = (detail: string, rule = 'anything-but.value'): void =>
    void errors.push({ pointer: at, detail, rule });
  if (typeof arg === 'string' || typeof arg === 'number') return;
  if (Array.isArray(arg)) {
    if (!arg.length) return bad('anything-but list must not be empty');
    const strings = arg.every((x) => typeof x === 'string');
    const numbers = arg.every((x) => typeof x === 'number');
    if (!strings && !numbers)
      bad('inside anything-but list, mixed types are not allowed: all strings or all numbers');
    return;
  }
  if (isObject(arg)) {
    const keys = Object.keys(arg);
    if (keys.length !== 1)
      return bad('anything-but object holds exactly one of prefix, suffix, wildcard, equals-ignore-case');
    const k = keys[0]!;
    const v = arg[k];
    if (k === 'prefix' || k === 'suffix') {
      if (typeof v !== 'string' || v === '') bad(`anything-but ${k} must be a non-empty string`);
      return;
    }
    if (k === 'equals-ignore-case') {
      if (typeof v === 'string' || (Array.isArray(v) && v.length && v.every((x) => typeof x === 'string')))
        return;
      return bad('anything-but equals-ignore-case must be a string or a list of strings');
    }
    if (k === 'wildcard') {
      if (Array.isArray(v)) {
        if (!v.length) return bad('anything-but wildcard list must not be empty');
        v.forEach((w, i) => validateWildcard(w, `${at}/wildcard/${i}`, errors));
      } else validateWildcard(v, `${at}/wildcard`, errors);
      return;
    }
    return bad(`Unsupported anything-but pattern: ${k}`, 'anything-but.operator');
  }
  bad('anything-but must be a string, a number, a list of strings or numbers, or an operator object');
}

// ---- matching ------------------------------------------------------------------------------

/** Compiles a (validated) pattern into a predicate over events; evaluate it many times. */
export function compilePattern(pattern: EventPattern): Matcher {
  validatePattern(pattern);
  const m = compileObject(pattern);
  return (event) => m(event);
}

export function matchesPattern(pattern: EventPattern, event: unknown): boolean {
  return compilePattern(pattern)(event);
}

function compileObject(obj: Record<string, unknown>): Matcher {
  const checks: Matcher[] = Object.entries(obj).map(([key, value]) => {
    if (key === '$or') {
      const branches = (value as Record<string, unknown>[]).map(compileObject);
      return (node) => branches.some((b) => b(node));
    }
    if (Array.isArray(value)) return compileLeaf(key, value);
    const nested = compileObject(value as Record<string, unknown>);
    return (node) => {
      const child = isObject(node) ? node[key] : undefined;
      if (Array.isArray(child))
        return child.some((c) => nested(c)) || (child.length === 0 && nested(undefined));
      return nested(child);
    };
  });
  return (node) => checks.every((c) => c(node));
}

function compileLeaf(key: string, matchers: unknown[]): Matcher {
  const existsFalse = matchers.some((m) => isObject(m) && m.exists === false);
  const existsTrue = matchers.some((m) => isObject(m) && m.exists === true);
  const preds = matchers.filter((m) => !(isObject(m) && 'exists' in m)).map(compileMatcher);
  return (node) => {
    const present = isObject(node) && Object.prototype.hasOwnProperty.call(node, key);
    if (!present) return existsFalse;
    if (existsTrue) return true;
    const raw = (node as Record<string, unknown>)[key];
    // An object value is not a leaf: only `exists` can match it (handled above).
    const values = Array.isArray(raw) ? raw : [raw];
    return values.some((v) => !isObject(v) && !Array.isArray(v) && preds.some((p) => p(v)));
  };
}

function compileMatcher(m: unknown): Pred {
  if (m === null) return (v) => v === null;
  if (typeof m === 'number') return (v) => typeof v === 'number' && v === m;
  if (typeof m !== 'object') return (v) => v === m;
  const [op, arg] = Object.entries(m as Record<string, unknown>)[0]!;
  switch (op) {
    case 'prefix':
      return affix(arg, (v, a) => v.startsWith(a));
    case 'suffix':
      return affix(arg, (v, a) => v.endsWith(a));
    case 'equals-ignore-case': {
      const a = (arg as string).toLowerCase();
      return (v) => typeof v === 'string' && v.toLowerCase() === a;
    }
    case 'wildcard': {
      const re = wildcardRegex(arg as string);
      return (v) => typeof v === 'string' && re.test(v);
    }
    case 'cidr': {
      const block = parseCidr(arg as string)!;
      return (v) => typeof v === 'string' && inCidr(v, block);
    }
    case 'numeric': {
      const a = arg as (string | number)[];
      const tests: Pred[] = [];
      for (let i = 0; i < a.length; i += 2) tests.push(numericTest(a[i] as string, a[i + 1] as number));
      return (v) => typeof v === 'number' && tests.every((t) => t(v));
    }
    case 'anything-but':
      return anythingBut(arg);
  }
  return () => false;
}

function affix(arg: unknown, test: (v: string, a: string) => boolean): Pred {
  if (typeof arg === 'string') return (v) => typeof v === 'string' && test(v, arg);
  const a = String((arg as Record<string, unknown>)['equals-ignore-case']).toLowerCase();
  return (v) => typeof v === 'string' && test(v.toLowerCase(), a);
}

function anythingBut(arg: unknown): Pred {
  if (typeof arg === 'string' || typeof arg === 'number') return (v) => v !== arg;
  if (Array.isArray(arg)) {
    const set = new Set(arg);
    return (v) => !set.has(v as string | number);
  }
  const [k, x] = Object.entries(arg as Record<string, unknown>)[0]!;
  switch (k) {
    case 'prefix':
      return (v) => typeof v !== 'string' || !v.startsWith(x as string);
    case 'suffix':
      return (v) => typeof v !== 'string' || !v.endsWith(x as string);
    case 'equals-ignore-case': {
      const set = new Set((Array.isArray(x) ? x : [x]).map((s) => String(s).toLowerCase()));
      return (v) => typeof v !== 'string' || !set.has(v.toLowerCase());
    }
    case 'wildcard': {
      const res = (Array.isArray(x) ? x : [x]).map((w) => wildcardRegex(w as string));
      return (v) => typeof v !== 'string' || !res.some((re) => re.test(v));
    }
  }
  return () => false;
}

function numericTest(op: string, n: number): Pred {
  switch (op) {
    case '=':
      return (v) => v === n;
    case '<':
      return (v) => (v as number) < n;
    case '<=':
      return (v) => (v as number) <= n;
    case '>':
      return (v) => (v as number) > n;
    default:
      return (v) => (v as number) >= n;
  }
}

/** `*` matches any run of characters; `\*` is a literal star; `\\` a literal backslash. */
function wildcardRegex(w: string): RegExp {
  let out = '';
  for (let i = 0; i < w.length; i++) {
    const c = w[i]!;
    if (c === '\\' && (w[i + 1] === '*' || w[i + 1] === '\\')) {
      out += escapeRegex(w[++i]!);
    } else if (c === '*') out += '.*';
    else out += escapeRegex(c);
  }
  return new RegExp(`^${out}$`, 's');
}

// ---- CIDR ----------------------------------------------------------------------------------

interface Cidr {
  v6: boolean;
  bits: bigint;
  mask: bigint;
}

function parseCidr(s: string): Cidr | undefined {
  const [addr, len, ...rest] = s.split('/');
  if (rest.length || addr === undefined || len === undefined || !/^\d{1,3}$/.test(len)) return undefined;
  const ip = parseIp(addr);
  if (!ip) return undefined;
  const width = ip.v6 ? 128 : 32;
  const n = Number(len);
  if (n > width) return undefined;
  const mask = n === 0 ? 0n : ((1n << BigInt(n)) - 1n) << BigInt(width - n);
  return { v6: ip.v6, bits: ip.bits & mask, mask };
}

function inCidr(v: string, c: Cidr): boolean {
  const ip = parseIp(v);
  return !!ip && ip.v6 === c.v6 && (ip.bits & c.mask) === c.bits;
}

function parseIp(s: string): { v6: boolean; bits: bigint } | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(s)) {
    const parts = s.split('.').map(Number);
    if (parts.some((p) => p > 255)) return undefined;
    return { v6: false, bits: parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n) };
  }
  if (!s.includes(':') || !/^[0-9a-fA-F:.]+$/.test(s)) return undefined;
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string) => (h ? h.split(':') : []);
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const fill = 8 - head.length - tail.length;
  if ((halves.length === 1 && fill !== 0) || fill < 0) return undefined;
  const all = [...head, ...Array(halves.length === 2 ? fill : 0).fill('0'), ...tail];
  if (all.length !== 8 || all.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return { v6: true, bits: all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n) };
}

// ---- helpers -------------------------------------------------------------------------------

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}
const escapePointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
