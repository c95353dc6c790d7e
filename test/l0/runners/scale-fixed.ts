// ScaleAgentPool in fixed mode on ACI: one pass brings an empty pool to two agents; every SDK mocked.
import { TaskMockRunner } from 'azure-pipelines-task-lib/mock-run';
import { aciMock, identityMock, registerDevopsMock } from '../mocks';
import { CONNECTION_ID, setPipelineEnvironment } from './env';
import { taskEntry } from './task-path';

setPipelineEnvironment();
const tmr = new TaskMockRunner(taskEntry('ScaleAgentPoolV1'));
tmr.setInput('provider', 'aci');
tmr.setInput('agentPool', 'Standby');
tmr.setInput('image', 'myacr.azurecr.io/azp-agent:linux');
tmr.setInput('azureSubscription', CONNECTION_ID);
tmr.setInput('resourceGroup', 'build-agents');
tmr.setInput('location', 'westeurope');
tmr.setInput('namePrefix', 'lx');
tmr.setInput('mode', 'fixed');
tmr.setInput('desiredCount', '2');
registerDevopsMock(tmr, { pools: [{ id: 12, name: 'Standby' }], agents: [] });
tmr.registerMock('@azure/identity', identityMock());
tmr.registerMock('@azure/arm-containerinstance', aciMock());
tmr.run();
