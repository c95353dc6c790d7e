// The unbundled tasks run as the pipeline agent runs them (a Node process per step, task-lib reading
// INPUT_*/ENDPOINT_* and parsing ##vso commands) against the emulator: the real TaskLibIO adapter,
// outputs passed between steps, cancellation cleaning up what the task created.
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type Emulator, startEmulator } from '../../emulator/src/index';
import { CONNECTION_IDS, PipelineRun } from '../../emulator/src/pipeline-run';

const TASKS = ['RequestEphemeralAgentV1', 'WaitForAgentV1', 'ReleaseEphemeralAgentV1'];

interface State {
  containerGroups: Array<{ name: string; tags: Record<string, string> }>;
  agents: Array<{ name: string }>;
  secretsSeen: unknown[];
}

describe('tasks run as the pipeline agent runs them (unbundled)', function () {
  this.timeout(90_000);
  let emu: Emulator;
  let tasksDir: string;

  before(async () => {
    emu = await startEmulator({ log: () => undefined });
    // PipelineRun expects <dir>/<Task>/index.js; the tsc output lives in build/tasks/<Task>/src.
    tasksDir = mkdtempSync(path.join(os.tmpdir(), 'unbundled-tasks-'));
    for (const task of TASKS) {
      mkdirSync(path.join(tasksDir, task));
      symlinkSync(path.resolve(__dirname, '..', '..', 'tasks', task, 'src', 'index.js'), path.join(tasksDir, task, 'index.js'));
    }
  });
  after(async () => {
    await emu?.stop();
    rmSync(tasksDir, { recursive: true, force: true });
  });

  async function state(): Promise<State> {
    return (await (await fetch(`${emu.urls.control}/state`)).json()) as State;
  }

  it('request, wait and release pass names between steps and leave nothing behind', async () => {
    const run = new PipelineRun(emu.readyInfo(), { tasksDir });
    const job = run.job('provision');
    const common = { agentPool: emu.seed.agentPool, azureSubscription: CONNECTION_IDS.secret, resourceGroup: emu.seed.resourceGroup };
    const request = await job.step('RequestEphemeralAgent', { ...common, image: emu.seed.image, count: '2' }, { name: 'eph' });
    assert.equal(request.result, 'Succeeded', request.log);
    assert.equal(request.variables.agentNames.isOutput, true);
    assert.equal(request.variables.demand.value, `EPHEMERAL_RUN -equals ${run.buildId}`);
    assert.ok(request.summaries.length === 1);
    const wait = await job.step('WaitForAgent', { ...common, timeoutMinutes: '1' });
    assert.equal(wait.result, 'Succeeded', wait.log);
    assert.match(wait.log, /is online after/);
    const release = await run.job('release').step('ReleaseEphemeralAgent', { agentPool: emu.seed.agentPool, azureSubscription: CONNECTION_IDS.secret });
    assert.equal(release.result, 'Succeeded', release.log);
    const after = await state();
    assert.deepEqual(after.containerGroups.filter((g) => g.tags?.run === String(run.buildId)), []);
    assert.deepEqual(after.agents, []);
    assert.deepEqual(after.secretsSeen, []);
    for (const outcome of [request, wait, release]) {
      assert.ok(!outcome.log.includes(emu.seed.clientSecret), 'the client secret never reaches the log');
    }
  });

  it('a cancelled request removes what it created', async () => {
    await fetch(`${emu.urls.control}/faults`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ service: 'arm', method: 'GET', path: 'operations', latencyMs: 4000, count: 10 }),
    });
    const run = new PipelineRun(emu.readyInfo(), { tasksDir });
    // Cancelled (SIGINT, as the agent does) once its first container group exists, however long the
    // unbundled task took to get there.
    const cancel = new AbortController();
    const step = run.job('provision').step('RequestEphemeralAgent', {
      agentPool: emu.seed.agentPool, azureSubscription: CONNECTION_IDS.secret, resourceGroup: emu.seed.resourceGroup, image: emu.seed.image, count: '2',
    }, { cancelSignal: cancel.signal });
    let cancelledAt = 0;
    void step.finally(() => cancel.abort());
    while (!cancel.signal.aborted) {
      if ((await state()).containerGroups.some((g) => g.tags?.run === String(run.buildId))) {
        cancelledAt = Date.now();
        cancel.abort();
      } else {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    const request = await step;
    assert.ok(cancelledAt > 0, `the task ended before creating anything: ${request.log}`);
    assert.notEqual(request.result, 'Succeeded', request.log);
    assert.match(request.log, /Removing \d agent\(s\) created by this task/);
    assert.match(request.message, /cancelled/i);
    // Generous for a loaded machine (not a speed test); the result and the log above say the cancel ended it.
    assert.ok(Date.now() - cancelledAt < 30_000, `cleanup took ${Date.now() - cancelledAt} ms after the cancel`);
    const after = await state();
    assert.deepEqual(after.containerGroups.filter((g) => g.tags?.run === String(run.buildId)), [], request.log);
  });
});
