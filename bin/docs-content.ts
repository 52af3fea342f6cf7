/** `npm run docs:content`: writes docs/content.md, the authoring guide generated from the code. */
import { writeFileSync } from 'node:fs';
import { renderContentGuide } from '../shared/content/guide.ts';

const target = new URL('../docs/content.md', import.meta.url);
writeFileSync(target, renderContentGuide());
process.stdout.write(`wrote ${target.pathname}\n`);
