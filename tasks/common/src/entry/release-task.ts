// ReleaseEphemeralAgent end to end over any TaskIO.
import { organizationUrlOf, TaskContext } from '../composition';
import { readReleaseParams } from '../params/release-params';
import { releaseAgents } from '../release-agents';
import { releaseSummary } from '../summary';
import type { TaskIO } from '../task-io';

export async function runReleaseTask(io: TaskIO): Promise<void> {
  const context = new TaskContext(io);
  await context.run(async () => {
    const params = readReleaseParams(io);
    const credential = context.credential(params.connection, params.pipeline);
    const owner = { organization: organizationUrlOf(params.devops, params.pipeline), project: params.pipeline.projectId ?? '', runKind: params.pipeline.runKind };
    const outcome = await releaseAgents({ agentPool: params.agentPool, runId: params.pipeline.runId, owner, agentNames: params.agentNames }, {
      devops: context.devopsClient(params.devops, params.pipeline, credential),
      provider: context.provider(params.provider, params.connection, credential),
      clock: context.clock,
      log: io,
      loc: (key, fallback, ...args) => io.loc(key, fallback, ...args),
    });
    io.addSummary(io.loc('SummaryTitle', 'Ephemeral agents released'), releaseSummary(params.agentPool, outcome.rows));
    const released = outcome.rows.length - outcome.busy.length;
    const message = io.loc('Released', '%d agent(s) released, %d left for the sweeper.', released, outcome.busy.length);
    if (outcome.failures.length > 0) {
      io.setResult('SucceededWithIssues', `${message} ${outcome.failures.length} could not be removed completely: ${outcome.failures.join('; ')}`);
    } else if (outcome.leftAlone.length > 0) {
      io.setResult('SucceededWithIssues', `${message} Left alone, not this run's: ${outcome.leftAlone.join('; ')}`);
    } else {
      io.setResult(outcome.busy.length > 0 ? 'SucceededWithIssues' : 'Succeeded', message);
    }
  });
}
