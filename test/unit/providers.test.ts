import assert from 'node:assert/strict';
import type { ContainerGroup } from '@azure/arm-containerinstance';
import { AdaptiveLimit } from '../../tasks/common/src/adaptive-limit';
import { buildAgentSpecs } from '../../tasks/common/src/agent-spec';
import { AciProvider, aciState, type AciClient } from '../../tasks/common/src/providers/aci';
import { BatchProvider, batchState, type BatchClient } from '../../tasks/common/src/providers/batch';
import type { AciParams, BatchParams, ProviderParams } from '../../tasks/common/src/params/provider-params';
import { describeProvider } from '../../tasks/common/src/providers/factory';
import { LazyProvider } from '../../tasks/common/src/providers/lazy-provider';
import type { AgentProvider, AgentResource, AgentStatus } from '../../tasks/common/src/providers/provider';
import { FakeClock } from './fakes/fake-clock';

const specInput = {
  names: ['eph-1-abcdef-0'], pool: 'Ephemeral', organizationUrl: 'https://dev.azure.com/contoso/', image: 'myacr.azurecr.io/agent:1', osType: 'Linux' as const,
  cpu: 1, memoryGB: 2, runId: '1', idleTimeoutMinutes: 15, keepFailedMinutes: 0, capabilities: [], tags: [], now: 0,
};
const [spec] = buildAgentSpecs(specInput);

function restError(statusCode: number, code: string, message = code) {
  return Object.assign(new Error(message), { statusCode, code });
}

describe('ACI provider', () => {
  function aci(overrides: Partial<AciClient['containerGroups']> = {}) {
    const puts: ContainerGroup[] = [];
    const client = {
      containerGroups: {
        beginCreateOrUpdate: async (_rg: string, name: string, group: ContainerGroup) => {
          puts.push(group);
          const done = { ...group, id: `/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerInstance/containerGroups/${name}`, provisioningState: 'Succeeded' };
          return { pollUntilDone: async () => done };
        },
        ...overrides,
      },
      containers: { listLogs: async () => ({ content: 'log' }) },
    } as unknown as AciClient;
    const provider = new AciProvider(
      { kind: 'aci', subscriptionId: 's', resourceGroup: 'rg', priority: 'Spot', registry: { server: 'myacr.azurecr.io', identity: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/pull' } },
      client, { identity: 'the service principal', resourceGroupLocation: async () => 'westeurope', clock: new FakeClock() });
    return { provider, puts };
  }

  it('sends the secret only as the secureValue of AZP_TOKEN, restartPolicy Never, tags and the pull identity', async () => {
    const { provider, puts } = aci();
    const created = await provider.create(spec, 'the-secret');
    const group = puts[0];
    const env = group.containers[0].environmentVariables ?? [];
    assert.deepEqual(env.filter((e) => JSON.stringify(e).includes('the-secret')), [{ name: 'AZP_TOKEN', secureValue: 'the-secret' }]);
    assert.equal(group.restartPolicy, 'Never');
    assert.equal(group.location, 'westeurope');
    assert.equal(group.priority, 'Spot');
    assert.equal(group.tags?.run, '1');
    assert.deepEqual(group.imageRegistryCredentials, [{ server: 'myacr.azurecr.io', identity: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/pull' }]);
    assert.equal(group.identity?.type, 'UserAssigned');
    assert.match(created.resourceId, /containerGroups\/eph-1-abcdef-0$/);
  });

  it('turns InaccessibleImage and quota errors into clear messages', async () => {
    const inaccessible = aci({ beginCreateOrUpdate: async () => { throw restError(400, 'InaccessibleImage', "The image 'x' is not accessible."); } });
    await assert.rejects(inaccessible.provider.create(spec, 's'), /cannot be pulled \(InaccessibleImage\).*check input 'image'/);
    const quota = aci({ beginCreateOrUpdate: async () => { throw restError(409, 'ContainerGroupQuotaReached', "container group quota 'StandardCores' exceeded"); } });
    await assert.rejects(quota.provider.create(spec, 's'), /A quota was reached/);
    const denied = aci({ beginCreateOrUpdate: async () => { throw restError(403, 'AuthorizationFailed'); } });
    await assert.rejects(denied.provider.create(spec, 's'), /Contributor role/);
  });

  it('holds a write slot only for the PUT: the next creates go out while earlier operations are still polled', async () => {
    const clock = new FakeClock();
    const writes = new AdaptiveLimit({ initial: 2, max: 2, clock });
    const puts: string[] = [];
    let finish!: () => void;
    const provisioned = new Promise<void>((resolve) => { finish = resolve; });
    const client = {
      containerGroups: {
        beginCreateOrUpdate: async (_rg: string, name: string, group: ContainerGroup) => {
          puts.push(name);
          return { pollUntilDone: async () => { await provisioned; return { ...group, id: `/x/containerGroups/${name}`, provisioningState: 'Succeeded' }; } };
        },
      },
      containers: {},
    } as unknown as AciClient;
    const provider = new AciProvider({ kind: 'aci', subscriptionId: 's', resourceGroup: 'rg', location: 'westeurope', priority: 'Regular' } as never, client,
      { identity: 'the service principal', resourceGroupLocation: async () => 'westeurope', clock, writes });
    const specs = buildAgentSpecs({ ...specInput, names: ['a-0', 'a-1', 'a-2', 'a-3', 'a-4'] });
    const creates = specs.map((s) => provider.create(s, 'secret'));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(puts, ['a-0', 'a-1', 'a-2', 'a-3', 'a-4'], 'all five PUTs went out with two write slots, none waiting for an operation');
    finish();
    assert.equal((await Promise.all(creates)).length, 5);
  });

  it('reports a missing group as undefined', async () => {
    const { provider } = aci({ get: async () => { throw restError(404, 'ResourceNotFound'); } });
    assert.equal(await provider.get('nope'), undefined);
  });

  it('maps provisioning and instance states', () => {
    const container = (state: string, exitCode?: number) => [{ name: 'agent', image: 'i', resources: { requests: { cpu: 1, memoryInGB: 1 } }, instanceView: { currentState: { state, exitCode } } }];
    assert.equal(aciState({ provisioningState: 'Creating', containers: [], osType: 'Linux' }).state, 'creating');
    assert.equal(aciState({ provisioningState: 'Succeeded', instanceView: { state: 'Running' }, containers: container('Running'), osType: 'Linux' } as ContainerGroup).state, 'running');
    assert.equal(aciState({ provisioningState: 'Succeeded', containers: container('Terminated', 78), osType: 'Linux' } as ContainerGroup).state, 'failed');
    assert.equal(aciState({ provisioningState: 'Succeeded', containers: container('Terminated', 0), osType: 'Linux' } as ContainerGroup).state, 'succeeded');
    assert.equal(aciState({ provisioningState: 'Failed', containers: [], osType: 'Linux' }).state, 'failed');
  });
});

describe('Batch provider', () => {
  function batch(jobGet: () => Promise<unknown>) {
    const calls: Array<[string, unknown]> = [];
    const client = {
      job: { get: jobGet, add: async (job: unknown) => { calls.push(['job.add', job]); } },
      task: { add: async (_job: string, task: unknown) => { calls.push(['task.add', task]); } },
      file: {},
    } as unknown as BatchClient;
    const provider = new BatchProvider({ kind: 'batch', accountUrl: 'https://acct.region.batch.azure.com', poolId: 'agents', jobId: 'ephemeral-agents', auth: { kind: 'sharedKey', accountName: 'acct', accountKey: 'a2V5' } },
      client, { identity: 'the Batch shared key', clock: new FakeClock() });
    return { provider, calls };
  }

  it('warns when the pool has fewer free task slots than new agents (they wait for nodes)', async () => {
    const { provider } = batch(async () => ({}));
    const withPool = (pool: Record<string, unknown>) => {
      (provider as unknown as { client: BatchClient }).client.pool = { get: async () => pool } as unknown as BatchClient['pool'];
      return provider;
    };
    assert.match(await withPool({ currentDedicatedNodes: 0, currentLowPriorityNodes: 0, taskSlotsPerNode: 4 }).startDelayWarning(1) ?? '', /Batch pool 'agents' has no node running for 1 new agent/);
    assert.match(await withPool({ currentDedicatedNodes: 1, currentLowPriorityNodes: 0, taskSlotsPerNode: 2 }).startDelayWarning(3) ?? '', /has 2 task slot\(s\) on 1 node\(s\) for 3 new agent/);
    assert.equal(await withPool({ currentDedicatedNodes: 1, currentLowPriorityNodes: 1, taskSlotsPerNode: 2 }).startDelayWarning(3), undefined);
  });

  it('creates the job when missing and adds a container task that runs the image entrypoint', async () => {
    const { provider, calls } = batch(async () => { throw restError(404, 'JobNotFound'); });
    await provider.create({ ...spec, keepFailedMinutes: 0 }, 'the-secret');
    assert.deepEqual(calls[0], ['job.add', { id: 'ephemeral-agents', poolInfo: { poolId: 'agents' }, onAllTasksComplete: 'noaction' }]);
    const task = calls[1][1] as Record<string, unknown> & { environmentSettings: Array<{ name: string; value: string }> };
    assert.equal(task.id, 'eph-1-abcdef-0');
    assert.equal(task.commandLine, '');
    assert.deepEqual(task.containerSettings, { imageName: 'myacr.azurecr.io/agent:1', registry: undefined });
    // Only a pool-scope admin auto-user is root in the container (start.sh must be root to drop to the agent user).
    assert.deepEqual(task.userIdentity, { autoUser: { scope: 'pool', elevationLevel: 'admin' } });
    assert.deepEqual(task.constraints, { retentionTime: 'PT10M', maxTaskRetryCount: 0 });
    assert.ok(task.environmentSettings.some((e) => e.name === 'EPHEMERAL_RUN' && e.value === '1'));
  });

  it('tolerates JobExists from a concurrent creator', async () => {
    const calls: string[] = [];
    const client = {
      job: { get: async () => { throw restError(404, 'JobNotFound'); }, add: async () => { throw restError(409, 'JobExists'); } },
      task: { add: async () => { calls.push('task.add'); } },
    } as unknown as BatchClient;
    const provider = new BatchProvider({ kind: 'batch', accountUrl: 'https://a.b.batch.azure.com', poolId: 'agents', jobId: 'j', auth: { kind: 'azureServiceConnection' } },
      client, { identity: 'x', clock: new FakeClock() });
    await provider.create(spec, 's');
    assert.deepEqual(calls, ['task.add']);
  });

  it('refuses a job bound to another pool', async () => {
    const { provider } = batch(async () => ({ id: 'ephemeral-agents', state: 'active', poolInfo: { poolId: 'other' } }));
    await assert.rejects(provider.create(spec, 's'), /runs its tasks on pool 'other', not on 'agents'/);
  });

  it('maps task states, failing on a non-zero exit', () => {
    assert.equal(batchState({ state: 'active' }).state, 'creating');
    assert.equal(batchState({ state: 'running' }).state, 'running');
    assert.equal(batchState({ state: 'completed', executionInfo: { exitCode: 0, retryCount: 0, requeueCount: 0 } }).state, 'succeeded');
    const failed = batchState({ state: 'completed', executionInfo: { exitCode: 1, retryCount: 0, requeueCount: 0, failureInfo: { category: 'usererror', code: 'ContainerPullFailed', message: 'no such image' } } });
    assert.equal(failed.state, 'failed');
    assert.equal(failed.failure, 'ContainerPullFailed: no such image');
  });
});

describe('what differs per provider, asked of the provider', () => {
  const aciParams: AciParams = { kind: 'aci', subscriptionId: 's', resourceGroup: 'rg', priority: 'Regular' };
  const batchParams: BatchParams = { kind: 'batch', accountUrl: 'https://acct.region.batch.azure.com', poolId: 'agents', jobId: 'j', auth: { kind: 'azureServiceConnection' } };

  it('ACI reuses the group name; Batch gives each generation a new task id', () => {
    const aci = new AciProvider(aciParams, {} as AciClient, { resourceGroupLocation: async () => 'eastus', identity: 'test' });
    const batch = new BatchProvider(batchParams, {} as BatchClient, { identity: 'test' });
    assert.deepEqual([aci.resourceIdOf('lx-0'), batch.resourceIdOf('lx-0', 3)], ['lx-0', 'lx-0-3']);
    assert.deepEqual([aci.serviceName, batch.serviceName], ['Azure Resource Manager', 'Azure Batch']);
    assert.deepEqual([aci.listedStateIsCurrent, batch.listedStateIsCurrent], [false, true]);
  });

  it('the facts known without an SDK agree with the providers', () => {
    for (const [params, provider] of [
      [aciParams, new AciProvider(aciParams, {} as AciClient, { resourceGroupLocation: async () => 'eastus', identity: 'test' })],
      [batchParams, new BatchProvider(batchParams, {} as BatchClient, { identity: 'test' })],
    ] satisfies Array<[ProviderParams, AgentProvider]>) {
      const facts = describeProvider(params);
      assert.deepEqual({ ...facts, listingFix: facts.listingFix }, {
        description: provider.description, serviceName: provider.serviceName, listedStateIsCurrent: provider.listedStateIsCurrent, listingFix: (provider as AgentProvider).listingFix,
      });
    }
  });
});

describe('lazy provider', () => {
  function lazy(real: Partial<AgentProvider>) {
    let builds = 0;
    const provider = new LazyProvider(() => {
      builds++;
      return { description: 'built', ...real } as AgentProvider;
    }, { description: 'from the params', serviceName: 'Azure Batch', listedStateIsCurrent: true });
    return { provider, builds: () => builds };
  }

  it('answers its description without building, then builds once on the first call', async () => {
    const { provider, builds } = lazy({ get: async (name: string) => ({ name } as AgentStatus), delete: async () => true });
    assert.equal(provider.description, 'from the params');
    assert.equal(builds(), 0);
    assert.equal((await provider.get('a'))?.name, 'a');
    assert.equal(await provider.delete('a'), true);
    assert.equal(builds(), 1);
    assert.equal(provider.description, 'built');
  });

  it('has the optional members the real provider has, called on it', async () => {
    const real = { listAll: async function (this: { marker: string }) { return [{ name: this.marker } as AgentResource]; }, marker: 'self' };
    const withList = lazy(real as unknown as Partial<AgentProvider>).provider;
    assert.deepEqual((await withList.listAll?.())?.map((r) => r.name), ['self']);
    assert.equal(lazy({}).provider.createMany, undefined);
  });

  it('passes on every optional member of the port, so no use case loses one behind the lazy provider', async () => {
    const seen: string[] = [];
    const real: Partial<AgentProvider> = {
      listAll: async () => { seen.push('listAll'); return []; },
      createMany: async () => { seen.push('createMany'); return []; },
      learnLocation: (id: string) => { seen.push(`learnLocation ${id}`); },
      startDelayWarning: async (count: number) => { seen.push(`startDelayWarning ${count}`); return 'wait'; },
    };
    const { provider } = lazy(real);
    await provider.listAll?.();
    await provider.createMany?.([], 's');
    provider.learnLocation?.('/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerInstance/containerGroups/a');
    assert.equal(await provider.startDelayWarning?.(3), 'wait');
    assert.deepEqual(seen, ['listAll', 'createMany', 'learnLocation /subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerInstance/containerGroups/a', 'startDelayWarning 3']);
    // Known without building: what fixes a refused listing.
    const aci = new LazyProvider(() => { throw new Error('not built'); }, { description: 'd', serviceName: 'Azure Resource Manager', listedStateIsCurrent: false, listingFix: "set input 'resourceGroup'" });
    assert.equal(aci.listingFix, "set input 'resourceGroup'");
  });

  it('a failure to build surfaces on the call that needed it', async () => {
    const provider = new LazyProvider(() => {
      throw new Error('no SDK');
    }, { description: 'd', serviceName: 'Azure Batch', listedStateIsCurrent: true });
    assert.equal(provider.description, 'd');
    assert.throws(() => provider.prepare(), /no SDK/);
  });
});
