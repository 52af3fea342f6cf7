/** GET /v1/workers, POST /v1/workers/{id}/cordon|uncordon|drain (operator); GET /v1/availability (scheduler). */
import { httpHandler, route } from '../shared/api/http.ts';
import { workersContracts as c } from '../shared/api/contracts/workers.ts';
import { commandWorker, listWorkers } from '../shared/fleet/operator.ts';
import { availabilityAnswer } from '../shared/fleet/availability-service.ts';
import { StateStore } from '../shared/store/state-store.ts';
import { documentClient } from '../shared/runtime/aws-dynamodb.ts';
import { runtimeClock } from '../shared/runtime/clock.ts';
import { env } from '../shared/runtime/env.ts';

const store = () => new StateStore(documentClient(), env('stateTable'));
type Cmd = { id: string };
type Body = { reason?: string };

export const handler = httpHandler([
  route<unknown, { status?: string }, unknown>(c.listWorkers, async (req) => ({
    status: 200,
    body: { items: await listWorkers(store(), req.query.status) },
  })),
  ...(['cordon', 'uncordon', 'drain'] as const).map((verb) =>
    route<Cmd, unknown, Body>(c[verb], async (req) => ({
      status: 200,
      body: await commandWorker(
        store(),
        runtimeClock(),
        req.params.id,
        verb,
        req.principal,
        req.body?.reason,
      ),
    })),
  ),
  route<unknown, { session_type: string; start: string; fqn?: string }, unknown>(
    c.availability,
    async (req) => ({ status: 200, body: await availabilityAnswer(runtimeClock(), req.query) }),
  ),
]);
