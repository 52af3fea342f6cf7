/** Physical names, the same in AWS and in the local runtime: `<stage>-lcm-<name>`. */
export const physicalName = (stage: string, name: string) => `${stage}-lcm-${name}`;
export const tableName = (stage: string, table: string) => physicalName(stage, table);
export const bucketName = (stage: string, bucket: string, account = 'local') =>
  `${stage}-lcm-${bucket}-${account}`.toLowerCase();
export const busName = (stage: string) => `${stage}-lcm`;
export const functionName = (stage: string, fn: string) => `${stage}-${fn}`;
/** State machines the product registers at run time (their names are defined in shared/, which names them). */
export { stateMachinePrefix } from '../shared/domain/names.ts';
