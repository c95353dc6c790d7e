import assert from 'node:assert/strict';
import { InputError } from '../../tasks/common/src/errors';
import { readReleaseParams } from '../../tasks/common/src/params/release-params';
import { readRequestParams } from '../../tasks/common/src/params/request-params';
import { readWaitParams } from '../../tasks/common/src/params/wait-params';
import { MemoryTaskIO } from './fakes/memory-task-io';
import { CONNECTION_ID, pipelineVariables, requestIO, spnEndpoint, SUBSCRIPTION } from './helpers';

function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof InputError, `expected an InputError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected an InputError');
}

describe('RequestEphemeralAgent params', () => {
  it('applies the documented defaults', () => {
    const params = readRequestParams(requestIO());
    assert.equal(params.provider.kind, 'aci');
    assert.equal(params.cpu, 2);
    assert.equal(params.memoryGB, 4);
    assert.equal(params.count, 1);
    assert.equal(params.idleTimeoutMinutes, 15);
    assert.equal(params.keepFailedMinutes, 0);
    assert.equal(params.osType, 'Linux');
    assert.equal(params.namePrefix, 'eph');
    assert.equal(params.registration.mode, 'azureServiceConnection');
    assert.equal(params.pipeline.runId, '4711');
    assert.match(params.names[0], /^eph-4711-[0-9a-f]{6}-0$/);
    assert.equal(params.provider.kind === 'aci' && params.provider.subscriptionId, SUBSCRIPTION);
    assert.equal(params.provider.kind === 'aci' && params.provider.priority, 'Regular');
  });

  it('refuses Spot together with a subnet, which ACI cannot deploy, naming both inputs', () => {
    const subnetId = `/subscriptions/${SUBSCRIPTION}/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/agents`;
    const error = inputError(() => readRequestParams(requestIO({ priority: 'Spot', subnetId })));
    assert.equal(error.input, 'priority');
    assert.match(error.message, /'priority' is Spot and input 'subnetId' names a subnet.*set 'priority' to Regular or clear 'subnetId'/);
    assert.equal(readRequestParams(requestIO({ priority: 'Spot' })).provider.kind, 'aci');
    assert.equal(readRequestParams(requestIO({ subnetId })).provider.kind, 'aci');
  });

  it('names the input, the rule and the value for a bad number', () => {
    const error = inputError(() => readRequestParams(requestIO({ cpu: 'abc' })));
    assert.equal(error.input, 'cpu');
    assert.equal(error.message, "Input 'cpu' must be a number between 0.1 and 4 (ACI limit); got 'abc'");
    assert.match(inputError(() => readRequestParams(requestIO({ count: '2.5' }))).message, /Input 'count' must be a whole number between 1 and 50/);
    assert.match(inputError(() => readRequestParams(requestIO({ memoryGB: '64' }))).message, /Input 'memoryGB' .* got '64'/);
  });

  it('refuses reserved or malformed capabilities', () => {
    for (const line of ['AZP_TOKEN=x', 'Agent.Name=x', 'system.debug=true', 'EPHEMERAL_RUN=1', 'ephemeral_agent=1', 'EPHEMERAL_ORG=x', 'EPHEMERAL_RESOURCE=x']) {
      const error = inputError(() => readRequestParams(requestIO({ capabilities: line })));
      assert.equal(error.input, 'capabilities');
      assert.match(error.message, /reserved/);
    }
    assert.match(inputError(() => readRequestParams(requestIO({ capabilities: '1abc=x' }))).message, /not a valid environment variable name/);
    assert.match(inputError(() => readRequestParams(requestIO({ capabilities: 'novalue' }))).message, /line 1 must have the form name=value/);
    const ok = readRequestParams(requestIO({ capabilities: 'java=17\n# comment\n\nEPHEMERAL_GPU=none' }));
    assert.deepEqual(ok.capabilities, [['java', '17'], ['EPHEMERAL_GPU', 'none']]);
  });

  it('refuses capabilities that break the agent or its binding, naming capabilities', () => {
    const breaking = ['VSO_AGENT_IGNORE=EPHEMERAL_AGENT', 'PATH=/x', 'HOME=/tmp', 'USER=root', 'SHELL=/bin/sh', 'ENV=/x', 'BASH_ENV=/x',
      'LD_PRELOAD=/x.so', 'ld_library_path=/x', 'NODE_OPTIONS=--require=/x', 'DOTNET_gcServer=1', 'http_proxy=http://p', 'HTTPS_PROXY=http://p',
      'No_Proxy=x', 'AGENT_TOOLSDIRECTORY=/x', 'VSTS_AGENT_HTTPTRACE=true', 'VSO_DEDUP=1',
      'COMPlus_EnableDiagnostics=0', 'COMPLUS_gcServer=1', 'CORECLR_PROFILER_PATH=/x.so', 'CORECLR_ENABLE_PROFILING=1', 'dotnet_root=/x',
      'SSL_CERT_FILE=/x.pem', 'ssl_cert_dir=/x', 'NODE_EXTRA_CA_CERTS=/x.pem',
      'PATHEXT=.X', 'ComSpec=x.exe', 'PSModulePath=C:\\x', 'SystemRoot=C:\\x', 'TEMP=C:\\x', 'tmp=/x'];
    for (const line of breaking) {
      const error = inputError(() => readRequestParams(requestIO({ capabilities: line })));
      assert.equal(error.input, 'capabilities', line);
      assert.match(error.message, new RegExp(`Input 'capabilities' cannot set '${line.split('=')[0]}'`), line);
    }
    assert.deepEqual(readRequestParams(requestIO({ capabilities: 'PATHFINDER=1\nHOMEBREW=1' })).capabilities, [['PATHFINDER', '1'], ['HOMEBREW', '1']]);
  });

  it('refuses an http Batch account URL or service connection endpoint before any request, naming the input', () => {
    const batch = inputError(() => readRequestParams(requestIO({ provider: 'batch', batchAccountUrl: 'http://emubatch.eastus.batch.azure.com', batchPoolId: 'agents' })));
    assert.equal(batch.input, 'batchAccountUrl');
    assert.match(batch.message, /https/);
  });

  it('refuses a PAT or the job token on Batch unless allowReadableTokenOnBatch, then warns who can read it and for how long', () => {
    const inputs = { provider: 'batch', batchAccountUrl: 'https://emubatch.eastus.batch.azure.com', batchPoolId: 'agents', registration: 'pat', registrationToken: 'p'.repeat(52) };
    for (const registration of ['pat', 'systemAccessToken']) {
      const error = inputError(() => readRequestParams(requestIO({ ...inputs, registration })));
      assert.equal(error.input, 'registration');
      assert.match(error.message, /allowReadableTokenOnBatch/);
    }
    const io = requestIO({ ...inputs, allowReadableTokenOnBatch: 'true' });
    assert.equal(readRequestParams(io).registration.mode, 'pat');
    assert.ok(io.lines('warning').some((l) => /read access to the Batch account/.test(l) && /as long as the task record exists/.test(l)));
  });

  it('warns on Batch with a managed identity connection that its day-long token is readable by Batch readers', () => {
    const inputs = { provider: 'batch', batchAccountUrl: 'https://emubatch.eastus.batch.azure.com', batchPoolId: 'agents' };
    const msi = { url: 'https://management.azure.com/', scheme: 'ManagedServiceIdentity', parameters: {}, data: { subscriptionId: SUBSCRIPTION, environment: 'AzureCloud' } };
    const io = requestIO(inputs, {}, { [CONNECTION_ID]: msi, SystemVssConnection: { url: 'https://dev.azure.com/contoso/', scheme: 'OAuth', parameters: { AccessToken: 'job-access-token' } } });
    assert.equal(readRequestParams(io).registration.mode, 'azureServiceConnection');
    const warning = io.lines('warning').find((l) => l.includes('managed identity'));
    assert.ok(warning, io.lines('warning').join('\n'));
    assert.match(warning, /about 24 hours.*read access to the Batch account.*environment settings/);
    // A service principal's token is short-lived, and ACI keeps it in a secure environment variable: no warning.
    const spn = requestIO(inputs);
    readRequestParams(spn);
    assert.ok(!spn.lines('warning').some((l) => l.includes('managed identity')));
    const aci = requestIO({}, {}, { [CONNECTION_ID]: msi, SystemVssConnection: { url: 'https://dev.azure.com/contoso/', scheme: 'OAuth', parameters: { AccessToken: 'job-access-token' } } });
    readRequestParams(aci);
    assert.ok(!aci.lines('warning').some((l) => l.includes('managed identity')));
  });

  it('refuses tags that Azure or the task reserve', () => {
    assert.match(inputError(() => readRequestParams(requestIO({ tags: 'run=1' }))).message, /cannot set the tag 'run'/);
    assert.match(inputError(() => readRequestParams(requestIO({ tags: 'a/b=1' }))).message, /which Azure refuses/);
  });

  it('requires the provider inputs, naming them', () => {
    assert.equal(inputError(() => readRequestParams(requestIO({ resourceGroup: '' }))).input, 'resourceGroup');
    assert.equal(inputError(() => readRequestParams(requestIO({ agentPool: '' }))).input, 'agentPool');
    assert.equal(inputError(() => readRequestParams(requestIO({ provider: 'k8s' }))).message, "Input 'provider' must be one of 'aci', 'batch'; got 'k8s'");
    const batch = inputError(() => readRequestParams(requestIO({ provider: 'batch' })));
    assert.equal(batch.input, 'batchAccountUrl');
    const noConnection = inputError(() => readRequestParams(requestIO({ azureSubscription: '' })));
    assert.equal(noConnection.input, 'azureSubscription');
  });

  it('reads Batch with a shared key, masking the key', () => {
    const io = requestIO({
      provider: 'batch', batchAccountUrl: 'https://emubatch.eastus.batch.azure.com/', batchPoolId: 'agents', batchAuthentication: 'sharedKey',
      batchAccountKey: 'a2V5a2V5a2V5', registration: 'pat', registrationToken: 'p'.repeat(52), azureSubscription: '', allowReadableTokenOnBatch: 'true',
    });
    const params = readRequestParams(io);
    assert.equal(params.provider.kind, 'batch');
    if (params.provider.kind !== 'batch') return;
    assert.equal(params.provider.accountUrl, 'https://emubatch.eastus.batch.azure.com');
    assert.equal(params.provider.jobId, 'ephemeral-agents');
    assert.deepEqual(params.provider.auth, { kind: 'sharedKey', accountName: 'emubatch', accountKey: 'a2V5a2V5a2V5' });
    assert.ok(io.secrets.includes('a2V5a2V5a2V5'));
    assert.ok(io.secrets.includes('p'.repeat(52)));
    assert.equal(params.connection, undefined);
  });

  it('needs registrationToken for pat, and a job token for systemAccessToken', () => {
    assert.equal(inputError(() => readRequestParams(requestIO({ registration: 'pat' }))).input, 'registrationToken');
    const io = requestIO({ registration: 'systemAccessToken' }, {}, { [CONNECTION_ID]: spnEndpoint() });
    assert.equal(inputError(() => readRequestParams(io)).input, 'registration');
    const withVar = requestIO({ registration: 'systemAccessToken' }, { 'System.AccessToken': 'tok-from-variable' }, { [CONNECTION_ID]: spnEndpoint() });
    const params = readRequestParams(withVar);
    assert.deepEqual(params.registration, { mode: 'systemAccessToken', token: 'tok-from-variable' });
    assert.ok(withVar.secrets.includes('tok-from-variable'));
  });

  it('takes the PAT and the organization from a registration connection', () => {
    const io = requestIO({ registration: 'pat', registrationConnection: 'reg' }, {}, {
      [CONNECTION_ID]: spnEndpoint(), reg: { url: 'https://dev.azure.com/other', scheme: 'Token', parameters: { apitoken: 'pat-from-connection' } },
    });
    const params = readRequestParams(io);
    assert.deepEqual(params.registration, { mode: 'pat', token: 'pat-from-connection', organizationUrl: 'https://dev.azure.com/other/' });
    assert.ok(io.secrets.includes('pat-from-connection'));
    assert.equal(inputError(() => readRequestParams(requestIO({ registration: 'pat', registrationConnection: 'missing' }))).input, 'registrationConnection');
  });

  it('masks the service principal secret and reads the cloud endpoints', () => {
    const io = requestIO({}, {}, {
      [CONNECTION_ID]: spnEndpoint({
        url: 'https://127.0.0.1:8443/',
        data: { subscriptionId: SUBSCRIPTION, environmentAuthorityUrl: 'https://127.0.0.1:8444/', activeDirectoryServiceEndpointResourceId: 'https://management.core.windows.net/' },
      }),
    });
    const params = readRequestParams(io);
    assert.ok(io.secrets.includes('super-secret-value'));
    assert.equal(params.connection?.armUrl, 'https://127.0.0.1:8443/');
    assert.equal(params.connection?.authorityHost, 'https://127.0.0.1:8444/');
    assert.equal(params.connection?.authenticationType, 'spnKey');
  });

  it('fails clearly when the prefix makes names too long', () => {
    const error = inputError(() => readRequestParams(requestIO({ namePrefix: 'x'.repeat(60) })));
    assert.equal(error.input, 'namePrefix');
    assert.match(error.message, /over the limit of 63/);
    assert.match(inputError(() => readRequestParams(requestIO({ namePrefix: 'Eph' }))).message, /lowercase/);
  });

  it('uses Release.DeploymentId as the run id in classic releases', () => {
    // release-<id>: no build id can equal it, so a build's job never takes a classic release's agent of the same number.
    const params = readRequestParams(requestIO({}, { 'System.HostType': 'release', 'Release.DeploymentId': '99', 'Build.BuildId': '4711' }));
    assert.equal(params.pipeline.runId, 'release-99');
    assert.equal(params.pipeline.runKind, 'release');
    assert.equal(params.names[0].startsWith('eph-release-99-'), true);
  });

  it('validates registry inputs', () => {
    assert.equal(inputError(() => readRequestParams(requestIO({ registryUsername: 'u' }))).input, 'registryPassword');
    assert.match(inputError(() => readRequestParams(requestIO({ registryIdentity: 'id', registryUsername: 'u', registryPassword: 'p' }))).message, /cannot be combined/);
    const params = readRequestParams(requestIO({ registryUsername: 'u', registryPassword: 'pw-secret' }));
    assert.deepEqual(params.provider.registry, { server: 'myacr.azurecr.io', username: 'u', password: 'pw-secret', identity: undefined });
  });
});

describe('WaitForAgent params', () => {
  it('reads the names from EphemeralAgents.Names and uses the job token by default', () => {
    const io = new MemoryTaskIO({ agentPool: 'Ephemeral' }, pipelineVariables({ 'EphemeralAgents.Names': 'a-1,a-2' }),
      { SystemVssConnection: { parameters: { AccessToken: 'job-token' } } });
    const params = readWaitParams(io);
    assert.deepEqual(params.agentNames, ['a-1', 'a-2']);
    assert.equal(params.timeoutMinutes, 15);
    assert.equal(params.devops.mode, 'systemAccessToken');
    assert.equal(params.provider, undefined);
  });

  it('waits 30 minutes for Windows agents and uses Entra with a service connection', () => {
    const io = new MemoryTaskIO({ agentPool: 'Ephemeral', agentNames: 'a-1', azureSubscription: CONNECTION_ID, resourceGroup: 'rg' },
      pipelineVariables({ 'EphemeralAgents.OsType': 'Windows' }), { [CONNECTION_ID]: spnEndpoint() });
    const params = readWaitParams(io);
    assert.equal(params.timeoutMinutes, 30);
    assert.equal(params.devops.mode, 'azureServiceConnection');
    assert.equal(params.provider?.kind, 'aci');
  });

  it('uses where RequestEphemeralAgent put the agents also when they are named explicitly', () => {
    const recorded = pipelineVariables({
      'EphemeralAgents.Provider': 'batch', 'EphemeralAgents.BatchAccountUrl': 'https://emubatch.eastus.batch.azure.com',
      'EphemeralAgents.BatchPoolId': 'agents', 'EphemeralAgents.BatchJobId': 'ephemeral-agents',
    });
    const io = new MemoryTaskIO({ agentPool: 'Ephemeral', agentNames: 'a-1', azureSubscription: CONNECTION_ID, provider: 'aci', resourceGroup: 'rg' },
      recorded, { [CONNECTION_ID]: spnEndpoint() });
    const params = readWaitParams(io);
    assert.equal(params.provider?.kind, 'batch');
    assert.equal(params.placementRecorded, true);
    const unrecorded = readWaitParams(new MemoryTaskIO({ agentPool: 'Ephemeral', agentNames: 'a-1', azureSubscription: CONNECTION_ID, resourceGroup: 'rg' },
      pipelineVariables(), { [CONNECTION_ID]: spnEndpoint() }));
    assert.equal(unrecorded.provider?.kind, 'aci');
    assert.equal(unrecorded.placementRecorded, false);
  });

  it('explains what to do when no agent names are known', () => {
    const error = inputError(() => readWaitParams(new MemoryTaskIO({ agentPool: 'Ephemeral' }, pipelineVariables())));
    assert.equal(error.input, 'agentNames');
    assert.match(error.message, /EphemeralAgents\.Names/);
  });
});

describe('ReleaseEphemeralAgent params', () => {
  it('does not need a resource group', () => {
    const io = new MemoryTaskIO({ agentPool: 'Ephemeral', azureSubscription: CONNECTION_ID }, pipelineVariables(), { [CONNECTION_ID]: spnEndpoint() });
    const params = readReleaseParams(io);
    assert.equal(params.provider.kind === 'aci' && params.provider.resourceGroup, undefined);
    assert.equal(params.agentNames, undefined);
    assert.equal(params.devops.mode, 'azureServiceConnection');
  });
});
