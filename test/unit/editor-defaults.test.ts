// What the classic editor submits when a user leaves a field alone is the task.json default: those
// defaults ('auto' for Azure DevOps authentication and WaitForAgent's operating system) must mean what
// their help says, and batchContainerRunOptions must reach the Batch parameters.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readReleaseParams } from '../../tasks/common/src/params/release-params';
import { readRequestParams } from '../../tasks/common/src/params/request-params';
import { readScaleParams } from '../../tasks/common/src/params/scale-params';
import { readWaitParams } from '../../tasks/common/src/params/wait-params';
import { MemoryTaskIO } from './fakes/memory-task-io';
import { CONNECTION_ID, pipelineVariables, requestIO, spnEndpoint } from './helpers';

const root = path.resolve(__dirname, '..', '..', '..');

/** Every default of a task.json, as the editor submits it (booleans as 'true'/'false'). */
function editorDefaults(folder: string): Record<string, string> {
  const task = JSON.parse(readFileSync(path.join(root, 'tasks', folder, 'task.json'), 'utf8')) as { inputs: Array<{ name: string; defaultValue?: unknown }> };
  return Object.fromEntries(task.inputs.map((i) => [i.name, String(i.defaultValue ?? '')]));
}

const endpoints = {
  [CONNECTION_ID]: spnEndpoint(),
  SystemVssConnection: { url: 'https://dev.azure.com/contoso/', scheme: 'OAuth', parameters: { AccessToken: 'job-access-token' } },
};

describe('task.json defaults as the classic editor submits them', () => {
  it('RequestEphemeralAgent: Azure DevOps authentication "auto" follows the registration credential', () => {
    const defaults = editorDefaults('RequestEphemeralAgentV1');
    assert.equal(defaults.devopsAuthentication, 'auto');
    for (const registration of ['azureServiceConnection', 'systemAccessToken', 'pat']) {
      const io = requestIO({ ...defaults, agentPool: 'Ephemeral', image: 'myacr.azurecr.io/azp-agent:linux', azureSubscription: CONNECTION_ID,
        resourceGroup: 'build-agents', registration, registrationToken: 'p'.repeat(52) }, {}, endpoints);
      const params = readRequestParams(io);
      assert.equal(params.devops.mode, registration, `registration ${registration}`);
    }
  });

  it('ScaleAgentPool: "auto" follows the registration credential too', () => {
    const defaults = editorDefaults('ScaleAgentPoolV1');
    const io = new MemoryTaskIO({ ...defaults, agentPool: 'Ephemeral', image: 'myacr.azurecr.io/azp-agent:linux', namePrefix: 'q',
      azureSubscription: CONNECTION_ID, resourceGroup: 'build-agents', registration: 'systemAccessToken' }, pipelineVariables(), endpoints);
    assert.equal(readScaleParams(io).devops.mode, 'systemAccessToken');
  });

  it('ReleaseEphemeralAgent: "auto" is the service connection when one is set, else the job token', () => {
    const defaults = { ...editorDefaults('ReleaseEphemeralAgentV1'), agentPool: 'Ephemeral' };
    assert.equal(readReleaseParams(new MemoryTaskIO({ ...defaults, azureSubscription: CONNECTION_ID }, pipelineVariables(), endpoints)).devops.mode,
      'azureServiceConnection');
    const batchShared = { ...defaults, provider: 'batch', batchAccountUrl: 'https://acct.westeurope.batch.azure.com', batchAuthentication: 'sharedKey', batchAccountKey: 'a2V5' };
    assert.equal(readReleaseParams(new MemoryTaskIO(batchShared, pipelineVariables(), endpoints)).devops.mode, 'systemAccessToken');
  });

  it('WaitForAgent: operating system "auto" takes what RequestEphemeralAgent recorded', () => {
    const defaults: Record<string, string> = { ...editorDefaults('WaitForAgentV1'), agentPool: 'Ephemeral', agentNames: 'a-1', timeoutMinutes: '' };
    assert.equal(defaults.osType, 'auto');
    const windows = new MemoryTaskIO(defaults, pipelineVariables({ 'EphemeralAgents.OsType': 'Windows' }), endpoints);
    assert.equal(readWaitParams(windows).timeoutMinutes, 30);
    assert.equal(readWaitParams(windows).devops.mode, 'systemAccessToken');
    assert.equal(readWaitParams(new MemoryTaskIO(defaults, pipelineVariables(), endpoints)).timeoutMinutes, 15);
  });

  it('batchContainerRunOptions reaches the Batch parameters, and only when given', () => {
    const batch = { provider: 'batch', batchAccountUrl: 'https://acct.westeurope.batch.azure.com', batchPoolId: 'agents' };
    const given = readRequestParams(requestIO({ ...batch, batchContainerRunOptions: '-v /var/run/docker.sock:/var/run/docker.sock' }, {}, endpoints));
    assert.equal(given.provider.kind === 'batch' && given.provider.containerRunOptions, '-v /var/run/docker.sock:/var/run/docker.sock');
    const none = readRequestParams(requestIO(batch, {}, endpoints));
    assert.equal(none.provider.kind === 'batch' && none.provider.containerRunOptions, undefined);
  });
});
