// The three tasks' flows (params, adapters, use cases; everything but task-lib) against the
// emulator: agents requested, online when waited for, a job runs on each, nothing left after release,
// and no secret reaches the job.
import assert from 'node:assert/strict';
import { runReleaseTask } from '../../../tasks/common/src/entry/release-task';
import { runRequestTask } from '../../../tasks/common/src/entry/request-task';
import { runWaitTask } from '../../../tasks/common/src/entry/wait-task';
import { type Emulator, startEmulator } from '../../../emulator/src/index';
import { MemoryTaskIO, type FakeEndpoint } from '../fakes/memory-task-io';

const CONNECTION = 'arm-connection';

interface State {
  containerGroups: Array<{ name: string; tags: Record<string, string> }>;
  batchTasks: Array<{ id: string; state: string }>;
  agents: Array<{ name: string; status: string; enabled: boolean }>;
  jobRequests: Array<{ requestId: number; result: string | null; agentName: string | null }>;
  secretsSeen: Array<{ agentName: string; where: string }>;
}

describe('use cases against the emulator', function () {
  this.timeout(60_000);
  let emu: Emulator;
  let runId = 1000;

  before(async () => {
    emu = await startEmulator({ log: () => undefined });
  });
  after(async () => {
    await emu?.stop();
  });
  afterEach(async () => {
    await emu.reset();
  });

  async function control<T>(method: string, route: string, body?: unknown): Promise<T> {
    const res = await fetch(`${emu.urls.control}/${route}`, {
      method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    return (await res.json()) as T;
  }

  function armEndpoint(parameters: Record<string, string> = {}, scheme = 'ServicePrincipal'): FakeEndpoint {
    return {
      url: emu.urls.arm,
      scheme,
      parameters: { tenantid: emu.seed.tenantId, serviceprincipalid: emu.seed.clientId, authenticationType: 'spnKey', serviceprincipalkey: emu.seed.clientSecret, ...parameters },
      data: { subscriptionId: emu.seed.subscriptionId, environmentAuthorityUrl: emu.urls.entra, activeDirectoryServiceEndpointResourceId: 'https://management.core.windows.net/' },
    };
  }

  function taskIO(inputs: Record<string, string>, run: number, job: string, endpoint = armEndpoint(), vars: Record<string, string> = {}): MemoryTaskIO {
    return new MemoryTaskIO(inputs, {
      'System.CollectionUri': emu.urls.devops,
      'System.TeamProjectId': emu.seed.projectId,
      'System.HostType': 'build',
      'System.PlanId': '11111111-0000-4000-8000-000000000001',
      'System.JobId': job,
      'Build.BuildId': String(run),
      ...vars,
    }, {
      [CONNECTION]: endpoint,
      SystemVssConnection: { url: emu.urls.devops, scheme: 'OAuth', parameters: { AccessToken: emu.seed.systemAccessToken } },
    });
  }

  function assertSucceeded(io: MemoryTaskIO): void {
    assert.ok(io.result?.result.startsWith('Succeeded'), `${io.result?.message}\n${io.lines().join('\n')}`);
  }

  async function requestWaitRunRelease(requestInputs: Record<string, string>, releaseInputs: Record<string, string>, endpoint?: FakeEndpoint): Promise<void> {
    const run = ++runId;
    const common = { agentPool: emu.seed.agentPool, azureSubscription: CONNECTION };
    const request = taskIO({ ...common, image: emu.seed.image, ...requestInputs }, run, 'provision-job', endpoint);
    await runRequestTask(request);
    assertSucceeded(request);
    const names = request.variables.get('EphemeralAgents.Names')?.value ?? '';
    assert.equal(names.split(',').length, Number(requestInputs.count ?? 1));
    assert.equal(request.variables.get('demand')?.value, `EPHEMERAL_RUN -equals ${run}`);
    for (const secret of request.secrets) assert.ok(!request.lines().some((l) => l.includes(secret)), 'no secret in the log');

    const wait = taskIO({ ...common, ...releaseInputs, timeoutMinutes: '1' }, run, 'provision-job', endpoint, { 'EphemeralAgents.Names': names });
    await runWaitTask(wait, { devopsFastMs: 200, devopsSlowMs: 1000, cloudMs: 200 });
    assertSucceeded(wait);
    assert.ok(wait.summaries[0].markdown.includes(names.split(',')[0]));

    // Each agent takes one job of this run.
    const jobs = await Promise.all(names.split(',').map(() => control<{ requestId: number; result?: string }>('POST', 'jobs', {
      pool: emu.seed.agentPool, demands: [`EPHEMERAL_RUN -equals ${run}`], durationMs: 200,
    })));
    assert.ok(jobs.every((j) => j.result === undefined), JSON.stringify(jobs));
    // Waits on the jobs, not a number of polls: a loaded machine takes longer.
    for (const deadline = Date.now() + 60_000; ;) {
      const state = await control<State>('GET', 'state');
      const done = state.jobRequests.filter((r) => jobs.some((j) => j.requestId === r.requestId) && r.result === 'succeeded');
      if (done.length === jobs.length) {
        assert.equal(new Set(done.map((d) => d.agentName)).size, jobs.length, 'one job per agent');
        break;
      }
      assert.ok(Date.now() < deadline, `jobs finished: ${JSON.stringify(state.jobRequests)}`);
      await new Promise((r) => setTimeout(r, 100));
    }

    const release = taskIO({ ...common, ...releaseInputs }, run, 'release-job', endpoint);
    await runReleaseTask(release);
    assertSucceeded(release);
    const after = await control<State>('GET', 'state');
    assert.deepEqual(after.containerGroups.filter((g) => g.tags?.run === String(run)), []);
    assert.deepEqual(after.batchTasks.filter((t) => names.includes(t.id)), []);
    assert.deepEqual(after.agents.filter((a) => names.includes(a.name)), []);
    assert.deepEqual(after.secretsSeen, []);

    const again = taskIO({ ...common, ...releaseInputs }, run, 'release-job', endpoint);
    await runReleaseTask(again);
    assertSucceeded(again);
    assert.ok(again.lines('info').some((l) => l.includes('Nothing to release')));
  }

  it('ACI with Entra registration from a client secret', async () => {
    await requestWaitRunRelease({ resourceGroup: emu.seed.resourceGroup, count: '2' }, { resourceGroup: emu.seed.resourceGroup });
  });

  it('ACI with a certificate connection, PAT registration, release without a resource group', async () => {
    const endpoint = armEndpoint({ authenticationType: 'spnCertificate', servicePrincipalCertificate: emu.seed.clientCertificatePem, serviceprincipalkey: '' });
    await requestWaitRunRelease({ resourceGroup: emu.seed.resourceGroup, registration: 'pat', registrationToken: emu.seed.pat }, {}, endpoint);
  });

  it('ACI with workload identity federation and the job token', async () => {
    const endpoint = armEndpoint({ serviceprincipalkey: '', authenticationType: '' }, 'WorkloadIdentityFederation');
    await requestWaitRunRelease({ resourceGroup: emu.seed.resourceGroup, registration: 'systemAccessToken' },
      { resourceGroup: emu.seed.resourceGroup }, endpoint);
  });

  it('Batch with a shared key and Entra registration', async () => {
    const batch = { provider: 'batch', batchAccountUrl: emu.urls.batch, batchPoolId: emu.seed.batchPoolId, batchAuthentication: 'sharedKey',
      batchAccountName: emu.seed.batchAccountName, batchAccountKey: emu.seed.batchAccountKey };
    await requestWaitRunRelease(batch, { provider: 'batch', batchAccountUrl: emu.urls.batch, batchAuthentication: 'sharedKey',
      batchAccountName: emu.seed.batchAccountName, batchAccountKey: emu.seed.batchAccountKey });
  });

  it('Batch with Entra authentication and PAT registration', async () => {
    const batch = { provider: 'batch', batchAccountUrl: emu.urls.batch, batchPoolId: emu.seed.batchPoolId };
    await requestWaitRunRelease({ ...batch, registration: 'pat', registrationToken: emu.seed.pat, devopsAuthentication: 'azureServiceConnection', allowReadableTokenOnBatch: 'true' }, batch);
  });

  it('rides out throttling and server errors (429 with Retry-After, 503, connection reset)', async () => {
    await control('POST', 'faults', { service: 'devops', method: 'GET', path: 'pools', status: 429, retryAfter: 1, count: 1 });
    await control('POST', 'faults', { service: 'arm', method: 'PUT', path: 'containerGroups', status: 503, retryAfter: 1, count: 1 });
    await control('POST', 'faults', { service: 'arm', method: 'GET', path: 'resourcegroups', reset: true, count: 1 });
    await requestWaitRunRelease({ resourceGroup: emu.seed.resourceGroup }, { resourceGroup: emu.seed.resourceGroup });
    const state = await control<State & { requests: Array<{ service: string; status: number }> }>('GET', 'state');
    assert.ok(state.requests.some((r) => r.service === 'devops' && r.status === 429));
  });

  it('WaitForAgent fails fast with a diagnosis when the agent cannot register', async () => {
    const run = ++runId;
    const common = { agentPool: emu.seed.agentPool, azureSubscription: CONNECTION, resourceGroup: emu.seed.resourceGroup };
    const wrongPat = 'a'.repeat(52);
    const request = taskIO({ ...common, image: emu.seed.image, registration: 'pat', registrationToken: wrongPat, devopsAuthentication: 'azureServiceConnection' }, run, 'job');
    await runRequestTask(request);
    assertSucceeded(request);
    const wait = taskIO({ ...common, timeoutMinutes: '1' }, run, 'job', undefined, { 'EphemeralAgents.Names': request.variables.get('EphemeralAgents.Names')?.value ?? '' });
    const started = Date.now();
    await runWaitTask(wait, { devopsFastMs: 200, devopsSlowMs: 1000, cloudMs: 200 });
    assert.equal(wait.result?.result, 'Failed');
    assert.ok(Date.now() - started < 50_000, 'failed before the 1-minute timeout');
    assert.match(wait.result?.message ?? '', /ended before the agent came online/);
    assert.match(wait.result?.message ?? '', /exit code 78/);
    assert.ok(!(wait.result?.message ?? '').includes(wrongPat), 'the token is masked');
  });

  it('RequestEphemeralAgent removes everything when one agent cannot be created', async () => {
    const run = ++runId;
    await control('POST', 'faults', { service: 'arm', method: 'PUT', path: '-1', status: 400, count: 5 });
    const request = taskIO({ agentPool: emu.seed.agentPool, azureSubscription: CONNECTION, resourceGroup: emu.seed.resourceGroup, image: emu.seed.image, count: '2' }, run, 'job');
    await runRequestTask(request);
    assert.equal(request.result?.result, 'Failed');
    assert.match(request.result?.message ?? '', /none were kept/);
    const state = await control<State>('GET', 'state');
    assert.deepEqual(state.containerGroups.filter((g) => g.tags?.run === String(run)), []);
  });

  it('names an unknown pool before creating anything', async () => {
    const request = taskIO({ agentPool: 'NoSuchPool', azureSubscription: CONNECTION, resourceGroup: emu.seed.resourceGroup, image: emu.seed.image }, ++runId, 'job');
    await runRequestTask(request);
    assert.equal(request.result?.result, 'Failed');
    assert.match(request.result?.message ?? '', /Agent pool 'NoSuchPool' was not found/);
    const state = await control<State>('GET', 'state');
    assert.deepEqual(state.containerGroups, []);
  });
});
