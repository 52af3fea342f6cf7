/**
 * jq runs in a worker thread evaluated from source. A worker inherits its parent's Node flags
 * unless told otherwise, so a host process started as an ES module script (`--input-type=module`,
 * as the scenario bench's fresh process was) made the worker's CommonJS source fail with
 * "require is not defined in ES module scope" on every call. The worker takes no flags of its host.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../../..');

describe('jq in a host started with other Node flags', () => {
  it('evaluates in a process started as an ES module script', () => {
    const script = `
      const { evaluateJq } = await import('./shared/scenario/jq.ts');
      console.log(JSON.stringify(await evaluateJq('.vars.x + 1', { session: {}, content: {}, runtime_env: {}, vars: { x: 1 } })));`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(r.stderr).not.toMatch(/require is not defined/);
    expect(r.stdout.trim().split('\n').at(-1)).toBe('2');
  }, 120_000);
});
