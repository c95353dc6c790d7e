// ScaleAgentPool@1, the bundle, as a long-running job: one run with durationMinutes keeps reconciling,
// so jobs queued while it runs are served by agents a later pass of the same run provisions.
import assert from 'node:assert/strict';
import { outputOf, ScaleWorld, taskLines } from './scale-support';

describe('ScaleAgentPool over several passes in one run', function () {
  this.timeout(150_000);
  let world: ScaleWorld;

  before(async () => {
    world = await ScaleWorld.start();
  });
  after(async () => {
    await world?.stop();
  });

  it('queue mode: jobs queued during the run are served by agents a later pass provisions, until the time is up', async () => {
    const inputs = { ...world.aci('lr'), mode: 'queue', minAgents: '0', maxAgents: '3', scaleInDelayMinutes: '0', durationMinutes: '0.5', intervalSeconds: '2' };
    const started = Date.now();
    const running = world.scale(inputs);
    // The first pass registers the template (only then can a job wait instead of failing at once), then
    // reads an empty queue: the jobs below are for a later pass.
    await world.until((st) => st.agents.some((a) => a.name === 'tpl-lr') &&
      st.requests.some((r) => r.service === 'devops' && r.path.endsWith('/jobrequests')), 'the first pass past its queue read');
    const jobs = [await world.queue([], 500), await world.queue([], 500)];
    for (const job of jobs) assert.equal(job.result, undefined, 'the job waits');
    const ids = new Set(jobs.map((j) => j.requestId));
    const served = await world.until((st) => st.jobRequests.filter((j) => ids.has(j.requestId) && j.result === 'succeeded').length === 2, 'both jobs served during the run');
    assert.ok(served.agents.filter((a) => a.name.startsWith('lr-')).length >= 1, 'served by this pool\'s agents');

    const out = await running;
    const elapsed = Date.now() - started;
    assert.equal(out.result, 'Succeeded', out.log);
    // 0.5 min: the run ends when the next pass would start after the time is up (2 s apart), not before;
    // the upper bound only says it ended (a loaded machine makes passes slow, so their number varies).
    assert.ok(elapsed >= 28_000 && elapsed < 120_000, `ran ${elapsed} ms`);
    const passes = taskLines(out).filter((l) => /Pass \d+: waiting=\d+ busy=\d+ idle=\d+ starting=\d+ freeParallel=\d+ target=\d+ action=/.test(l));
    assert.ok(passes.length >= 3, passes.join('\n'));
    assert.match(passes[0], /Pass 1: waiting=0 .*target=0 /);
    assert.ok(passes.some((l) => /waiting=2 busy=0 idle=0 starting=0 .*target=2 action=create 2/.test(l)), passes.join('\n'));
    assert.equal(outputOf(out, 'provisioned'), '2', out.log);
    assert.equal(outputOf(out, 'desired'), '0', 'the queue is empty again at the last pass');
    // Single-use agents that ran their job are cleaned up by a later pass of the same run.
    assert.equal(outputOf(out, 'removed'), '2', out.log);
    const after = await world.state();
    assert.deepEqual(after.agents.map((a) => a.name), ['tpl-lr']);
    assert.deepEqual(after.containerGroups, []);
  });
});
