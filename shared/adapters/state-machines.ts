/**
 * Registers state machines at run time (content sync: a pod definition's phases; seeding: the
 * standard lifecycle's). Create, or update in place when the name exists: names are
 * deterministic, so registering the same definition again changes nothing.
 */
import {
  CreateStateMachineCommand,
  StateMachineAlreadyExists,
  UpdateStateMachineCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';

export class SfnRegistrar {
  constructor(
    private readonly sfn: SFNClient,
    private readonly roleArn: string,
    private readonly arnOf: (name: string) => string,
    private readonly logGroupArn?: string,
  ) {}

  /** Errors to the stack's state-machine log group, and X-Ray traces, for every registered machine. */
  private get observability() {
    if (!this.logGroupArn) return {};
    const logGroupArn = `${this.logGroupArn.replace(/:\*$/, '')}:*`;
    return {
      loggingConfiguration: {
        level: 'ERROR' as const,
        includeExecutionData: false,
        destinations: [{ cloudWatchLogsLogGroup: { logGroupArn } }],
      },
      tracingConfiguration: { enabled: true },
    };
  }

  async register(name: string, definition: string): Promise<string> {
    try {
      const out = await this.sfn.send(
        new CreateStateMachineCommand({
          name,
          definition,
          roleArn: this.roleArn,
          type: 'STANDARD',
          ...this.observability,
        }),
      );
      return out.stateMachineArn!;
    } catch (e) {
      if (!(e instanceof StateMachineAlreadyExists)) throw e;
      const arn = this.arnOf(name);
      await this.sfn.send(
        new UpdateStateMachineCommand({
          stateMachineArn: arn,
          definition,
          roleArn: this.roleArn,
          ...this.observability,
        }),
      );
      return arn;
    }
  }
}
