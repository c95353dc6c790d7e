// ReleaseEphemeralAgent's use case: disable each agent, delete its registration, then delete its
// container group or Batch task, then delete the registrations that came late (agents that were
// still registering). Only what this run owns (ownership.ts) is touched, also for names given
// explicitly; anything else is left alone and reported. An agent still running a job is left (for
// the sweeper) and reported. Safe to run twice: what is already gone is simply not found.
import { AGENT_CAPABILITY, RUN_CAPABILITY, TAG_KEEP_FAILED_MINUTES } from './agent-spec';
import type { Clock } from './clock';
import { mapSettled } from './concurrency';
import { type AgentPoolClient, capability, isBusy, type PoolAgent } from './devops/agent-pool-client';
import { describeError, httpStatusOf } from './errors';
import { factsFromCapabilities, factsOfResource, isOwnedBy, type Owner, RESOURCE_CAPABILITY, whyNotOwned } from './ownership';
import type { AgentProvider, AgentResource } from './providers/provider';
import type { ReleaseSummaryRow } from './summary';
import { formatFallback, type Localize } from './localize';
import type { Logger } from './task-io';

export const RELEASE_CONCURRENCY = 8;

export interface ReleasePlan {
  agentPool: string;
  /** The EPHEMERAL_RUN value of this run (owner.run). */
  runId: string;
  /** Whose agents this run releases; the pool is the one found by name. */
  owner: Omit<Owner, 'pool' | 'run'>;
  /** Explicit names; undefined = every agent and resource of the run. */
  agentNames?: readonly string[];
}

export interface ReleaseDeps {
  devops: AgentPoolClient;
  provider: AgentProvider;
  clock: Clock;
  log: Logger;
  /** Words user-facing lines from task.json messages; plain English without it. */
  loc?: Localize;
}

export interface ReleaseOutcome {
  rows: ReleaseSummaryRow[];
  /** Agents left because they run a job. */
  busy: string[];
  /** Things that could not be removed (each with the reason). */
  failures: string[];
  /** Things of a requested name or of this run's value that are not this run's: left alone (each with the reason). */
  leftAlone: string[];
}

/** A listing refused for want of rights (403) or scope: the message names the input that fixes it. */
function listingHint(provider: AgentProvider): string {
  return provider.listingFix ?? 'check the rights of the identity on the resources and run ReleaseEphemeralAgent again';
}

export async function releaseAgents(plan: ReleasePlan, deps: ReleaseDeps): Promise<ReleaseOutcome> {
  const { devops, provider, log } = deps;
  const loc = deps.loc ?? formatFallback;
  const pool = await devops.findPool(plan.agentPool);
  const owner: Owner = { ...plan.owner, pool: pool.name, run: plan.runId };
  const named = plan.agentNames ? new Set(plan.agentNames.map((n) => n.toLowerCase())) : undefined;
  const leftAlone: string[] = [];
  const failures: string[] = [];
  const leave = (what: string, why: string) => {
    const line = loc('LeftAlone', '%s is left alone: %s.', what, why);
    leftAlone.push(line);
    log.warning(line);
  };

  // Registrations: this run's (by capability) or the named ones; only owned ones go on.
  const listed = named
    ? await devops.listAgents(pool.id, { names: plan.agentNames, includeCapabilities: true, includeAssignedRequest: true })
    : await devops.listAgents(pool.id, {
      demands: [`${RUN_CAPABILITY} -equals ${plan.runId}`, AGENT_CAPABILITY], includeCapabilities: true, includeAssignedRequest: true,
    });
  const agents: PoolAgent[] = [];
  for (const agent of listed) {
    const facts = factsFromCapabilities(agent.capabilities);
    if (isOwnedBy(facts, owner)) agents.push(agent);
    else if (named || capability(agent.capabilities, RUN_CAPABILITY) === plan.runId) leave(`Agent ${agent.name}`, whyNotOwned(facts, owner));
  }
  // Where each registered agent's container lives: Release needs no subscription-wide listing to find it.
  for (const agent of agents) {
    const resourceId = capability(agent.capabilities, RESOURCE_CAPABILITY);
    if (resourceId) provider.learnLocation?.(resourceId);
  }

  let candidates: AgentResource[] = [];
  try {
    candidates = (await provider.listByRun(plan.runId)).filter((r) => !named || named.has(r.name.toLowerCase()));
  } catch (error) {
    // Without the right to list (rights on the resource group only), go on with what the registrations point to.
    const status = httpStatusOf(error);
    failures.push(loc('ListingRefused', 'Could not list the containers/tasks of run %s (%s); those without a registration may be left: %s.',
      plan.runId, describeError(error), status === 403 || status === 401 ? listingHint(provider) : 'run ReleaseEphemeralAgent again'));
  }
  const wanted = named
    ? [...(plan.agentNames ?? [])]
    : agents.map((a) => a.name);
  const missing = wanted.filter((n) => !candidates.some((r) => r.name.toLowerCase() === n.toLowerCase()));
  const found = await mapSettled(missing, RELEASE_CONCURRENCY, (n) => provider.get(n));
  found.forEach((f, i) => {
    if (f.status === 'fulfilled') {
      if (f.value) candidates.push(f.value);
    } else {
      failures.push(`${missing[i]}: could not look up its container/task: ${describeError(f.reason)}. ${listingHint(provider)}`);
    }
  });
  const resources: AgentResource[] = [];
  for (const resource of candidates) {
    const facts = factsOfResource(resource);
    if (isOwnedBy(facts, owner)) resources.push(resource);
    else if (named || (facts.pool ?? '').toLowerCase() === owner.pool.toLowerCase()) leave(`${resource.name} (${resource.where})`, whyNotOwned(facts, owner));
    // Another pool's resources of the same run belong to another ReleaseEphemeralAgent step: not reported.
  }

  const names = [...new Set([...agents.map((a) => a.name), ...resources.map((r) => r.name)])].sort();
  if (names.length === 0) {
    log.info(loc('NothingToRelease', "Nothing to release in pool '%s': no agent or resource of run %s was found (already released?).", pool.name, plan.runId));
    for (const failure of failures) log.warning(failure);
    return { rows: [], busy: [], failures, leftAlone };
  }
  log.info(loc('Releasing', "Releasing %d agent(s) of run %s from pool '%s' on %s: %s", names.length, plan.runId, pool.name, provider.description, names.join(', ')));

  const rows = new Map<string, ReleaseSummaryRow>(names.map((n) => [n, { name: n, registration: 'not registered', resource: 'not found' }]));
  const busy = new Set<string>();
  const byName = new Map(agents.map((a) => [a.name, a]));

  // 1. Disable every idle agent so no new job lands on it.
  log.group(loc('DeletingRegistrations', 'Disabling and deleting registrations'));
  try {
    const idle = agents.filter((a) => {
      if (!isBusy(a)) return true;
      busy.add(a.name);
      return false;
    });
    const disabled = await mapSettled(idle, RELEASE_CONCURRENCY, async (a) => {
      if (a.enabled) await devops.disableAgent(pool.id, a);
    });
    disabled.forEach((d, i) => {
      if (d.status === 'rejected') failures.push(`${idle[i].name}: could not disable: ${describeError(d.reason)}`);
    });
    // 2. Re-check: a job may have been assigned between the listing and the disable.
    const disabledNames = idle.filter((_, i) => disabled[i].status === 'fulfilled').map((a) => a.name);
    const recheck = disabledNames.length > 0 ? await devops.listAgents(pool.id, { names: disabledNames, includeAssignedRequest: true }) : [];
    for (const a of recheck) if (isBusy(a)) busy.add(a.name);
    const deletable = disabledNames.filter((n) => !busy.has(n));
    // 3. Delete the registrations.
    const deleted = await mapSettled(deletable, RELEASE_CONCURRENCY, (n) => devops.deleteAgent(pool.id, (byName.get(n) as PoolAgent).id));
    deleted.forEach((d, i) => {
      const row = rows.get(deletable[i]) as ReleaseSummaryRow;
      if (d.status === 'fulfilled') {
        row.registration = d.value ? 'disabled and deleted' : 'already deleted';
        log.info(loc('AgentDeleted', 'Agent %s: registration disabled and deleted.', deletable[i]));
      } else {
        row.registration = 'delete failed';
        failures.push(`${deletable[i]}: could not delete the registration: ${describeError(d.reason)}`);
      }
    });
    for (const name of busy) {
      const row = rows.get(name) as ReleaseSummaryRow;
      row.registration = 'left: running a job';
      row.resource = 'left: running a job';
      const job = byName.get(name)?.assignedRequest?.jobName;
      log.warning(loc('AgentBusy', 'Agent %s is still running a job%s; it is left for the sweeper (ScaleAgentPool) and not deleted.', name, job ? ` (${job})` : ''));
    }
  } finally {
    log.endGroup();
  }

  // 4. Delete containers/tasks, except those of busy agents and failed ones kept for investigation.
  log.group(loc('DeletingResources', 'Deleting containers and tasks'));
  try {
    const now = deps.clock.now();
    const targets = resources.filter((r) => !busy.has(r.name));
    const results = await mapSettled(targets, RELEASE_CONCURRENCY, async (r) => {
      const keep = Number(r.tags[TAG_KEEP_FAILED_MINUTES] ?? 0);
      const since = (r.finishedAt ?? r.createdAt)?.getTime();
      if (keep > 0 && r.state === 'failed' && since !== undefined && now < since + keep * 60_000) return 'kept';
      return (await provider.delete(r.name)) ? 'deleted' : 'already deleted';
    });
    results.forEach((res, i) => {
      const r = targets[i];
      const row = rows.get(r.name) as ReleaseSummaryRow;
      if (res.status === 'fulfilled') {
        row.resource = res.value === 'kept' ? `kept (failed; keepFailedMinutes)` : `${res.value} (${r.where})`;
        if (res.value === 'kept') log.warning(loc('FailedContainerKept', 'Agent %s: its failed container is kept for investigation until its keepFailedMinutes pass.', r.name));
        else log.info(loc('ResourceDeleted', 'Agent %s: container/task %s.', r.name, res.value));
      } else {
        row.resource = 'delete failed';
        failures.push(`${r.name}: could not delete its container/task: ${describeError(res.reason)}`);
      }
    });
  } finally {
    log.endGroup();
  }
  // 5. Agents that were still registering when their registrations were listed register late: with
  // their containers gone, no more can come, so one more listing finds every one of them.
  const late = (await devops.listAgents(pool.id, named
    ? { names: plan.agentNames, includeCapabilities: true, includeAssignedRequest: true }
    : { demands: [`${RUN_CAPABILITY} -equals ${plan.runId}`, AGENT_CAPABILITY], includeCapabilities: true, includeAssignedRequest: true }))
    .filter((a) => !byName.has(a.name) && !busy.has(a.name) && isOwnedBy(factsFromCapabilities(a.capabilities), owner));
  const lateResults = await mapSettled(late, RELEASE_CONCURRENCY, async (a) => {
    if (a.enabled) await devops.disableAgent(pool.id, a);
    return devops.deleteAgent(pool.id, a.id);
  });
  lateResults.forEach((d, i) => {
    const name = late[i].name;
    const row = rows.get(name) ?? { name, registration: 'not registered', resource: 'not found' };
    rows.set(name, row);
    if (d.status === 'fulfilled') {
      row.registration = 'registered late; disabled and deleted';
      log.info(loc('AgentDeleted', 'Agent %s: registration disabled and deleted.', name));
    } else {
      row.registration = 'delete failed';
      failures.push(`${name}: could not delete the registration: ${describeError(d.reason)}`);
    }
  });
  for (const failure of failures) log.warning(failure);
  return { rows: [...rows.values()].sort((a, b) => a.name.localeCompare(b.name)), busy: [...busy], failures, leftAlone };
}
