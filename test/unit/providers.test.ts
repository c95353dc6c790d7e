import assert from 'node:assert/strict';
import type { ContainerGroup } from '@azure/arm-containerinstance';
import { buildAgentSpecs } from '../../tasks/common/src/agent-spec';
import { AciProvider, aciState, type AciClient } from '../../tasks/common/src/providers/aci';
import { BatchProvider, batchState, type BatchClient } from '../../tasks/common/src/providers/batch';
import { FakeClock } from './fakes/fake-clock';

const [spec] = buildAgentSpecs({
  names: ['eph-1-abcdef-0'], pool: 'Ephemeral', organizationUrl: 'https://dev.azure.com/contoso/', image: 'myacr.azurecr.io/agent:1', osType: 'Linux',
  cpu: 1, memoryGB: 2, runId: '1', idleTimeoutMinutes: 15, keepFailedMinutes: 0, capabilities: [], tags: [], now: 0,
});

function restError(statusCode: number, code: string, message = code) {
  return Object.assign(new Error(message), { statusCode, code });
}

describe('ACI provider', () => {
  function aci(overrides: Partial<AciClient['containerGroups']> = {}) {
    const puts: ContainerGroup[] = [];
    const client = {
      containerGroups: {
        beginCreateOrUpdateAndWait: async (_rg: string, name: string, group: ContainerGroup) => {
          puts.push(group);
          return { ...group, id: `/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerInstance/containerGroups/${name}`, provisioningState: 'Succeeded' };
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
    const inaccessible = aci({ beginCreateOrUpdateAndWait: async () => { throw restError(400, 'InaccessibleImage', "The image 'x' is not accessible."); } });
    await assert.rejects(inaccessible.provider.create(spec, 's'), /cannot be pulled \(InaccessibleImage\).*check input 'image'/);
    const quota = aci({ beginCreateOrUpdateAndWait: async () => { throw restError(409, 'ContainerGroupQuotaReached', "container group quota 'StandardCores' exceeded"); } });
    await assert.rejects(quota.provider.create(spec, 's'), /A quota was reached/);
    const denied = aci({ beginCreateOrUpdateAndWait: async () => { throw restError(403, 'AuthorizationFailed'); } });
    await assert.rejects(denied.provider.create(spec, 's'), /Contributor role/);
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
