import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CmlClient, CmlError, type CmlErrorKind } from '../../../shared/adapters/cml.ts';
import { CmlSimulator } from '../../../infra/local/sim/cml-server.ts';

const USER = 'lcm-svc';
const PASSWORD = 'S3cret-Pa55word!';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const TOPOLOGY_YAML = `
lab:
  title: CCNA pod 1
  description: two routers back to back
  version: 0.2.2
nodes:
  - id: n0
    label: r1
    node_definition: iosv
    x: 0
    y: 0
    tags: [core]
    interfaces:
      - id: i0
        label: Loopback0
        type: loopback
      - id: i1
        label: GigabitEthernet0/0
        slot: 0
        type: physical
  - id: n1
    label: r2
    node_definition: iosv
    x: 200
    y: 0
    interfaces:
      - id: i0
        label: Loopback0
        type: loopback
      - id: i1
        label: GigabitEthernet0/0
        slot: 0
        type: physical
links:
  - id: l0
    n1: n0
    n2: n1
    i1: i1
    i2: i1
`;

const TOPOLOGY_OBJECT = {
  lab: { title: 'from json', version: '0.2.2' },
  nodes: [
    { id: 'n0', label: 'host', node_definition: 'alpine', tags: ['pc', 'edge'], interfaces: [] },
    { id: 'n1', label: 'sw', node_definition: 'unmanaged_switch' },
  ],
  links: [],
};

async function failure(p: Promise<unknown>): Promise<CmlError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(CmlError);
    return e as CmlError;
  }
  throw new Error('expected the call to fail');
}

async function expectCmlError(p: Promise<unknown>, kind: CmlErrorKind, status: number): Promise<CmlError> {
  const err = await failure(p);
  expect({ kind: err.kind, status: err.status }).toEqual({ kind, status });
  return err;
}

const authCount = (sim: CmlSimulator) =>
  sim.requests().filter((r) => r.path === '/api/v0/authenticate').length;

describe('CmlClient against the CML simulator (instantaneous)', () => {
  let sim: CmlSimulator;
  let cml: CmlClient;

  beforeEach(async () => {
    sim = new CmlSimulator({ username: USER, password: PASSWORD, delayScale: 0 });
    const { url } = await sim.start();
    cml = new CmlClient({ baseUrl: url, username: USER, password: PASSWORD, timeoutMs: 5_000 });
  });
  afterEach(() => sim.stop());

  async function importedLab() {
    const lab = await cml.importLab(TOPOLOGY_YAML);
    const nodes = await cml.listNodes(lab.id);
    const r1 = nodes.find((n) => n.label === 'r1')!;
    const r2 = nodes.find((n) => n.label === 'r2')!;
    return { lab, r1, r2 };
  }

  async function startedLab() {
    const imported = await importedLab();
    await cml.startLab(imported.lab.id);
    expect(await cml.waitConverged(imported.lab.id, { timeoutMs: 2_000, pollMs: 5 })).toBe(true);
    return imported;
  }

  it('authenticates once and reuses the bearer token', async () => {
    expect(await cml.listLabs()).toEqual([]);
    expect(await cml.listLabs()).toEqual([]);
    expect(authCount(sim)).toBe(1);
    expect(sim.requests().map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'POST /api/v0/authenticate 200',
      'GET /api/v0/labs 200',
      'GET /api/v0/labs 200',
    ]);
    expect(sim.requestCount()).toBe(3);
  });

  it('accepts a base URL that already ends in /api/v0', async () => {
    const c = new CmlClient({ baseUrl: `${sim.url}/api/v0/`, username: USER, password: PASSWORD });
    expect(await c.listLabs()).toEqual([]);
  });

  it('reports wrong credentials as an authentication error without leaking the password', async () => {
    const wrong = 'Wr0ng-Pa55word!';
    const c = new CmlClient({ baseUrl: sim.url, username: USER, password: wrong });
    const err = await expectCmlError(c.listLabs(), 'authentication', 403);
    expect(err.message).toContain(USER);
    expect(err.message).not.toContain(wrong);
    expect(String(err.stack)).not.toContain(wrong);
    expect(inspect(c, { depth: 5 })).not.toContain(wrong);
    expect(JSON.stringify(c)).not.toContain(wrong);
    expect(sim.requests().map((r) => r.path)).toEqual(['/api/v0/authenticate']); // no lab call without a token
  });

  it('scrubs the password even when the server echoes it', async () => {
    sim.failNext(/^\/api\/v0\/labs$/, 400);
    const leaky: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (res.status !== 400) return res;
      return new Response(JSON.stringify({ code: 400, description: `bad request from ${PASSWORD}` }), {
        status: 400,
      });
    };
    const c = new CmlClient({ baseUrl: sim.url, username: USER, password: PASSWORD, fetch: leaky });
    const err = await expectCmlError(c.listLabs(), 'validation', 400);
    expect(err.message).toContain('bad request from ***');
    expect(err.message).not.toContain(PASSWORD);
  });

  it('imports a YAML topology and finds the lab by its title', async () => {
    const lab = await cml.importLab(TOPOLOGY_YAML);
    expect(lab).toEqual({
      id: expect.stringMatching(UUID),
      title: 'CCNA pod 1',
      state: 'DEFINED_ON_CORE',
      node_count: 2,
      link_count: 1,
    });
    expect(await cml.findLabByTitle('CCNA pod 1')).toEqual(lab);
    expect(await cml.findLabByTitle('no such lab')).toBeUndefined();
    expect(await cml.getLab(lab.id)).toEqual(lab);
    expect((await cml.listLabs()).map((l) => l.id)).toEqual([lab.id]);
    expect(sim.labs()).toEqual([
      {
        id: lab.id,
        title: 'CCNA pod 1',
        state: 'DEFINED_ON_CORE',
        nodes: [
          { id: expect.stringMatching(UUID), label: 'r1', state: 'DEFINED_ON_CORE', tags: ['core'] },
          { id: expect.stringMatching(UUID), label: 'r2', state: 'DEFINED_ON_CORE', tags: [] },
        ],
      },
    ]);
  });

  it('imports a topology object as JSON, with a title override', async () => {
    const lab = await cml.importLab(TOPOLOGY_OBJECT, 'pod 7 / exam');
    expect(lab).toMatchObject({ title: 'pod 7 / exam', node_count: 2, link_count: 0 });
    const nodes = await cml.listNodes(lab.id);
    expect(nodes.map((n) => [n.label, n.node_definition, n.tags, n.state])).toEqual([
      ['host', 'alpine', ['pc', 'edge'], 'DEFINED_ON_CORE'],
      ['sw', 'unmanaged_switch', [], 'DEFINED_ON_CORE'],
    ]);
    expect(sim.requests().find((r) => r.method === 'POST' && r.path === '/api/v0/import')?.status).toBe(200);
  });

  it('rejects an invalid topology with a validation error that says why', async () => {
    const brokenLink = TOPOLOGY_YAML.replace('n2: n1', 'n2: n9');
    const err = await expectCmlError(cml.importLab(brokenLink), 'validation', 400);
    expect(err.message).toContain('unknown node n9');
    const noNodes = await expectCmlError(cml.importLab({ lab: { title: 'x' } }), 'validation', 400);
    expect(noNodes.message).toContain('nodes must be a list');
    const badYaml = await expectCmlError(cml.importLab('nodes: [\n  - {id: n0'), 'validation', 400);
    expect(badYaml.message).toContain('Invalid topology');
    expect(sim.labs()).toEqual([]);
  });

  it('starts a lab and waits until it converges with every node booted', async () => {
    const { lab } = await importedLab();
    expect(await cml.isConverged(lab.id)).toBe(true); // nothing to do while DEFINED_ON_CORE
    await cml.startLab(lab.id);
    expect(await cml.waitConverged(lab.id, { timeoutMs: 2_000, pollMs: 5 })).toBe(true);
    expect(await cml.isConverged(lab.id)).toBe(true);
    expect((await cml.getLab(lab.id)).state).toBe('BOOTED');
    const nodes = await cml.listNodes(lab.id);
    expect(nodes).toHaveLength(2);
    expect(nodes.map((n) => n.state)).toEqual(['BOOTED', 'BOOTED']);
    expect(sim.labs()[0]!.state).toBe('BOOTED');
  });

  it('sets node tags', async () => {
    const { lab, r2 } = await importedLab();
    await cml.setNodeTags(lab.id, r2.id, ['pod:7', 'role:dut']);
    const nodes = await cml.listNodes(lab.id);
    expect(nodes.find((n) => n.id === r2.id)!.tags).toEqual(['pod:7', 'role:dut']);
    expect(nodes.find((n) => n.label === 'r1')!.tags).toEqual(['core']);
    expect(sim.labs()[0]!.nodes.find((n) => n.id === r2.id)!.tags).toEqual(['pod:7', 'role:dut']);
    await cml.setNodeTags(lab.id, r2.id, []);
    expect((await cml.listNodes(lab.id)).find((n) => n.id === r2.id)!.tags).toEqual([]);
    await expectCmlError(cml.setNodeTags(lab.id, r2.id, ['']), 'validation', 400);
    await expectCmlError(cml.setNodeTags(lab.id, 'no-such-node', ['x']), 'not_found', 404);
  });

  it('lists interfaces and stops and starts one', async () => {
    const { lab, r1 } = await startedLab();
    const ifaces = await cml.listInterfaces(lab.id, r1.id);
    expect(ifaces.map((i) => [i.label, i.is_connected, i.state, i.node])).toEqual([
      ['Loopback0', false, 'STARTED', r1.id],
      ['GigabitEthernet0/0', true, 'STARTED', r1.id],
    ]);
    const gi = ifaces[1]!;
    expect(gi.id).toMatch(UUID);
    await cml.setInterfaceState(lab.id, gi.id, 'stop');
    const stopped = await cml.listInterfaces(lab.id, r1.id);
    expect(stopped.map((i) => [i.label, i.state])).toEqual([
      ['Loopback0', 'STARTED'],
      ['GigabitEthernet0/0', 'STOPPED'],
    ]);
    await cml.setInterfaceState(lab.id, gi.id, 'start');
    expect((await cml.listInterfaces(lab.id, r1.id)).map((i) => i.state)).toEqual(['STARTED', 'STARTED']);
    await expectCmlError(cml.setInterfaceState(lab.id, 'no-such-interface', 'stop'), 'not_found', 404);
  });

  it('starts and stops single nodes', async () => {
    const { lab, r1, r2 } = await startedLab();
    await cml.stopNode(lab.id, r2.id);
    const nodes = await cml.listNodes(lab.id);
    expect(nodes.map((n) => [n.id, n.state])).toEqual([
      [r1.id, 'BOOTED'],
      [r2.id, 'STOPPED'],
    ]);
    expect((await cml.getLab(lab.id)).state).toBe('STARTED');
    await cml.startNode(lab.id, r2.id);
    expect((await cml.listNodes(lab.id)).map((n) => n.state)).toEqual(['BOOTED', 'BOOTED']);
    expect((await cml.getLab(lab.id)).state).toBe('BOOTED');
  });

  it('refuses to wipe or delete a started lab (conflict), then stops, wipes and deletes it', async () => {
    const { lab } = await startedLab();
    const wipe = await expectCmlError(cml.wipeLab(lab.id), 'conflict', 409);
    expect(wipe.message).toContain('BOOTED');
    await expectCmlError(cml.deleteLab(lab.id), 'conflict', 409);

    await cml.stopLab(lab.id);
    expect((await cml.getLab(lab.id)).state).toBe('STOPPED');
    expect((await cml.listNodes(lab.id)).map((n) => n.state)).toEqual(['STOPPED', 'STOPPED']);
    await expectCmlError(cml.deleteLab(lab.id), 'conflict', 409); // stopped but not wiped

    await cml.wipeLab(lab.id);
    expect((await cml.getLab(lab.id)).state).toBe('DEFINED_ON_CORE');
    expect((await cml.listNodes(lab.id)).map((n) => n.state)).toEqual(['DEFINED_ON_CORE', 'DEFINED_ON_CORE']);

    await cml.deleteLab(lab.id);
    await expectCmlError(cml.getLab(lab.id), 'not_found', 404);
    expect(await cml.listLabs()).toEqual([]);
    expect(sim.labs()).toEqual([]);
  });

  it('maps an unknown lab to not_found', async () => {
    const err = await expectCmlError(cml.getLab('00000000-0000-4000-8000-000000000000'), 'not_found', 404);
    expect(err.message).toContain('00000000-0000-4000-8000-000000000000');
    await expectCmlError(cml.startLab('nope'), 'not_found', 404);
    await expectCmlError(cml.listNodes('nope'), 'not_found', 404);
  });

  it('authenticates again once after its token is revoked', async () => {
    await cml.importLab(TOPOLOGY_YAML);
    expect(authCount(sim)).toBe(1);
    sim.revokeTokens();
    expect(await cml.findLabByTitle('CCNA pod 1')).toMatchObject({ title: 'CCNA pod 1' });
    expect(authCount(sim)).toBe(2);
    const statuses = sim.requests().map((r) => `${r.method} ${r.path} ${r.status}`);
    const refused = statuses.indexOf('GET /api/v0/labs 401');
    expect(refused).toBeGreaterThan(0);
    expect(statuses.slice(refused, refused + 3)).toEqual([
      'GET /api/v0/labs 401',
      'POST /api/v0/authenticate 200',
      'GET /api/v0/labs 200',
    ]);
  });

  it('gives up with an authentication error when the fresh token is refused too', async () => {
    await cml.listLabs();
    sim.failNext(/^\/api\/v0\/labs$/, 401, 2);
    await expectCmlError(cml.listLabs(), 'authentication', 401);
    expect(authCount(sim)).toBe(2); // exactly one re-authentication, no loop
    expect(await cml.listLabs()).toEqual([]);
  });

  it('maps an injected 503 (and other 5xx) to a communication error, then recovers', async () => {
    sim.failNext(/\/labs$/, 503);
    const err = await expectCmlError(cml.listLabs(), 'communication', 503);
    expect(err.message).toContain('HTTP 503');
    expect(await cml.listLabs()).toEqual([]);

    sim.failNext(/\/import$/, 500);
    const e500 = await expectCmlError(cml.importLab(TOPOLOGY_YAML), 'communication', 503);
    expect(e500.message).toContain('HTTP 500');
    expect(sim.labs()).toEqual([]);
  });

  it('maps a refused connection to a communication error', async () => {
    const gone = new CmlSimulator();
    const { url } = await gone.start();
    await gone.stop();
    const c = new CmlClient({ baseUrl: url, username: USER, password: PASSWORD });
    const err = await expectCmlError(c.listLabs(), 'communication', 503);
    expect(err.message).not.toContain(PASSWORD);
  });

  it('times out a request that gets no answer', async () => {
    let aborted = false;
    const hanging: typeof fetch = (_input, init) =>
      new Promise((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => {
          aborted = true;
          reject(init.signal!.reason as Error);
        });
      });
    const c = new CmlClient({
      baseUrl: sim.url,
      username: USER,
      password: PASSWORD,
      fetch: hanging,
      timeoutMs: 50,
    });
    const err = await expectCmlError(c.listLabs(), 'communication', 503);
    expect(err.message).toContain('50 ms');
    expect(aborted).toBe(true);
  });
});

describe('CML simulator transitions on a driven clock (delayScale 1)', () => {
  let clock: number;
  let sim: CmlSimulator;
  let cml: CmlClient;

  beforeEach(async () => {
    clock = 1_700_000_000_000;
    sim = new CmlSimulator({ username: USER, password: PASSWORD, delayScale: 1, now: () => clock });
    const { url } = await sim.start();
    cml = new CmlClient({ baseUrl: url, username: USER, password: PASSWORD });
  });
  afterEach(() => sim.stop());

  it('goes QUEUED → STARTED → BOOTED and converges after the boot', async () => {
    const lab = await cml.importLab(TOPOLOGY_YAML);
    await cml.startLab(lab.id);
    expect((await cml.getLab(lab.id)).state).toBe('QUEUED');
    expect((await cml.listNodes(lab.id)).map((n) => n.state)).toEqual(['QUEUED', 'QUEUED']);
    expect(await cml.isConverged(lab.id)).toBe(false);

    clock += 1_100; // r1 leaves the queue first, r2 is staggered
    expect((await cml.listNodes(lab.id)).map((n) => n.state)).toEqual(['STARTED', 'QUEUED']);
    expect((await cml.getLab(lab.id)).state).toBe('STARTED');

    clock += 7_000;
    expect((await cml.listNodes(lab.id)).map((n) => n.state)).toEqual(['BOOTED', 'BOOTED']);
    expect((await cml.getLab(lab.id)).state).toBe('BOOTED');
    expect(await cml.isConverged(lab.id)).toBe(false); // booted, not yet converged

    clock += 2_000;
    expect(await cml.isConverged(lab.id)).toBe(true);
  });

  it('waitConverged polls until convergence, or gives up at the timeout', async () => {
    const lab = await cml.importLab(TOPOLOGY_YAML);
    await cml.startLab(lab.id);
    const t0 = clock;
    const sleeps: number[] = [];
    const sleep = async (ms: number) => {
      sleeps.push(ms);
      clock += ms;
    };
    expect(await cml.waitConverged(lab.id, { timeoutMs: 3_000, pollMs: 500, sleep })).toBe(false);
    expect(sleeps.reduce((a, b) => a + b, 0)).toBe(3_000);
    expect(sleeps.every((ms) => ms <= 500)).toBe(true);

    expect(await cml.waitConverged(lab.id, { timeoutMs: 60_000, pollMs: 500, sleep })).toBe(true);
    expect(clock - t0).toBeGreaterThanOrEqual(8_750); // 1 s queue + 250 ms stagger + 6 s boot + 1.5 s
    expect(clock - t0).toBeLessThan(8_750 + 500);
    expect((await cml.getLab(lab.id)).state).toBe('BOOTED');
  });

  it('keeps a stopping lab from being wiped until its nodes are down', async () => {
    const lab = await cml.importLab(TOPOLOGY_YAML);
    await cml.startLab(lab.id);
    clock += 10_000;
    await cml.stopLab(lab.id);
    expect((await cml.getLab(lab.id)).state).toBe('BOOTED'); // still shutting down
    await expectCmlError(cml.wipeLab(lab.id), 'conflict', 409);
    clock += 1_000;
    expect((await cml.getLab(lab.id)).state).toBe('STOPPED');
    await cml.wipeLab(lab.id);
    await cml.deleteLab(lab.id);
    expect(sim.labs()).toEqual([]);
  });
});

describe('CML simulator on a scaled real clock (delayScale 0.02)', () => {
  let sim: CmlSimulator;

  beforeEach(async () => {
    sim = new CmlSimulator({ username: USER, password: PASSWORD, delayScale: 0.02 });
    await sim.start();
  });
  afterEach(() => sim.stop());

  it('boots and converges after a few polls', async () => {
    const cml = new CmlClient({ baseUrl: sim.url, username: USER, password: PASSWORD });
    const lab = await cml.importLab(TOPOLOGY_YAML);
    await cml.startLab(lab.id);
    const started = Date.now();
    expect(await cml.waitConverged(lab.id, { timeoutMs: 5_000, pollMs: 10 })).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(100); // ~175 ms scaled from ~8.75 s
    const checks = sim.requests().filter((r) => r.path.endsWith('/check_if_converged'));
    expect(checks.length).toBeGreaterThan(1);
    expect((await cml.listNodes(lab.id)).map((n) => n.state)).toEqual(['BOOTED', 'BOOTED']);
  });
});

describe('the CML simulator and the local consoles', () => {
  it('answers a lab start only once its lab-action hook has settled (the consoles listen first)', async () => {
    let release!: () => void;
    const actions: string[] = [];
    const sim = new CmlSimulator({
      username: USER,
      password: PASSWORD,
      delayScale: 0,
      onLabAction: (e) => {
        actions.push(e.action);
        return e.action === 'start' ? new Promise<void>((r) => (release = r)) : undefined;
      },
    });
    const { url } = await sim.start();
    try {
      const cml = new CmlClient({ baseUrl: url, username: USER, password: PASSWORD, timeoutMs: 5_000 });
      const lab = await cml.importLab(TOPOLOGY_YAML);
      let answered = false;
      const start = cml.startLab(lab.id).then(() => void (answered = true));
      // The simulator has the request and holds its answer until the consoles listen.
      await vi.waitFor(() => expect(actions).toEqual(['start']), { timeout: 30_000 });
      expect(answered).toBe(false);
      release();
      await start;
      expect(answered).toBe(true);
    } finally {
      await sim.stop();
    }
  });
});
