/**
 * Issue 14, finding 6: an author can learn the format from the repository. docs/content.md is
 * generated from the code (`npm run docs:content`); this keeps it equal to the catalogue, and
 * checks that every example it shows passes the checks content sync runs.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateAgainst } from '../../../shared/api/schema.ts';
import { REPORT_CLASSES, renderContentGuide } from '../../../shared/content/guide.ts';
import reportSchema from '../../../shared/content/schemas/report.schema.json' with { type: 'json' };
import connectorsSchema from '../../../shared/content/schemas/connectors.schema.json' with { type: 'json' };
import { NATIVE_STEPS } from '../../../shared/domain/lifecycle.ts';
import { PORT_KINDS } from '../../../shared/domain/ports.ts';
import { FUNCTION_CATALOGUE, validateStepAgainstCatalogue } from '../../../shared/dsl/catalogue.ts';

const GUIDE = new URL('../../../docs/content.md', import.meta.url);

describe('docs/content.md, the authoring guide', () => {
  it('is exactly what the code renders (run `npm run docs:content` after changing the catalogue)', () => {
    expect(readFileSync(GUIDE, 'utf8')).toBe(renderContentGuide());
  });

  it('documents every scenario function with inputs, outputs and an example that passes the catalogue', () => {
    const guide = renderContentGuide();
    for (const [uses, f] of Object.entries(FUNCTION_CATALOGUE)) {
      expect(guide).toContain(`### \`${uses}\``);
      for (const k of Object.keys(f.input.properties as object)) expect(guide).toContain(`| \`${k}\` |`);
      for (const k of Object.keys(f.output.properties as object)) expect(guide).toContain(`| \`${k}\` |`);
      expect(f.example.uses).toBe(uses);
      expect(validateStepAgainstCatalogue(f.example, (s, x) => validateAgainst(s, x))).toEqual([]);
    }
  });

  it('names every native step, report class, port tag and connector field', () => {
    const guide = renderContentGuide();
    for (const s of Object.keys(NATIVE_STEPS)) expect(guide).toContain(`| \`${s}\` |`);
    const classes = reportSchema.properties.spec.properties.report_class.enum;
    expect(Object.keys(REPORT_CLASSES).sort()).toEqual([...classes].sort());
    for (const c of classes) expect(guide).toContain(`| \`${c}\` |`);
    for (const k of Object.keys(PORT_KINDS)) expect(guide).toContain(`| \`lcm:expose=${k}\` |`);
    for (const k of Object.keys(connectorsSchema.properties.connectors.items.properties))
      expect(guide).toContain(`| \`${k}\` |`);
  });
});
