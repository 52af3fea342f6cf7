/** POST /v1/jobs, GET /v1/jobs/{id}, DELETE /v1/jobs/{id}, GET /v1/scenario-functions. */
import { httpHandler, route } from '../shared/api/http.ts';
import { jobsContracts as c } from '../shared/api/contracts/jobs.ts';
import {
  cancelJob,
  functionCatalogue,
  getJob,
  submitJob,
  submitJobOnce,
  type SubmitJob,
} from '../shared/scenario/service.ts';

export const handler = httpHandler([
  route<unknown, unknown, SubmitJob>(c.submit, async (req) => {
    const key = req.headers['idempotency-key'];
    const out = key
      ? await submitJobOnce({ key, body: req.body, tenant: req.tenant })
      : await submitJob(req.body, req.tenant);
    return { status: 202, body: out, headers: { location: `/v1/jobs/${out.job_id}` } };
  }),
  route<{ id: string }, unknown, unknown>(c.get, async (req) => ({
    status: 200,
    body: await getJob(req.params.id, req.tenant),
  })),
  route<{ id: string }, unknown, unknown>(c.cancel, async (req) => ({
    status: 202,
    body: await cancelJob(req.params.id, req.tenant),
  })),
  route<unknown, unknown, unknown>(c.functions, async () => ({
    status: 200,
    body: { items: functionCatalogue() },
  })),
]);
