// The control API: queueing jobs, the state document, injected faults and reset.
import assert from 'node:assert/strict';
import { ClientSecretCredential } from '@azure/identity';
import { startTestEmulator, type TestEmulator } from './core-harness';

type Json = Record<string, unknown>;

describe('emulator: control API', () => {
  let emu: TestEmulator;
  let armToken: string;

  async function control(method: string, route: string, body?: unknown): Promise<{ status: number; body: Json }> {
    const res = await fetch(`${emu.urls.control}/${route}`, {
      method,
      headers: { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Json };
  }

  const groupUrl = (name: string) =>
    `${emu.urls.arm}/subscriptions/${emu.seed.subscriptionId}/resourceGroups/${emu.seed.resourceGroup}/providers/Microsoft.ContainerInstance/containerGroups/${name}?api-version=2023-05-01`;

  function putGroup(name: string): Promise<Response> {
    return fetch(groupUrl(name), {
      method: 'PUT',
      headers: { Authorization: `Bearer ${armToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        location: emu.seed.location,
        tags: { run: '7' },
        properties: {
          osType: 'Linux',
          restartPolicy: 'Never',
          containers: [{
            name: 'agent',
            properties: {
              image: emu.seed.image,
              resources: { requests: { cpu: 1, memoryInGB: 1 } },
              environmentVariables: [{ name: 'AZP_TOKEN', secureValue: emu.seed.pat }],
            },
          }],
        },
      }),
    });
  }

  const getGroup = (name: string) => fetch(groupUrl(name), { headers: { Authorization: `Bearer ${armToken}` } });

  before(async () => {
    emu = await startTestEmulator();
    const credential = new ClientSecretCredential(emu.seed.tenantId, emu.seed.clientId, emu.seed.clientSecret,
      { authorityHost: emu.urls.entra, disableInstanceDiscovery: true });
    armToken = (await credential.getToken('https://management.azure.com/.default')).token;
  });
  after(async () => {
    await emu.stop();
  });
  afterEach(async () => {
    await emu.reset();
  });

  it('fails a job at once when no registration in the pool matches its demands', async () => {
    const queued = await control('POST', 'jobs', { pool: emu.seed.agentPool, demands: ['EPHEMERAL_RUN -equals 1'] });
    assert.equal(queued.status, 200);
    assert.equal(typeof queued.body.requestId, 'number');
    assert.equal(queued.body.result, 'failed');
    assert.equal(queued.body.message, `No agent found in pool ${emu.seed.agentPool} which satisfies the specified demands`);
    const bad = await control('POST', 'jobs', { demands: [] });
    assert.equal(bad.status, 400);
  });

  it('reports the state with the documented fields, ARM casing for ACI, lowercase wire enums and no secret', async () => {
    assert.equal((await putGroup('agent-1')).status, 201);
    await control('POST', 'jobs', { pool: emu.seed.agentPool, demands: ['missing'], durationMs: 10 });
    // The agent registration normally comes from the fake agent; here it is put in the store directly.
    const now = new Date().toISOString();
    emu.ctx.store.agents.push({
      poolId: emu.seed.agentPoolId, id: 99, name: 'aci-agent-1', version: '4.0.0', osDescription: 'Linux', enabled: true,
      status: 'offline', systemCapabilities: { EPHEMERAL_RUN: '7', LEAKED: emu.seed.pat }, userCapabilities: {}, createdOn: now, statusChangedOn: now,
    });
    await getGroup('agent-1');
    const { status, body } = await control('GET', 'state');
    assert.equal(status, 200);
    assert.deepEqual(Object.keys(body).sort(),
      ['agents', 'batchJobs', 'batchTasks', 'containerGroups', 'jobRequests', 'requests', 'secretsSeen']);
    const [group] = body.containerGroups as Json[];
    assert.deepEqual(Object.keys(group).sort(), ['containers', 'name', 'provisioningState', 'resourceGroup', 'tags']);
    assert.equal(group.name, 'agent-1');
    assert.equal(group.provisioningState, 'Succeeded');
    assert.deepEqual(group.tags, { run: '7' });
    assert.deepEqual(group.containers, [{ name: 'agent', state: 'Running', exitCode: null }]);
    const [request] = body.jobRequests as Json[];
    assert.deepEqual(Object.keys(request).sort(),
      ['agentName', 'agentRegistration', 'assignTime', 'demands', 'finishTime', 'pool', 'queueTime', 'requestId', 'result']);
    assert.equal(request.result, 'failed');
    assert.equal(request.pool, emu.seed.agentPool);
    assert.match(String(request.queueTime), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const [agent] = body.agents as Json[];
    assert.deepEqual(Object.keys(agent).sort(), ['capabilities', 'createdOn', 'enabled', 'id', 'name', 'pool', 'status', 'statusChangedOn']);
    assert.equal(agent.status, 'offline');
    assert.equal((agent.capabilities as Json).EPHEMERAL_RUN, '7');
    const requests = body.requests as Json[];
    assert.deepEqual(requests.map((r) => `${r.service} ${r.method} ${r.status}`).filter((r) => r.startsWith('arm')), ['arm PUT 201', 'arm GET 200']);
    assert.deepEqual(Object.keys(requests[0]).sort(), ['method', 'path', 'query', 'service', 'status', 'time']);
    assert.ok(requests.every((r) => r.service !== 'control'), 'control calls are not logged');
    const text = JSON.stringify(body);
    for (const secret of [emu.seed.pat, emu.seed.clientSecret, armToken]) assert.ok(!text.includes(secret), 'no secret in the state');
  });

  it('answers the request log from an index, waiting for a request when asked to', async () => {
    const waiting = control('GET', 'requests?from=0&waitMs=10000');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal((await putGroup('agent-log')).status, 201);
    const { status, body } = await waiting;
    assert.equal(status, 200);
    assert.equal(body.total, 1);
    const [request] = body.requests as Json[];
    assert.deepEqual([request.service, request.method, request.status], ['arm', 'PUT', 201]);
    assert.ok('userAgent' in request);
    const later = await control('GET', 'requests?from=1');
    assert.deepEqual(later.body, { total: 1, requests: [] });
    assert.equal((await control('GET', 'requests?from=-1')).status, 400);
  });

  it('lists container groups by name prefix, waiting until enough of them reach a provisioning state', async () => {
    assert.equal((await putGroup('wanted-1')).status, 201);
    assert.equal((await putGroup('other-1')).status, 201);
    const waiting = control('GET', 'container-groups?prefix=wanted-&count=2&provisioningState=Succeeded&waitMs=10000');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal((await putGroup('wanted-2')).status, 201);
    const { status, body } = await waiting;
    assert.equal(status, 200);
    assert.deepEqual(body.containerGroups, [{ name: 'wanted-1', provisioningState: 'Succeeded' }, { name: 'wanted-2', provisioningState: 'Succeeded' }]);
    // Without waitMs it answers at once with what there is.
    assert.deepEqual((await control('GET', 'container-groups?prefix=none-&count=5')).body, { containerGroups: [] });
  });

  it('injects a 429 with Retry-After in the service error shape, for `count` requests of a method and path', async () => {
    const fault = await control('POST', 'faults', { service: 'arm', method: 'GET', path: '/containerGroups/agent-2', status: 429, retryAfter: 3, count: 2 });
    assert.equal(fault.status, 200);
    assert.equal((await putGroup('agent-2')).status, 201, 'another method passes');
    for (let i = 0; i < 2; i++) {
      const throttled = await getGroup('agent-2');
      assert.equal(throttled.status, 429);
      assert.equal(throttled.headers.get('retry-after'), '3');
      assert.equal(((await throttled.json()) as { error: { code: string } }).error.code, 'TooManyRequests');
    }
    assert.equal((await getGroup('agent-2')).status, 200, 'the fault is spent after count requests');
    const logged = ((await control('GET', 'state')).body.requests as Json[]).map((r) => r.status);
    assert.deepEqual(logged, [201, 429, 429, 200]);
  });

  it('adds X-RateLimit-* headers and the Azure DevOps error body to a devops 429', async () => {
    await control('POST', 'faults', { service: 'devops', path: '/_apis/distributedtask/pools', status: 429, retryAfter: 2 });
    const res = await fetch(`${emu.urls.devops}_apis/distributedtask/pools`, {
      headers: { Authorization: `Basic ${Buffer.from(`user:${emu.seed.pat}`).toString('base64')}` },
    });
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after'), '2');
    for (const header of ['x-ratelimit-resource', 'x-ratelimit-delay', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']) {
      assert.ok(res.headers.get(header), `${header} is set`);
    }
    const body = (await res.json()) as Json;
    assert.equal(typeof body.message, 'string');
    assert.equal(typeof body.typeKey, 'string');
  });

  it('resets the connection, or delays a request that then passes', async () => {
    await control('POST', 'faults', { service: 'entra', reset: true });
    await assert.rejects(fetch(`${emu.urls.entra}/${emu.seed.tenantId}/v2.0/.well-known/openid-configuration`));
    await control('POST', 'faults', { service: 'entra', path: 'openid-configuration', latencyMs: 300 });
    const started = Date.now();
    const res = await fetch(`${emu.urls.entra}/${emu.seed.tenantId}/v2.0/.well-known/openid-configuration`);
    assert.equal(res.status, 200);
    assert.ok(Date.now() - started >= 290, 'the latency was applied');
    const rejected = await control('POST', 'faults', { service: 'storage', status: 500 });
    assert.equal(rejected.status, 400);
  });

  it('resets to the seed: containers stopped, groups, jobs, faults and logs gone', async () => {
    await putGroup('agent-3');
    await control('POST', 'jobs', { pool: emu.seed.agentPool, demands: [] });
    await control('POST', 'faults', { service: 'arm', status: 500, count: 5 });
    const reset = await control('POST', 'reset');
    assert.equal(reset.status, 200);
    assert.ok(emu.runner.started.every((c) => c.stopped), 'the running container was stopped');
    const state = (await control('GET', 'state')).body;
    assert.deepEqual(state.containerGroups, []);
    assert.deepEqual(state.jobRequests, []);
    assert.deepEqual(state.requests, []);
    assert.equal((await getGroup('agent-3')).status, 404, 'the fault is gone and so is the group');
    assert.equal(emu.ctx.store.resourceGroups[0].name, emu.seed.resourceGroup);
    assert.equal(emu.ctx.store.agentPools[0].name, emu.seed.agentPool);
  });

  it('changes options at run time', async () => {
    const set = await control('POST', 'config', { containerStartDelayMs: 150, devopsRateLimit: 0 });
    assert.equal(set.status, 200);
    assert.equal(set.body.containerStartDelayMs, 150);
    await putGroup('agent-4');
    const pending = (await control('GET', 'state')).body.containerGroups as Json[];
    assert.equal(pending[0].provisioningState, 'Pending');
    assert.deepEqual((pending[0].containers as Json[])[0], { name: 'agent', state: 'Waiting', exitCode: null });
    assert.equal((await control('POST', 'config', { nope: 1 })).status, 400);
    await control('POST', 'config', { containerStartDelayMs: 0 });
  });
});
