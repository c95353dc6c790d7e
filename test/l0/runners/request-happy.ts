// RequestEphemeralAgent on ACI with Entra registration, every SDK mocked.
import { TaskMockRunner } from 'azure-pipelines-task-lib/mock-run';
import { aciMock, identityMock, registerDevopsMock } from '../mocks';
import { CONNECTION_ID, setPipelineEnvironment } from './env';
import { taskEntry } from './task-path';

setPipelineEnvironment();
const tmr = new TaskMockRunner(taskEntry('RequestEphemeralAgentV1'));
tmr.setInput('agentPool', 'Ephemeral');
tmr.setInput('image', 'myacr.azurecr.io/azp-agent:linux');
tmr.setInput('azureSubscription', CONNECTION_ID);
tmr.setInput('resourceGroup', 'build-agents');
tmr.setInput('location', 'westeurope');
tmr.setInput('count', '2');
tmr.setInput('capabilities', 'java=17');
registerDevopsMock(tmr, { pools: [{ id: 10, name: 'Ephemeral' }], agents: [] });
tmr.registerMock('@azure/identity', identityMock());
tmr.registerMock('@azure/arm-containerinstance', aciMock());
tmr.run();
