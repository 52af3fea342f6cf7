import { readFileSync } from 'node:fs';
import { buildSeeds, type Seeds } from '../../../shared/catalog/seeds.ts';

const dir = new URL('../../../seeds/', import.meta.url);
export const seedFiles = () => ({
  definitions: readFileSync(new URL('session-definitions.yaml', dir), 'utf8'),
  forms: readFileSync(new URL('forms.yaml', dir), 'utf8'),
  workerTemplates: readFileSync(new URL('worker-templates.yaml', dir), 'utf8'),
  workers: readFileSync(new URL('workers.yaml', dir), 'utf8'),
});
export const seeds = (): Seeds => buildSeeds(seedFiles());
