// WaitForAgent's use case: block until every named agent is online and enabled.
import { formatFallback } from './localize';
import { type AgentOnline, type WaitServices, waitUntilOnline } from './wait';

export interface WaitPlan {
  agentPool: string;
  agentNames: readonly string[];
  timeoutMinutes: number;
}

export interface WaitDeps extends WaitServices {
  /** When the task started (epoch ms); defaults to now. */
  start?: number;
}

export async function waitForAgents(plan: WaitPlan, deps: WaitDeps): Promise<AgentOnline[]> {
  const start = deps.start ?? deps.clock.now();
  const deadline = start + plan.timeoutMinutes * 60_000;
  const loc = deps.loc ?? formatFallback;
  deps.log.info(loc('Waiting', "Waiting up to %d minutes for %d agent(s) in pool '%s': %s", plan.timeoutMinutes, plan.agentNames.length, plan.agentPool, plan.agentNames.join(', ')));
  const pool = await deps.devops.findPool(plan.agentPool);
  const { start: _started, ...services } = deps;
  return waitUntilOnline({ ...services, loc, poolId: pool.id, names: plan.agentNames, start, deadline, timeoutMinutes: plan.timeoutMinutes });
}
