// One observation of a scaled pool: its agent registrations (one list request) and the containers or
// Batch tasks this extension created, matched by agent name and sorted into this pool's slots. ACI
// lists carry no instance views, so a resource whose agent is not online is read once more for its
// state; an online agent's container is running by definition.
import { AGENT_CAPABILITY } from '../agent-spec';
import { mapSettled } from '../concurrency';
import { type AgentPoolClient, capability, isBusy, type PoolAgent, type PoolRef } from '../devops/agent-pool-client';
import { type AgentProvider, type AgentResource, hasEnded } from '../providers/provider';
import { slotIndex, type SlotAgentState, type SlotContainerState } from './fixed-slots';
import { SCALER_CAPABILITY, TAG_SCALER, TEMPLATE_CAPABILITY, templateName } from './pool-spec';
import { factsFromCapabilities, factsOfResource, isOwnedBy, type Owner } from '../ownership';

/** Reads in flight at once when resource states are looked up one by one. */
export const READ_CONCURRENCY = 16;

export interface SlotView {
  index: number;
  name: string;
  agent?: PoolAgent;
  /** The slot's live resource (not ended), if any. */
  live?: AgentResource;
  /** Ended resources of the slot (terminated groups, completed tasks), to delete. */
  ended: AgentResource[];
  /** Batch: the highest generation among the slot's task ids. */
  generation?: number;
}

export interface PoolView {
  pool: PoolRef;
  /** Every registration in the pool, with capabilities, assigned and last completed request. */
  agents: PoolAgent[];
  /** Every resource this extension created that the provider sees, with states; with an owner, only those of its organization, project and pool. */
  resources: AgentResource[];
  /** Every resource the provider listed, whoever's: other scalers of the pool count against its maxAgents. */
  everyResource?: AgentResource[];
  /** Whose the scaler's agents are: organization, project, pool, run kind 'scaler', run = name prefix. */
  owner?: Owner;
  /** This scaler's slots by index. */
  slots: Map<number, SlotView>;
  /** The template registration, when it is this scaler's (foreignNamesakes holds one that is not). */
  template?: PoolAgent;
  takenAt: number;
}

export function isExtensionAgent(agent: PoolAgent): boolean {
  return capability(agent.capabilities, AGENT_CAPABILITY) !== undefined;
}

export function isTemplateAgent(agent: PoolAgent): boolean {
  return capability(agent.capabilities, TEMPLATE_CAPABILITY) !== undefined || /^tpl-/i.test(agent.name);
}

/** The agent name behind a resource: its AZP_AGENT_NAME (Batch task ids add a generation). */
export function agentNameOf(resource: AgentResource): string {
  return resource.env?.AZP_AGENT_NAME ?? resource.name;
}

export function isThisScalers(resource: AgentResource, namePrefix: string): boolean {
  return resource.env?.[SCALER_CAPABILITY] === namePrefix || resource.tags[TAG_SCALER] === namePrefix;
}

/** The generation of a Batch task id `<slot>-<generation>`. */
export function generationOf(slot: string, resourceName: string): number | undefined {
  if (!resourceName.startsWith(`${slot}-`)) return undefined;
  const rest = resourceName.slice(slot.length + 1);
  return /^\d+$/.test(rest) ? Number(rest) : undefined;
}

export function containerState(slot: SlotView): SlotContainerState {
  if (slot.live) return 'exists';
  return slot.ended.length > 0 ? 'terminated' : 'absent';
}

export function agentState(slot: SlotView): SlotAgentState {
  const agent = slot.agent;
  if (!agent) return 'absent';
  if (isBusy(agent)) return 'busy';
  if (agent.online && hasRunItsJob(agent)) return 'used';
  // A disabled agent is being removed: it takes no job, so it is no idle capacity.
  return agent.online && agent.enabled ? 'idle' : 'offline';
}

/**
 * The agent completed a request since it last came online: a single-use agent that has run its job
 * (and that a job may have tried to keep), never idle standby. A slot's next agent takes over the
 * registration (--replace) with the last completed request of the one before; it came online after
 * that request finished, so it counts as fresh.
 */
export function hasRunItsJob(agent: PoolAgent): boolean {
  const finished = agent.lastCompletedRequest?.finishTime?.getTime();
  if (agent.lastCompletedRequest && finished === undefined) return true;
  if (finished === undefined || Number.isNaN(finished)) return false;
  const cameOnline = agent.statusChangedOn?.getTime();
  return cameOnline === undefined || Number.isNaN(cameOnline) || finished >= cameOnline;
}

/** When an online agent became idle: it came online, or finished its last job. */
export function idleSince(agent: PoolAgent): number {
  const times = [agent.statusChangedOn, agent.lastCompletedRequest?.finishTime, agent.createdOn]
    .filter((d): d is Date => d instanceof Date && !Number.isNaN(d.getTime()))
    .map((d) => d.getTime());
  return times.length > 0 ? Math.max(...times) : 0;
}

export interface ObserveDeps {
  devops: AgentPoolClient;
  provider: AgentProvider;
  now: () => number;
  owner?: Owner;
}

export async function observePool(pool: PoolRef, namePrefix: string, deps: ObserveDeps): Promise<PoolView> {
  const owner = deps.owner;
  // Another pool's, project's or organization's resources in the same resource group or Batch job are never this scaler's to touch.
  const inScope = (r: AgentResource) => !owner || isOwnedBy(factsOfResource(r), owner, { anyRun: true });
  const [agents, listed] = await Promise.all([
    deps.devops.listAgents(pool.id, { includeCapabilities: true, includeAssignedRequest: true, includeLastCompletedRequest: true }),
    deps.provider.listAll ? deps.provider.listAll() : Promise.resolve([] as AgentResource[]),
  ]);
  const online = new Set(agents.filter((a) => a.online).map((a) => a.name.toLowerCase()));
  // Some listings say 'creating' for want of an instance view (ACI): read those whose agent is not online.
  const needsRead = (r: AgentResource) => !deps.provider.listedStateIsCurrent && r.state === 'creating' && !online.has(agentNameOf(r).toLowerCase());
  const reads = await mapSettled(listed, READ_CONCURRENCY, async (r) => (needsRead(r) ? await deps.provider.get(r.name) : r));
  const everyResource = reads.flatMap((read, i) => {
    if (read.status === 'rejected') return [listed[i]];
    return read.value ? [{ ...read.value, env: read.value.env ?? listed[i].env }] : [];
  });
  const resources = everyResource.filter(inScope);

  const slots = new Map<number, SlotView>();
  const slotOf = (index: number): SlotView => {
    let slot = slots.get(index);
    if (!slot) {
      slot = { index, name: `${namePrefix}-${index}`, ended: [] };
      slots.set(index, slot);
    }
    return slot;
  };
  for (const resource of resources) {
    if (!isThisScalers(resource, namePrefix) || (owner && !isOwnedBy(factsOfResource(resource), owner))) continue;
    const index = slotIndex(namePrefix, agentNameOf(resource));
    if (index === undefined) continue;
    const slot = slotOf(index);
    const generation = generationOf(slot.name, resource.name);
    if (generation !== undefined) slot.generation = Math.max(slot.generation ?? 0, generation);
    if (hasEnded(resource.state)) slot.ended.push(resource);
    else if (!slot.live || (generationOf(slot.name, slot.live.name) ?? -1) < (generation ?? -1)) {
      // Two live tasks for one slot (a race): the newer one counts, the older is ended below.
      if (slot.live) slot.ended.push(slot.live);
      slot.live = resource;
    } else slot.ended.push(resource);
  }
  for (const agent of agents) {
    if (capability(agent.capabilities, SCALER_CAPABILITY) !== namePrefix || isTemplateAgent(agent)) continue;
    if (owner && !isOwnedBy(factsFromCapabilities(agent.capabilities), owner)) continue;
    const index = slotIndex(namePrefix, agent.name);
    if (index !== undefined) slotOf(index).agent = agent;
  }
  const template = agents.find((a) => a.name.toLowerCase() === templateName(namePrefix) && (!owner || isOwnedBy(factsFromCapabilities(a.capabilities), owner)));
  return { pool, agents, resources, everyResource, owner, slots, template, takenAt: deps.now() };
}

/**
 * Registrations in the pool with a name of this scaler's (a slot or the template) that are someone
 * else's, by lower-case name. The agent registers with --replace, which takes over a registration of
 * its name: such a name is never created over, disabled or deleted.
 */
export function foreignNamesakes(view: PoolView, namePrefix: string): Map<string, PoolAgent> {
  const foreign = new Map<string, PoolAgent>();
  const owner = view.owner;
  if (!owner) return foreign;
  for (const agent of view.agents) {
    const name = agent.name.toLowerCase();
    // Azure DevOps matches agent names case-insensitively.
    if (slotIndex(namePrefix.toLowerCase(), name) === undefined && name !== templateName(namePrefix)) continue;
    if (!isOwnedBy(factsFromCapabilities(agent.capabilities), owner)) foreign.set(name, agent);
  }
  return foreign;
}
