/**
 * Secrets by reference: content never holds or computes credentials. A connector names the
 * credentials its device needs (`secret: cml/devices`); the adapter resolves the reference
 * outside the expression language, so no jq expression, `vars` entry, job record or event can
 * contain a secret or anything derived from one. The rules here are shared by lint (a package
 * whose expressions read a secret path is refused), the executor (secret-looking values never
 * enter jq's input) and the jobs API (a request carrying credentials is refused).
 */

/** The credentials a reference resolves to. */
export interface Credentials {
  username?: string;
  password?: string;
  enable_password?: string;
}

/** The references content may name, and what each is. */
export const SECRET_REFERENCES = {
  'cml/devices': "the devices' console credentials of a CML pod (username, password, enable_password)",
  'cml/api': 'the CML API credentials of the pod’s worker (username, password)',
} as const;

export type SecretReference = keyof typeof SECRET_REFERENCES;

export const isSecretReference = (ref: unknown): ref is SecretReference =>
  typeof ref === 'string' && Object.hasOwn(SECRET_REFERENCES, ref);

/** A key whose value is a credential (password, enable_password, token, api key, …). */
export const SECRET_KEY = /(pass(word)?|secret|token|api[_-]?key|private[_-]?key|credential)/i;

/** Fields of a credential set; a connector may not give them, only name them by `secret:`. */
export const CREDENTIAL_FIELDS = ['password', 'enable_password'] as const;

/** A deep copy without any value under a secret-looking key (what jq and storage may see). */
export function withoutSecrets<T>(value: T): T {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) if (!SECRET_KEY.test(k)) o[k] = walk(x);
      return o;
    }
    return v;
  };
  return walk(value) as T;
}

/** JSON pointers of every secret-looking key in a value (never the values themselves). */
export function secretPointers(value: unknown, at = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => secretPointers(v, `${at}/${i}`));
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) =>
      SECRET_KEY.test(k) ? [`${at}/${k}`] : secretPointers(v, `${at}/${k}`),
    );
  return [];
}

const SECRET_ACCESS = new RegExp(String.raw`(?:\.\s*"?|\[\s*")[\w-]*` + SECRET_KEY.source, 'i');
const CML_SCOPE = /runtime_env\s*(?:\.\s*"?|\[\s*")cml\b/;

/**
 * Whether a jq expression reads a secret path: it reads `runtime_env` and a secret-looking field
 * (`.runtime_env.devices.r1.enable_password`, `$runtime_env.cml`, `.["password"]`). Lint refuses
 * such expressions by name; at run time they find nothing (the scopes hold no secrets).
 */
export const readsSecret = (expression: string): boolean =>
  /runtime_env/.test(expression) && (SECRET_ACCESS.test(expression) || CML_SCOPE.test(expression));
