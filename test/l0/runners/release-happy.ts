// ReleaseEphemeralAgent without a resource group: finds the run's agents by capability and tag.
import { TaskMockRunner } from 'azure-pipelines-task-lib/mock-run';
import { aciMock, identityMock, registerDevopsMock } from '../mocks';
import { CONNECTION_ID, setPipelineEnvironment } from './env';
import { taskEntry } from './task-path';

setPipelineEnvironment();
const tmr = new TaskMockRunner(taskEntry('ReleaseEphemeralAgentV1'));
tmr.setInput('agentPool', 'Ephemeral');
tmr.setInput('azureSubscription', CONNECTION_ID);
// Whose the agents are (ownership.ts): this organization, project, pool and build run.
const owner = { organization: 'https://dev.azure.com/contoso', project: '6ce954b1-0000-4000-8000-0000000000a1', pool: 'Ephemeral', runKind: 'build' };
const caps = {
  EPHEMERAL_RUN: '4711', EPHEMERAL_AGENT: '1', EPHEMERAL_ORG: owner.organization, EPHEMERAL_PROJECT: owner.project,
  EPHEMERAL_POOL: owner.pool, EPHEMERAL_RUN_KIND: owner.runKind,
};
registerDevopsMock(tmr, {
  pools: [{ id: 10, name: 'Ephemeral' }],
  agents: [
    { id: 1, name: 'eph-4711-abcdef-0', status: 2, enabled: true, systemCapabilities: caps },
    { id: 2, name: 'someone-else', status: 2, enabled: true, systemCapabilities: { EPHEMERAL_RUN: '1', EPHEMERAL_AGENT: '1' } },
  ],
});
tmr.registerMock('@azure/identity', identityMock());
tmr.registerMock('@azure/arm-containerinstance', aciMock([
  { name: 'eph-4711-abcdef-0', tags: { run: '4711', creator: 'ephemeral-agents', ...owner }, containers: [{}] },
  { name: 'other', tags: { run: '1', creator: 'ephemeral-agents' }, containers: [{}] },
]));
tmr.run();
