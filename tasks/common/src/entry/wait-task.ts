// WaitForAgent end to end over any TaskIO.
import { organizationUrlOf, TaskContext } from '../composition';
import { readWaitParams } from '../params/wait-params';
import { RequestBudget } from '../request-budget';
import { formatDuration, waitSummary } from '../summary';
import type { TaskIO } from '../task-io';
import { type WaitIntervals, WaitFailure } from '../wait';
import { waitForAgents } from '../wait';

/**
 * Azure DevOps requests per minute that the task counts (pool lookup and polls). node-api's discovery
 * adds three more (OPTIONS Location, GET ResourceAreas, OPTIONS distributedtask): 19 < 20 in all.
 */
export const DEVOPS_REQUESTS_PER_MINUTE = 16;
/** Polls in a row before the budget paces them evenly. */
export const DEVOPS_BURST = 5;

export async function runWaitTask(io: TaskIO, intervals?: Partial<WaitIntervals>): Promise<void> {
  const context = new TaskContext(io);
  await context.run(async () => {
    const params = readWaitParams(io);
    const deadline = context.started + params.timeoutMinutes * 60_000;
    const budget = new RequestBudget(DEVOPS_REQUESTS_PER_MINUTE, 60_000, context.clock, DEVOPS_BURST);
    const credential = context.credential(params.connection, params.pipeline);
    const provider = params.provider ? context.provider(params.provider, params.connection, credential, () => deadline) : undefined;
    try {
      const owner = { organization: organizationUrlOf(params.devops, params.pipeline), project: params.pipeline.projectId ?? '', runKind: params.pipeline.runKind, run: params.pipeline.runId };
      const leftAlone: string[] = [];
      const online = await waitForAgents({ ...params, owner }, {
        devops: context.devopsClient(params.devops, params.pipeline, credential, { onRequest: () => budget.record(), deadline: () => deadline }),
        provider,
        budget,
        clock: context.clock,
        log: io,
        loc: (key, fallback, ...args) => io.loc(key, fallback, ...args),
        mask: (text) => context.masker.mask(text),
        signal: context.signals.cancel,
        start: context.started,
        intervals,
        onLeftAlone: (what) => leftAlone.push(what),
      });
      io.addSummary(io.loc('SummaryTitle', 'Ephemeral agents online'), waitSummary(params.agentPool, online.map((a) => ({ ...a, state: 'online' }))));
      const after = formatDuration(Math.max(0, ...online.map((a) => a.onlineAfterMs)));
      if (leftAlone.length > 0) {
        io.setResult('SucceededWithIssues', io.loc('AgentsOnlineLeftAlone', "All %d agent(s) are online in pool '%s' after %s; left alone, not this run's: %s.",
          online.length, params.agentPool, after, leftAlone.join(', ')));
      } else {
        io.setResult('Succeeded', io.loc('AgentsOnline', "All %d agent(s) are online in pool '%s' after %s.", online.length, params.agentPool, after));
      }
    } catch (error) {
      if (error instanceof WaitFailure) {
        io.group(io.loc('DiagnosisGroup', 'Diagnosis'));
        for (const line of error.diagnosis.split('\n')) io.info(line);
        io.endGroup();
        io.addSummary(io.loc('SummaryTitle', 'Ephemeral agents online'), waitSummary(params.agentPool, [
          ...error.online.map((a) => ({ ...a, state: 'online' })),
          ...error.pending.map((name) => ({ name, state: 'not online' })),
        ]));
      }
      throw error;
    }
  });
}
