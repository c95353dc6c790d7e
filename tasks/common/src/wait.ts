// Waiting for agents to come online, cheaply: the cloud status (ARM/Batch reads, which do not count
// against Azure DevOps' limits) is polled steadily, and Azure DevOps is polled fast only while a
// container is running but its agent is not online yet. One list request per Azure DevOps poll, at
// most `budget.limit` per minute. On timeout, or as soon as a container/task fails, a diagnosis.
import { type Clock, throwIfAborted } from './clock';
import { mapSettled } from './concurrency';
import { type AgentPoolClient, capability } from './devops/agent-pool-client';
import { describeError, isCancellation, TaskError } from './errors';
import { factsFromCapabilities, factsOfResource, isOwnedBy, type Owner, RESOURCE_CAPABILITY, whyNotOwned } from './ownership';
import type { AgentProvider, AgentStatus } from './providers/provider';
import { hasEnded } from './providers/provider';
import type { RequestBudget } from './request-budget';
import { formatDuration } from './summary';
import { formatFallback, type Localize } from './localize';
import type { Logger } from './task-io';

export interface WaitIntervals {
  /** Azure DevOps poll while a container runs and its agent is not online yet. */
  devopsFastMs: number;
  /** Azure DevOps poll while no container runs yet (the cloud status may lag). */
  devopsSlowMs: number;
  /** Azure DevOps poll when the task cannot see the containers. */
  devopsBlindMs: number;
  /** Cloud status poll (per round, all pending agents). */
  cloudMs: number;
}

export const DEFAULT_INTERVALS: WaitIntervals = { devopsFastMs: 750, devopsSlowMs: 15_000, devopsBlindMs: 3_000, cloudMs: 1_000 };

/** What waiting uses: the clients, the clock, the log. */
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
  /** Told of each registration or container of a waited-for name that is left alone because it is not ours. */
  onLeftAlone?: (what: string) => void;
}

export interface WaitOptions extends WaitDeps {
  poolId: number;
  /** Whose agents these are: a registration or container of a wanted name that is not theirs is left alone and never counted. */
  owner?: Owner;
  names: readonly string[];
  /** When waiting started (epoch ms): time to online is measured from here. */
  start: number;
  /** Epoch ms. */
  deadline: number;
  timeoutMinutes: number;
  /** Lines of container log in a diagnosis. */
  logLines?: number;
  /**
   * False when the provider comes from this task's inputs rather than from where RequestEphemeralAgent
   * recorded it put the agents: a missing resource then proves nothing until the agent's registration
   * (its EPHEMERAL_RESOURCE) confirms the provider looks in the right place.
   */
  placementRecorded?: boolean;
}

export interface AgentOnline {
  name: string;
  onlineAfterMs: number;
  where?: string;
}

/** How long an agent's container or task may be missing before it counts as gone (not yet visible after its create). */
export const MISSING_GRACE_MS = 2 * 60_000;

/** The service an EPHEMERAL_RESOURCE value lives in: an ARM container group id or a Batch task URL. */
export function serviceOfResource(resourceId: string): 'Azure Resource Manager' | 'Azure Batch' | undefined {
  if (/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.ContainerInstance\/containerGroups\/[^/]+$/i.test(resourceId)) {
    return 'Azure Resource Manager';
  }
  if (/^https:\/\/[^/]+\/jobs\/[^/]+\/tasks\/[^/]+$/i.test(resourceId)) return 'Azure Batch';
  return undefined;
}

/** Raised when agents do not come online; `diagnosis` explains each missing agent. */
export class WaitFailure extends TaskError {
  constructor(message: string, readonly diagnosis: string, readonly online: AgentOnline[], readonly pending: string[]) {
    super(`${message}\n${diagnosis}`);
  }
}

/** What a person needs to act on: the state of each missing agent, its events and the end of its log. */
export async function diagnose(names: readonly string[], provider: AgentProvider | undefined, mask: (text: string) => string, logLines = 30,
  known = new Map<string, AgentStatus | undefined>()): Promise<string> {
  if (!provider) {
    return names.map((n) => `Agent ${n}: not online. Give the task 'azureSubscription' (and the provider inputs) to see its container's state and log.`).join('\n');
  }
  const parts = await mapSettled(names, 4, async (name) => {
    const status = known.has(name) ? known.get(name) : await provider.get(name);
    if (!status) return `Agent ${name}: its container or task does not exist (deleted, or never created; one of the same name that is not this run's does not count).`;
    const lines = [`Agent ${name} (${status.where}): ${status.state} — ${status.detail}${status.exitCode !== undefined ? `, exit code ${status.exitCode}` : ''}`];
    if (status.failure) lines.push(`  Failure: ${status.failure}`);
    if (status.events.length > 0) lines.push('  Events:', ...status.events.slice(-10).map((e) => `    ${e}`));
    const tail = await provider.logTail(name, logLines).catch(() => undefined);
    if (tail?.trim()) lines.push(`  Last ${logLines} log lines:`, ...tail.trimEnd().split(/\r?\n/).slice(-logLines).map((l) => `    ${l}`));
    else lines.push('  No container log is available.');
    return lines.join('\n');
  });
  return mask(parts.map((p, i) => (p.status === 'fulfilled' ? p.value : `Agent ${names[i]}: cannot read its state: ${describeError(p.reason)}`)).join('\n'));
}

export async function waitUntilOnline(options: WaitOptions): Promise<AgentOnline[]> {
  const intervals = { ...DEFAULT_INTERVALS, ...options.intervals };
  const { clock, log, devops, budget } = options;
  const loc = options.loc ?? formatFallback;
  let provider = options.provider;
  const pending = new Set(options.names);
  const online: AgentOnline[] = [];
  const statuses = new Map<string, AgentStatus | undefined>();
  const reportedDisabled = new Set<string>();
  /** When each agent's resource was first found missing: it may not be visible yet just after its create. */
  const missingSince = new Map<string, number>();
  let lastCloud = -Infinity;
  let lastDevops = -Infinity;
  const cloudInterval = Math.max(intervals.cloudMs, Math.min(10_000, options.names.length * 250));
  const placementRecorded = options.placementRecorded !== false;
  /** Agents whose registration says their resource is where the provider looks. */
  const placementConfirmed = new Set<string>();
  /** Agents whose registration says their resource lives with another service: the provider cannot see them. */
  const elsewhere = new Map<string, string>();
  const learnPlacement = (name: string, resourceId: string | undefined) => {
    if (!provider || !resourceId || placementConfirmed.has(name) || elsewhere.has(name)) return;
    const service = serviceOfResource(resourceId);
    if (!service) return;
    if (service === provider.serviceName) {
      provider.learnLocation?.(resourceId);
      placementConfirmed.add(name);
      return;
    }
    elsewhere.set(name, resourceId);
    statuses.delete(name);
    missingSince.delete(name);
    log.info(loc('AgentElsewhere', 'Agent %s runs at %s, not in %s: its state is read from Azure DevOps only (set the provider inputs to where RequestEphemeralAgent put it to see its container).',
      name, resourceId, provider.description));
  };

  const warnedForeign = new Set<string>();
  const warnForeign = (what: string, why: string) => {
    if (warnedForeign.has(what)) return;
    warnedForeign.add(what);
    options.onLeftAlone?.(what);
    log.warning(loc('NotOurs', '%s has a name this task waits for but is left alone: %s.', what, why));
  };

  const fail = async (message: string): Promise<never> => {
    const names = [...pending];
    throw new WaitFailure(message, await diagnose(names, provider, options.mask, options.logLines, statuses), online, names);
  };

  while (pending.size > 0) {
    throwIfAborted(options.signal);
    let now = clock.now();
    if (now >= options.deadline) {
      await fail(`${pending.size} of ${options.names.length} agent(s) did not come online within ${options.timeoutMinutes} minutes: ${[...pending].join(', ')}`);
    }

    if (provider && now - lastCloud >= cloudInterval) {
      lastCloud = now;
      const names = [...pending].filter((n) => !elsewhere.has(n));
      const results = await mapSettled(names, 8, (name) => (provider as AgentProvider).get(name));
      const failed: string[] = [];
      const firstRound = statuses.size === 0;
      let started = false;
      const owned = results.map((result): PromiseSettledResult<AgentStatus | undefined> => {
        if (result.status !== 'fulfilled' || !result.value || !options.owner || isOwnedBy(factsOfResource(result.value), options.owner)) return result;
        // Someone else's container of this name: never diagnosed, never counted.
        warnForeign(`${result.value.name} (${result.value.where})`, whyNotOwned(factsOfResource(result.value), options.owner));
        return { status: 'fulfilled', value: undefined };
      });
      owned.forEach((result, i) => {
        if (result.status === 'fulfilled') {
          started ||= !firstRound && statuses.get(names[i])?.state !== 'running' && result.value?.state === 'running';
          statuses.set(names[i], result.value);
          if (result.value) {
            missingSince.delete(names[i]);
            if (hasEnded(result.value.state)) failed.push(names[i]);
          } else {
            // Unknown, not ended, until it has stayed missing for a while; and never ended when the
            // provider may be looking in the wrong place (inputs, not the recorded placement).
            const since = missingSince.get(names[i]) ?? now;
            missingSince.set(names[i], since);
            const trusted = placementRecorded || placementConfirmed.has(names[i]);
            if (trusted && now - since >= MISSING_GRACE_MS) failed.push(names[i]);
          }
        } else if (isCancellation(result.reason)) {
          throw result.reason;
        }
      });
      // An agent needs a moment after its container starts: asking Azure DevOps at that very instant
      // would only cost a request, so the next poll comes one fast interval later.
      if (started) lastDevops = Math.max(lastDevops, now);
      const broken = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (broken && results.length > 0 && results.every((r) => r.status === 'rejected')) {
        log.warning(loc('ContainersUnreadable', "Cannot read the agents' containers (%s); waiting without them, so a failed container shows only at the timeout.", describeError(broken.reason)));
        provider = undefined;
      }
      if (failed.length > 0) {
        const what = failed.map((n) => `${n} (${statuses.get(n)?.state ?? 'missing'})`).join(', ');
        await fail(`The container or task of ${failed.length} agent(s) ended before the agent came online: ${what}`);
      }
      now = clock.now();
    }

    const anyRunning = !provider || [...pending].some((n) => {
      const state = statuses.get(n)?.state;
      return state === 'running' || state === 'unknown' || state === undefined;
    });
    const devopsInterval = !provider ? intervals.devopsBlindMs : anyRunning ? intervals.devopsFastMs : intervals.devopsSlowMs;
    // While every container is still being created, no agent can be online: the first Azure DevOps
    // poll waits for a container to run (or for the slow interval), saving a request per wait.
    if (lastDevops === -Infinity && provider && !anyRunning) lastDevops = options.start;
    const devopsDue = Math.max(lastDevops + devopsInterval, budget.nextAllowedAt());
    if (now >= devopsDue) {
      lastDevops = now;
      const agents = await devops.listAgents(options.poolId, { names: [...pending], includeCapabilities: options.owner !== undefined || !placementRecorded });
      const seenAt = clock.now();
      for (const agent of agents) {
        const name = options.names.find((n) => n.toLowerCase() === agent.name.toLowerCase());
        if (!name || !pending.has(name)) continue;
        if (options.owner && !isOwnedBy(factsFromCapabilities(agent.capabilities), options.owner)) {
          warnForeign(`Agent ${agent.name}`, whyNotOwned(factsFromCapabilities(agent.capabilities), options.owner));
          continue;
        }
        if (!placementRecorded) learnPlacement(name, capability(agent.capabilities ?? {}, RESOURCE_CAPABILITY));
        if (agent.online && agent.enabled) {
          pending.delete(name);
          const entry = { name, onlineAfterMs: seenAt - options.start, where: statuses.get(name)?.where };
          online.push(entry);
          log.info(loc('AgentOnline', 'Agent %s is online after %s.', name, formatDuration(entry.onlineAfterMs)));
          log.progress((online.length / options.names.length) * 100, `${online.length} of ${options.names.length} agents online`);
        } else if (agent.online && !agent.enabled && !reportedDisabled.has(name)) {
          reportedDisabled.add(name);
          log.warning(loc('AgentDisabled', 'Agent %s is online but disabled, so no job can use it; enable it in the pool or release it.', name));
        }
      }
      now = clock.now();
    }
    if (pending.size === 0) break;

    const nextDevops = Math.max(lastDevops + devopsInterval, budget.nextAllowedAt());
    const nextCloud = provider ? lastCloud + cloudInterval : Infinity;
    const wake = Math.min(nextDevops, nextCloud, options.deadline);
    await clock.sleep(Math.max(50, wake - now), options.signal);
  }
  return online;
}

// WaitForAgent's use case: block until every named agent is online and enabled.
export interface WaitPlan {
  agentPool: string;
  /** Whose agents to wait for (the pool is the one found by name). */
  owner?: Omit<Owner, 'pool'>;
  agentNames: readonly string[];
  timeoutMinutes: number;
  /** False when the provider comes from WaitForAgent's inputs, not from RequestEphemeralAgent's record. */
  placementRecorded?: boolean;
}

export async function waitForAgents(plan: WaitPlan, deps: WaitDeps): Promise<AgentOnline[]> {
  const start = deps.start ?? deps.clock.now();
  const deadline = start + plan.timeoutMinutes * 60_000;
  const loc = deps.loc ?? formatFallback;
  deps.log.info(loc('Waiting', "Waiting up to %d minutes for %d agent(s) in pool '%s': %s", plan.timeoutMinutes, plan.agentNames.length, plan.agentPool, plan.agentNames.join(', ')));
  const pool = await deps.devops.findPool(plan.agentPool);
  const { start: _started, ...services } = deps;
  const owner = plan.owner ? { ...plan.owner, pool: pool.name } : undefined;
  return waitUntilOnline({ ...services, loc, poolId: pool.id, owner, names: plan.agentNames, start, deadline, timeoutMinutes: plan.timeoutMinutes,
    placementRecorded: plan.placementRecorded });
}
