// e2e, day one: a Batch request followed by WaitForAgent that names only the pool and the service
// connection. The agent hands WaitForAgent its input defaults (provider `aci`, job
// `ephemeral-agents`), yet it must look where RequestEphemeralAgent put the agents (the job variables
// Request sets), find the Batch tasks and see the agents online, never calling a container "ended".
import assert from 'node:assert/strict';
import { type FlowSpec, providerInputs, release } from './flows';
import { assertSucceeded, leftovers, World } from './harness';

describe('e2e: WaitForAgent learns where RequestEphemeralAgent put the agents', function () {
  this.timeout(150_000);
  let world: World;

  before(async () => {
    world = await World.start();
  });
  after(async () => world?.stop());

  it('after a Batch request, WaitForAgent with its default provider input waits on the Batch tasks and sees the agents online', async () => {
    const spec: FlowSpec = { provider: 'batch', auth: 'secret', registration: 'azureServiceConnection', batchAuth: 'azureServiceConnection' };
    const run = world.run();
    const job = run.job('provision');
    const { inputs } = providerInputs(world, spec);
    const request = await job.step('RequestEphemeralAgent', { ...inputs, registration: 'azureServiceConnection', agentPool: world.seed.agentPool, image: world.seed.image, count: '2' },
      { name: 'eph' });
    assertSucceeded(request, 'RequestEphemeralAgent');
    assert.equal(request.variables.provider?.value, 'batch');
    assert.equal(request.variables.provider?.isOutput, true);
    assert.equal(request.variables.batchAccountUrl?.value, world.info.batch);
    assert.equal(request.variables.batchJobId?.value, 'ephemeral-agents');
    assert.equal(request.variables['EphemeralAgents.Provider']?.value, 'batch');

    // What the agent passes for `- task: WaitForAgent@1  inputs: { agentPool, azureSubscription }`: every default filled in.
    const wait = await job.step('WaitForAgent', {
      agentPool: world.seed.agentPool, azureSubscription: inputs.azureSubscription, provider: 'aci', batchJobId: 'ephemeral-agents',
      batchAuthentication: 'azureServiceConnection', timeoutMinutes: '2',
    });
    assertSucceeded(wait, 'WaitForAgent');
    assert.match(wait.message, /All 2 agent\(s\) are online/);
    const state = await world.state();
    const waitedOnBatch = state.requests.some((r) => r.service === 'batch' && r.method === 'GET' && r.path.includes(`/tasks/eph-${run.buildId}-`));
    assert.ok(waitedOnBatch, 'WaitForAgent read the Batch tasks');
    assert.equal(state.requests.filter((r) => r.service === 'arm' && r.path.includes(`eph-${run.buildId}-`)).length, 0, 'and never looked for container groups');

    const released = await release(world, run, spec);
    assertSucceeded(released, 'ReleaseEphemeralAgent');
    assert.deepEqual(leftovers(await world.state(), run.buildId), []);
  });

  it('with the agents named explicitly, WaitForAgent still waits where Request put them; in another job it learns the place from the registrations', async () => {
    const spec: FlowSpec = { provider: 'batch', auth: 'secret', registration: 'azureServiceConnection', batchAuth: 'azureServiceConnection' };
    const run = world.run();
    const job = run.job('provision');
    const { inputs } = providerInputs(world, spec);
    const request = await job.step('RequestEphemeralAgent', { ...inputs, registration: 'azureServiceConnection', agentPool: world.seed.agentPool, image: world.seed.image, count: '2' },
      { name: 'eph' });
    assertSucceeded(request, 'RequestEphemeralAgent');
    const agentNames = request.variables.agentNames?.value ?? '';
    const defaults = { agentPool: world.seed.agentPool, agentNames, azureSubscription: inputs.azureSubscription, provider: 'aci', resourceGroup: world.seed.resourceGroup,
      batchJobId: 'ephemeral-agents', batchAuthentication: 'azureServiceConnection', timeoutMinutes: '2' };
    const isOurGroup = (path: string) => path.includes(`/containerGroups/eph-${run.buildId}-`);

    const sameJob = await job.step('WaitForAgent', defaults);
    assertSucceeded(sameJob, 'WaitForAgent');
    const afterSameJob = await world.state();
    assert.ok(afterSameJob.requests.some((r) => r.service === 'batch' && r.method === 'GET' && r.path.includes(`/tasks/eph-${run.buildId}-`)), 'WaitForAgent read the Batch tasks');
    assert.equal(afterSameJob.requests.filter((r) => r.service === 'arm' && isOurGroup(r.path)).length, 0, 'and never looked for container groups');

    // Another job has no record of the placement: the registrations' EPHEMERAL_RESOURCE tells the provider apart.
    const otherJob = await run.job('consume').step('WaitForAgent', defaults);
    assertSucceeded(otherJob, 'WaitForAgent');
    assert.match(otherJob.message, /All 2 agent\(s\) are online/);

    const released = await release(world, run, spec);
    assertSucceeded(released, 'ReleaseEphemeralAgent');
    assert.deepEqual(leftovers(await world.state(), run.buildId), []);
  });
});
