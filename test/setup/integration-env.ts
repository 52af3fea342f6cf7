/** Each integration worker reaches the run's emulators through the SDK's standard variables. */
import { inject } from 'vitest';
import { resetClients } from '../../shared/runtime/aws.ts';

Object.assign(process.env, inject('integrationEnv'));
resetClients();
