/**
 * IAM, locally: identity-based policy evaluation as AWS does it for one principal. An explicit
 * Deny wins; otherwise a request is allowed only if some Allow statement matches its action
 * (case-insensitive, `*` and `?` wildcards), its resource (case-sensitive, same wildcards) and
 * its conditions. A condition this evaluator does not know is never satisfied: the local runtime
 * may be stricter than AWS, never kinder.
 */

export interface PolicyStatement {
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

/** One authorization question: who (a function or task), which action, which resource. */
export interface AccessRequest {
  action: string;
  resource: string;
  /** Condition keys of the request (`iam:PassedToService`, …). */
  context?: Record<string, string>;
}

const list = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];

const globCache = new Map<string, RegExp>();

/** IAM's wildcard match: `*` any run of characters (also `/` and `:`), `?` exactly one. */
export function iamMatch(pattern: string, value: string, caseInsensitive = false): boolean {
  const key = `${caseInsensitive ? 'i' : 's'}${pattern}`;
  let re = globCache.get(key);
  if (!re) {
    const body = pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('');
    re = new RegExp(`^${body}$`, caseInsensitive ? 'si' : 's');
    globCache.set(key, re);
  }
  return re.test(value);
}

function conditionsHold(cond: PolicyStatement['Condition'], ctx: Record<string, string>): boolean {
  if (!cond) return true;
  for (const [operator, entries] of Object.entries(cond))
    for (const [key, expected] of Object.entries(entries)) {
      const actual = ctx[key];
      if (actual === undefined) return false;
      const values = list(expected);
      if (operator === 'StringEquals' && !values.includes(actual)) return false;
      else if (operator === 'StringLike' && !values.some((v) => iamMatch(v, actual))) return false;
      // ArnEquals and ArnLike behave alike (wildcards within the ARN's parts).
      else if (
        (operator === 'ArnEquals' || operator === 'ArnLike') &&
        !values.some((v) => iamMatch(v, actual))
      )
        return false;
      // Bool: the key's value is `true` or `false` (aws:SecureTransport).
      else if (operator === 'Bool' && !values.some((v) => String(v).toLowerCase() === actual.toLowerCase()))
        return false;
      else if (!['StringEquals', 'StringLike', 'ArnEquals', 'ArnLike', 'Bool'].includes(operator))
        return false;
    }
  return true;
}

function statementMatches(s: PolicyStatement, r: AccessRequest): boolean {
  const actionOk = s.Action
    ? list(s.Action).some((a) => iamMatch(a, r.action, true))
    : s.NotAction
      ? !list(s.NotAction).some((a) => iamMatch(a, r.action, true))
      : false;
  if (!actionOk) return false;
  const resourceOk = s.Resource
    ? list(s.Resource).some((p) => iamMatch(p, r.resource))
    : s.NotResource
      ? !list(s.NotResource).some((p) => iamMatch(p, r.resource))
      : false;
  return resourceOk && conditionsHold(s.Condition, r.context ?? {});
}

export type Decision = 'allow' | 'explicit-deny' | 'implicit-deny';

export function evaluate(statements: PolicyStatement[], r: AccessRequest): Decision {
  let allowed = false;
  for (const s of statements) {
    if (!statementMatches(s, r)) continue;
    if (s.Effect === 'Deny') return 'explicit-deny';
    allowed = true;
  }
  return allowed ? 'allow' : 'implicit-deny';
}

/**
 * The assumed-role ARN of a role's sessions, without the session name:
 * `arn:aws:iam::<account>:role/<path>/<name>` → `arn:aws:sts::<account>:assumed-role/<name>` (STS
 * drops the path).
 */
const assumedRoleOf = (roleArn: string) =>
  roleArn.replace(/^arn:aws:iam::(\d+):role\/(?:.*\/)?/, 'arn:aws:sts::$1:assumed-role/');

/** A resource policy's statement (a bucket policy's): who it applies to, besides what. */
export interface ResourcePolicyStatement extends PolicyStatement {
  Sid?: string;
  Principal?: '*' | { AWS?: string | string[]; Service?: string | string[] };
  NotPrincipal?: '*' | { AWS?: string | string[]; Service?: string | string[] };
}

/**
 * Whether a resource policy statement's principal covers the caller: `*` (or `AWS: *`) everyone;
 * an `AWS` entry naming the caller's role, its assumed-role session, or (for a Deny only) the
 * caller's account. A statement naming the account grants nothing by itself in the same account
 * (the identity policies decide), but a Deny for the account holds.
 */
function principalMatches(s: ResourcePolicyStatement, caller: LocalPrincipal, account: string): boolean {
  const names = (p: ResourcePolicyStatement['Principal']): string[] | '*' =>
    p === '*' ? '*' : p?.AWS === '*' || list(p?.AWS).includes('*') ? '*' : list(p?.AWS);
  const session = assumedRoleOf(caller.roleArn);
  const covers = (n: string[] | '*') =>
    n === '*' ||
    n.some(
      (x) =>
        x === caller.roleArn ||
        x.startsWith(`${session}/`) ||
        (s.Effect === 'Deny' && (x === account || x === `arn:aws:iam::${account}:root`)),
    );
  if (s.Principal !== undefined) return covers(names(s.Principal));
  if (s.NotPrincipal !== undefined) return !covers(names(s.NotPrincipal));
  return false;
}

export interface ResourcePolicy {
  statements: ResourcePolicyStatement[];
  account: string;
}

/** The principal a local function or task acts as, with the statements its role carries. */
export interface LocalPrincipal {
  /** `function/<name>` or `task/<name>`. */
  id: string;
  roleArn: string;
  statements: PolicyStatement[];
}

export class AccessDenied extends Error {
  override name = 'AccessDeniedException';
  constructor(
    readonly principal: LocalPrincipal,
    readonly request: AccessRequest,
    decision: Exclude<Decision, 'allow'>,
    /** Which policy denied explicitly (a resource policy's Deny, or the identity policy's). */
    by: 'identity' | 'resource' = 'identity',
  ) {
    const role = assumedRoleOf(principal.roleArn);
    const why =
      decision === 'implicit-deny'
        ? 'no identity-based policy allows'
        : by === 'resource'
          ? 'a resource-based policy explicitly denies'
          : 'an identity-based policy explicitly denies';
    super(
      `User: ${role}/${principal.id.replace(/^\w+\//, '')} (${principal.id}) is not authorized to perform: ${request.action} on resource: ${request.resource} because ${why} the ${request.action} action`,
    );
  }
}

/**
 * Checks every request; the first one denied throws `AccessDenied`. With a resource policy (a
 * bucket policy), as AWS evaluates a request within one account: an explicit Deny in either policy
 * wins; otherwise an Allow in either allows (the resource policy's only where its principal names
 * the caller's role or session).
 */
export function authorize(
  principal: LocalPrincipal,
  requests: AccessRequest[],
  resourcePolicy?: (r: AccessRequest) => ResourcePolicy | undefined,
): void {
  for (const r of requests) {
    const identity = evaluate(principal.statements, r);
    const policy = resourcePolicy?.(r);
    const resource = policy
      ? evaluate(
          policy.statements.filter((s) => principalMatches(s, principal, policy.account)),
          r,
        )
      : 'implicit-deny';
    if (resource === 'explicit-deny') throw new AccessDenied(principal, r, 'explicit-deny', 'resource');
    if (identity === 'explicit-deny') throw new AccessDenied(principal, r, 'explicit-deny');
    if (identity !== 'allow' && resource !== 'allow') throw new AccessDenied(principal, r, identity);
  }
}
