// WaitForAgent's use case: block until every named agent is online and enabled.
import type { Clock } from './clock';
import type { AgentPoolClient } from './devops/agent-pool-client';
import type { AgentProvider } from './providers/provider';
import type { RequestBudget } from './request-budget';
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
  mask: (text: string) => string;
  signal?: AbortSignal;
  intervals?: Partial<WaitIntervals>;
  /** When the task started (epoch ms); defaults to now. */
  start?: number;
}

export async function waitForAgents(plan: WaitPlan, deps: WaitDeps): Promise<AgentOnline[]> {
  const start = deps.start ?? deps.clock.now();
  const deadline = start + plan.timeoutMinutes * 60_000;
  deps.log.info(`Waiting up to ${plan.timeoutMinutes} minutes for ${plan.agentNames.length} agent(s) in pool '${plan.agentPool}': ${plan.agentNames.join(', ')}`);
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
    mask: deps.mask,
    signal: deps.signal,
    intervals: deps.intervals,
  });
}
