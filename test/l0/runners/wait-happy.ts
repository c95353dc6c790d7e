// WaitForAgent with the names from EphemeralAgents.Names and agents already online.
import { TaskMockRunner } from 'azure-pipelines-task-lib/mock-run';
import { registerDevopsMock } from '../mocks';
import { setPipelineEnvironment } from './env';
import { taskEntry } from './task-path';

setPipelineEnvironment();
process.env.EPHEMERALAGENTS_NAMES = 'eph-4711-abcdef-0,eph-4711-abcdef-1';
const tmr = new TaskMockRunner(taskEntry('WaitForAgentV1'));
tmr.setInput('agentPool', 'Ephemeral');
registerDevopsMock(tmr, {
  pools: [{ id: 10, name: 'Ephemeral' }],
  agents: [
    { id: 1, name: 'eph-4711-abcdef-0', status: 2, enabled: true },
    { id: 2, name: 'eph-4711-abcdef-1', status: 2, enabled: true },
  ],
});
tmr.run();
