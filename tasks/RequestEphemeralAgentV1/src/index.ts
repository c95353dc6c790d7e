// RequestEphemeralAgent@1: wiring only. Reads the inputs, creates the agents, sets the outputs.
import { requestSummary } from '../../common/src/summary';
import { TaskContext } from '../../common/src/composition';
import { createDevOpsTokenSource } from '../../common/src/devops/token-source';
import { readRequestParams } from '../../common/src/params/request-params';
import { NAMES_VARIABLE, OS_TYPE_VARIABLE } from '../../common/src/params/wait-params';
import { requestAgents } from '../../common/src/request-agents';
import { TaskLibIO } from '../../common/src/task-lib-io';
import { taskJsonCandidates } from '../../common/src/task-json';

async function run(): Promise<void> {
  const io = new TaskLibIO({ taskJsonCandidates: taskJsonCandidates(__dirname, 'RequestEphemeralAgentV1') });
  const context = new TaskContext(io);
  await context.run(async () => {
    const params = readRequestParams(io);
    const credential = context.credential(params.connection, params.pipeline);
    const mint = createDevOpsTokenSource(params.registration, credential, (token) => context.secret(token));
    const outcome = await requestAgents({ ...params, runId: params.pipeline.runId, organizationUrl: params.pipeline.collectionUri }, {
      provider: context.provider(params.provider, params.connection, credential),
      devops: context.devopsClient(params.devops, params.pipeline, credential),
      registrationSecret: async () => (await mint()).token,
      log: io,
      clock: context.clock,
      signal: context.signals.cancel,
    });
    io.setVariable('agentNames', outcome.agentNames, { output: true });
    io.setVariable('demand', outcome.demand, { output: true });
    io.setVariable('resourceIds', outcome.resourceIds, { output: true });
    io.setVariable(NAMES_VARIABLE, outcome.agentNames);
    io.setVariable(OS_TYPE_VARIABLE, params.osType);
    io.addSummary('Ephemeral agents', requestSummary(params.agentPool, outcome.demand, outcome.agents));
    io.setResult('Succeeded', io.loc('AgentsRequested', '%s agent(s) requested: %s', outcome.agents.length, outcome.agentNames));
  });
}

void run();
