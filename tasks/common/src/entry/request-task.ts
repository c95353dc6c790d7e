// RequestEphemeralAgent end to end over any TaskIO: inputs -> params -> adapters -> use case -> outputs.
import { organizationUrlOf, TaskContext } from '../composition';
import { createRegistrationTokenSource } from '../devops/token-source';
import { readRequestParams } from '../params/request-params';
import { NAMES_VARIABLE, OS_TYPE_VARIABLE, PLACEMENT_VARIABLES, placementOf } from '../params/wait-params';
import { requestAgents } from '../request-agents';
import { requestSummary } from '../summary';
import type { TaskIO } from '../task-io';

export async function runRequestTask(io: TaskIO): Promise<void> {
  const context = new TaskContext(io);
  await context.run(async () => {
    const params = readRequestParams(io);
    const credential = context.credential(params.connection, params.pipeline);
    const mint = createRegistrationTokenSource(params.registration,
      params.registration.mode === 'azureServiceConnection' ? context.freshCredential(params.registration.connection, params.pipeline) : undefined,
      (token) => context.secret(token), { clock: context.clock, warn: (message) => io.warning(message) });
    const outcome = await requestAgents({
      ...params, runId: params.pipeline.runId, runKind: params.pipeline.runKind, project: params.pipeline.projectId ?? '',
      organizationUrl: organizationUrlOf(params.registration, params.pipeline),
    }, {
      provider: context.provider(params.provider, params.connection, credential),
      devops: context.devopsClient(params.devops, params.pipeline, credential),
      registrationSecret: mint,
      log: io,
      loc: (key, fallback, ...args) => io.loc(key, fallback, ...args),
      clock: context.clock,
      signal: context.signals.cancel,
    });
    io.setVariable('agentNames', outcome.agentNames, { output: true });
    io.setVariable('demand', outcome.demand, { output: true });
    io.setVariable('resourceIds', outcome.resourceIds, { output: true });
    io.setVariable(NAMES_VARIABLE, outcome.agentNames);
    io.setVariable(OS_TYPE_VARIABLE, params.osType);
    // Where the agents run, for WaitForAgent in this job (plain) and for later jobs (outputs).
    for (const [input, value] of Object.entries(placementOf(params.provider))) {
      if (value === undefined) continue;
      const names = PLACEMENT_VARIABLES[input as keyof typeof PLACEMENT_VARIABLES];
      io.setVariable(names.variable, value);
      io.setVariable(names.output, value, { output: true });
    }
    io.addSummary(io.loc('SummaryTitle', 'Ephemeral agents'), requestSummary(params.agentPool, outcome.demand, outcome.agents));
    io.setResult('Succeeded', io.loc('AgentsRequested',
      "%d agent(s) requested. Let the job that uses them demand 'EPHEMERAL_RUN -equals %s' in its pool, and wait for them with WaitForAgent.",
      outcome.agents.length, params.pipeline.runId));
  });
}
