/** `npm run gen:validators`: writes shared/api/validators.generated.ts from the route contracts (D186). */
import { writeFileSync } from 'node:fs';
import { allContracts } from '../shared/api/contracts/index.ts';
import { validatorsModuleSource } from '../shared/api/validators-codegen.ts';

const target = new URL('../shared/api/validators.generated.ts', import.meta.url);
writeFileSync(target, validatorsModuleSource(allContracts));
process.stdout.write(`wrote ${target.pathname}\n`);
