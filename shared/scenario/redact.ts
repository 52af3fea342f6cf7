/**
 * The last line of defence: secrets never enter jq's scopes (they are resolved by reference,
 * shared/domain/secrets.ts), but the credentials a job's connectors resolve, and any value under
 * a secret-looking key of its input, are collected, and everything the job logs, emits, stores or
 * returns passes through `redact`, which replaces each occurrence (also inside longer strings,
 * such as a device echoing a password) with `***`.
 */
import { SECRET_KEY } from '../domain/secrets.ts';

export const REDACTED = '***';

export class Redactor {
  #secrets: string[] = [];
  constructor(secrets: Iterable<string>) {
    this.add(secrets);
  }

  /** Adds secrets (a connector's resolved credentials) to mask from now on. */
  add(secrets: Iterable<string>): void {
    // Longest first, so a secret that contains another is replaced whole.
    this.#secrets = [
      ...new Set([...this.#secrets, ...[...secrets].filter((s) => typeof s === 'string' && s.length >= 3)]),
    ].sort((a, b) => b.length - a.length);
  }

  static fromRuntimeEnv(runtimeEnv: unknown, extra: Iterable<string> = []): Redactor {
    const found: string[] = [...extra];
    const walk = (v: unknown, key: string) => {
      if (typeof v === 'string' || typeof v === 'number') {
        if (SECRET_KEY.test(key)) found.push(String(v));
      } else if (Array.isArray(v)) v.forEach((x) => walk(x, key));
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k);
    };
    walk(runtimeEnv, '');
    return new Redactor(found);
  }

  get size(): number {
    return this.#secrets.length;
  }

  text(s: string): string {
    let out = s;
    for (const secret of this.#secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    return out;
  }

  /** A deep copy with every secret replaced; values under secret-looking keys are masked whole. */
  redact<T>(value: T): T {
    const walk = (v: unknown, key: string): unknown => {
      if (typeof v === 'string') return SECRET_KEY.test(key) ? REDACTED : this.text(v);
      if (typeof v === 'number' && SECRET_KEY.test(key)) return REDACTED;
      if (Array.isArray(v)) return v.map((x) => walk(x, key));
      if (v && typeof v === 'object') {
        const o: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v)) o[k] = walk(x, k);
        return o;
      }
      return v;
    };
    return walk(value, '') as T;
  }
}
