// ScaleAgentPool@1, the bundle, against the emulator: fixed and queue modes, the template
// registration, the sweeper, concurrent runs, the 200-request page limit and Batch autoscale.
import assert from 'node:assert/strict';
import { queueJob } from '../../emulator/src/devops/queue';
import type { AgentRecord } from '../../emulator/src/store';
import { outputOf, ScaleWorld, taskLines } from './scale-support';

describe('ScaleAgentPool against the emulator', function () {
  // Generous: a loaded machine starts the emulated agents slowly.
  this.timeout(180_000);
  let world: ScaleWorld;

  before(async () => {
    world = await ScaleWorld.start();
  });
  after(async () => {
    await world?.stop();
  });
  afterEach(async () => {
    await world.reset();
  });

  const running = (s: Awaited<ReturnType<ScaleWorld['state']>>, prefix: string) =>
    s.containerGroups.filter((g) => g.name.startsWith(`${prefix}-`) && g.containers[0]?.state === 'Running').map((g) => g.name).sort();

  it('fixed mode: up to 3 standby agents, a slot recreated after its job, down to 1, then to zero', async () => {
    const up = await world.scale({ ...world.aci('fx'), mode: 'fixed', desiredCount: '3' });
    assert.equal(up.result, 'Succeeded', up.log);
    assert.equal(outputOf(up, 'provisioned'), '3');
    assert.equal(outputOf(up, 'desired'), '3');
    assert.ok(taskLines(up).some((l) => /waiting=.* busy=0 idle=0 starting=0 .*target=3 action=create 3/.test(l)), taskLines(up).join('\n'));
    let s = await world.until((st) => st.agents.filter((a) => a.status === 'online').length === 3, 'three agents online');
    assert.deepEqual(s.agents.map((a) => a.name).sort(), ['fx-0', 'fx-1', 'fx-2']);
    // Standby agents have no idle timeout, no EPHEMERAL_RUN, and say whose they are.
    const caps = s.agents[0].capabilities;
    assert.equal(caps.EPHEMERAL_AGENT, '1');
    assert.equal(caps.EPHEMERAL_SCALER, 'fx');
    assert.equal(caps.EPHEMERAL_RUN, undefined);

    const job = await world.queue();
    s = await world.until((st) => st.jobRequests.some((j) => j.requestId === job.requestId && j.result === 'succeeded') &&
      st.containerGroups.some((g) => g.containers[0]?.state === 'Terminated'), 'the job done and its container ended');
    const served = s.jobRequests.find((j) => j.requestId === job.requestId)?.agentName as string;
    const again = await world.scale({ ...world.aci('fx'), mode: 'fixed', desiredCount: '3' });
    assert.equal(outputOf(again, 'provisioned'), '1', again.log);
    assert.ok(taskLines(again).some((l) => /recreate 1/.test(l)));
    s = await world.until((st) => running(st, 'fx').length === 3 && st.agents.filter((a) => a.status === 'online').length === 3, 'the slot back');
    assert.equal(s.agents.filter((a) => a.name === served).length, 1, 'the name is kept, no duplicate registration');

    const down = await world.scale({ ...world.aci('fx'), mode: 'fixed', desiredCount: '1' });
    assert.equal(outputOf(down, 'removed'), '2', down.log);
    s = await world.state();
    assert.deepEqual(s.agents.map((a) => a.name), ['fx-0']);
    assert.deepEqual(s.containerGroups.map((g) => g.name), ['fx-0']);

    const zero = await world.scale({ ...world.aci('fx'), mode: 'fixed', desiredCount: '0' });
    assert.equal(outputOf(zero, 'removed'), '1', zero.log);
    s = await world.state();
    assert.deepEqual([s.agents.length, s.containerGroups.length], [0, 0]);
    assert.deepEqual(s.secretsSeen, []);
  });

  it('fixed mode never removes an agent running a job', async () => {
    await world.scale({ ...world.aci('fb'), mode: 'fixed', desiredCount: '2' });
    await world.until((st) => st.agents.filter((a) => a.status === 'online').length === 2, 'two agents online');
    // The job outlasts the scale-down pass even on a loaded machine.
    const job = await world.queue([], 60_000);
    const s = await world.until((st) => st.jobRequests.some((j) => j.requestId === job.requestId && j.agentName), 'the job assigned');
    const busy = s.jobRequests.find((j) => j.requestId === job.requestId)?.agentName as string;
    const zero = await world.scale({ ...world.aci('fb'), mode: 'fixed', desiredCount: '0' });
    assert.equal(outputOf(zero, 'removed'), '1', zero.log);
    const after = await world.state();
    assert.deepEqual(after.agents.map((a) => a.name), [busy]);
    assert.equal(after.jobRequests.find((j) => j.requestId === job.requestId)?.result, null, 'the job still runs');
  });

  it('Batch fixed mode adds its agents with one add-task-collection request and task ids <slot>-<generation>', async () => {
    const out = await world.scale({ ...world.batch('bx'), mode: 'fixed', desiredCount: '3', batchAutoscaleFormula: '$TargetDedicatedNodes = 3;' });
    assert.equal(out.result, 'Succeeded', out.log);
    const s = await world.until((st) => st.agents.filter((a) => a.status === 'online' && a.name.startsWith('bx-')).length === 3, 'three Batch agents online');
    assert.deepEqual(s.batchTasks.map((t) => t.id).sort(), ['bx-0-0', 'bx-1-0', 'bx-2-0']);
    assert.equal(s.requests.filter((r) => r.service === 'batch' && r.path.endsWith('/addtaskcollection')).length, 1);
    assert.equal(s.requests.filter((r) => r.service === 'batch' && r.method === 'POST' && /\/tasks$/.test(r.path)).length, 0);
    await world.scale({ ...world.batch('bx'), mode: 'fixed', desiredCount: '0', batchAutoscaleFormula: '$TargetDedicatedNodes = 3;' });
    const empty = await world.state();
    assert.deepEqual([empty.agents.length, empty.batchTasks.length], [0, 0]);
  });

  it('queue mode from zero: a job fails without the template, waits with it, and is served', async () => {
    const early = await world.queue();
    assert.equal(early.result, 'failed');
    const first = await world.scale({ ...world.aci('q'), mode: 'queue', minAgents: '0', maxAgents: '3', scaleInDelayMinutes: '0' });
    assert.equal(first.result, 'Succeeded', first.log);
    let s = await world.state();
    const template = s.agents.find((a) => a.name === 'tpl-q');
    assert.ok(template, 'template registered');
    assert.equal(template.enabled, false);
    assert.equal(template.capabilities.EPHEMERAL_TEMPLATE, '1');
    assert.equal(template.capabilities.EPHEMERAL_AGENT, '1');
    assert.match(template.capabilities.EPHEMERAL_TEMPLATE_HASH, /^[0-9a-f]{16}$/);
    assert.equal(s.containerGroups.length, 0, 'the configure-only container is gone');

    const job = await world.queue();
    assert.equal(job.result, undefined, 'the job waits');
    const second = await world.scale({ ...world.aci('q'), mode: 'queue', minAgents: '0', maxAgents: '3', scaleInDelayMinutes: '0' });
    assert.equal(outputOf(second, 'provisioned'), '1', second.log);
    assert.ok(taskLines(second).some((l) => /waiting=1 busy=0 idle=0 starting=0 freeParallel=40 target=1 action=create 1/.test(l)), taskLines(second).join('\n'));
    s = await world.until((st) => st.jobRequests.find((j) => j.requestId === job.requestId)?.result === 'succeeded', 'the job served');

    // The template is kept while the image and capabilities stay; a change recreates it.
    const changed = await world.scale({ ...world.aci('q'), mode: 'queue', minAgents: '0', maxAgents: '3', scaleInDelayMinutes: '0', capabilities: 'TOOL=x' });
    assert.ok(taskLines(changed).some((l) => l.includes("Template registration 'tpl-q' recreated")), changed.log);
    s = await world.state();
    assert.equal(s.agents.filter((a) => a.name === 'tpl-q').length, 1);
    assert.equal(s.agents.find((a) => a.name === 'tpl-q')?.capabilities.TOOL, 'x');
  });

  it('a burst of 30 queued jobs, then an empty queue', async function () {
    this.timeout(300_000);
    const inputs = { ...world.aci('b'), mode: 'queue', minAgents: '0', maxAgents: '30', scaleInDelayMinutes: '0' };
    await world.scale(inputs); // template
    // Jobs outlast the start of all 30 agents and the second pass, even on a loaded machine, so each
    // agent takes one job before any agent is done.
    const jobs = await Promise.all(Array.from({ length: 30 }, () => world.queue([], 40_000)));
    const out = await world.scale(inputs);
    assert.equal(outputOf(out, 'provisioned'), '30', out.log);
    assert.equal(outputOf(out, 'desired'), '30');
    // A second pass right away counts the starting agents as supply: nothing more is created.
    const again = await world.scale(inputs);
    assert.equal(outputOf(again, 'provisioned'), '0', again.log);
    const ids = new Set(jobs.map((j) => j.requestId));
    const s = await world.until((st) => st.jobRequests.filter((j) => ids.has(j.requestId) && j.result === 'succeeded').length === 30, 'all 30 jobs served', 180_000);
    // Single use per registration: a slot's next agent may take over a name (--replace), never a
    // registration that has run a job.
    const served = s.jobRequests.filter((j) => ids.has(j.requestId));
    assert.ok(served.every((j) => j.agentRegistration), JSON.stringify(served));
    assert.equal(new Set(served.map((j) => j.agentRegistration)).size, 30, `one job per agent: ${JSON.stringify(served.map((j) => [j.agentName, j.agentRegistration]))}`);
    await world.until((st) => st.containerGroups.every((g) => g.containers[0]?.state === 'Terminated'), 'single-use containers ended');
    const empty = await world.scale(inputs);
    assert.equal(outputOf(empty, 'desired'), '0', empty.log);
    assert.equal(outputOf(empty, 'removed'), '30');
    const after = await world.state();
    assert.deepEqual([after.containerGroups.length, after.agents.map((a) => a.name)], [0, ['tpl-b']]);
  });

  it('two concurrent runs never exceed the target', async () => {
    const inputs = { ...world.aci('cc'), mode: 'fixed', desiredCount: '4' };
    const [a, b] = await Promise.all([world.scale(inputs), world.scale(inputs)]);
    assert.equal(a.result, 'Succeeded', a.log);
    assert.equal(b.result, 'Succeeded', b.log);
    const s = await world.until((st) => st.agents.filter((x) => x.status === 'online').length === 4, 'four agents online');
    assert.deepEqual(s.containerGroups.map((g) => g.name).sort(), ['cc-0', 'cc-1', 'cc-2', 'cc-3']);
    assert.equal(s.agents.length, 4);

    await world.scale({ ...world.aci('cq'), mode: 'queue', maxAgents: '10', scaleInDelayMinutes: '0' }); // template
    for (let i = 0; i < 3; i++) await world.queue(['EPHEMERAL_SCALER -equals cq'], 5000);
    const queued = { ...world.aci('cq'), mode: 'queue', maxAgents: '10', scaleInDelayMinutes: '0' };
    const runs = await Promise.all([world.scale(queued), world.scale(queued)]);
    for (const r of runs) assert.equal(r.result, 'Succeeded', r.log);
    const after = await world.state();
    assert.equal(after.containerGroups.filter((g) => g.name.startsWith('cq-')).length, 3, JSON.stringify(after.containerGroups.map((g) => g.name)));
  });

  it('reads 300 waiting requests past the 200-request page', async () => {
    await world.scale({ ...world.aci('w'), mode: 'queue', maxAgents: '0' }); // template only
    for (let i = 0; i < 300; i++) queueJob(world.emu.ctx, { pool: world.seed.agentPool, demands: ['EPHEMERAL_SCALER -equals w'] });
    queueJob(world.emu.ctx, { pool: world.seed.agentPool, demands: ['EPHEMERAL_RUN -equals 5'] }); // RequestEphemeralAgent's, not counted
    const out = await world.scale({ ...world.aci('w'), mode: 'queue', maxAgents: '0' });
    assert.equal(out.result, 'Succeeded', out.log);
    assert.ok(taskLines(out).some((l) => /waiting=300 /.test(l)), taskLines(out).join('\n'));
    const s = await world.state();
    const pages = s.requests.filter((r) => r.service === 'devops' && r.path.endsWith('/jobrequests'));
    assert.equal(pages.length, 2, 'one listing per run');
    // completedRequestCount=0 alone, as KEDA sends it: never mixed with $top or a continuation token.
    for (const page of pages) assert.doesNotMatch(page.query, /continuationToken=|%24top=|\$top=/, page.query);
  });

  it('sweeps what the extension left behind and never touches foreign agents or templates', async () => {
    const old = new Date(Date.now() - 3_600_000).toISOString();
    const store = world.emu.ctx.store;
    const add = (name: string, caps: Record<string, string>, enabled = true): void => {
      store.agents.push({
        poolId: world.seed.agentPoolId, id: store.nextIds.agent++, name, version: '4.260.0', osDescription: 'Linux', enabled, status: 'offline',
        systemCapabilities: { 'Agent.Name': name, ...caps }, userCapabilities: {}, createdOn: old, statusChangedOn: old,
      } as AgentRecord);
    };
    // An agent of this organization, project and pool (ownership.ts), of another run.
    add('eph-77-abc123-0', {
      EPHEMERAL_AGENT: '1', EPHEMERAL_RUN: '77', EPHEMERAL_RUN_KIND: 'build', EPHEMERAL_POOL: world.seed.agentPool,
      EPHEMERAL_ORG: world.emu.urls.devops.replace(/\/+$/, ''), EPHEMERAL_PROJECT: world.seed.projectId,
    });
    // The same of another project: the organization's pool is shared, its agents are not ours to sweep.
    add('eph-78-abc123-0', {
      EPHEMERAL_AGENT: '1', EPHEMERAL_RUN: '78', EPHEMERAL_RUN_KIND: 'build', EPHEMERAL_POOL: world.seed.agentPool,
      EPHEMERAL_ORG: world.emu.urls.devops.replace(/\/+$/, ''), EPHEMERAL_PROJECT: 'another-project',
    });
    add('static-build-01', {});
    add('eph-look-alike', { EPHEMERAL_RUN: '78' });
    add('tpl-other', { EPHEMERAL_AGENT: '1', EPHEMERAL_TEMPLATE: '1' }, false);
    // A RequestEphemeralAgent agent that ran its job: its container terminated, its registration offline.
    const provision = await world.run.job('provision').step('RequestEphemeralAgent', { ...world.aci('eph'), idleTimeoutMinutes: '10' });
    assert.equal(provision.result, 'Succeeded', provision.log);
    await world.until((st) => st.agents.some((a) => a.name.startsWith('eph-') && a.status === 'online'), 'the requested agent online');
    const job = await world.queue([`EPHEMERAL_RUN -equals ${world.run.buildId}`]);
    await world.until((st) => st.jobRequests.find((j) => j.requestId === job.requestId)?.result === 'succeeded' &&
      st.containerGroups.every((g) => g.containers[0]?.state === 'Terminated'), 'the job done');

    const out = await world.scale({ ...world.aci('sw'), mode: 'fixed', desiredCount: '0' });
    assert.equal(out.result, 'Succeeded', out.log);
    assert.equal(outputOf(out, 'removed'), '2', out.log);
    const s = await world.state();
    assert.deepEqual(s.agents.map((a) => a.name).sort(), ['eph-78-abc123-0', 'eph-look-alike', 'static-build-01', 'tpl-other']);
    assert.equal(s.containerGroups.length, 0);
    const summary = out.summaries.join('\n');
    assert.match(summary, /eph-77-abc123-0 \| swept \| offline, its container\/task is gone/);
  });

  describe('Batch pool autoscale', () => {
    const pool = () => world.emu.ctx.store.batchPools[0];
    const inputs = (formula?: string) => ({ ...world.batch('as'), mode: 'fixed', desiredCount: '0', ...(formula ? { batchAutoscaleFormula: formula } : {}) });

    it('enables the default formula on a pool without autoscale', async () => {
      const out = await world.scale({ ...inputs(), batchMaxNodes: '4' });
      assert.equal(out.result, 'Succeeded', out.log);
      assert.equal(pool().enableAutoScale, true);
      assert.match(pool().autoScaleFormula ?? '', /\$PendingTasks/);
      assert.equal(pool().autoScaleEvaluationInterval, 'PT5M');
    });

    it('reports an invalid formula on a pool without autoscale', async () => {
      const out = await world.scale(inputs('$TargetDedicatedNodes = $NoSuchVariable * ;'));
      assert.equal(out.result, 'SucceededWithIssues', out.log);
      assert.match(out.message, /autoscale formula/i);
      assert.ok(out.issues.some((i) => i.type === 'warning' && /formula/i.test(i.message)));
    });

    it('on a pool with autoscale, keeps the working formula when the new one does not evaluate, and enables one that does', async () => {
      Object.assign(pool(), { enableAutoScale: true, autoScaleFormula: '$TargetDedicatedNodes = 1;', autoScaleEvaluationInterval: 'PT5M', lastEnableAutoScaleAt: undefined });
      const bad = await world.scale(inputs('$TargetDedicatedNodes = max(;'));
      assert.equal(bad.result, 'SucceededWithIssues', bad.log);
      assert.equal(pool().autoScaleFormula, '$TargetDedicatedNodes = 1;');
      const good = await world.scale(inputs('$TargetDedicatedNodes = 2;'));
      assert.equal(good.result, 'Succeeded', good.log);
      assert.equal(pool().autoScaleFormula, '$TargetDedicatedNodes = 2;');
    });
  });
});
