/**
 * `npm start`: runs the whole product locally until Ctrl-C, then stops every emulator it started
 * (DynamoDB Local's java included) before exiting.
 *
 *   LCM_PORT=3000            API port (default 3000; 0 = any free port)
 *   LCM_CLOCK=accelerated:600  run time 600× faster (an 8-hour exam in 48 s); or manual, real
 *   LCM_SEED=false           start with empty tables (and publish no sample content)
 *   LCM_SAMPLE_CONTENT=false do not publish seeds/content's sample packages at start
 */
import { resolve } from 'node:path';
import { startLocalRuntime } from './runtime.ts';
import { publishSampleContent } from './sample-content.ts';

const port = Number(process.env.LCM_PORT ?? 3000);
const seed = process.env.LCM_SEED !== 'false';
const runtime = await startLocalRuntime({ port, seed });
if (seed && process.env.LCM_SAMPLE_CONTENT !== 'false')
  publishSampleContent(resolve(import.meta.dirname, '..', '..'), runtime.env).then(
    (names) => console.log(`  sample content  ${names.join(', ')} published (content sync runs on upload)`),
    (e: unknown) => console.error(`sample content not published: ${(e as Error).message}`),
  );

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the local runtime…`);
  const force = setTimeout(() => {
    console.error('shutdown took too long; exiting');
    process.exit(1);
  }, 10_000);
  force.unref();
  await runtime.stop();
  console.log('stopped; no emulator left running.');
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
