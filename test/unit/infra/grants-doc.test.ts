/** docs/function-grants.md is what the CDK app synthesizes today (regenerate: npm run docs:grants). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as prettier from 'prettier';
import { GRANTS_DOC, grantsDoc } from '../../../infra/grants-doc.ts';
import { system } from '../../../infra/system.ts';

describe('docs/function-grants.md', () => {
  it('is current: every function and task, its environment and its grants, as synthesized', async () => {
    const config = (await prettier.resolveConfig(GRANTS_DOC)) ?? {};
    const expected = await prettier.format(await grantsDoc(), { ...config, parser: 'markdown' });
    const actual = readFileSync(GRANTS_DOC, 'utf8');
    for (const f of system.functions) expect(actual).toContain(`## ${f.name} (\`dev-${f.name}\`)`);
    expect(actual, 'docs/function-grants.md is stale: run npm run docs:grants').toBe(expected);
  });
});
