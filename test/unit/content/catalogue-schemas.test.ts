/**
 * Linting a step checks its literal `with` values against the function's input schema. The
 * schema is compiled by ajv, which caches by object identity: a schema object built afresh per
 * step was compiled once per step (0.75 ms each, 13.6 s of CPU for the 18k steps of the sizes
 * test). Counted, not timed: how many distinct schema objects reach the validator.
 */
import { describe, expect, it } from 'vitest';
import { validateAgainst, type JsonSchema } from '../../../shared/api/schema.ts';
import { validateStepAgainstCatalogue, type JobStep } from '../../../shared/dsl/catalogue.ts';

function schemasSeen(steps: JobStep[]) {
  const seen = new Set<JsonSchema>();
  const problems = steps.map((s) =>
    validateStepAgainstCatalogue(s, (schema, x) => {
      seen.add(schema);
      return validateAgainst(schema, x);
    }),
  );
  return { seen: seen.size, problems };
}

describe('the input schema a step is linted against', () => {
  it('is one object per function and set of literal inputs, however many steps use it', () => {
    const steps = Array.from({ length: 200 }, (_, i): JobStep => ({
      id: `s${i}`,
      uses: 'pause@v1',
      with: { seconds: i },
    }));
    const { seen, problems } = schemasSeen(steps);
    expect(seen).toBe(1);
    expect(problems.flat()).toEqual([]);
  });

  it('differs where the required inputs differ, and still finds a wrong literal', () => {
    const { seen, problems } = schemasSeen([
      { id: 'a', uses: 'pause@v1', with: { seconds: 1 } },
      { id: 'b', uses: 'pause@v1', with: { seconds: '${ .vars.n }' } },
      { id: 'c', uses: 'pause@v1', with: { seconds: '${ .vars.m }' } },
      { id: 'd', uses: 'pause@v1', with: { seconds: 'soon' } },
    ]);
    expect(seen).toBe(2);
    expect(problems[0]).toEqual([]);
    expect(problems[1]).toEqual([]);
    expect(problems[3]!.map((p) => p.pointer)).toEqual(['/with/seconds']);
  });
});
