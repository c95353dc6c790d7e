// batchContainerRunOptions reaches the Batch task's containerSettings.containerRunOptions, as the
// emulated Batch service records it; a multi-line value is refused before any call to Azure.
import assert from 'node:assert/strict';
import { runReleaseTask } from '../../../tasks/common/src/entry/release-task';
import { runRequestTask } from '../../../tasks/common/src/entry/request-task';
import { type Emulator, startEmulator } from '../../../emulator/src/index';
import { MemoryTaskIO } from '../fakes/memory-task-io';

interface State {
  batchTasks: Array<{ id: string; containerRunOptions: string | null }>;
  requests: Array<{ service: string }>;
}

describe('Batch container run options against the emulator', function () {
  this.timeout(60_000);
  let emu: Emulator;
  let runId = 7000;

  before(async () => {
    emu = await startEmulator({ log: () => undefined });
  });
  after(async () => {
    await emu?.stop();
  });
  afterEach(async () => {
    await emu.reset();
  });

  async function state(): Promise<State> {
    return (await (await fetch(`${emu.urls.control}/state`)).json()) as State;
  }

  function taskIO(inputs: Record<string, string>, run: number): MemoryTaskIO {
    return new MemoryTaskIO({
      agentPool: emu.seed.agentPool,
      provider: 'batch',
      batchAccountUrl: emu.urls.batch,
      batchAuthentication: 'sharedKey',
      batchAccountName: emu.seed.batchAccountName,
      batchAccountKey: emu.seed.batchAccountKey,
      devopsAuthentication: 'systemAccessToken',
      ...inputs,
    }, {
      'System.CollectionUri': emu.urls.devops,
      'System.TeamProjectId': emu.seed.projectId,
      'System.HostType': 'build',
      'System.PlanId': '11111111-0000-4000-8000-000000000001',
      'System.JobId': 'provision-job',
      'Build.BuildId': String(run),
    }, {
      SystemVssConnection: { url: emu.urls.devops, scheme: 'OAuth', parameters: { AccessToken: emu.seed.systemAccessToken } },
    });
  }

  it('passes the options to every agent task, and only to the tasks that were given them', async () => {
    const run = ++runId;
    const options = '-v /var/run/docker.sock:/var/run/docker.sock';
    const request = taskIO({ image: emu.seed.image, batchPoolId: emu.seed.batchPoolId, count: '2', registration: 'systemAccessToken',
      allowReadableTokenOnBatch: 'true', batchContainerRunOptions: options }, run);
    await runRequestTask(request);
    assert.ok(request.result?.result.startsWith('Succeeded'), `${request.result?.message}\n${request.lines().join('\n')}`);
    const names = (request.variables.get('EphemeralAgents.Names')?.value ?? '').split(',');
    const tasks = (await state()).batchTasks.filter((t) => names.includes(t.id));
    assert.equal(tasks.length, 2);
    for (const task of tasks) assert.equal(task.containerRunOptions, options);

    const plain = taskIO({ image: emu.seed.image, batchPoolId: emu.seed.batchPoolId, registration: 'systemAccessToken', allowReadableTokenOnBatch: 'true' }, run + 1);
    await runRequestTask(plain);
    const plainNames = (plain.variables.get('EphemeralAgents.Names')?.value ?? '').split(',');
    assert.deepEqual((await state()).batchTasks.filter((t) => plainNames.includes(t.id)).map((t) => t.containerRunOptions), [null]);

    for (const r of [run, run + 1]) await runReleaseTask(taskIO({}, r));
  });

  it('refuses options on several lines before any call to Azure', async () => {
    const request = taskIO({ image: emu.seed.image, batchPoolId: emu.seed.batchPoolId, registration: 'systemAccessToken',
      allowReadableTokenOnBatch: 'true', batchContainerRunOptions: '--rm\n--privileged' }, ++runId);
    await runRequestTask(request);
    assert.equal(request.result?.result, 'Failed');
    assert.match(request.result?.message ?? '', /batchContainerRunOptions/);
    assert.equal((await state()).requests.filter((r) => r.service === 'batch').length, 0);
  });
});
