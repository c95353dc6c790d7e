// WaitForAgent@1: wiring only. Waits until the named agents are online and enabled.
import { TaskContext } from '../../common/src/composition';
import { readWaitParams } from '../../common/src/params/wait-params';
import { RequestBudget } from '../../common/src/request-budget';
import { waitSummary } from '../../common/src/summary';
import { TaskLibIO } from '../../common/src/task-lib-io';
import { taskJsonCandidates } from '../../common/src/task-json';
import { WaitFailure } from '../../common/src/wait';
import { waitForAgents } from '../../common/src/wait-for-agents';

/** Azure DevOps requests per minute, discovery included. */
const DEVOPS_REQUESTS_PER_MINUTE = 18;

async function run(): Promise<void> {
  const io = new TaskLibIO({ taskJsonCandidates: taskJsonCandidates(__dirname, 'WaitForAgentV1') });
  const context = new TaskContext(io);
  await context.run(async () => {
    const params = readWaitParams(io);
    const deadline = context.started + params.timeoutMinutes * 60_000;
    const budget = new RequestBudget(DEVOPS_REQUESTS_PER_MINUTE, 60_000, context.clock);
    const credential = context.credential(params.connection, params.pipeline);
    const provider = params.provider ? context.provider(params.provider, params.connection, credential, () => deadline) : undefined;
    try {
      const online = await waitForAgents(params, {
        devops: context.devopsClient(params.devops, params.pipeline, credential, { onRequest: () => budget.record(), deadline: () => deadline }),
        provider,
        budget,
        clock: context.clock,
        log: io,
        mask: (text) => context.masker.mask(text),
        signal: context.signals.cancel,
        start: context.started,
      });
      io.addSummary('Ephemeral agents online', waitSummary(params.agentPool, online.map((a) => ({ ...a, state: 'online' }))));
      io.setResult('Succeeded', io.loc('AgentsOnline', '%s agent(s) online', online.length));
    } catch (error) {
      if (error instanceof WaitFailure) {
        io.group('Diagnosis');
        for (const line of error.diagnosis.split('\n')) io.info(line);
        io.endGroup();
        io.addSummary('Ephemeral agents online', waitSummary(params.agentPool, [
          ...error.online.map((a) => ({ ...a, state: 'online' })),
          ...error.pending.map((name) => ({ name, state: 'not online' })),
        ]));
      }
      throw error;
    }
  });
}

void run();
