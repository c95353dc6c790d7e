// ScaleAgentPool with a queue-mode range that cannot hold: it must fail before any cloud call.
import { TaskMockRunner } from 'azure-pipelines-task-lib/mock-run';
import { DEVOPS_MODULES, forbiddenMock } from '../mocks';
import { CONNECTION_ID, setPipelineEnvironment } from './env';
import { taskEntry } from './task-path';

setPipelineEnvironment();
const tmr = new TaskMockRunner(taskEntry('ScaleAgentPoolV1'));
tmr.setInput('provider', 'aci');
tmr.setInput('agentPool', 'Standby');
tmr.setInput('image', 'myacr.azurecr.io/azp-agent:linux');
tmr.setInput('azureSubscription', CONNECTION_ID);
tmr.setInput('resourceGroup', 'build-agents');
tmr.setInput('namePrefix', 'lx');
tmr.setInput('mode', 'queue');
tmr.setInput('minAgents', '5');
tmr.setInput('maxAgents', '2');
for (const module of [...DEVOPS_MODULES, '@azure/identity', '@azure/arm-containerinstance', '@azure/batch', '@azure/core-rest-pipeline']) {
  tmr.registerMock(module, forbiddenMock(module));
}
tmr.run();
