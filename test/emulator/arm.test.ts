// ARM Container Instances driven by @azure/arm-containerinstance, as the tasks drive it: long-running
// create, get, list, logs, delete, the synchronous validation errors, and secrets that never come back.
import assert from 'node:assert/strict';
import { ClientSecretCredential } from '@azure/identity';
import { ContainerInstanceManagementClient, type ContainerGroup } from '@azure/arm-containerinstance';
import { eventually, startTestEmulator, type TestEmulator } from './core-harness';

const FAST = { updateIntervalInMs: 20 };
const SECRET = 'registration-secret-3f9a';
const REGISTRY_PASSWORD = 'registry-password-77c1';

describe('emulator: ARM Container Instances', () => {
  let emu: TestEmulator;
  let client: ContainerInstanceManagementClient;
  let rg: string;

  function agentGroup(overrides: Partial<ContainerGroup> = {}, env: Record<string, string> = {}): ContainerGroup {
    return {
      location: emu.seed.location,
      osType: 'Linux',
      restartPolicy: 'Never',
      containers: [{
        name: 'agent',
        image: emu.seed.image,
        command: ['/bin/sh', '-c', 'exec ./start.sh'],
        resources: { requests: { cpu: 1, memoryInGB: 1.5 }, limits: { cpu: 1, memoryInGB: 1.5 } },
        environmentVariables: [
          { name: 'AZP_URL', value: emu.urls.devops },
          { name: 'AZP_TOKEN', secureValue: SECRET },
          ...Object.entries(env).map(([name, value]) => ({ name, value })),
        ],
      }],
      imageRegistryCredentials: [{ server: 'ephemeralagents.azurecr.io', username: 'puller', password: REGISTRY_PASSWORD }],
      tags: { run: '42' },
      ...overrides,
    };
  }

  async function rejectsWith(promise: Promise<unknown>, status: number, code: string, message?: RegExp): Promise<void> {
    await assert.rejects(promise, (error: { statusCode?: number; code?: string; message: string }) => {
      assert.equal(error.statusCode, status);
      assert.equal(error.code, code);
      if (message) assert.match(error.message, message);
      return true;
    });
  }

  before(async () => {
    emu = await startTestEmulator();
    const credential = new ClientSecretCredential(emu.seed.tenantId, emu.seed.clientId, emu.seed.clientSecret,
      { authorityHost: emu.urls.entra, disableInstanceDiscovery: true });
    client = new ContainerInstanceManagementClient(credential, emu.seed.subscriptionId,
      { endpoint: emu.urls.arm, credentialScopes: ['https://management.azure.com/.default'] });
    rg = emu.seed.resourceGroup;
  });
  after(async () => {
    await emu.stop();
  });
  afterEach(async () => {
    await emu.reset();
  });

  it('creates a group as a long-running operation and runs its container with every variable', async () => {
    const initial: { status: number; headers: { get(name: string): string | undefined }; parsedBody?: unknown }[] = [];
    const created = await client.containerGroups.beginCreateOrUpdateAndWait(rg, 'agent-1', agentGroup(),
      { ...FAST, onResponse: (r) => { if (r.request.method === 'PUT') initial.push(r); } });
    assert.equal(initial[0].status, 201);
    assert.equal((initial[0].parsedBody as ContainerGroup).provisioningState, 'Pending');
    assert.match(initial[0].headers.get('azure-asyncoperation') ?? '', /\/providers\/Microsoft.ContainerInstance\/locations\/eastus\/operations\/[0-9a-f-]{36}\?api-version=2023-05-01$/);
    assert.equal(initial[0].headers.get('retry-after'), '1');
    assert.equal(created.provisioningState, 'Succeeded');
    const view = created.containers[0].instanceView;
    assert.equal(view?.currentState?.state, 'Running');
    assert.deepEqual(view?.events?.map((e) => e.name), ['Pulling', 'Pulled', 'Started']);
    assert.equal(created.ipAddress, undefined);

    assert.equal(emu.runner.started.length, 1);
    const started = emu.runner.started[0].options;
    assert.equal(started.env.AZP_TOKEN, SECRET, 'a secure value reaches the container');
    assert.equal(started.env.AZP_URL, emu.urls.devops);
    assert.deepEqual(started.command, ['/bin/sh', '-c', 'exec ./start.sh']);
    assert.equal(started.image, emu.seed.image);
  });

  it('never returns a secure value or a registry password', async () => {
    await client.containerGroups.beginCreateOrUpdateAndWait(rg, 'agent-2', agentGroup(), FAST);
    const token = await new ClientSecretCredential(emu.seed.tenantId, emu.seed.clientId, emu.seed.clientSecret,
      { authorityHost: emu.urls.entra, disableInstanceDiscovery: true }).getToken('https://management.azure.com/.default');
    const base = `${emu.urls.arm}/subscriptions/${emu.seed.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.ContainerInstance/containerGroups`;
    for (const url of [`${base}/agent-2?api-version=2023-05-01`, `${base}?api-version=2023-05-01`]) {
      const text = await (await fetch(url, { headers: { Authorization: `Bearer ${token.token}` } })).text();
      assert.ok(!text.includes(SECRET) && !text.includes(REGISTRY_PASSWORD), `no secret in ${url}`);
      assert.ok(!text.includes('secureValue') && !text.includes('"password"'));
    }
    const group = await client.containerGroups.get(rg, 'agent-2');
    assert.deepEqual(group.containers[0].environmentVariables?.find((v) => v.name === 'AZP_TOKEN'), { name: 'AZP_TOKEN' });
    assert.deepEqual(group.imageRegistryCredentials, [{ server: 'ephemeralagents.azurecr.io', username: 'puller' }]);
  });

  it('reports a finished container as Terminated with its exit code, and serves its logs with tail', async () => {
    await client.containerGroups.beginCreateOrUpdateAndWait(rg, 'agent-3', agentGroup(), FAST);
    emu.runner.started[0].exit(3);
    const group = await client.containerGroups.get(rg, 'agent-3');
    const state = group.containers[0].instanceView?.currentState;
    assert.equal(state?.state, 'Terminated');
    assert.equal(state?.exitCode, 3);
    assert.equal(state?.detailStatus, 'Error');
    assert.ok(state?.finishTime instanceof Date);
    assert.equal(group.instanceView?.state, 'Failed');
    assert.equal(group.containers[0].instanceView?.restartCount, 0);

    const logs = await client.containers.listLogs(rg, 'agent-3', 'agent', { tail: 2 });
    assert.equal(logs.content, 'line 2\nline 3\n');
    await rejectsWith(client.containers.listLogs(rg, 'agent-3', 'nope'), 404, 'ContainerNotFound');
  });

  it('lists by resource group and by subscription without container instance views', async () => {
    await client.containerGroups.beginCreateOrUpdateAndWait(rg, 'agent-4', agentGroup(), FAST);
    await client.containerGroups.beginCreateOrUpdateAndWait(rg, 'agent-5', agentGroup({ tags: { run: '43' } }), FAST);
    const byGroup: ContainerGroup[] = [];
    for await (const group of client.containerGroups.listByResourceGroup(rg)) byGroup.push(group);
    const bySubscription: ContainerGroup[] = [];
    for await (const group of client.containerGroups.list()) bySubscription.push(group);
    for (const list of [byGroup, bySubscription]) {
      assert.deepEqual(list.map((g) => g.name).sort(), ['agent-4', 'agent-5']);
      for (const group of list) {
        assert.equal(group.containers[0].instanceView, undefined);
        assert.equal(group.provisioningState, 'Succeeded');
      }
    }
    assert.deepEqual(byGroup.find((g) => g.name === 'agent-5')?.tags, { run: '43' });
    await rejectsWith(client.containerGroups.listByResourceGroup('no-such-rg').next(), 404, 'ResourceGroupNotFound');
  });

  it('deletes a running group (202, containers killed), a finished one (200) and an absent one (204)', async () => {
    await client.containerGroups.beginCreateOrUpdateAndWait(rg, 'agent-6', agentGroup(), FAST);
    const record = emu.ctx.store.containerGroups[0].containers[0];
    const first: number[] = [];
    await client.containerGroups.beginDeleteAndWait(rg, 'agent-6', { ...FAST, onResponse: (r) => first.push(r.status) });
    assert.equal(first[0], 202);
    assert.equal(emu.runner.started[0].stopped, true);
    assert.ok(record.events.some((e) => e.name === 'Killing'));
    await rejectsWith(client.containerGroups.get(rg, 'agent-6'), 404, 'ResourceNotFound',
      /The Resource 'Microsoft.ContainerInstance\/containerGroups\/agent-6' under resource group 'build-agents' was not found/);

    await client.containerGroups.beginCreateOrUpdateAndWait(rg, 'agent-7', agentGroup(), FAST);
    emu.runner.started[1].exit(0);
    const statuses: number[] = [];
    await client.containerGroups.beginDeleteAndWait(rg, 'agent-7', { ...FAST, onResponse: (r) => statuses.push(r.status) });
    await client.containerGroups.beginDeleteAndWait(rg, 'agent-7', { ...FAST, onResponse: (r) => statuses.push(r.status) });
    assert.deepEqual(statuses, [200, 204]);
  });

  it('restarts the containers of a group that is PUT again (200)', async () => {
    await client.containerGroups.beginCreateOrUpdateAndWait(rg, 'agent-8', agentGroup(), FAST);
    let status = 0;
    const updated = await client.containerGroups.beginCreateOrUpdateAndWait(rg, 'agent-8', agentGroup({}, { EPHEMERAL_RUN: '2' }),
      { ...FAST, onResponse: (r) => { if (r.request.method === 'PUT') status = r.status; } });
    assert.equal(status, 200);
    assert.equal(updated.provisioningState, 'Succeeded');
    assert.equal(emu.runner.started.length, 2);
    assert.equal(emu.runner.started[0].stopped, true);
    assert.equal(emu.runner.started[1].options.env.EPHEMERAL_RUN, '2');
  });

  it('restarts a container with restartPolicy OnFailure after a failure', async () => {
    await client.containerGroups.beginCreateOrUpdateAndWait(rg, 'agent-9', agentGroup({ restartPolicy: 'OnFailure' }), FAST);
    emu.runner.started[0].exit(1);
    const record = emu.ctx.store.containerGroups[0].containers[0];
    await eventually(() => (record.restartCount === 1 && record.state === 'Running' ? true : undefined), 20_000, 'a restart');
    assert.equal(emu.runner.started.length, 2);
  });

  it('accepts Spot priority, subnets and tag updates; refuses a Spot group in a subnet or with an IP address', async () => {
    const subnet = `/subscriptions/${emu.seed.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.Network/virtualNetworks/vnet/subnets/agents`;
    const privateIp = { ipAddress: { type: 'Private' as const, ports: [{ port: 8080 }] } };
    await rejectsWith(client.containerGroups.beginCreateOrUpdate(rg, 'agent-spot-vnet', agentGroup({ priority: 'Spot', subnetIds: [{ id: subnet }], ...privateIp })),
      400, 'SpotPriorityContainerGroupNotSupportedForInboundConnectivity');
    await rejectsWith(client.containerGroups.beginCreateOrUpdate(rg, 'agent-spot-ip', agentGroup({ priority: 'Spot', ipAddress: { type: 'Public', ports: [{ port: 80 }] } })),
      400, 'SpotPriorityContainerGroupNotSupportedForInboundConnectivity');
    assert.equal(emu.ctx.store.containerGroups.length, 0);
    const spot = await client.containerGroups.beginCreateOrUpdateAndWait(rg, 'agent-spot', agentGroup({ priority: 'Spot' }), FAST);
    assert.equal(spot.priority, 'Spot');
    const group = await client.containerGroups.beginCreateOrUpdateAndWait(rg, 'agent-10', agentGroup({ subnetIds: [{ id: subnet }], ...privateIp }), FAST);
    assert.deepEqual(group.subnetIds, [{ id: subnet }]);
    assert.equal(group.ipAddress?.ip, '127.0.0.1');
    const patched = await client.containerGroups.update(rg, 'agent-10', { tags: { run: '44', owner: 'ci' } });
    assert.deepEqual(patched.tags, { run: '44', owner: 'ci' });
  });

  it('stops and starts a group', async () => {
    await client.containerGroups.beginCreateOrUpdateAndWait(rg, 'agent-11', agentGroup(), FAST);
    await client.containerGroups.stop(rg, 'agent-11');
    await eventually(() => (emu.runner.started[0].stopped ? true : undefined), 20_000, 'the stop');
    assert.equal((await client.containerGroups.get(rg, 'agent-11')).instanceView?.state, 'Stopped');
    await client.containerGroups.beginStartAndWait(rg, 'agent-11', FAST);
    const group = await client.containerGroups.get(rg, 'agent-11');
    assert.equal(group.instanceView?.state, 'Running');
    assert.equal(emu.runner.started.length, 2);
  });

  it('rejects a bad name synchronously with 400 InvalidContainerGroupName', async () => {
    for (const name of ['Agent', 'agent--1', '-agent', 'a'.repeat(64)]) {
      await rejectsWith(client.containerGroups.beginCreateOrUpdate(rg, name, agentGroup()), 400, 'InvalidContainerGroupName');
    }
    assert.equal(emu.ctx.store.containerGroups.length, 0);
  });

  it('rejects missing required properties and limits above the requests', async () => {
    // The SDK refuses to send a body without required properties, so these go over the wire by hand.
    const token = await new ClientSecretCredential(emu.seed.tenantId, emu.seed.clientId, emu.seed.clientSecret,
      { authorityHost: emu.urls.entra, disableInstanceDiscovery: true }).getToken('https://management.azure.com/.default');
    const put = async (name: string, properties: Record<string, unknown>) => {
      const url = `${emu.urls.arm}/subscriptions/${emu.seed.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.ContainerInstance/containerGroups/${name}?api-version=2023-05-01`;
      const res = await fetch(url, {
        method: 'PUT',
        headers: { Authorization: `Bearer ${token.token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ location: emu.seed.location, properties }),
      });
      return { status: res.status, error: ((await res.json()) as { error: { code: string; message: string } }).error };
    };
    const container = { name: 'agent', properties: { image: emu.seed.image, resources: { requests: { cpu: 1, memoryInGB: 1 } } } };
    const missingOs = await put('bad-1', { containers: [container] });
    assert.equal(missingOs.status, 400);
    assert.equal(missingOs.error.code, 'InvalidRequestContent');
    assert.match(missingOs.error.message, /Required property 'osType' not found/);
    const missingContainers = await put('bad-1', { osType: 'Linux' });
    assert.match(missingContainers.error.message, /'containers'/);
    const missingImage = await put('bad-1', { osType: 'Linux', containers: [{ name: 'a', properties: { resources: container.properties.resources } }] });
    assert.match(missingImage.error.message, /'image'/);
    const missingResources = await put('bad-1', { osType: 'Linux', containers: [{ name: 'a', properties: { image: emu.seed.image } }] });
    assert.match(missingResources.error.message, /'resources'/);
    const greedy = agentGroup();
    greedy.containers[0].resources.limits = { cpu: 2, memoryInGB: 1 };
    await rejectsWith(client.containerGroups.beginCreateOrUpdate(rg, 'bad-3', greedy), 400, 'ContainerLimitGreaterThanContainerGroupTotalRequest');
    await rejectsWith(client.containerGroups.beginCreateOrUpdate('no-such-rg', 'bad-4', agentGroup()), 404, 'ResourceGroupNotFound');
    assert.equal(emu.runner.started.length, 0);
  });

  it('rejects an image it cannot run with 400 InaccessibleImage', async () => {
    const group = agentGroup();
    group.containers[0].image = 'docker.io/library/nginx:latest';
    await rejectsWith(client.containerGroups.beginCreateOrUpdate(rg, 'nginx', group), 400, 'InaccessibleImage',
      /^The image 'docker.io\/library\/nginx:latest' in container group 'nginx' is not accessible. Please check the image and registry credential.$/);
  });

  it('checks the api-version', async () => {
    const token = await new ClientSecretCredential(emu.seed.tenantId, emu.seed.clientId, emu.seed.clientSecret,
      { authorityHost: emu.urls.entra, disableInstanceDiscovery: true }).getToken('https://management.azure.com/.default');
    const url = `${emu.urls.arm}/subscriptions/${emu.seed.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.ContainerInstance/containerGroups`;
    const missing = await fetch(url, { headers: { Authorization: `Bearer ${token.token}` } });
    assert.equal(missing.status, 400);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'MissingApiVersionParameter');
    const old = await fetch(`${url}?api-version=2019-12-01`, { headers: { Authorization: `Bearer ${token.token}` } });
    assert.equal(old.status, 400);
    assert.equal(((await old.json()) as { error: { code: string } }).error.code, 'NoRegisteredProviderFound');
  });
});
