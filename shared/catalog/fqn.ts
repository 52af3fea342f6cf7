/**
 * Form-qualified names: six space-separated tokens
 * `{track_type} {track_level} {track_acronym} v{exam_version} {module_acronym} {form}`,
 * e.g. `Exam CCNP AUTO v2.0 LAB LAB-1.1.1`; a pin adds `@<version>`.
 */
import { Problem } from '../domain/problem.ts';

export interface ParsedFqn {
  fqn: string;
  track_type: string;
  track_level: string;
  track_acronym: string;
  exam_version: string;
  module_acronym: string;
  form: string;
}

const TOKEN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/;

export function parseFqn(value: string, pointer = '/fqn'): ParsedFqn {
  const tokens = value.split(' ');
  const fail = (detail: string) => {
    throw new Problem('malformed-fqn', `"${value}": ${detail}`, {
      errors: [{ pointer, detail, rule: 'fqn' }],
    });
  };
  if (tokens.length !== 6) fail(`expected six tokens separated by single spaces, got ${tokens.length}`);
  tokens.forEach((t, i) => {
    if (!TOKEN.test(t)) fail(`token ${i + 1} "${t}" is not a valid FQN token`);
  });
  const [track_type, track_level, track_acronym, v, module_acronym, form] = tokens as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (!/^v\d+(\.\d+)*$/.test(v))
    fail(`the fourth token must be the exam version as v<major>[.<minor>], got "${v}"`);
  return {
    fqn: value,
    track_type,
    track_level,
    track_acronym,
    exam_version: v.slice(1),
    module_acronym,
    form,
  };
}

/** `fqn@version` or a bare fqn. */
export function parsePinned(value: string, pointer = '/fqn'): { fqn: string; version?: string } {
  const at = value.lastIndexOf('@');
  const fqn = at < 0 ? value : value.slice(0, at);
  const version = at < 0 ? undefined : value.slice(at + 1);
  if (version !== undefined && !/^[0-9A-Za-z.+-]{1,32}$/.test(version))
    throw new Problem('malformed-fqn', `"${value}": the version after @ is not valid`, {
      errors: [{ pointer, detail: 'bad version', rule: 'fqn.version' }],
    });
  parseFqn(fqn, pointer);
  return { fqn, ...(version ? { version } : {}) };
}

/** Orders version strings numerically where they are numbers ("10" after "9", "1.10" after "1.9"). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+-]/);
  const pb = b.split(/[.+-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '';
    const y = pb[i] ?? '';
    const nx = Number(x);
    const ny = Number(y);
    const c =
      Number.isFinite(nx) && Number.isFinite(ny) && x !== '' && y !== '' ? nx - ny : x.localeCompare(y);
    if (c !== 0) return c;
  }
  return 0;
}
