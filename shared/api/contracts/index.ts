/** Every route contract of the product; the OpenAPI document is built from this list. */
import type { RouteContract } from '../contract.ts';
import { catalogContracts } from './catalog.ts';
import { contentContracts } from './content.ts';
import { inboundContracts } from './inbound.ts';
import { jobsContracts } from './jobs.ts';
import { sessionsContracts } from './sessions.ts';
import { systemContracts } from './system.ts';
import { workersContracts } from './workers.ts';

export const allContracts: RouteContract[] = [
  ...Object.values(systemContracts),
  ...Object.values(sessionsContracts),
  ...Object.values(catalogContracts),
  ...Object.values(inboundContracts),
  ...Object.values(contentContracts),
  ...Object.values(jobsContracts),
  ...Object.values(workersContracts),
];
