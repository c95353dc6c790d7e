// WaitForAgent with the names from EphemeralAgents.Names and agents already online.
import { TaskMockRunner } from 'azure-pipelines-task-lib/mock-run';
import { registerDevopsMock } from '../mocks';
import { setPipelineEnvironment } from './env';
import { taskEntry } from './task-path';

setPipelineEnvironment();
process.env.EPHEMERALAGENTS_NAMES = 'eph-4711-abcdef-0,eph-4711-abcdef-1';
const tmr = new TaskMockRunner(taskEntry('WaitForAgentV1'));
tmr.setInput('agentPool', 'Ephemeral');
// This run's agents (ownership.ts): only those count as online.
const caps = {
  EPHEMERAL_RUN: '4711', EPHEMERAL_AGENT: '1', EPHEMERAL_ORG: 'https://dev.azure.com/contoso', EPHEMERAL_PROJECT: '6ce954b1-0000-4000-8000-0000000000a1',
  EPHEMERAL_POOL: 'Ephemeral', EPHEMERAL_RUN_KIND: 'build',
};
registerDevopsMock(tmr, {
  pools: [{ id: 10, name: 'Ephemeral' }],
  agents: [
    { id: 1, name: 'eph-4711-abcdef-0', status: 2, enabled: true, systemCapabilities: caps },
    { id: 2, name: 'eph-4711-abcdef-1', status: 2, enabled: true, systemCapabilities: caps },
  ],
});
tmr.run();
