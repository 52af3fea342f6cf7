import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { EventBridgeEvent } from 'aws-lambda';
import { Problem } from '../domain/problem.ts';

/**
 * CloudEvents 1.0, structured mode inside EventBridge: Source = the CloudEvent's `source`,
 * DetailType = its `type`, Detail = the whole CloudEvent.
 */
export interface CloudEvent<T = unknown> {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject?: string;
  time: string;
  datacontenttype: 'application/json';
  dataschema?: string;
  data: T;
  /** Extension attributes (lower-case alphanumerics only, per the spec). */
  [extension: string]: unknown;
}

const EXTENSION_NAME = /^[a-z0-9]{1,20}$/;
const TYPE_RE = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+\.v[0-9]+$/;

export function makeCloudEvent<T>(input: {
  id: string;
  source: string;
  type: string;
  time: string;
  subject?: string;
  data: T;
  extensions?: Record<string, string | number | boolean>;
}): CloudEvent<T> {
  if (!TYPE_RE.test(input.type))
    throw new Error(`event type "${input.type}" is not dotted and versioned (x.y.v1)`);
  for (const k of Object.keys(input.extensions ?? {}))
    if (!EXTENSION_NAME.test(k))
      throw new Error(`CloudEvent extension "${k}" must be lower-case alphanumeric`);
  return {
    specversion: '1.0',
    id: input.id,
    source: input.source,
    type: input.type,
    ...(input.subject ? { subject: input.subject } : {}),
    time: input.time,
    datacontenttype: 'application/json',
    ...(input.extensions ?? {}),
    data: input.data,
  };
}

/** Source = CloudEvent source, DetailType = CloudEvent type, Detail = the whole CloudEvent. */
export function toPutEventsEntry(ce: CloudEvent, eventBusName: string): PutEventsRequestEntry {
  return {
    EventBusName: eventBusName,
    Source: ce.source,
    DetailType: ce.type,
    Detail: JSON.stringify(ce),
    Time: new Date(ce.time),
    ...(typeof ce.traceheader === 'string' ? { TraceHeader: ce.traceheader } : {}),
  };
}

/** Reads a CloudEvent back from what an EventBridge target receives; rejects anything else. */
export function fromEventBridgeEvent(
  ev: Pick<EventBridgeEvent<string, unknown>, 'source' | 'detail-type' | 'detail'>,
): CloudEvent {
  const d = ev.detail as Partial<CloudEvent> | undefined;
  const errors: { pointer: string; detail: string }[] = [];
  if (!d || typeof d !== 'object') throw new Problem('bad-request', 'EventBridge detail is not a CloudEvent');
  if (d.specversion !== '1.0') errors.push({ pointer: '/detail/specversion', detail: 'must be "1.0"' });
  for (const k of ['id', 'source', 'type'] as const)
    if (typeof d[k] !== 'string' || !d[k])
      errors.push({ pointer: `/detail/${k}`, detail: 'required string' });
  if (d.source && d.source !== ev.source)
    errors.push({ pointer: '/source', detail: 'EventBridge source differs from CloudEvent source' });
  if (d.type && d.type !== ev['detail-type'])
    errors.push({ pointer: '/detail-type', detail: 'EventBridge detail-type differs from CloudEvent type' });
  if (errors.length) throw new Problem('validation-error', 'not a structured-mode CloudEvent', { errors });
  return d as CloudEvent;
}
