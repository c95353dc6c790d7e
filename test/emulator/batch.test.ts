// The emulated Batch account driven by @azure/batch 10.2.0 with Shared Key and with an AAD token:
// jobs, tasks (one by one and in collections), pools and autoscale, errors and task states.
import assert from 'node:assert/strict';
import { ClientSecretCredential } from '@azure/identity';
import { BatchServiceClient, BatchSharedKeyCredentials, type BatchServiceModels } from '@azure/batch';
import { createBatchService } from '../../emulator/src/batch/service';
import type { AzureConnection } from '../../tasks/common/src/params/azure-connection';
import type { BatchParams } from '../../tasks/common/src/params/provider-params';
import { createProvider } from '../../tasks/common/src/providers/factory';
import { eventually, startTestEmulator, type TestEmulator } from './core-harness';

interface BatchRestError {
  statusCode: number;
  code: string;
  body?: { message?: { value?: string } };
}

function rejectsWith(promise: Promise<unknown>, statusCode: number, code: string): Promise<void> {
  return assert.rejects(promise, (err: BatchRestError) => {
    assert.equal(err.statusCode, statusCode);
    assert.equal(err.code, code);
    return true;
  });
}

describe('emulator: Azure Batch (@azure/batch)', () => {
  let emu: TestEmulator;
  let client: BatchServiceClient;

  function containerTask(id: string, env: Record<string, string> = {}): BatchServiceModels.TaskAddParameter {
    return {
      id,
      commandLine: '',
      containerSettings: { imageName: emu.seed.image },
      environmentSettings: Object.entries(env).map(([name, value]) => ({ name, value })),
      userIdentity: { autoUser: { scope: 'pool', elevationLevel: 'admin' } },
    };
  }

  before(async () => {
    emu = await startTestEmulator({ services: { batch: createBatchService() } });
  });
  after(async () => emu?.stop());
  beforeEach(async () => {
    await emu.reset();
    client = new BatchServiceClient(new BatchSharedKeyCredentials(emu.seed.batchAccountName, emu.seed.batchAccountKey), emu.urls.batch);
  });

  it('adds, gets, lists, terminates and deletes jobs; ids compare case-insensitively', async () => {
    const added = await client.job.add({ id: 'Run-42', poolInfo: { poolId: emu.seed.batchPoolId } });
    assert.ok(added.eTag);
    assert.match(added.dataServiceId ?? '', /\/jobs\/Run-42$/);
    await rejectsWith(client.job.add({ id: 'run-42', poolInfo: { poolId: emu.seed.batchPoolId } }), 409, 'JobExists');

    const job = await client.job.get('RUN-42');
    assert.equal(job.id, 'Run-42');
    assert.equal(job.state, 'active');
    assert.equal(job.poolInfo?.poolId, emu.seed.batchPoolId);
    assert.ok(job.creationTime instanceof Date);
    assert.deepEqual((await client.job.list()).map((j) => j.id), ['Run-42']);

    await client.job.terminate('run-42');
    await eventually(async () => ((await client.job.get('run-42')).state === 'completed' ? true : undefined), 20_000, 'job completed');
    await client.job.deleteMethod('run-42');
    await eventually(async () => ((await client.job.list()).length === 0 ? true : undefined), 20_000, 'job deleted');
    await rejectsWith(client.job.get('run-42'), 404, 'JobNotFound');
  });

  it('rejects a wrong Shared Key with 403 AuthenticationFailed and answers OData error bodies', async () => {
    const wrongKey = Buffer.alloc(64, 7).toString('base64');
    const bad = new BatchServiceClient(new BatchSharedKeyCredentials(emu.seed.batchAccountName, wrongKey), emu.urls.batch);
    await rejectsWith(bad.job.list(), 403, 'AuthenticationFailed');
    await assert.rejects(client.job.get('missing'), (err: BatchRestError) => {
      assert.equal(err.statusCode, 404);
      assert.match(err.body?.message?.value ?? '', /^The specified job does not exist\.\nRequestId:[0-9a-f-]{36}\nTime:\d{4}-/);
      return true;
    });
  });

  it('accepts an AAD token for https://batch.core.windows.net and refuses one for another audience', async () => {
    const credential = new ClientSecretCredential(emu.seed.tenantId, emu.seed.clientId, emu.seed.clientSecret, {
      authorityHost: emu.urls.entra,
      disableInstanceDiscovery: true,
    });
    const bearer = (token: string) => ({
      signRequest: async <T extends { headers: { set(name: string, value: string): void } }>(request: T) => {
        request.headers.set('authorization', `Bearer ${token}`);
        return request;
      },
    });
    const batchToken = (await credential.getToken('https://batch.core.windows.net//.default')).token;
    const aad = new BatchServiceClient(bearer(batchToken), emu.urls.batch);
    assert.equal((await aad.pool.get(emu.seed.batchPoolId)).id, emu.seed.batchPoolId);
    const armToken = (await credential.getToken('https://management.azure.com/.default')).token;
    await rejectsWith(new BatchServiceClient(bearer(armToken), emu.urls.batch).pool.get(emu.seed.batchPoolId), 401, 'AuthenticationFailed');
  });

  it('accepts only its own cloud\'s Batch audience (seed batchResource), which the product derives from the connection\'s environment', async () => {
    const credential = new ClientSecretCredential(emu.seed.tenantId, emu.seed.clientId, emu.seed.clientSecret, { authorityHost: emu.urls.entra, disableInstanceDiscovery: true });
    const connection = { environment: 'AzureUSGovernment', input: 'azureSubscription' } as AzureConnection;
    const params: BatchParams = { kind: 'batch', accountUrl: emu.urls.batch, poolId: emu.seed.batchPoolId, jobId: 'gov', auth: { kind: 'azureServiceConnection' } };
    emu.ctx.seed.batchResource = 'https://batch.core.usgovcloudapi.net/';
    try {
      const publicToken = (await credential.getToken('https://batch.core.windows.net//.default')).token;
      await rejectsWith(new BatchServiceClient({ signRequest: async (r) => (r.headers.set('authorization', `Bearer ${publicToken}`), r) }, emu.urls.batch)
        .pool.get(emu.seed.batchPoolId), 401, 'AuthenticationFailed');
      const provider = createProvider(params, { connection, credential, proxy: () => undefined });
      await provider.prepare();
      assert.ok(emu.ctx.store.batchJobs.some((j) => j.id === 'gov'), 'the product got in with the US Government audience');
    } finally {
      delete emu.ctx.seed.batchResource;
    }
  });

  it('runs a container task with an empty command line through the image entrypoint: active, running, completed', async () => {
    await client.job.add({
      id: 'job1',
      poolInfo: { poolId: emu.seed.batchPoolId },
      commonEnvironmentSettings: [{ name: 'AZP_POOL', value: 'Ephemeral' }, { name: 'SIMULATED_EXIT_CODE', value: '1' }],
    });
    await client.task.add('job1', containerTask('agent-1', { SIMULATED_RUN_MS: '150', SIMULATED_EXIT_CODE: '0' }));
    await rejectsWith(client.task.add('job1', containerTask('AGENT-1')), 409, 'TaskExists');
    await eventually(async () => ((await client.task.get('job1', 'agent-1')).state === 'running' ? true : undefined), 20_000, 'running');
    const started = emu.runner.started.at(-1)!;
    assert.equal(started.options.command, undefined, 'the entrypoint runs');
    assert.equal(started.options.env.AZP_POOL, 'Ephemeral', 'job settings reach the task');
    assert.equal(started.options.env.SIMULATED_EXIT_CODE, '0', 'task settings win over job settings');

    const done = await eventually(async () => {
      const task = await client.task.get('job1', 'agent-1');
      return task.state === 'completed' ? task : undefined;
    }, 3000, 'completed');
    assert.equal(done.executionInfo?.exitCode, 0);
    assert.equal(done.executionInfo?.result, 'success');
    assert.ok(done.executionInfo?.startTime instanceof Date && done.executionInfo.endTime instanceof Date);
    assert.equal(done.previousState, 'running');

    await client.task.add('job1', containerTask('agent-2', { SIMULATED_RUN_MS: '50', SIMULATED_EXIT_CODE: '3' }));
    const failed = await eventually(async () => {
      const task = await client.task.get('job1', 'agent-2');
      return task.state === 'completed' ? task : undefined;
    }, 3000, 'failed');
    assert.equal(failed.executionInfo?.exitCode, 3);
    assert.equal(failed.executionInfo?.result, 'failure');
    assert.equal(failed.executionInfo?.failureInfo?.category, 'usererror');

    await client.task.add('job1', containerTask('agent-3'));
    await eventually(async () => ((await client.task.get('job1', 'agent-3')).state === 'running' ? true : undefined), 20_000, 'running');
    await client.task.terminate('job1', 'agent-3');
    const ended = await client.task.get('job1', 'agent-3');
    assert.equal(ended.state, 'completed');
    assert.equal(ended.executionInfo?.exitCode, 143);
    assert.deepEqual((await client.task.list('job1', { taskListOptions: { filter: "state eq 'completed'" } })).map((t) => t.id).sort(), ['agent-1', 'agent-2', 'agent-3']);
    await client.task.deleteMethod('job1', 'agent-3');
    await rejectsWith(client.task.get('job1', 'agent-3'), 404, 'TaskNotFound');
  });

  it('runs a container task as root only for a pool-scope admin auto-user; fails a nonadmin one on a Windows pool', async () => {
    await client.job.add({ id: 'users', poolInfo: { poolId: emu.seed.batchPoolId } });
    const identities: Record<string, BatchServiceModels.UserIdentity | undefined> = {
      'pool-admin': { autoUser: { scope: 'pool', elevationLevel: 'admin' } },
      'task-admin': { autoUser: { scope: 'task', elevationLevel: 'admin' } },
      'task-nonadmin': { autoUser: { scope: 'task', elevationLevel: 'nonadmin' } },
      default: undefined,
    };
    for (const [id, userIdentity] of Object.entries(identities)) await client.task.add('users', { ...containerTask(id), userIdentity });
    await eventually(async () => (emu.runner.started.length === 4 ? true : undefined), 3000, 'all started');
    const users = Object.fromEntries(emu.runner.started.map((c) => [c.options.label.split('/')[1], c.options.user]));
    assert.deepEqual(users, { 'pool-admin': 'root', 'task-admin': 'unprivileged', 'task-nonadmin': 'unprivileged', default: 'unprivileged' });

    emu.ctx.store.batchPools[0].extra.virtualMachineConfiguration = { nodeAgentSKUId: 'batch.node.windows amd64' };
    await client.task.add('users', { ...containerTask('win-nonadmin'), userIdentity: { autoUser: { scope: 'task', elevationLevel: 'nonadmin' } } });
    const failed = await eventually(async () => {
      const task = await client.task.get('users', 'win-nonadmin');
      return task.state === 'completed' ? task : undefined;
    }, 3000, 'completed');
    assert.equal(failed.executionInfo?.result, 'failure');
    assert.equal(failed.executionInfo?.failureInfo?.category, 'usererror');
    assert.equal(emu.runner.started.length, 4, 'the Windows nonadmin task never started');
    await client.task.add('users', { ...containerTask('win-admin'), userIdentity: { autoUser: { scope: 'pool', elevationLevel: 'admin' } } });
    await eventually(async () => (emu.runner.started.length === 5 ? true : undefined), 3000, 'the admin task starts');
  });

  it('starts a task only on a free slot (nodes x taskSlotsPerNode); new nodes take batchNodeAllocationMs', async () => {
    const pool = emu.ctx.store.batchPools[0];
    pool.extra.taskSlotsPerNode = 2;
    await client.job.add({ id: 'cap', poolInfo: { poolId: emu.seed.batchPoolId } });
    for (const id of ['t1', 't2', 't3']) await client.task.add('cap', containerTask(id));
    const state = async (id: string) => (await client.task.get('cap', id)).state;
    await eventually(async () => (emu.runner.started.length === 2 ? true : undefined), 3000, 'two started');
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(emu.runner.started.length, 2, 'one node with two slots runs two tasks');
    assert.equal(await state('t3'), 'active');
    emu.runner.started[0].exit(0);
    await eventually(async () => ((await state('t3')) === 'running' ? true : undefined), 3000, 't3 takes the freed slot');

    emu.ctx.options.batchNodeAllocationMs = 800;
    try {
      for (const id of ['t4', 't5']) await client.task.add('cap', containerTask(id));
      pool.targetDedicatedNodes = 2;
      const resizing = await client.pool.get(emu.seed.batchPoolId);
      assert.equal(resizing.allocationState, 'resizing');
      assert.equal(resizing.currentDedicatedNodes, 1);
      assert.equal(await state('t4'), 'active', 'waits while the new node allocates');
      await eventually(async () => ((await state('t4')) === 'running' && (await state('t5')) === 'running' ? true : undefined), 5000, 'the new node runs both');
      const steady = await client.pool.get(emu.seed.batchPoolId);
      assert.equal(steady.allocationState, 'steady');
      assert.equal(steady.currentDedicatedNodes, 2);
    } finally {
      emu.ctx.options.batchNodeAllocationMs = 0;
    }
  });

  it('leaves the tasks of a job on a pool that does not exist active', async () => {
    await client.job.add({ id: 'orphan', poolInfo: { poolId: 'no-such-pool' } });
    await client.task.add('orphan', containerTask('t1'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const task = await client.task.get('orphan', 't1');
    assert.equal(task.state, 'active');
    assert.deepEqual(task.executionInfo, { retryCount: 0, requeueCount: 0 });
    assert.equal(emu.runner.started.length, 0);
  });

  it('adds a task collection of up to 100 with a status per task', async () => {
    await client.job.add({ id: 'bulk', poolInfo: { poolId: 'not-yet' } });
    await client.task.add('bulk', containerTask('dup'));
    const result = await client.task.addCollection('bulk', [containerTask('a'), containerTask('DUP'), containerTask('b'), { id: 'bad id!', commandLine: '' }]);
    assert.deepEqual(result.value?.map((r) => [r.taskId, r.status, r.error?.code]), [
      ['a', 'success', undefined],
      ['DUP', 'clientError', 'TaskExists'],
      ['b', 'success', undefined],
      ['bad id!', 'clientError', 'InvalidPropertyValue'],
    ]);
    assert.match(result.value?.[0].location ?? '', /\/jobs\/bulk\/tasks\/a$/);
    // The SDK refuses more than 100 itself; the service does too, for other clients.
    const credential = new ClientSecretCredential(emu.seed.tenantId, emu.seed.clientId, emu.seed.clientSecret, {
      authorityHost: emu.urls.entra,
      disableInstanceDiscovery: true,
    });
    const token = (await credential.getToken('https://batch.core.windows.net//.default')).token;
    const tooMany = Array.from({ length: 101 }, (_, i) => containerTask(`t${i}`));
    const res = await fetch(`${emu.urls.batch.replace(/\/$/, '')}/jobs/bulk/addtaskcollection?api-version=2022-10-01.16.0`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json; odata=minimalmetadata' },
      body: JSON.stringify({ value: tooMany }),
    });
    assert.equal(res.status, 413);
    assert.equal(((await res.json()) as { code: string }).code, 'RequestBodyTooLarge');
  });

  it('enables, evaluates and disables autoscale as the service allows', async () => {
    const poolId = emu.seed.batchPoolId;
    await rejectsWith(client.pool.evaluateAutoScale(poolId, '$TargetDedicatedNodes=2;'), 409, 'AutoScalingNotEnabledForPool');
    await rejectsWith(client.pool.enableAutoScale(poolId, { autoScaleFormula: '$TargetDedicatedNodes=1;', autoScaleEvaluationInterval: 'PT1M' }), 400, 'InvalidPropertyValue');
    await client.pool.enableAutoScale(poolId, { autoScaleFormula: '$TargetDedicatedNodes=2;', autoScaleEvaluationInterval: 'PT5M' });
    const pool = await client.pool.get(poolId);
    assert.equal(pool.enableAutoScale, true);
    assert.equal(pool.autoScaleFormula, '$TargetDedicatedNodes=2;');
    assert.equal(pool.autoScaleEvaluationInterval, 'PT5M');
    assert.equal(pool.targetDedicatedNodes, 2);
    // The service answers 503 TooManyEnableAutoScaleRequests; ms-rest-js would retry a 503, so ask once.
    const once = new BatchServiceClient(new BatchSharedKeyCredentials(emu.seed.batchAccountName, emu.seed.batchAccountKey), emu.urls.batch, { noRetryPolicy: true });
    await rejectsWith(once.pool.enableAutoScale(poolId, { autoScaleFormula: '$TargetDedicatedNodes=3;' }), 503, 'TooManyEnableAutoScaleRequests');
    const run = await client.pool.evaluateAutoScale(poolId, '$TargetDedicatedNodes = max(0, $PendingTasks.GetSample(1));');
    assert.match(run.results ?? '', /^\$TargetDedicatedNodes=0;\$TargetLowPriorityNodes=0;\$NodeDeallocationOption=requeue/);
    await client.pool.disableAutoScale(poolId);
    assert.equal((await client.pool.get(poolId)).enableAutoScale, false);
    await rejectsWith(client.pool.get('nope'), 404, 'PoolNotFound');
  });
});
