/**
 * ARNs of what the product creates at run time (state machines registered by content sync and
 * seeding, their executions), in the partition, region and account of the invoked function.
 */
import type { Context } from 'aws-lambda';

export interface ArnScope {
  partition: string;
  region: string;
  account: string;
}

/** Where a function runs, read from its own ARN (`arn:<partition>:lambda:<region>:<account>:function:…`). */
export function scopeOf(context: Pick<Context, 'invokedFunctionArn'>): ArnScope {
  const [, partition, , region, account] = context.invokedFunctionArn.split(':');
  if (!partition || !region || !account) throw new Error(`not a function ARN: ${context.invokedFunctionArn}`);
  return { partition, region, account };
}

export const stateMachineArn = (s: ArnScope, name: string) =>
  `arn:${s.partition}:states:${s.region}:${s.account}:stateMachine:${name}`;

/** An execution's ARN from its state machine's ARN and its name. */
export const executionArn = (machineArn: string, executionName: string) =>
  `${machineArn.replace(':stateMachine:', ':execution:')}:${executionName}`;
