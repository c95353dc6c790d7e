// WaitForAgent against a pool that does not exist.
import { TaskMockRunner } from 'azure-pipelines-task-lib/mock-run';
import { registerDevopsMock } from '../mocks';
import { setPipelineEnvironment } from './env';
import { taskEntry } from './task-path';

setPipelineEnvironment();
const tmr = new TaskMockRunner(taskEntry('WaitForAgentV1'));
tmr.setInput('agentPool', 'NoSuchPool');
tmr.setInput('agentNames', 'eph-4711-abcdef-0');
registerDevopsMock(tmr, { pools: [{ id: 10, name: 'Ephemeral' }], agents: [] });
tmr.run();
