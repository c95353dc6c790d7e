// e2e: single use holds against a hostile job. The job of the first request makes its agent exit
// with code 3 ("updated, run me again") once it has run, as a job that owned its agent could; the
// entrypoint must not start the agent again, so the second job of the same run finds no agent.
import assert from 'node:assert/strict';
import { type FlowSpec, provision, release } from './flows';
import { assertSucceeded, leftovers, sleep, type State, World } from './harness';

describe('e2e: single use against a hostile job', function () {
  this.timeout(120_000);
  let world: World;

  before(async () => {
    world = await World.start();
  });
  after(async () => {
    await world?.stop();
  });

  async function waitFor<T>(what: string, probe: (state: State) => T | undefined, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = probe(await world.state());
      if (found !== undefined) return found;
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}: ${JSON.stringify(await world.state())}`);
      await sleep(200);
    }
  }

  it('a single-use agent runs exactly one job even when the job tries to keep it', async () => {
    const spec: FlowSpec = { provider: 'aci', auth: 'secret', registration: 'azureServiceConnection' };
    const run = world.run();
    const { request, wait } = await provision(world, run, spec);
    assertSucceeded(request, 'RequestEphemeralAgent');
    assertSucceeded(wait!, 'WaitForAgent');
    const [agentName] = request.variables.agentNames.value.split(',');

    const demands = [`EPHEMERAL_RUN -equals ${run.buildId}`];
    const hostile = await world.control<{ requestId: number; result?: string }>('POST', 'jobs', {
      pool: world.seed.agentPool, demands, durationMs: 300, agentExitCode: 3,
    });
    assert.equal(hostile.result, undefined);
    await waitFor('the hostile job to finish', (s) => s.jobRequests.find((r) => r.requestId === hostile.requestId && r.result));
    // The next job of the run: the agent, were it started again, would take it.
    const next = await world.control<{ requestId: number; result?: string }>('POST', 'jobs', { pool: world.seed.agentPool, demands, durationMs: 300 });

    const container = await waitFor('the agent container to stop', (s) => {
      const group = s.containerGroups.find((g) => g.tags.run === String(run.buildId));
      const agent = group?.containers[0];
      return agent?.state === 'Terminated' ? agent : undefined;
    });
    assert.equal(container.exitCode, 3, 'the entrypoint exits with the agent\'s code instead of starting it again');
    const state = await world.state();
    const taken = state.jobRequests.filter((r) => r.agentName === agentName);
    assert.deepEqual(taken.map((r) => r.requestId), [hostile.requestId], 'the agent ran exactly one job');
    const second = state.jobRequests.find((r) => r.requestId === next.requestId);
    assert.equal(second?.agentName ?? null, null, 'the next job was not taken by the used agent');

    assertSucceeded(await release(world, run, spec), 'ReleaseEphemeralAgent');
    assert.deepEqual(leftovers(await world.state(), run.buildId), []);
  });
});
