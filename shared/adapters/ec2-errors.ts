/**
 * EC2's errors as the fleet reconciler decides on them. In a module of their own, without the SDK:
 * the fleet's pure parts and the workers API (which never calls EC2) import `Ec2Error`, and taking
 * it from `ec2.ts` loaded `@aws-sdk/client-ec2`, the largest SDK client, into their cold start (D187).
 */
export type Ec2ErrorKind =
  'capacity' | 'limit' | 'throttled' | 'not_found' | 'invalid' | 'denied' | 'unknown';

export class Ec2Error extends Error {
  constructor(
    readonly kind: Ec2ErrorKind,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'Ec2Error';
  }
  /** Worth trying again later without changing anything. */
  get retryable(): boolean {
    return this.kind === 'capacity' || this.kind === 'throttled' || this.kind === 'unknown';
  }
}

const KIND_BY_CODE: Record<string, Ec2ErrorKind> = {
  InsufficientInstanceCapacity: 'capacity',
  InsufficientHostCapacity: 'capacity',
  InsufficientCapacity: 'capacity',
  InstanceLimitExceeded: 'limit',
  VcpuLimitExceeded: 'limit',
  MaxSpotInstanceCountExceeded: 'limit',
  RequestLimitExceeded: 'throttled',
  Throttling: 'throttled',
  ThrottlingException: 'throttled',
  'InvalidInstanceID.NotFound': 'not_found',
  'InvalidInstanceID.Malformed': 'invalid',
  'InvalidAMIID.NotFound': 'not_found',
  'InvalidSubnetID.NotFound': 'invalid',
  'InvalidGroup.NotFound': 'invalid',
  InvalidParameterValue: 'invalid',
  IncorrectInstanceState: 'invalid',
  UnauthorizedOperation: 'denied',
};

/** Maps an SDK error to an Ec2Error by EC2's error code (`name` on SDK v3 service exceptions). */
export function mapEc2Error(e: unknown, doing: string): Ec2Error {
  if (e instanceof Ec2Error) return e;
  const err = e as { name?: string; Code?: string; message?: string };
  const code = err.name && err.name !== 'Error' ? err.name : (err.Code ?? 'Unknown');
  return new Ec2Error(
    KIND_BY_CODE[code] ?? 'unknown',
    code,
    `${doing}: ${code}: ${err.message ?? String(e)}`,
  );
}
