// WaitForAgent's use case: block until every named agent is online and enabled.
import type { Clock } from './clock';
import type { AgentPoolClient } from './devops/agent-pool-client';
import type { AgentProvider } from './providers/provider';
import type { RequestBudget } from './request-budget';
import { formatFallback, type Localize } from './localize';
import type { Logger } from './task-io';
import { type AgentOnline, type WaitIntervals, waitUntilOnline } from './wait';

export interface WaitPlan {
  agentPool: string;
  agentNames: readonly string[];
  timeoutMinutes: number;
}

export interface WaitDeps {
  devops: AgentPoolClient;
  provider?: AgentProvider;
  budget: RequestBudget;
  clock: Clock;
  log: Logger;
  /** Words user-facing lines from task.json messages; plain English without it. */
  loc?: Localize;
  mask: (text: string) => string;
  signal?: AbortSignal;
  intervals?: Partial<WaitIntervals>;
  /** When the task started (epoch ms); defaults to now. */
  start?: number;
}

export async function waitForAgents(plan: WaitPlan, deps: WaitDeps): Promise<AgentOnline[]> {
  const start = deps.start ?? deps.clock.now();
  const deadline = start + plan.timeoutMinutes * 60_000;
  const loc = deps.loc ?? formatFallback;
  deps.log.info(loc('Waiting', "Waiting up to %d minutes for %d agent(s) in pool '%s': %s", plan.timeoutMinutes, plan.agentNames.length, plan.agentPool, plan.agentNames.join(', ')));
  const pool = await deps.devops.findPool(plan.agentPool);
  return waitUntilOnline({
    poolId: pool.id,
    names: plan.agentNames,
    start,
    deadline,
    timeoutMinutes: plan.timeoutMinutes,
    devops: deps.devops,
    provider: deps.provider,
    budget: deps.budget,
    clock: deps.clock,
    log: deps.log,
    loc,
    mask: deps.mask,
    signal: deps.signal,
    intervals: deps.intervals,
  });
}
