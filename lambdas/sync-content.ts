/**
 * Content sync: a package landed in the content bucket (S3 → EventBridge "Object Created"), or
 * POST /v1/content/sync asked for one (invoked asynchronously by the content API).
 */
import type { Context, EventBridgeEvent } from 'aws-lambda';
import { syncContent } from '../shared/content/sync.ts';
import { fetchPackage, syncPorts, type SyncRequest } from '../shared/content/service.ts';
import { scopeOf } from '../shared/runtime/arns.ts';
import { env } from '../shared/runtime/env.ts';
import { logger } from '../shared/observability/logger.ts';

type S3Created = EventBridgeEvent<'Object Created', { bucket: { name: string }; object: { key: string } }>;

export async function handler(event: S3Created | SyncRequest, context: Context) {
  const req: SyncRequest =
    'source_uri' in event
      ? event
      : { source_uri: `s3://${event.detail.bucket.name}/${event.detail.object.key}` };
  if (!('source_uri' in event) && event.detail.bucket.name !== env('contentBucket'))
    return { ignored: 'another bucket' };
  const bytes = await fetchPackage(req.source_uri);
  const result = await syncContent({ ...req, bytes }, syncPorts(scopeOf(context)));
  logger.info('content synced', {
    source_uri: req.source_uri,
    id: result.id,
    outcome: result.outcome,
    superseded: result.superseded,
    diagnostics: result.diagnostics.length,
  });
  return result;
}
