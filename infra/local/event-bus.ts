/**
 * EventBridge, locally: one bus whose rules come from the topology, real event-pattern matching
 * (infra/local/event-pattern.ts), asynchronous delivery to function targets with the declared retry
 * limit, and a dead-letter list for what still fails. Every event is also kept in a bounded log
 * and streamed to taps (the `/local/events` endpoint, tests).
 */
import { bumpProgress } from './progress.ts';
import { randomUUID } from 'node:crypto';
import type { PutEventsRequestEntry, PutEventsResultEntry } from '@aws-sdk/client-eventbridge';
import { compilePattern, validatePattern } from './event-pattern.ts';
import { entryBytes, MAX_REQUEST_BYTES } from '../../shared/events/publisher.ts';
import type { Clock } from '../../shared/domain/clock.ts';
import { stagePattern, type EventTrigger, type SystemDecl } from '../topology.ts';
import type { LocalFunctions } from './functions.ts';

export interface BusEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

interface Rule {
  name: string;
  functionName: string;
  trigger: EventTrigger;
  matches: (e: BusEvent) => boolean;
}

export interface DeadLetter {
  rule: string;
  function: string;
  event: BusEvent;
  error: string;
  attempts: number;
  at: string;
}

const LOG_LIMIT = 20_000;

/**
 * An entry's `Time` in epoch milliseconds: EventBridge's JSON protocol sends it as epoch seconds
 * (what reaches the local AWS endpoint), an in-process caller passes a Date (D206).
 */
function entryTime(t: unknown): number | undefined {
  if (t === undefined || t === null) return undefined;
  if (typeof t === 'number') return Math.floor(t * 1000);
  const ms = new Date(t as string | Date).getTime();
  return Number.isNaN(ms) ? undefined : ms;
}

export class LocalEventBus {
  readonly rules: Rule[];
  readonly log: BusEvent[] = [];
  readonly deadLetters: DeadLetter[] = [];
  readonly #taps = new Set<(e: BusEvent) => void>();
  #inFlight = 0;
  #idleWaiters: (() => void)[] = [];
  #closed = false;
  stats = { received: 0, delivered: 0, retried: 0, deadLettered: 0 };
  /**
   * What EventBridge bills: custom events put on the bus, each in 64 KB chunks (entry size:
   * Source, DetailType, Detail, Resources and 14 bytes of Time). AWS service events (`aws.*`:
   * Step Functions status changes, S3 notifications) are free and counted apart.
   */
  billing = { entries: 0, chunks: 0, bytes: 0, serviceEvents: 0 };

  constructor(
    system: SystemDecl,
    private readonly fns: LocalFunctions,
    private readonly opts: {
      busName: string;
      /** The stage its rules are for (a declared pattern may name it, see `stagePattern`). */
      stage: string;
      region: string;
      accountId: string;
      clock: Clock;
      /** Real milliseconds between delivery retries (EventBridge backs off for minutes; locally short). */
      retryDelayMs?: number;
    },
  ) {
    this.rules = system.functions.flatMap((f) =>
      f.triggers
        .filter((t): t is EventTrigger => t.kind === 'event')
        .map((t) => {
          const pattern = stagePattern(t.pattern, opts.stage);
          validatePattern(pattern);
          return {
            name: t.rule,
            functionName: f.name,
            trigger: t,
            matches: compilePattern(pattern) as (e: BusEvent) => boolean,
          };
        }),
    );
  }

  get busName() {
    return this.opts.busName;
  }

  tap(listener: (e: BusEvent) => void): () => void {
    this.#taps.add(listener);
    return () => this.#taps.delete(listener);
  }

  /** The PutEvents API: validates each entry like EventBridge and answers per entry. */
  putEvents(entries: PutEventsRequestEntry[]): { FailedEntryCount: number; Entries: PutEventsResultEntry[] } {
    if (!Array.isArray(entries) || entries.length === 0 || entries.length > 10)
      throw Object.assign(new Error('Entries must hold 1 to 10 entries'), { name: 'ValidationException' });
    // EventBridge refuses a request whose entries add up to more than 256 KB, whole.
    const total = entries.reduce((n, e) => n + entryBytes(e), 0);
    if (total > MAX_REQUEST_BYTES)
      throw Object.assign(new Error('Total size of the entries in the request is over the limit.'), {
        name: 'ValidationException',
      });
    const results: PutEventsResultEntry[] = entries.map((entry) => {
      const bus = entry.EventBusName ?? 'default';
      const busName = bus.includes(':event-bus/') ? bus.split(':event-bus/')[1] : bus;
      if (busName !== this.opts.busName && busName !== 'default')
        return { ErrorCode: 'ResourceNotFoundException', ErrorMessage: `Event bus ${bus} does not exist.` };
      if (!entry.Source || !entry.DetailType || !entry.Detail)
        return {
          ErrorCode: 'InvalidArgument',
          ErrorMessage: 'Parameters Source, DetailType and Detail are required.',
        };
      let detail: unknown;
      try {
        detail = JSON.parse(entry.Detail);
      } catch {
        return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
      }
      if (!detail || typeof detail !== 'object' || Array.isArray(detail))
        return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail must be a JSON object.' };
      const event: BusEvent = {
        version: '0',
        id: randomUUID(),
        'detail-type': entry.DetailType,
        source: entry.Source,
        account: this.opts.accountId,
        time: new Date(entryTime(entry.Time as unknown) ?? this.opts.clock.now())
          .toISOString()
          .replace(/\.\d{3}Z$/, 'Z'),
        region: this.opts.region,
        resources: entry.Resources ?? [],
        detail: detail as Record<string, unknown>,
      };
      this.dispatch(event);
      return { EventId: event.id };
    });
    return { FailedEntryCount: results.filter((r) => r.ErrorCode).length, Entries: results };
  }

  /** Publishes an event built in-process (S3 and Step Functions notifications). */
  publish(
    e: Omit<BusEvent, 'version' | 'id' | 'account' | 'region'> & Partial<Pick<BusEvent, 'id'>>,
  ): BusEvent {
    const event: BusEvent = {
      version: '0',
      id: e.id ?? randomUUID(),
      account: this.opts.accountId,
      region: this.opts.region,
      ...e,
    } as BusEvent;
    this.dispatch(event);
    return event;
  }

  private dispatch(event: BusEvent): void {
    this.stats.received++;
    if (event.source.startsWith('aws.')) this.billing.serviceEvents++;
    else {
      const bytes = entrySize(event);
      this.billing.entries++;
      this.billing.bytes += bytes;
      this.billing.chunks += Math.max(1, Math.ceil(bytes / 65_536));
    }
    this.log.push(event);
    if (this.log.length > LOG_LIMIT) this.log.splice(0, this.log.length - LOG_LIMIT);
    for (const t of this.#taps) t(event);
    for (const rule of this.rules) if (rule.matches(event)) this.deliver(rule, event);
  }

  private deliver(rule: Rule, event: BusEvent): void {
    if (this.#closed) return;
    this.#inFlight++;
    const attemptDelivery = async () => {
      let attempts = 0;
      for (;;) {
        attempts++;
        try {
          await this.fns.invoke(rule.functionName, event);
          this.stats.delivered++;
          bumpProgress();
          return;
        } catch (e) {
          if (attempts > rule.trigger.maxRetries || this.#closed) {
            this.stats.deadLettered++;
            this.deadLetters.push({
              rule: rule.name,
              function: rule.functionName,
              event,
              error: (e as Error).message,
              attempts,
              at: new Date(this.opts.clock.now()).toISOString(),
            });
            return;
          }
          this.stats.retried++;
          await new Promise((r) => setTimeout(r, (this.opts.retryDelayMs ?? 20) * 2 ** (attempts - 1)));
        }
      }
    };
    setImmediate(() => {
      attemptDelivery().finally(() => {
        this.#inFlight--;
        if (this.#inFlight === 0) for (const w of this.#idleWaiters.splice(0)) w();
      });
    });
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Resolves when no delivery is in flight. */
  idle(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((r) => this.#idleWaiters.push(r));
  }

  close(): void {
    this.#closed = true;
    this.#taps.clear();
  }
}

/** An entry's size as EventBridge computes it for PutEvents quotas and billing. */
export function entrySize(e: Pick<BusEvent, 'source' | 'detail-type' | 'detail' | 'resources'>): number {
  let n = 14 + Buffer.byteLength(e.source) + Buffer.byteLength(e['detail-type']);
  n += Buffer.byteLength(JSON.stringify(e.detail));
  for (const r of e.resources) n += Buffer.byteLength(r);
  return n;
}
