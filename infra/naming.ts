/** Physical names, the same in AWS and in the local runtime: `<stage>-lcm-<name>`. */
export const physicalName = (stage: string, name: string) => `${stage}-lcm-${name}`;
export const tableName = (stage: string, table: string) => physicalName(stage, table);
export const bucketName = (stage: string, bucket: string, account = 'local') =>
  `${stage}-lcm-${bucket}-${account}`.toLowerCase();
export const busName = (stage: string) => `${stage}-lcm`;
export const functionName = (stage: string, fn: string) => `${stage}-${fn}`;
/** State machines registered by content sync: `lcm-<pod definition id>-<phase>` (prefix fixed for IAM). */
export const STATE_MACHINE_PREFIX = 'lcm-';
