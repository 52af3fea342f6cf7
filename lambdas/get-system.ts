/** GET /v1/health (shallow), GET /v1/health/deep (operator) and GET /v1/openapi.json. */
import { httpHandler, route } from '../shared/api/http.ts';
import { systemContracts } from '../shared/api/contracts/system.ts';
import { allContracts } from '../shared/api/contracts/index.ts';
import { buildOpenApi } from '../shared/api/openapi.ts';
import { checkDependencies } from '../shared/ops/health.ts';
import { runtimeClock } from '../shared/runtime/clock.ts';
import pkg from '../package.json' with { type: 'json' };

/** One document per host it is served on (its `servers` names that host). */
const openApi = new Map<string, Record<string, unknown>>();

export const handler = httpHandler([
  // Anyone may call it: it calls nothing behind the API.
  route(systemContracts.health, async () => ({
    status: 200,
    body: { status: 'ok', time: new Date(runtimeClock().now()).toISOString(), version: pkg.version },
  })),
  route(systemContracts.healthDeep, async () => {
    const entries = await checkDependencies();
    const components = Object.fromEntries(entries);
    const ok = entries.every(([, c]) => c.status === 'ok');
    return {
      status: ok ? 200 : 503,
      body: {
        status: ok ? 'ok' : 'degraded',
        time: new Date(runtimeClock().now()).toISOString(),
        components,
      },
    };
  }),
  route(systemContracts.openapi, async (req) => {
    const host = req.headers.host ?? '';
    const proto = req.headers['x-forwarded-proto'] ?? (/^(127\.|localhost)/.test(host) ? 'http' : 'https');
    const serverUrl = /^[A-Za-z0-9.:-]{1,253}$/.test(host)
      ? `${proto === 'http' ? 'http' : 'https'}://${host}`
      : undefined;
    let doc = openApi.get(serverUrl ?? '');
    if (!doc) {
      doc = buildOpenApi({
        contracts: allContracts,
        version: pkg.version,
        ...(serverUrl ? { serverUrl } : {}),
      });
      if (openApi.size < 16) openApi.set(serverUrl ?? '', doc);
    }
    return { status: 200, body: doc };
  }),
]);
