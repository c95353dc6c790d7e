// e2e: the bundled tasks under faults. Transient ones (429 with Retry-After, 5xx, connection resets)
// are retried and the pipeline still works; permanent ones (InaccessibleImage, unknown pool, bad
// credentials) end the task with a clear message and nothing left; a partial failure removes
// everything (registrations included); cancellation cleans up within 10 s; WaitForAgent explains
// a failed or late agent. Each scenario has its own run id and faults scoped to it where the path
// allows, so they run side by side in one emulator.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { TaskOutcome } from '../../emulator/src/pipeline-agent';
import { azureRmConnection } from '../../emulator/src/pipeline-run';
import { allOutcomes, type FlowSpec, fullFlow, provision, providerInputs, release, seedSecrets } from './flows';
import { assertNoSecretIn, assertSucceeded, leftovers, type State, World, Scenarios } from './harness';

function jobKey(jobId: string): string {
  return createHash('sha256').update(jobId.toLowerCase()).digest('hex').slice(0, 6);
}

function statuses(state: State, service: string, pathPart: string): number[] {
  return state.requests.filter((r) => r.service === service && r.path.includes(pathPart)).map((r) => r.status);
}

/** How long each container of the cancelled run takes to pull: the task is still waiting on them when cancelled. */
const PULL_MS = 60_000;

describe('e2e: the bundled tasks under faults', function () {
  this.timeout(150_000);
  let world: World;
  const scenarios = new Scenarios();
  const start = scenarios.start.bind(scenarios);
  const result = <T>(name: string) => scenarios.result<T>(name);

  before(async () => {
    world = await World.start();
    const { seed } = world;
    const aci: FlowSpec = { provider: 'aci', auth: 'secret', registration: 'azureServiceConnection' };

    start('transientAci', async () => {
      const run = world.run();
      const group = `containerGroups/eph-${run.buildId}-`;
      // Azure DevOps faults hit only calls the tasks make (agents never PATCH or DELETE registrations).
      await world.fault({ service: 'devops', method: 'PATCH', path: '/agents/', status: 429, retryAfter: 1, count: 2 });
      await world.fault({ service: 'arm', method: 'PUT', path: group, status: 429, retryAfter: 1, count: 1 });
      await world.fault({ service: 'arm', method: 'PUT', path: group, status: 500, count: 1 });
      await world.fault({ service: 'arm', method: 'DELETE', path: group, reset: true, count: 1 });
      await world.fault({ service: 'entra', method: 'POST', status: 503, count: 1 });
      return fullFlow(world, { ...aci, count: 2 }, run);
    });

    start('transientBatch', async () => {
      const run = world.run();
      const task = `/tasks/eph-${run.buildId}-`;
      await world.fault({ service: 'batch', method: 'GET', path: task, status: 503, count: 1 });
      await world.fault({ service: 'batch', method: 'DELETE', path: task, reset: true, count: 1 });
      await world.fault({ service: 'devops', method: 'DELETE', path: '/agents/', reset: true, count: 1 });
      return fullFlow(world, { provider: 'batch', auth: 'certificate', registration: 'azureServiceConnection', batchAuth: 'sharedKey' }, run);
    });

    start('inaccessibleImage', async () => {
      const run = world.run();
      const outcome = await provision(world, run, { ...aci, requestInputs: { image: 'docker.io/library/not-an-agent:1' } });
      return { run, outcome, state: await world.state() };
    });

    start('unknownPool', async () => {
      const run = world.run();
      const outcome = await run.job('provision').step('RequestEphemeralAgent', {
        ...providerInputs(world, aci).inputs, agentPool: 'NoSuchPool', image: seed.image,
      });
      return { run, outcome, state: await world.state() };
    });

    start('authenticationFailure', async () => {
      const run = world.run();
      const bad = azureRmConnection(world.info, 'secret');
      run.endpoints.push({ ...bad, id: 'arm-wrong-secret', parameters: { ...bad.parameters, serviceprincipalkey: 'Wr0ng8Q~secret-that-entra-refuses-000000' } });
      const outcome = await run.job('provision').step('RequestEphemeralAgent', {
        ...providerInputs(world, aci).inputs, azureSubscription: 'arm-wrong-secret', agentPool: seed.agentPool, image: seed.image,
      });
      return { run, outcome, state: await world.state() };
    });

    start('allOrNothing', async () => {
      const run = world.run();
      const job = run.job('provision');
      // The third agent's container fails late, when the first two have registered. Registering spawns
      // the fake agent, which takes seconds on a loaded 2-core machine, so the delay is generous; the
      // suite waits longer than this for its timeout scenario anyway.
      await world.fault({ service: 'arm', method: 'PUT', path: `containerGroups/eph-${run.buildId}-${jobKey(job.jobId)}-2`, status: 409, latencyMs: 20_000, count: 1 });
      const step = job.step('RequestEphemeralAgent', { ...providerInputs(world, aci).inputs, agentPool: seed.agentPool, image: seed.image, count: '3' });
      // Watch the pool while the task runs: which of its agents registered before the failure.
      const registered = new Map<string, number>();
      let finished = false;
      void step.finally(() => { finished = true; });
      while (!finished) {
        for (const a of (await world.state()).agents) if (a.name.startsWith(`eph-${run.buildId}-`)) registered.set(a.name, a.id);
        await new Promise((r) => setTimeout(r, 200));
      }
      return { run, outcome: await step, registered: [...registered.values()], state: await world.state() };
    });

    start('cancellation', async () => {
      const run = world.run();
      // Every container of this run takes long to pull; the task is cancelled (SIGINT, as the agent does)
      // once both container groups exist, however long it took to get there.
      const cancel = new AbortController();
      const step = run.job('provision').step('RequestEphemeralAgent', {
        ...providerInputs(world, aci).inputs, agentPool: seed.agentPool, image: seed.image, count: '2', capabilities: `EMULATOR_START_DELAY_MS=${PULL_MS}`,
      }, { cancelSignal: cancel.signal });
      void step.finally(() => cancel.abort());
      let cancelledAt = 0;
      while (!cancel.signal.aborted) {
        if ((await world.state()).containerGroups.filter((g) => g.tags.run === String(run.buildId)).length === 2) {
          cancelledAt = Date.now();
          cancel.abort();
        } else {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      const outcome = await step;
      return { run, outcome, cancelledAt, endedAt: Date.now(), state: await world.state() };
    });

    start('configFails', async () => {
      const run = world.run();
      const job = run.job('provision');
      const bogus = 'bogusPatValue7x2kq4mz9w3hr5tn8vb6cj1dl';
      const inputs = providerInputs(world, aci).inputs;
      const request = await job.step('RequestEphemeralAgent', {
        ...inputs, agentPool: seed.agentPool, image: seed.image, registration: 'pat', registrationToken: bogus, devopsAuthentication: 'systemAccessToken',
      }, { name: 'eph', secretVariables: { AgentPoolPat: bogus } });
      const wait = await job.step('WaitForAgent', { ...inputs, agentPool: seed.agentPool, timeoutMinutes: '5' });
      const released = await release(world, run, aci);
      return { run, bogus, request, wait, released, state: await world.state() };
    });

    start('timeout', async () => {
      const run = world.run();
      const job = run.job('provision');
      const inputs = providerInputs(world, aci).inputs;
      const request = await job.step('RequestEphemeralAgent', { ...inputs, agentPool: seed.agentPool, image: seed.image }, { name: 'eph' });
      // A disabled agent never counts as ready: WaitForAgent reaches its (shortest) timeout.
      const state = await world.state();
      const agentName = request.variables.agentNames?.value;
      for (let i = 0; i < 100 && !state.agents.some((a) => a.name === agentName); i++) {
        await new Promise((r) => setTimeout(r, 100));
        Object.assign(state, await world.state());
      }
      const agent = state.agents.find((a) => a.name === agentName);
      assert.ok(agent, 'the agent registered');
      const disable = () => fetch(`${world.info.devops}_apis/distributedtask/pools/${seed.agentPoolId}/agents/${agent.id}?api-version=7.1`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${seed.systemAccessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ id: agent.id, enabled: false }),
      });
      let response = await disable();
      // The throttling scenario's 429 rules may answer this call too: honour them like a client should.
      for (let i = 0; i < 5 && response.status === 429; i++) {
        await new Promise((r) => setTimeout(r, 1100));
        response = await disable();
      }
      assert.equal(response.status, 200);
      const wait = await job.step('WaitForAgent', { ...inputs, agentPool: seed.agentPool, timeoutMinutes: '1' });
      const released = await release(world, run, aci);
      return { run, request, wait, released, state: await world.state() };
    });
  });

  after(async () => {
    await world?.stop();
  });

  it('ACI: 429 with Retry-After (Azure DevOps, ARM), 5xx (ARM, Entra) and connection resets are retried; the pipeline still works', async () => {
    const r = await result<Awaited<ReturnType<typeof fullFlow>>>('transientAci');
    for (const o of allOutcomes(r)) assertSucceeded(o, 'step');
    assert.deepEqual(r.jobs?.map((j) => j.result), ['succeeded', 'succeeded']);
    const state = r.afterRelease as State;
    const group = `containerGroups/eph-${r.run.buildId}-`;
    assert.ok(statuses(state, 'arm', group).includes(429) && statuses(state, 'arm', group).includes(500), JSON.stringify(statuses(state, 'arm', group)));
    assert.ok(statuses(state, 'arm', group).includes(0), 'a reset connection');
    assert.ok(statuses(state, 'devops', '/agents/').includes(429), 'Azure DevOps throttled the release');
    assert.deepEqual(leftovers(state, r.run.buildId), []);
    for (const o of allOutcomes(r)) assertNoSecretIn(o, seedSecrets(world), 'transient ACI');
  });

  it('Batch: 503 and connection resets (Batch, Azure DevOps) are retried; the pipeline still works', async () => {
    const r = await result<Awaited<ReturnType<typeof fullFlow>>>('transientBatch');
    for (const o of allOutcomes(r)) assertSucceeded(o, 'step');
    const state = r.afterRelease as State;
    const task = `/tasks/eph-${r.run.buildId}-`;
    assert.ok(statuses(state, 'batch', task).includes(503) && statuses(state, 'batch', task).includes(0), JSON.stringify(statuses(state, 'batch', task)));
    assert.deepEqual(leftovers(state, r.run.buildId), []);
  });

  it('an image ACI cannot pull fails the request with InaccessibleImage and the inputs to check; nothing is left', async () => {
    const { run, outcome, state } = await result<{ run: { buildId: number }; outcome: { request: TaskOutcome }; state: State }>('inaccessibleImage');
    assert.equal(outcome.request.result, 'Failed');
    assert.match(outcome.request.message, /InaccessibleImage/);
    assert.match(outcome.request.message, /input 'image'/);
    assert.deepEqual(leftovers(state, run.buildId), []);
  });

  it('an unknown agent pool fails before anything is created, naming the pool', async () => {
    const { run, outcome, state } = await result<{ run: { buildId: number }; outcome: TaskOutcome; state: State }>('unknownPool');
    assert.equal(outcome.result, 'Failed');
    assert.match(outcome.message, /Agent pool 'NoSuchPool' was not found/);
    assert.equal(state.requests.filter((r) => r.service === 'arm' && r.method === 'PUT' && r.path.includes(`eph-${run.buildId}-`)).length, 0);
  });

  it('a service connection Entra refuses fails the task, naming the connection input; nothing is created', async () => {
    const { run, outcome, state } = await result<{ run: { buildId: number }; outcome: TaskOutcome; state: State }>('authenticationFailure');
    assert.equal(outcome.result, 'Failed');
    assert.match(outcome.message, /azureSubscription/);
    assert.match(outcome.message, /AADSTS|Authentication|invalid_client/i);
    assertNoSecretIn(outcome, ['Wr0ng8Q~secret-that-entra-refuses-000000'], 'authentication failure');
    assert.deepEqual(leftovers(state, run.buildId), []);
  });

  it('all or nothing: when one of three agents cannot be provisioned, every container and registration is removed', async () => {
    const { run, outcome, registered, state } = await result<{ run: { buildId: number }; outcome: TaskOutcome; registered: number[]; state: State }>('allOrNothing');
    assert.equal(outcome.result, 'Failed');
    assert.match(outcome.message, /could not be provisioned, so none were kept/);
    assert.equal(registered.length, 2, 'the first two agents registered before the third failed');
    for (const id of registered) {
      assert.ok(state.requests.some((r) => r.service === 'devops' && r.method === 'DELETE' && r.path.endsWith(`/agents/${id}`)), `registration ${id} was deleted`);
    }
    assert.deepEqual(leftovers(state, run.buildId), []);
  });

  it('cancellation (SIGINT) ends the request within 10 s and removes what it created', async () => {
    const { run, outcome, cancelledAt, endedAt, state } = await result<{ run: { buildId: number }; outcome: TaskOutcome; cancelledAt: number; endedAt: number; state: State }>('cancellation');
    assert.ok(cancelledAt > 0, `the task ended before its containers existed: ${outcome.log}`);
    assert.notEqual(outcome.result, 'Succeeded');
    // The cancel ended it, not the pulls: the bound is generous for a loaded machine, not a speed test.
    assert.ok(endedAt - cancelledAt < PULL_MS - 15_000, `ended ${endedAt - cancelledAt} ms after the cancel`);
    assert.match(outcome.log, /Removing 2 agent\(s\) created by this task/, 'the containers were being created when the task was cancelled');
    assert.deepEqual(leftovers(state, run.buildId), []);
  });

  it('WaitForAgent fails fast when the container exits (agent configuration failed, exit 78), with state, events and log; the token stays hidden', async () => {
    const r = await result<{ run: { buildId: number }; bogus: string; request: TaskOutcome; wait: TaskOutcome; released: TaskOutcome; state: State }>('configFails');
    assertSucceeded(r.request, 'RequestEphemeralAgent');
    assert.equal(r.wait.result, 'Failed');
    assert.ok(r.wait.durationMs < 60_000, `WaitForAgent took ${r.wait.durationMs} ms`);
    assert.match(r.wait.log, /exit code 78/);
    assert.match(r.wait.log, /Events:/);
    assert.match(r.wait.log, /agent configuration failed/);
    for (const o of [r.request, r.wait, r.released]) assertNoSecretIn(o, [r.bogus, ...seedSecrets(world)], 'config failure');
    assertSucceeded(r.released, 'release');
    assert.deepEqual(leftovers(r.state, r.run.buildId), []);
  });

  it('WaitForAgent times out with a diagnosis: container state, events and the end of its log', async () => {
    const r = await result<{ run: { buildId: number }; request: TaskOutcome; wait: TaskOutcome; released: TaskOutcome; state: State }>('timeout');
    assert.equal(r.wait.result, 'Failed');
    assert.match(r.wait.message, /did not come online within 1 minutes/);
    assert.match(r.wait.log, /running — /);
    assert.match(r.wait.log, /Events:/);
    assert.match(r.wait.log, /Last 30 log lines:/);
    assert.match(r.wait.log, /disabled/);
    for (const o of [r.request, r.wait, r.released]) assertNoSecretIn(o, seedSecrets(world), 'timeout');
    assertSucceeded(r.released, 'release');
    assert.deepEqual(leftovers(r.state, r.run.buildId), []);
  });

  it('no job saw a registration secret', async () => {
    await scenarios.settled();
    assert.deepEqual((await world.state()).secretsSeen, []);
  });
});
