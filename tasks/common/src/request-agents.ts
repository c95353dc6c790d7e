// RequestEphemeralAgent's use case: create one container (or Batch task) per agent, replacing what
// an earlier attempt of the same job left, all or nothing.
import { type AgentSpec, buildAgentSpecs, RUN_CAPABILITY } from './agent-spec';
import { abortable } from './cancellation';
import type { Clock } from './clock';
import { mapSettled } from './concurrency';
import type { AgentPoolClient } from './devops/agent-pool-client';
import { AggregateTaskError, CancelledError, CloudError, describeError, InputError, isCancellation } from './errors';
import { factsFromCapabilities, factsOfResource, isOwnedBy, type Owner, whyNotOwned } from './ownership';
import type { RequestParams } from './params/request-params';
import type { AgentProvider, CreatedAgent } from './providers/provider';
import { formatFallback, type Localize } from './localize';
import { registrationDelayWarning } from './registration-delay';
import type { Logger } from './task-io';

/** Deletes and reads in flight at once (creates: CREATES_IN_FLIGHT): ARM and Batch throttle bursts. */
export const CREATE_CONCURRENCY = 8;
/**
 * Creates in flight at once, long-running operations included: the ACI provider bounds its PUTs by
 * ARM's throttling (armWriteLimit), so no create waits for another's operation before it begins.
 */
export const CREATES_IN_FLIGHT = 100;

export interface RequestDeps {
  provider: AgentProvider;
  devops: AgentPoolClient;
  /** Mints a registration secret for one create; the implementation masks it (setSecret) before returning it. */
  registrationSecret: () => Promise<string>;
  log: Logger;
  /** Words user-facing lines from task.json messages; plain English without it. */
  loc?: Localize;
  clock: Clock;
  /** Aborted on cancellation: stop creating, clean up. */
  signal?: AbortSignal;
}

export type RequestPlan = Pick<RequestParams,
  'agentPool' | 'image' | 'osType' | 'cpu' | 'memoryGB' | 'idleTimeoutMinutes' | 'keepFailedMinutes' | 'capabilities' | 'tags' | 'names'> & {
  runId: string;
  runKind?: 'build' | 'release';
  /** System.TeamProjectId. */
  project?: string;
  organizationUrl: string;
};

export interface RequestOutcome {
  agents: CreatedAgent[];
  agentNames: string;
  demand: string;
  resourceIds: string;
}

export function demandFor(runId: string): string {
  return `${RUN_CAPABILITY} -equals ${runId}`;
}

export async function requestAgents(plan: RequestPlan, deps: RequestDeps): Promise<RequestOutcome> {
  const { provider, devops, log } = deps;
  const loc = deps.loc ?? formatFallback;
  log.info(loc('Requesting', "Requesting %d agent(s) for pool '%s' on %s: %s", plan.names.length, plan.agentPool, provider.description, plan.names.join(', ')));
  // Fail on an unknown pool or a missing permission before anything is created.
  const pool = await devops.findPool(plan.agentPool);
  await provider.prepare();
  const delay = await provider.startDelayWarning?.(plan.names.length);
  if (delay) log.warning(registrationDelayWarning(delay));

  const specs = buildAgentSpecs({
    names: plan.names,
    pool: pool.name,
    organizationUrl: plan.organizationUrl,
    image: plan.image,
    osType: plan.osType,
    cpu: plan.cpu,
    memoryGB: plan.memoryGB,
    runId: plan.runId,
    runKind: plan.runKind,
    project: plan.project,
    idleTimeoutMinutes: plan.idleTimeoutMinutes,
    keepFailedMinutes: plan.keepFailedMinutes,
    capabilities: plan.capabilities,
    tags: plan.tags,
    now: deps.clock.now(),
  });

  // The agent registers with --replace, which takes over any registration of its name in the pool:
  // a name held by someone else's agent fails the request before anything is created.
  const owners = new Map(specs.map((spec) => [spec.name.toLowerCase(), spec.owner]));
  const foreign = (await devops.listAgents(pool.id, { names: plan.names, includeCapabilities: true }))
    .filter((agent) => {
      const owner = owners.get(agent.name.toLowerCase());
      return owner !== undefined && !isOwnedBy(factsFromCapabilities(agent.capabilities), owner);
    });
  if (foreign.length > 0) {
    const owner = owners.get(foreign[0].name.toLowerCase()) as Owner;
    throw new InputError('namePrefix',
      `Pool '${pool.name}' already has ${foreign.map((a) => `agent ${a.name}`).join(', ')}, which is not this run's ` +
      `(${whyNotOwned(factsFromCapabilities(foreign[0].capabilities), owner)}); registering would take it over, so nothing was created ` +
      "and it is left alone. Set input 'namePrefix' to another prefix");
  }

  const attempted = new Set<string>();
  /** Creates that have returned (created or failed): the rest may still land after a cancellation. */
  const settled = new Set<string>();
  let done = 0;
  const cancelled = () => new CancelledError('RequestEphemeralAgent was cancelled; removing the agents it created.');
  const createOne = async (spec: AgentSpec): Promise<CreatedAgent> => {
    if (deps.signal?.aborted) throw cancelled();
    // A retried job reuses its names: remove what the earlier attempt left, then create afresh.
    const previous = await provider.get(spec.name);
    if (previous && !isOwnedBy(factsOfResource(previous), spec.owner)) {
      // Never replace what is not this run's: a container group of this name belongs to someone else.
      throw new CloudError('Azure Resource Manager',
        `A container or task named '${spec.name}' exists and is not this run's (${whyNotOwned(factsOfResource(previous), spec.owner)}); it is left alone. Set input 'namePrefix' to another prefix`);
    }
    if (previous) {
      log.info(loc('AgentReplaced', 'Agent %s: removing the %s container of an earlier attempt of this job.', spec.name, previous.state));
      await provider.delete(spec.name);
    }
    if (deps.signal?.aborted) throw cancelled();
    // Each create carries a registration token minted for it: none has aged while others were created.
    const secret = await deps.registrationSecret();
    if (deps.signal?.aborted) throw cancelled();
    attempted.add(spec.name);
    const created = await provider.create(spec, secret).finally(() => settled.add(spec.name));
    log.info(loc('AgentCreated', 'Agent %s: created on %s.', spec.name, created.where));
    done++;
    log.progress((done / specs.length) * 100, `${done} of ${specs.length} agents created`);
    return created;
  };

  log.group(loc('CreatingAgents', 'Creating agents'));
  let results: PromiseSettledResult<CreatedAgent>[];
  try {
    results = await abortable(mapSettled(specs, CREATES_IN_FLIGHT, createOne), deps.signal, cancelled);
  } catch (error) {
    results = specs.map(() => ({ status: 'rejected', reason: error }));
  } finally {
    log.endGroup();
  }

  const failures = results
    .map((r, i) => ({ r, name: specs[i].name }))
    .filter((x): x is { r: PromiseRejectedResult; name: string } => x.r.status === 'rejected');
  if (failures.length === 0) {
    const agents = results.map((r) => (r as PromiseFulfilledResult<CreatedAgent>).value);
    return {
      agents,
      agentNames: agents.map((a) => a.name).join(','),
      demand: demandFor(plan.runId),
      resourceIds: agents.map((a) => a.resourceId).join(','),
    };
  }

  for (const { r, name } of failures) {
    if (!isCancellation(r.reason)) log.error(`Agent ${name}: ${describeError(r.reason)}`);
  }
  const cancellation = failures.find((f) => isCancellation(f.r.reason));
  let unseen: string[] = [];
  if (cancellation) {
    // A create sent before the cancellation may still land: wait for those in flight (within the
    // cancellation grace) so the cleanup below finds what they made.
    unseen = await awaitInFlight([...attempted].filter((n) => !settled.has(n)), settled, deps);
  }
  // Listed once more only when a create in flight made nothing visible within the grace: it may still land.
  const relist = cancellation && unseen.length > 0 ? { runId: plan.runId, names: specs.map((s) => s.name) } : undefined;
  const left = await removeAttempted([...attempted], pool.id, plan.keepFailedMinutes, deps, owners, relist);
  if (cancellation) throw cancelled();
  const first = failures[0];
  const kept = left.length === 0 ? 'so none were kept' : `and what was made could not all be removed: ${left.join('; ')} (ReleaseEphemeralAgent removes it)`;
  throw new AggregateTaskError(
    failures.length === 1
      ? `Agent ${first.name} could not be provisioned, ${kept}: ${describeError(first.r.reason)}`
      : `${failures.length} of ${specs.length} agents could not be provisioned, ${kept}. First error (${first.name}): ${describeError(first.r.reason)}`,
    failures.map((f) => f.r.reason),
  );
}

/** How long a cancelled request waits for creates in flight: the agent's cancellation grace, less time for the deletes. */
export const IN_FLIGHT_GRACE_MS = 5_000;
const IN_FLIGHT_POLL_MS = 500;

/**
 * Waits until each create has returned or its resource exists, at most IN_FLIGHT_GRACE_MS. Returns
 * the names whose create was still in flight with nothing to see at the end: those may land later.
 */
async function awaitInFlight(names: string[], settled: ReadonlySet<string>, deps: RequestDeps): Promise<string[]> {
  if (names.length === 0) return [];
  const deadline = deps.clock.now() + IN_FLIGHT_GRACE_MS;
  const seen = await mapSettled(names, CREATE_CONCURRENCY, async (name) => {
    while (!settled.has(name) && deps.clock.now() < deadline) {
      if (await deps.provider.get(name).catch(() => undefined)) return true;
      await deps.clock.sleep(Math.min(IN_FLIGHT_POLL_MS, Math.max(0, deadline - deps.clock.now())));
    }
    return settled.has(name);
  });
  return names.filter((_, i) => !(seen[i].status === 'fulfilled' && seen[i].value));
}

/**
 * All or nothing: removes every container/task this run of the task attempted, then their
 * registrations. After a cancellation (`relist`), the run's resources are listed once more and
 * this job's that a late create made are removed too. Returns what is left, each with the reason.
 */
async function removeAttempted(names: string[], poolId: number, keepFailedMinutes: number, deps: RequestDeps,
  owners: ReadonlyMap<string, Owner>, relist?: { runId: string; names: readonly string[] }): Promise<string[]> {
  const { provider, devops, log } = deps;
  const loc = deps.loc ?? formatFallback;
  const left: string[] = [];
  if (names.length === 0) return left;
  log.group(loc('RemovingCreated', 'Removing %d agent(s) created by this task', names.length));
  try {
    // Containers first, so no agent can register again after its registration is deleted.
    const deletions = await mapSettled(names, CREATE_CONCURRENCY, async (name) => {
      if (keepFailedMinutes > 0) {
        const status = await provider.get(name);
        if (status?.state === 'failed') {
          log.warning(loc('KeptFailed', 'Agent %s: keeping its failed container for %d minutes for investigation (keepFailedMinutes); ReleaseEphemeralAgent or a sweeper removes it later.', name, keepFailedMinutes));
          return 'kept';
        }
      }
      return provider.delete(name);
    });
    deletions.forEach((d, i) => {
      if (d.status === 'rejected') {
        log.warning(loc('ResourceNotDeleted', 'Agent %s: could not delete its container or task: %s', names[i], describeError(d.reason)));
        left.push(`the container/task of ${names[i]}`);
      } else if (d.value === 'kept') {
        left.push(`the failed container/task of ${names[i]} (kept for keepFailedMinutes)`);
      }
    });
    if (relist) {
      const ours = new Set(relist.names.map((n) => n.toLowerCase()));
      const late = (await provider.listByRun(relist.runId)).filter((r) => ours.has(r.name.toLowerCase()));
      const lateDeletions = await mapSettled(late, CREATE_CONCURRENCY, (r) => provider.delete(r.name));
      lateDeletions.forEach((d, i) => {
        if (d.status === 'rejected') left.push(`the container/task of ${late[i].name}`);
      });
    }
    // Only this run's registrations: one of the same name that is someone else's is left alone.
    const agents = (await devops.listAgents(poolId, { names, includeCapabilities: true })).filter((agent) => {
      const owner = owners.get(agent.name.toLowerCase());
      const ours = owner !== undefined && isOwnedBy(factsFromCapabilities(agent.capabilities), owner);
      if (!ours) log.warning(loc('RegistrationNotOurs', 'Agent %s: its registration is not this run\'s, so it is left alone.', agent.name));
      return ours;
    });
    const registrations = await mapSettled(agents, CREATE_CONCURRENCY, (agent) => devops.deleteAgent(poolId, agent.id));
    registrations.forEach((d, i) => {
      if (d.status === 'rejected') {
        log.warning(loc('RegistrationNotDeleted', 'Agent %s: could not delete its registration: %s', agents[i].name, describeError(d.reason)));
        left.push(`the registration of ${agents[i].name}`);
      }
    });
  } catch (error) {
    log.warning(loc('CleanupIncomplete', 'Cleanup was incomplete: %s. ReleaseEphemeralAgent (condition: always()) removes what is left.', describeError(error)));
    left.push(`possibly more (cleanup stopped: ${describeError(error)})`);
  } finally {
    log.endGroup();
  }
  return left;
}
