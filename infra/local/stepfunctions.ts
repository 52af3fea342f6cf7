/**
 * Step Functions, locally: the Step Functions API (as the real SDK calls it through the gateway)
 * over aws-local-stepfunctions. Every Task state is served in-process — Lambda integrations call
 * the local functions, ECS tasks start the job runner as a child process, `.waitForTaskToken`
 * tasks wait for SendTaskSuccess/Failure with real heartbeat and timeout enforcement — so no
 * call ever leaves the machine. Status changes are published as the same "Step Functions
 * Execution Status Change" events AWS sends to EventBridge.
 */
import { randomUUID } from 'node:crypto';
import {
  ExecutionAbortedError,
  ExecutionTimeoutError,
  StateMachine,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import type { Clock, ManualClock } from '../../shared/domain/clock.ts';
import { AccessDenied, authorize, type AccessRequest, type PolicyStatement } from './iam.ts';

export interface LocalSfnDeps {
  clock: Clock;
  region: string;
  accountId: string;
  invokeFunction(functionArnOrName: string, payload: unknown): Promise<unknown>;
  runTask(params: Record<string, unknown>): Promise<void>;
  publish(event: {
    source: string;
    'detail-type': string;
    detail: Record<string, unknown>;
    resources: string[];
    time: string;
  }): Promise<void>;
  /** Real milliseconds for a virtual duration (the controllable clock). */
  realDelayMs?(virtualMs: number): number;
  /**
   * The template's roles: each task is checked against its machine's execution role, as AWS
   * does (absent: nothing is checked, for tests of the interpreter itself).
   */
  roles?: {
    get(roleArn: string): { statements: PolicyStatement[] } | undefined;
    /** The roles RunTask passes for a task definition (its task and execution roles). */
    taskDefinitionRoles?(taskDefinition: string): string[];
  };
  /** Wall-time floor of task timeouts and heartbeats (default 5 s; see deadline()). */
  deadlineFloorMs?: number;
  /**
   * Wall time a task has to send its first heartbeat (default 60 s): a local task is a process
   * that has to start (tsx, the SDK) on a machine that may be busy, as Fargate has to provision.
   * Later heartbeats are due within HeartbeatSeconds (floored by deadlineFloorMs).
   */
  taskStartFloorMs?: number;
  /**
   * A stepped run (D146): the timeouts of tasks this process runs (Lambda invocations) are timers
   * of this manual clock, so they expire when the driver moves the clock past them, never because
   * the machine was slow. A task process (waitForTaskToken) cannot follow this clock, so its
   * timeout and heartbeat stay wall-time timers of `deadline()`, as without it.
   */
  manualClock?: ManualClock;
}

export class SfnApiError extends Error {
  constructor(
    override readonly name: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
  }
}

type Status = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

interface Machine {
  name: string;
  arn: string;
  definition: string;
  roleArn: string;
  created: number;
  parsed: StateMachineDefinition;
  sm: StateMachine;
  tasks: Map<string, TaskState>;
}

interface TaskState {
  Resource: string;
  HeartbeatSeconds?: number;
  TimeoutSeconds?: number;
}

interface Execution {
  arn: string;
  name: string;
  machine: Machine;
  input: string;
  status: Status;
  output?: string;
  error?: string;
  cause?: string;
  start: number;
  stop?: number;
  abort(): void;
  done: Promise<void>;
  history: { id: number; type: string; timestamp: number; details?: unknown }[];
  tokens: Set<string>;
}

interface Waiter {
  execution: Execution;
  resolve(v: unknown): void;
  reject(e: Error): void;
  heartbeatMs?: number;
  cancelHeartbeat?: () => void;
  cancelTimeout?: () => void;
  finished: boolean;
}

const TOKEN_PLACEHOLDER = '__LCM_LOCAL_TASK_TOKEN__';
const named = (name: string, message: string) => Object.assign(new Error(message), { name });

export class LocalStepFunctions {
  readonly #machines = new Map<string, Machine>();
  readonly #executions = new Map<string, Execution>();
  readonly #waiters = new Map<string, Waiter>();
  readonly #finishedTokens = new Set<string>();
  #counts = { succeeded: 0, failed: 0 };
  /**
   * What Standard Workflows bill: a state transition each time a state is entered, retries
   * included (StateEntered + StateRetried of the interpreter's event log), per execution started.
   */
  readonly billing = { executions: 0, transitions: 0, retries: 0 };

  constructor(private readonly deps: LocalSfnDeps) {}

  private now() {
    return this.deps.clock.now();
  }
  private real(ms: number) {
    return Math.max(0, this.deps.realDelayMs ? this.deps.realDelayMs(ms) : ms);
  }
  /**
   * A deadline on work (task timeout, heartbeat): the clock's time, but never less than
   * min(ms, 5 s) of wall time. An accelerated clock shortens waiting, not process start-up or I/O:
   * a 60 s heartbeat at ×600 must not expire before a task process has even started.
   */
  private deadline(ms: number) {
    return Math.max(this.real(ms), Math.min(ms, this.deps.deadlineFloorMs ?? 5_000));
  }
  /**
   * Calls `fire` once `ms` of the clock's time has passed, and never before `realFloorMs` of wall
   * time (a process must start); returns the cancellation. With `onClock` and a manual clock it
   * is a deadline timer of that clock; otherwise a wall-time timer of deadline().
   */
  private after(ms: number, fire: () => void, realFloorMs = 0, onClock = false): () => void {
    const clock = onClock ? this.deps.manualClock : undefined;
    if (!clock) {
      const t = setTimeout(fire, Math.max(this.deadline(ms), realFloorMs));
      return () => clearTimeout(t);
    }
    let ended = false;
    let clockDue = false;
    let floorDue = realFloorMs <= 0;
    const check = () => {
      if (ended || !clockDue || !floorDue) return;
      ended = true;
      fire();
    };
    const t =
      realFloorMs > 0
        ? setTimeout(() => {
            floorDue = true;
            check();
          }, realFloorMs)
        : undefined;
    const cancel = clock.schedule(
      clock.now() + ms,
      () => {
        clockDue = true;
        check();
      },
      'deadline',
    );
    return () => {
      ended = true;
      clearTimeout(t);
      cancel();
    };
  }
  private machineArn(name: string) {
    return `arn:aws:states:${this.deps.region}:${this.deps.accountId}:stateMachine:${name}`;
  }

  /** The state machine a task token belongs to (IAM checks SendTask* against it). */
  machineArnOfToken(token: string): string | undefined {
    const live = this.#waiters.get(token)?.execution.machine.arn;
    if (live) return live;
    // A settled token (a late heartbeat): tokens are `<execution name>.<uuid>`.
    const name = token.slice(0, token.lastIndexOf('.'));
    for (const e of this.#executions.values()) if (e.name === name) return e.machine.arn;
    return undefined;
  }

  status() {
    let running = 0;
    for (const e of this.#executions.values()) if (e.status === 'RUNNING') running++;
    return { stateMachines: this.#machines.size, running, ...this.#counts };
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the API's JSON bodies, one shape per action
  async handle(action: string, body: any): Promise<unknown> {
    switch (action) {
      case 'CreateStateMachine':
        return this.create(body);
      case 'UpdateStateMachine':
        return this.update(body);
      case 'DescribeStateMachine': {
        const m = this.machineByArn(body.stateMachineArn);
        return {
          stateMachineArn: m.arn,
          name: m.name,
          status: 'ACTIVE',
          definition: m.definition,
          roleArn: m.roleArn,
          type: 'STANDARD',
          creationDate: m.created / 1000,
        };
      }
      case 'ListStateMachines': {
        const all = [...this.#machines.values()].sort((a, b) => a.name.localeCompare(b.name));
        const start = body.nextToken ? Number(body.nextToken) : 0;
        const max = body.maxResults || 100;
        const page = all.slice(start, start + max);
        return {
          stateMachines: page.map((m) => ({
            stateMachineArn: m.arn,
            name: m.name,
            type: 'STANDARD',
            creationDate: m.created / 1000,
          })),
          ...(start + max < all.length ? { nextToken: String(start + max) } : {}),
        };
      }
      case 'DeleteStateMachine':
        this.#machines.delete(this.machineByArn(body.stateMachineArn).name);
        return {};
      case 'StartExecution':
        return this.start(body);
      case 'DescribeExecution':
        return this.describe(this.executionByArn(body.executionArn));
      case 'StopExecution': {
        const e = this.executionByArn(body.executionArn);
        if (e.status === 'RUNNING') {
          e.error = body.error;
          e.cause = body.cause;
          e.abort();
          await e.done;
        }
        return { stopDate: (e.stop ?? this.now()) / 1000 };
      }
      case 'ListExecutions': {
        const m = this.machineByArn(body.stateMachineArn);
        const list = [...this.#executions.values()].filter(
          (e) => e.machine === m && (!body.statusFilter || e.status === body.statusFilter),
        );
        return {
          executions: list.map((e) => ({
            executionArn: e.arn,
            stateMachineArn: m.arn,
            name: e.name,
            status: e.status,
            startDate: e.start / 1000,
            ...(e.stop ? { stopDate: e.stop / 1000 } : {}),
          })),
        };
      }
      case 'GetExecutionHistory': {
        const e = this.executionByArn(body.executionArn);
        return {
          events: e.history.map((h) => ({
            id: h.id,
            type: h.type,
            timestamp: h.timestamp / 1000,
            previousEventId: h.id - 1,
          })),
        };
      }
      case 'SendTaskSuccess':
        return this.settleToken(body.taskToken, (w) => w.resolve(JSON.parse(body.output ?? 'null')));
      case 'SendTaskFailure':
        return this.settleToken(body.taskToken, (w) =>
          w.reject(named(body.error || 'States.TaskFailed', body.cause ?? '')),
        );
      case 'SendTaskHeartbeat': {
        const w = this.waiter(body.taskToken);
        this.armHeartbeat(body.taskToken, w, false);
        return {};
      }
      default:
        throw new SfnApiError(
          'UnknownOperationException',
          `AWSStepFunctions.${action} is not emulated locally`,
        );
    }
  }

  // ---- state machines -------------------------------------------------------------------

  private compile(name: string, definition: string): Pick<Machine, 'parsed' | 'sm' | 'tasks'> {
    if (typeof definition !== 'string')
      throw new SfnApiError('InvalidDefinition', 'definition must be a JSON string');
    let parsed: StateMachineDefinition & { QueryLanguage?: string };
    try {
      parsed = JSON.parse(definition);
    } catch (e) {
      throw new SfnApiError('InvalidDefinition', `definition is not JSON: ${(e as Error).message}`);
    }
    // The local interpreter silently ignores these; refuse them so they fail here, not in AWS.
    if (/"QueryLanguage"\s*:\s*"JSONata"/.test(definition))
      throw new SfnApiError(
        'InvalidDefinition',
        `${name}: JSONata is not supported locally; compile to JSONPath`,
      );
    if (/"Assign"\s*:/.test(definition))
      throw new SfnApiError('InvalidDefinition', `${name}: variables (Assign) are not supported locally`);
    let sm: StateMachine;
    try {
      // On a manual clock the task timeouts are this emulator's (clock timers, in runTask); the
      // interpreter's own are wall-time timers (60 s when a task states none), so they step aside.
      sm = new StateMachine(this.deps.manualClock ? withoutTaskTimeouts(parsed) : parsed, {
        validationOptions: { checkArn: false },
      });
    } catch (e) {
      throw new SfnApiError('InvalidDefinition', `${name}: ${(e as Error).message}`);
    }
    const tasks = new Map<string, TaskState>();
    collectTasks(parsed, tasks);
    return { parsed, sm, tasks };
  }

  private create(body: { name: string; definition: string; roleArn: string }) {
    if (!body.name || !/^[A-Za-z0-9_-]{1,80}$/.test(body.name))
      throw new SfnApiError('InvalidName', `invalid state machine name "${body.name}"`);
    const existing = this.#machines.get(body.name);
    if (existing) {
      if (existing.definition === body.definition && existing.roleArn === body.roleArn)
        return { stateMachineArn: existing.arn, creationDate: existing.created / 1000 };
      throw new SfnApiError('StateMachineAlreadyExists', `State Machine Already Exists: '${existing.arn}'`);
    }
    const m: Machine = {
      name: body.name,
      arn: this.machineArn(body.name),
      definition: body.definition,
      roleArn: body.roleArn,
      created: this.now(),
      ...this.compile(body.name, body.definition),
    };
    this.#machines.set(m.name, m);
    return { stateMachineArn: m.arn, creationDate: m.created / 1000 };
  }

  private update(body: { stateMachineArn: string; definition?: string; roleArn?: string }) {
    const m = this.machineByArn(body.stateMachineArn);
    if (body.definition !== undefined)
      Object.assign(m, { definition: body.definition }, this.compile(m.name, body.definition));
    if (body.roleArn) m.roleArn = body.roleArn;
    return { updateDate: this.now() / 1000 };
  }

  private machineByArn(arn: string): Machine {
    const name = String(arn ?? '').split(':stateMachine:')[1];
    const m = name ? this.#machines.get(name) : undefined;
    if (!m) throw new SfnApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return m;
  }

  // ---- executions -----------------------------------------------------------------------

  private start(body: { stateMachineArn: string; name?: string; input?: string }) {
    const m = this.machineByArn(body.stateMachineArn);
    const name = body.name ?? randomUUID();
    const arn = `arn:aws:states:${this.deps.region}:${this.deps.accountId}:execution:${m.name}:${name}`;
    const input = body.input ?? '{}';
    const existing = this.#executions.get(arn);
    if (existing) {
      // AWS: the same name and input within 90 days is idempotent; another input is a conflict.
      if (existing.input === input) return { executionArn: arn, startDate: existing.start / 1000 };
      throw new SfnApiError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    }
    let parsedInput: unknown;
    try {
      parsedInput = JSON.parse(input);
    } catch {
      throw new SfnApiError('InvalidExecutionInput', 'input is not JSON');
    }
    const e: Execution = {
      arn,
      name,
      machine: m,
      input,
      status: 'RUNNING',
      start: this.now(),
      abort: () => undefined,
      done: Promise.resolve(),
      history: [],
      tokens: new Set(),
    };
    this.#executions.set(arn, e);
    this.billing.executions++;
    const waitTimeOverrides: Record<string, number> = {};
    collectWaits(
      m.parsed,
      (stateName, seconds) => (waitTimeOverrides[stateName] = this.real(seconds * 1000)),
    );
    const retryIntervalOverrides: Record<string, number[]> = {};
    collectRetries(
      m.parsed,
      (stateName, intervals) =>
        (retryIntervalOverrides[stateName] = intervals.map((s) => this.real(s * 1000))),
    );
    const run = m.sm.run(parsedInput as never, {
      overrides: {
        taskResourceLocalHandlers: this.taskHandlers(m, e),
        waitTimeOverrides,
        retryIntervalOverrides,
      },
      context: {
        Task: { Token: TOKEN_PLACEHOLDER },
        Execution: {
          Id: arn,
          Name: name,
          Input: parsedInput as never,
          StartTime: new Date(e.start).toISOString(),
        },
        StateMachine: { Id: m.arn, Name: m.name },
      },
    });
    e.abort = run.abort;
    void this.emitStatus(e);
    e.done = (async () => {
      void (async () => {
        let id = 0;
        try {
          for await (const ev of run.eventLogs) {
            e.history.push({ id: ++id, type: ev.type, timestamp: this.now(), details: ev });
            if (ev.type === 'StateEntered') this.billing.transitions++;
            else if (ev.type === 'StateRetried') {
              this.billing.transitions++;
              this.billing.retries++;
            }
          }
        } catch {
          /* the log ends with the execution */
        }
      })();
      try {
        const out = await run.result;
        e.status = 'SUCCEEDED';
        e.output = JSON.stringify(out ?? null);
        this.#counts.succeeded++;
      } catch (err) {
        if (err instanceof ExecutionAbortedError) e.status = 'ABORTED';
        else if (err instanceof ExecutionTimeoutError) {
          e.status = 'TIMED_OUT';
          e.error = 'States.Timeout';
        } else {
          e.status = 'FAILED';
          const cause = (err as { cause?: Error }).cause;
          e.error = cause?.name ?? (err as Error).name;
          e.cause = cause?.message ?? (err as Error).message;
          this.#counts.failed++;
        }
      } finally {
        e.stop = this.now();
        for (const t of e.tokens) this.finishToken(t, named('States.Runtime', 'execution ended'));
      }
      await this.emitStatus(e);
    })();
    return { executionArn: arn, startDate: e.start / 1000 };
  }

  private executionByArn(arn: string): Execution {
    const e = this.#executions.get(arn);
    if (!e) throw new SfnApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return e;
  }

  private describe(e: Execution) {
    return {
      executionArn: e.arn,
      stateMachineArn: e.machine.arn,
      name: e.name,
      status: e.status,
      startDate: e.start / 1000,
      ...(e.stop ? { stopDate: e.stop / 1000 } : {}),
      input: e.input,
      ...(e.output !== undefined ? { output: e.output } : {}),
      ...(e.error ? { error: e.error } : {}),
      ...(e.cause ? { cause: e.cause } : {}),
    };
  }

  private async emitStatus(e: Execution) {
    try {
      await this.deps.publish({
        source: 'aws.states',
        'detail-type': 'Step Functions Execution Status Change',
        resources: [e.arn],
        time: new Date(e.stop ?? e.start).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        detail: {
          executionArn: e.arn,
          stateMachineArn: e.machine.arn,
          name: e.name,
          status: e.status,
          startDate: e.start,
          stopDate: e.stop ?? null,
          input: e.input,
          output: e.output ?? null,
          inputDetails: { included: true },
          outputDetails: { included: e.output !== undefined },
          error: e.error ?? null,
          cause: e.cause ?? null,
        },
      });
    } catch (err) {
      console.error(`[sfn] publishing the status of ${e.name} failed: ${(err as Error).message}`);
    }
  }

  // ---- tasks ----------------------------------------------------------------------------

  private taskHandlers(m: Machine, e: Execution): Record<string, (input: unknown) => Promise<never>> {
    const handlers: Record<string, (input: unknown) => Promise<never>> = {};
    for (const [stateName, task] of m.tasks)
      handlers[stateName] = (input) => this.runTask(task, input, e) as Promise<never>;
    return handlers;
  }

  /** The IAM requests a task's integration makes as the machine's role, and its error's prefix. */
  private taskRequests(r: string, params: Record<string, unknown>): [string, AccessRequest[]] | undefined {
    const fnArn = (f: string) =>
      f.startsWith('arn:') ? f : `arn:aws:lambda:${this.deps.region}:${this.deps.accountId}:function:${f}`;
    if (r.startsWith('arn:aws:states:::lambda:invoke'))
      return [
        'Lambda.AWSLambdaException',
        [{ action: 'lambda:InvokeFunction', resource: fnArn(String(params.FunctionName)) }],
      ];
    if (/^arn:aws:lambda:/.test(r))
      return ['Lambda.AWSLambdaException', [{ action: 'lambda:InvokeFunction', resource: r }]];
    if (r.startsWith('arn:aws:states:::ecs:runTask')) {
      const def = String(params.TaskDefinition ?? '');
      const c = String(params.Cluster ?? 'default');
      const cluster = c.startsWith('arn:')
        ? c
        : `arn:aws:ecs:${this.deps.region}:${this.deps.accountId}:cluster/${c}`;
      const defArn = def.startsWith('arn:')
        ? def
        : `arn:aws:ecs:${this.deps.region}:${this.deps.accountId}:task-definition/${def}`;
      return [
        'ECS.AmazonECSException',
        [
          { action: 'ecs:RunTask', resource: defArn, context: { 'ecs:cluster': cluster } },
          ...(this.deps.roles?.taskDefinitionRoles?.(def) ?? []).map((role) => ({
            action: 'iam:PassRole',
            resource: role,
            context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' },
          })),
        ],
      ];
    }
    if (r === 'arn:aws:states:::events:putEvents')
      return [
        'EventBridge.AmazonEventBridgeException',
        ((params.Entries ?? []) as { EventBusName?: string }[]).map((en) => ({
          action: 'events:PutEvents',
          resource: String(en.EventBusName ?? 'default').startsWith('arn:')
            ? String(en.EventBusName)
            : `arn:aws:events:${this.deps.region}:${this.deps.accountId}:event-bus/${en.EventBusName ?? 'default'}`,
        })),
      ];
    return undefined;
  }

  /** Fails the task as AWS does when the execution role may not make its call. */
  private checkRole(r: string, params: Record<string, unknown>, e: Execution): void {
    if (!this.deps.roles) return;
    const mapped = this.taskRequests(r, params);
    if (!mapped) return;
    const [errorName, requests] = mapped;
    const principal = {
      id: `execution/${e.name}`,
      roleArn: e.machine.roleArn,
      // A role the template does not have grants nothing (AWS would not have created the machine).
      statements: this.deps.roles.get(e.machine.roleArn)?.statements ?? [],
    };
    try {
      authorize(principal, requests);
    } catch (err) {
      if (!(err instanceof AccessDenied)) throw err;
      console.warn(`[iam] denied: ${err.message}`);
      throw named(
        errorName,
        `${err.message} (Service: ${errorName.split('.')[0]}; Status Code: 400; Error Code: AccessDeniedException)`,
      );
    }
  }

  private async runTask(task: TaskState, input: unknown, e: Execution): Promise<unknown> {
    const r = task.Resource;
    const params = (input ?? {}) as Record<string, unknown>;
    this.checkRole(r, params, e);
    if (this.deps.manualClock && task.TimeoutSeconds && !r.endsWith('.waitForTaskToken')) {
      // The interpreter's timeout stepped aside (compile): this one runs on the clock.
      let cancel = () => undefined as void;
      const timedOut = new Promise<never>((_, reject) => {
        cancel = this.after(
          task.TimeoutSeconds! * 1000,
          () => reject(named('States.Timeout', `task timed out after ${task.TimeoutSeconds} s`)),
          0,
          true,
        );
      });
      try {
        return await Promise.race([this.runUntimed(task, params, input, e), timedOut]);
      } finally {
        cancel();
      }
    }
    return this.runUntimed(task, params, input, e);
  }

  private async runUntimed(
    task: TaskState,
    params: Record<string, unknown>,
    input: unknown,
    e: Execution,
  ): Promise<unknown> {
    const r = task.Resource;
    if (r === 'arn:aws:states:::lambda:invoke') {
      const out = await this.invoke(String(params.FunctionName), params.Payload);
      return { ExecutedVersion: '$LATEST', Payload: out ?? null, StatusCode: 200 };
    }
    if (/^arn:aws:lambda:[^:]*:[^:]*:function:/.test(r)) return (await this.invoke(r, input)) ?? null;
    if (
      r === 'arn:aws:states:::lambda:invoke.waitForTaskToken' ||
      r === 'arn:aws:states:::ecs:runTask.waitForTaskToken'
    ) {
      const token = `${e.name}.${randomUUID()}`;
      const resolved = JSON.parse(JSON.stringify(params).split(TOKEN_PLACEHOLDER).join(token)) as Record<
        string,
        unknown
      >;
      const wait = this.awaitToken(token, task, e);
      const start = r.includes('lambda')
        ? this.invoke(String(resolved.FunctionName), resolved.Payload).then(() => undefined)
        : this.deps.runTask(resolved);
      start.catch((err: Error) =>
        this.finishToken(token, named(err.name || 'States.TaskFailed', err.message)),
      );
      return wait;
    }
    if (r === 'arn:aws:states:::ecs:runTask.sync' || r === 'arn:aws:states:::ecs:runTask') {
      await this.deps.runTask(params);
      return {};
    }
    if (r === 'arn:aws:states:::events:putEvents') {
      const entries =
        (params.Entries as { Source: string; DetailType: string; Detail: unknown; Resources?: string[] }[]) ??
        [];
      for (const en of entries)
        await this.deps.publish({
          source: en.Source,
          'detail-type': en.DetailType,
          detail: (typeof en.Detail === 'string' ? JSON.parse(en.Detail) : en.Detail) as Record<
            string,
            unknown
          >,
          resources: en.Resources ?? [],
          time: new Date(this.now()).toISOString(),
        });
      return { Entries: entries.map(() => ({ EventId: randomUUID() })), FailedEntryCount: 0 };
    }
    throw named('States.Runtime', `resource ${r} has no local integration`);
  }

  private async invoke(fn: string, payload: unknown): Promise<unknown> {
    try {
      return await this.deps.invokeFunction(fn, payload);
    } catch (err) {
      // Surface the function's error type, as the Lambda integration does, so Retry/Catch match.
      const er = err as Error;
      throw named(er.name && er.name !== 'Error' ? er.name : 'Lambda.Unknown', er.message);
    }
  }

  private awaitToken(token: string, task: TaskState, e: Execution): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        execution: e,
        resolve,
        reject,
        finished: false,
        ...(task.HeartbeatSeconds ? { heartbeatMs: task.HeartbeatSeconds * 1000 } : {}),
      };
      this.#waiters.set(token, w);
      e.tokens.add(token);
      if (task.TimeoutSeconds)
        w.cancelTimeout = this.after(task.TimeoutSeconds * 1000, () =>
          this.finishToken(token, named('States.Timeout', `task timed out after ${task.TimeoutSeconds} s`)),
        );
      this.armHeartbeat(token, w);
    });
  }

  private armHeartbeat(token: string, w: Waiter, first = true) {
    if (!w.heartbeatMs) return;
    w.cancelHeartbeat?.();
    w.cancelHeartbeat = this.after(
      w.heartbeatMs,
      () => this.finishToken(token, named('States.HeartbeatTimeout', 'no heartbeat within HeartbeatSeconds')),
      first ? (this.deps.taskStartFloorMs ?? 60_000) : 0,
    );
  }

  private waiter(token: string): Waiter {
    const w = this.#waiters.get(token);
    if (!w) {
      if (this.#finishedTokens.has(token))
        throw new SfnApiError('TaskTimedOut', 'the task already ended (timed out or completed)');
      throw new SfnApiError('TaskDoesNotExist', 'no task with this token');
    }
    return w;
  }

  private settleToken(token: string, settle: (w: Waiter) => void) {
    this.waiter(token); // throws TaskDoesNotExist / TaskTimedOut
    this.finishToken(token, undefined, settle);
    return {};
  }

  private finishToken(token: string, error?: Error, settle?: (w: Waiter) => void) {
    const w = this.#waiters.get(token);
    if (!w || w.finished) return;
    w.finished = true;
    w.cancelHeartbeat?.();
    w.cancelTimeout?.();
    this.#waiters.delete(token);
    this.#finishedTokens.add(token);
    w.execution.tokens.delete(token);
    if (settle) settle(w);
    else w.reject(error ?? named('States.TaskFailed', 'task failed'));
  }

  async drain(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ([...this.#executions.values()].some((e) => e.status === 'RUNNING')) {
      if (Date.now() > deadline) throw new Error('executions still running');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async close(): Promise<void> {
    for (const e of this.#executions.values()) if (e.status === 'RUNNING') e.abort();
    await Promise.allSettled([...this.#executions.values()].map((e) => e.done));
  }
}

type AnyState = {
  Type: string;
  Resource?: string;
  HeartbeatSeconds?: number;
  TimeoutSeconds?: number;
  Seconds?: number;
  Retry?: { IntervalSeconds?: number }[];
  Branches?: StateMachineDefinition[];
  ItemProcessor?: StateMachineDefinition;
  Iterator?: StateMachineDefinition;
};

function eachState(def: StateMachineDefinition, visit: (name: string, s: AnyState) => void): void {
  for (const [name, s] of Object.entries(def.States ?? {}) as [string, AnyState][]) {
    visit(name, s);
    for (const b of s.Branches ?? []) eachState(b, visit);
    if (s.ItemProcessor) eachState(s.ItemProcessor, visit);
    if (s.Iterator) eachState(s.Iterator, visit);
  }
}

function collectTasks(def: StateMachineDefinition, out: Map<string, TaskState>): void {
  eachState(def, (name, s) => {
    if (s.Type === 'Task')
      out.set(name, {
        Resource: s.Resource!,
        HeartbeatSeconds: s.HeartbeatSeconds,
        TimeoutSeconds: s.TimeoutSeconds,
      });
  });
}

/** The definition with every Task's timeout out of the interpreter's reach (see compile). */
function withoutTaskTimeouts(def: StateMachineDefinition): StateMachineDefinition {
  const copy = structuredClone(def);
  eachState(copy, (_name, s) => {
    if (s.Type !== 'Task') return;
    const t = s as AnyState & { TimeoutSecondsPath?: string };
    delete t.TimeoutSecondsPath;
    // The interpreter's setTimeout takes at most 2^31-1 ms; beyond that it fires at once.
    t.TimeoutSeconds = 2_000_000;
  });
  return copy;
}

function collectWaits(def: StateMachineDefinition, add: (name: string, seconds: number) => void): void {
  eachState(def, (name, s) => {
    if (s.Type === 'Wait' && typeof s.Seconds === 'number') add(name, s.Seconds);
  });
}

function collectRetries(def: StateMachineDefinition, add: (name: string, intervals: number[]) => void): void {
  eachState(def, (name, s) => {
    if (s.Retry?.length)
      add(
        name,
        s.Retry.map((r) => r.IntervalSeconds ?? 1),
      );
  });
}
