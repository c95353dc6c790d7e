// RequestEphemeralAgent's use case: create one container (or Batch task) per agent, replacing what
// an earlier attempt of the same job left, all or nothing.
import { type AgentSpec, buildAgentSpecs, RUN_CAPABILITY } from './agent-spec';
import { abortable } from './cancellation';
import type { Clock } from './clock';
import { mapSettled } from './concurrency';
import type { AgentPoolClient } from './devops/agent-pool-client';
import { AggregateTaskError, CancelledError, describeError, isCancellation } from './errors';
import type { RequestParams } from './params/request-params';
import type { AgentProvider, CreatedAgent } from './providers/provider';
import { formatFallback, type Localize } from './localize';
import { registrationDelayWarning } from './registration-delay';
import type { Logger } from './task-io';

/** Creates in flight at once: ARM and Batch throttle bursts of writes. */
export const CREATE_CONCURRENCY = 8;

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
    idleTimeoutMinutes: plan.idleTimeoutMinutes,
    keepFailedMinutes: plan.keepFailedMinutes,
    capabilities: plan.capabilities,
    tags: plan.tags,
    now: deps.clock.now(),
  });

  const attempted = new Set<string>();
  let done = 0;
  const cancelled = () => new CancelledError('RequestEphemeralAgent was cancelled; removing the agents it created.');
  const createOne = async (spec: AgentSpec): Promise<CreatedAgent> => {
    if (deps.signal?.aborted) throw cancelled();
    // A retried job reuses its names: remove what the earlier attempt left, then create afresh.
    const previous = await provider.get(spec.name);
    if (previous) {
      log.info(loc('AgentReplaced', 'Agent %s: removing the %s container of an earlier attempt of this job.', spec.name, previous.state));
      await provider.delete(spec.name);
    }
    if (deps.signal?.aborted) throw cancelled();
    attempted.add(spec.name);
    // Each create carries a registration token minted for it: none has aged while others were created.
    const secret = await deps.registrationSecret();
    if (deps.signal?.aborted) throw cancelled();
    const created = await provider.create(spec, secret);
    log.info(loc('AgentCreated', 'Agent %s: created on %s.', spec.name, created.where));
    done++;
    log.progress((done / specs.length) * 100, `${done} of ${specs.length} agents created`);
    return created;
  };

  log.group(loc('CreatingAgents', 'Creating agents'));
  let results: PromiseSettledResult<CreatedAgent>[];
  try {
    results = await abortable(mapSettled(specs, CREATE_CONCURRENCY, createOne), deps.signal, cancelled);
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
  await removeAttempted([...attempted], pool.id, plan.keepFailedMinutes, deps);
  const cancellation = failures.find((f) => isCancellation(f.r.reason));
  if (cancellation) throw cancelled();
  const first = failures[0];
  throw new AggregateTaskError(
    failures.length === 1
      ? `Agent ${first.name} could not be provisioned, so none were kept: ${describeError(first.r.reason)}`
      : `${failures.length} of ${specs.length} agents could not be provisioned, so none were kept. First error (${first.name}): ${describeError(first.r.reason)}`,
    failures.map((f) => f.r.reason),
  );
}

/** All or nothing: removes every container/task this run of the task attempted, then their registrations. */
async function removeAttempted(names: string[], poolId: number, keepFailedMinutes: number, deps: RequestDeps): Promise<void> {
  const { provider, devops, log } = deps;
  const loc = deps.loc ?? formatFallback;
  if (names.length === 0) return;
  log.group(loc('RemovingCreated', 'Removing %d agent(s) created by this task', names.length));
  try {
    // Containers first, so no agent can register again after its registration is deleted.
    const deletions = await mapSettled(names, CREATE_CONCURRENCY, async (name) => {
      if (keepFailedMinutes > 0) {
        const status = await provider.get(name);
        if (status?.state === 'failed') {
          log.warning(loc('KeptFailed', 'Agent %s: keeping its failed container for %d minutes for investigation (keepFailedMinutes); ReleaseEphemeralAgent or a sweeper removes it later.', name, keepFailedMinutes));
          return false;
        }
      }
      return provider.delete(name);
    });
    deletions.forEach((d, i) => {
      if (d.status === 'rejected') log.warning(loc('ResourceNotDeleted', 'Agent %s: could not delete its container or task: %s', names[i], describeError(d.reason)));
    });
    const agents = await devops.listAgents(poolId, { names });
    const registrations = await mapSettled(agents, CREATE_CONCURRENCY, (agent) => devops.deleteAgent(poolId, agent.id));
    registrations.forEach((d, i) => {
      if (d.status === 'rejected') log.warning(loc('RegistrationNotDeleted', 'Agent %s: could not delete its registration: %s', agents[i].name, describeError(d.reason)));
    });
  } catch (error) {
    log.warning(loc('CleanupIncomplete', 'Cleanup was incomplete: %s. ReleaseEphemeralAgent (condition: always()) removes what is left.', describeError(error)));
  } finally {
    log.endGroup();
  }
}
