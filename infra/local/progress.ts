/**
 * Progress of the work in flight in this process, as a count that only grows: every HTTP
 * response a client in the process received (DynamoDB, S3, the local AWS endpoints, the simulated
 * CML and lab delivery system), every Lambda invocation started and ended, every bus delivery and
 * every chunk a simulated device console received. A stepped driver reads it before and after a
 * wait: unchanged means that what is in flight is waiting for the clock (D146).
 *
 * The stream pollers' own reads (DynamoDB Streams) are not progress: they run whether or not
 * there is work.
 */
import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';

let count = 0;
let listening = false;
/** By source, when LCM_PROGRESS_DEBUG is set (what keeps a stepped run busy). */
export const progressBySource = new Map<string, number>();
const debug = !!process.env.LCM_PROGRESS_DEBUG;

/** One unit of progress (a handler started or ended, a delivery, console input). */
export function bumpProgress(source = 'other'): void {
  count++;
  if (debug) progressBySource.set(source, (progressBySource.get(source) ?? 0) + 1);
}

/** The count so far (starts listening to HTTP clients on first use). */
export function progress(): number {
  if (!listening) {
    listening = true;
    subscribe('http.client.response.finish', (message) => {
      const req = (message as { request?: ClientRequest }).request;
      const target = req?.getHeader?.('x-amz-target');
      if (typeof target === 'string' && target.startsWith('DynamoDBStreams')) return;
      bumpProgress(
        debug
          ? `http ${String(req?.getHeader?.('host'))} ${req?.method} ${typeof target === 'string' ? target : req?.path}`
          : 'http',
      );
    });
  }
  return count;
}
