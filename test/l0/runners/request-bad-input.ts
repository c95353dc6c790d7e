// RequestEphemeralAgent with an invalid cpu: must fail before any cloud SDK is touched.
import { TaskMockRunner } from 'azure-pipelines-task-lib/mock-run';
import { DEVOPS_MODULES, forbiddenMock } from '../mocks';
import { CONNECTION_ID, setPipelineEnvironment } from './env';
import { taskEntry } from './task-path';

setPipelineEnvironment();
const tmr = new TaskMockRunner(taskEntry('RequestEphemeralAgentV1'));
tmr.setInput('agentPool', 'Ephemeral');
tmr.setInput('image', 'myacr.azurecr.io/azp-agent:linux');
tmr.setInput('azureSubscription', CONNECTION_ID);
tmr.setInput('resourceGroup', 'build-agents');
tmr.setInput('cpu', 'abc');
for (const module of [...DEVOPS_MODULES, '@azure/identity', '@azure/arm-containerinstance', '@azure/batch', '@azure/core-rest-pipeline']) {
  tmr.registerMock(module, forbiddenMock(module));
}
tmr.run();
