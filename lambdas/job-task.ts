/**
 * The Fargate task entry (the job runner for `runtime: fargate` jobs); locally the same module
 * runs as a child process. The work is `runJobTask` in shared/scenario/task.ts.
 */
import { logger } from '../shared/observability/logger.ts';
import { runJobTask } from '../shared/scenario/task.ts';

export const main = runJobTask;

const isEntry = process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!);
if (isEntry)
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      logger.error('job task crashed', { error: String(e) });
      process.exit(1);
    },
  );
