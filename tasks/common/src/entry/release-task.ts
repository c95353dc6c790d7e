// ReleaseEphemeralAgent end to end over any TaskIO.
import { TaskContext } from '../composition';
import { readReleaseParams } from '../params/release-params';
import { releaseAgents } from '../release-agents';
import { releaseSummary } from '../summary';
import type { TaskIO } from '../task-io';

export async function runReleaseTask(io: TaskIO): Promise<void> {
  const context = new TaskContext(io);
  await context.run(async () => {
    const params = readReleaseParams(io);
    const credential = context.credential(params.connection, params.pipeline);
    const outcome = await releaseAgents({ agentPool: params.agentPool, runId: params.pipeline.runId, agentNames: params.agentNames }, {
      devops: context.devopsClient(params.devops, params.pipeline, credential),
      provider: context.provider(params.provider, params.connection, credential),
      clock: context.clock,
      log: io,
    });
    io.addSummary('Ephemeral agents released', releaseSummary(params.agentPool, outcome.rows));
    const released = outcome.rows.length - outcome.busy.length;
    if (outcome.failures.length > 0) {
      io.setResult('SucceededWithIssues', io.loc('ReleaseIncomplete', 'Released %s agent(s); %s could not be removed completely', released, outcome.failures.length));
    } else if (outcome.busy.length > 0) {
      io.setResult('SucceededWithIssues', io.loc('AgentsBusy', 'Released %s agent(s); %s still running a job were left: %s', released, outcome.busy.length, outcome.busy.join(', ')));
    } else {
      io.setResult('Succeeded', io.loc('AgentsReleased', 'Released %s agent(s)', released));
    }
  });
}
