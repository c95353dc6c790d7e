// Removing agents the scaler no longer needs, without ever taking a job away: disable the idle ones,
// read them again (a job may have been assigned between the listing and the disable), then delete
// the registration and the container group or Batch task of those still without a job.
import { mapSettled } from '../concurrency';
import { type AgentPoolClient, isBusy, type PoolAgent } from '../devops/agent-pool-client';
import { describeError } from '../errors';
import type { AgentProvider, AgentResource } from '../providers/provider';

export const REMOVE_CONCURRENCY = 8;

export interface Removal {
  /** The agent name (also the slot name for the scaler's own agents). */
  name: string;
  agent?: PoolAgent;
  /** Container groups or Batch tasks to delete. */
  resources: readonly AgentResource[];
  reason: string;
}

export interface RemovalOutcome {
  removal: Removal;
  removed: boolean;
  /** What happened, for the log and the summary. */
  detail: string;
}

export interface RemovalDeps {
  devops: AgentPoolClient;
  provider: AgentProvider;
  poolId: number;
}

export async function removeAgents(removals: readonly Removal[], deps: RemovalDeps): Promise<RemovalOutcome[]> {
  if (removals.length === 0) return [];
  const { devops, provider, poolId } = deps;
  const outcomes = new Map<Removal, RemovalOutcome>();

  const withAgent = removals.filter((r) => r.agent && !isBusy(r.agent));
  for (const r of removals) {
    if (r.agent && isBusy(r.agent)) outcomes.set(r, { removal: r, removed: false, detail: 'left: running a job' });
  }
  const disabled = await mapSettled(withAgent, REMOVE_CONCURRENCY, async (r) => {
    if (r.agent?.enabled) await devops.disableAgent(poolId, r.agent);
  });
  disabled.forEach((d, i) => {
    if (d.status === 'rejected') outcomes.set(withAgent[i], { removal: withAgent[i], removed: false, detail: `could not disable: ${describeError(d.reason)}` });
  });

  // Re-check: only agents still without a job go.
  const names = withAgent.filter((r) => !outcomes.has(r)).map((r) => r.name);
  const again = names.length > 0 ? await devops.listAgents(poolId, { names, includeAssignedRequest: true }) : [];
  const current = new Map(again.map((a) => [a.name.toLowerCase(), a]));
  for (const r of withAgent) {
    if (outcomes.has(r)) continue;
    if (isBusy(current.get(r.name.toLowerCase()))) {
      outcomes.set(r, { removal: r, removed: false, detail: 'left: a job was assigned while it was being disabled (it runs that job, then ends)' });
    }
  }

  const go = removals.filter((r) => !outcomes.has(r));
  const results = await mapSettled(go, REMOVE_CONCURRENCY, async (r) => {
    // By the id observed: a registration of that name made since may be someone else's.
    const agent = r.agent;
    const registration = agent ? await devops.deleteAgent(poolId, agent.id) : false;
    let deleted = 0;
    for (const resource of r.resources) if (await provider.delete(resource.name)) deleted++;
    const parts = [agent ? (registration ? 'registration deleted' : 'registration already gone') : undefined,
      r.resources.length > 0 ? `${deleted} of ${r.resources.length} container(s)/task(s) deleted` : undefined].filter(Boolean);
    return parts.join(', ') || 'nothing left to delete';
  });
  results.forEach((res, i) => {
    outcomes.set(go[i], res.status === 'fulfilled'
      ? { removal: go[i], removed: true, detail: res.value }
      : { removal: go[i], removed: false, detail: `could not be removed: ${describeError(res.reason)}` });
  });
  return removals.map((r) => outcomes.get(r) as RemovalOutcome);
}
