// e2e: nothing left behind, whatever the timing. A cancellation while creates are still in flight,
// a Release right after the request while agents still register, a short outage of the token
// service, a persistent ARM error (one retry layer, a bounded number of attempts), a Batch pool that
// does not exist, and an http Batch account URL (refused before any request). Each scenario has its
// own run and faults scoped to it, so they run side by side in one emulator.
import assert from 'node:assert/strict';
import type { TaskOutcome } from '../../emulator/src/pipeline-agent';
import { type FlowSpec, fullFlow, providerInputs, release } from './flows';
import { assertNoSecretIn, assertSucceeded, leftovers, sleep, type State, World, Scenarios } from './harness';

const aci: FlowSpec = { provider: 'aci', auth: 'secret', registration: 'azureServiceConnection' };

function puts(state: State, pathPart: string): number {
  return state.requests.filter((r) => r.service === 'arm' && r.method === 'PUT' && r.path.includes(pathPart)).length;
}

/** Waits until nothing of the run is left, or fails with what is. */
async function assertNothingLeft(world: World, runId: string | number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = leftovers(await world.state(), runId);
    if (left.length === 0) return;
    if (Date.now() > deadline) assert.deepEqual(left, [], 'left behind');
    await sleep(250);
  }
}

describe('e2e: nothing left behind, whatever the timing', function () {
  this.timeout(240_000);
  let world: World;
  const scenarios = new Scenarios();
  const start = scenarios.start.bind(scenarios);
  const result = <T>(name: string) => scenarios.result<T>(name);

  before(async () => {
    world = await World.start();
    const { seed } = world;

    start('cancelInFlight', async () => {
      const run = world.run();
      // The creates are slow to land: ARM holds each PUT 4 s before it takes effect.
      await world.fault({ service: 'arm', method: 'PUT', path: `containerGroups/eph-${run.buildId}-`, latencyMs: 4000, count: 3 });
      const job = run.job('provision');
      let sent = 0;
      const controller = new AbortController();
      const outcome = job.step('RequestEphemeralAgent', { ...providerInputs(world, aci).inputs, agentPool: seed.agentPool, image: seed.image, count: '3' }, {
        cancelSignal: controller.signal,
        onLine: (line) => {
          // Cancel as soon as the creates are under way.
          if (/Creating agents/.test(line) && ++sent === 1) setTimeout(() => controller.abort(), 1000);
        },
      });
      return { run, outcome: await outcome };
    });

    start('releaseWhileRegistering', async () => {
      const run = world.run();
      const job = run.job('provision');
      // The agents start 4 s after their containers run, and Release's deletes of the containers
      // take 8 s: the agents register while Release is under way, after it listed the registrations.
      const request = await job.step('RequestEphemeralAgent', {
        ...providerInputs(world, aci).inputs, agentPool: seed.agentPool, image: seed.image, count: '2', capabilities: 'EMULATOR_AGENT_START_DELAY_MS=4000',
      }, { name: 'eph' });
      await world.fault({ service: 'arm', method: 'DELETE', path: `containerGroups/eph-${run.buildId}-`, latencyMs: 8000, count: 2 });
      const released = await release(world, run, aci);
      return { run, request, released, state: await world.state() };
    });

    start('persistentArm500', async () => {
      const run = world.run();
      await world.fault({ service: 'arm', method: 'PUT', path: `containerGroups/eph-${run.buildId}-`, status: 500, count: 1000 });
      const outcome = await run.job('provision').step('RequestEphemeralAgent', {
        ...providerInputs(world, aci).inputs, agentPool: seed.agentPool, image: seed.image, count: '2',
      });
      return { run, outcome, state: await world.state() };
    });

    start('missingBatchPool', async () => {
      const run = world.run();
      const { inputs } = providerInputs(world, { provider: 'batch', auth: 'secret' });
      const outcome = await run.job('provision').step('RequestEphemeralAgent', {
        ...inputs, batchPoolId: 'no-such-pool', batchJobId: `job-${run.buildId}`, agentPool: seed.agentPool, image: seed.image,
      });
      return { run, outcome, state: await world.state() };
    });

    start('httpBatchUrl', async () => {
      const run = world.run();
      const { inputs } = providerInputs(world, { provider: 'batch', auth: 'secret' });
      const outcome = await run.job('provision').step('RequestEphemeralAgent', {
        ...inputs, batchAccountUrl: world.info.batch.replace(/^https:/, 'http:'), agentPool: seed.agentPool, image: seed.image,
        registration: 'pat', registrationToken: seed.pat, allowReadableTokenOnBatch: 'true',
      }, { secretVariables: { AgentPoolPat: seed.pat } });
      return { run, outcome, state: await world.state() };
    });
  });

  after(async () => {
    await world?.stop();
  });

  it('cancelling RequestEphemeralAgent while its creates are in flight waits for them and removes what they made', async () => {
    const { run, outcome } = await result<{ run: { buildId: number }; outcome: TaskOutcome }>('cancelInFlight');
    assert.notEqual(outcome.result, 'Succeeded', `${outcome.message}\n${outcome.log}`);
    await assertNothingLeft(world, run.buildId);
    // Give any create still in flight the time to land: none may appear afterwards.
    await sleep(5000);
    assert.deepEqual(leftovers(await world.state(), run.buildId), []);
  });

  it('Release right after the request, while the agents still register, deletes the registrations that come late', async () => {
    const { run, request, released } = await result<{ run: { buildId: number }; request: TaskOutcome; released: TaskOutcome; state: State }>('releaseWhileRegistering');
    assertSucceeded(request, 'request');
    assertSucceeded(released, 'release');
    assert.match(released.log, /registered late|Agent eph-\d+-\w+-\d: registration disabled and deleted/);
    await assertNothingLeft(world, run.buildId, 5000);
  });

  it('a short Entra outage (four 503s on the metadata document) is retried; the pipeline works and leaves nothing', async () => {
    // Armed once the other scenarios are done, so the outage hits this flow's first token request.
    await scenarios.settled();
    const run = world.run();
    const armedAt = new Date().toISOString();
    await world.fault({ service: 'entra', method: 'GET', status: 503, count: 4 });
    const flow = await fullFlow(world, aci, run);
    const entra = (flow.afterRelease as State).requests.filter((r) => r.service === 'entra');
    assert.equal(entra.filter((r) => r.status === 503 && r.time >= armedAt).length, 4, `the outage hit the flow: ${JSON.stringify(entra.map((r) => `${r.time} ${r.method} ${r.status}`))}`);
    for (const o of [flow.request, flow.wait, ...flow.releases]) assertSucceeded(o as TaskOutcome, 'step');
    assert.deepEqual(leftovers(flow.afterRelease as State, flow.run.buildId), []);
  });

  it('a 503 of the token service on a registration token minted after the first one is retried; the request succeeds and leaves nothing', async () => {
    await scenarios.settled();
    const run = world.run();
    const armedAt = new Date().toISOString();
    // The task's cached credential asks for two tokens (ARM, Azure DevOps) and the first create mints
    // its own: those pass; the next token request, a later create's registration token, fails once.
    // The metadata document of that create's fresh credential fails once too (MSAL would remember it).
    await world.fault({ service: 'entra', method: 'POST', count: 3 });
    await world.fault({ service: 'entra', method: 'POST', status: 503, count: 1 });
    await world.fault({ service: 'entra', method: 'GET', count: 2 });
    await world.fault({ service: 'entra', method: 'GET', status: 503, count: 1 });
    const flow = await fullFlow(world, { ...aci, count: 3 }, run);
    const entra = (flow.afterRelease as State).requests.filter((r) => r.service === 'entra' && r.time >= armedAt);
    const failed = entra.filter((r) => r.status === 503);
    assert.equal(failed.length, 2, `the faults hit the flow: ${JSON.stringify(entra.map((r) => `${r.time} ${r.method} ${r.status}`))}`);
    for (const o of [flow.request, flow.wait, ...flow.releases]) assertSucceeded(o as TaskOutcome, 'step');
    assert.equal(flow.afterWait?.agents.filter((a) => a.name.startsWith(`eph-${run.buildId}-`)).length, 3, 'every agent registered');
    assert.deepEqual(leftovers(flow.afterRelease as State, flow.run.buildId), []);
  });

  it('a persistent ARM 500 fails the request after a bounded number of PUTs (one retry layer), naming what is left: nothing', async () => {
    const { run, outcome, state } = await result<{ run: { buildId: number }; outcome: TaskOutcome; state: State }>('persistentArm500');
    assert.equal(outcome.result, 'Failed');
    assert.match(outcome.message, /so none were kept/);
    const count = puts(state, `containerGroups/eph-${run.buildId}-`);
    assert.ok(count >= 2 && count <= 12, `${count} PUTs for 2 agents (at most 6 attempts each)`);
    assert.deepEqual(leftovers(state, run.buildId), []);
  });

  it('a Batch pool that does not exist fails the request before any task is added, naming batchPoolId', async () => {
    const { run, outcome, state } = await result<{ run: { buildId: number }; outcome: TaskOutcome; state: State }>('missingBatchPool');
    assert.equal(outcome.result, 'Failed');
    assert.match(outcome.message, /batchPoolId/);
    assert.ok(!state.requests.some((r) => r.service === 'batch' && r.method === 'POST' && r.path.includes('/tasks')), 'no task was added');
    assert.ok(!state.batchJobs.some((j) => j.id === `job-${run.buildId}`), 'no job was created');
  });

  it('an http Batch account URL is refused before any request, naming batchAccountUrl; the PAT never leaves the task', async () => {
    const { outcome } = await result<{ outcome: TaskOutcome }>('httpBatchUrl');
    assert.equal(outcome.result, 'Failed');
    assert.match(outcome.message, /Input 'batchAccountUrl' must be an https URL/);
    assertNoSecretIn(outcome, [world.seed.pat], 'http Batch URL');
  });
});
