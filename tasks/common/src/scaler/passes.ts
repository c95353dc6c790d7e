// What one pass of each mode decides from a PoolView: the slots to create (with the ended resources
// they replace), the agents to remove and the counts for the pass line. Pure.
import { isBusy, type PoolAgent } from '../devops/agent-pool-client';
import { type FixedPlan, planFixedSlots, slotName } from './fixed-slots';
import type { IdleAgent, QueueSample } from './policy';
import type { Removal } from './agent-removal';
import { agentState, containerState, idleSince, type PoolView, type SlotView } from './pool-view';
import type { CreateItem } from './scale-out';

export interface PassCounts {
  busy: number;
  idle: IdleAgent[];
  starting: number;
}

/** Busy, idle and starting agents among the slots with a live container or task. */
export function countSlots(view: PoolView): PassCounts {
  const counts: PassCounts = { busy: 0, idle: [], starting: 0 };
  for (const slot of view.slots.values()) {
    if (!slot.live) continue;
    if (draining(slot)) continue;
    const state = agentState(slot);
    if (state === 'busy') counts.busy++;
    else if (state === 'idle') counts.idle.push({ name: slot.name, idleSince: idleSince(slot.agent as PoolAgent) });
    else if (state === 'used') continue; // removed by finishedSlots, never standby
    else counts.starting++;
  }
  return counts;
}

/** A disabled agent without a job is on its way out (a removal that has not finished). */
export function draining(slot: SlotView): boolean {
  return Boolean(slot.agent && !slot.agent.enabled && !isBusy(slot.agent));
}

/** The resource id of a slot's `generation`th container or task (the provider's rule). */
export type ResourceIdOf = (slot: string, generation: number) => string;

export interface FixedDecision {
  plan: FixedPlan;
  creates: CreateItem[];
  removals: Removal[];
}

export function decideFixedPass(view: PoolView, namePrefix: string, desiredCount: number, resourceIdOf: ResourceIdOf): FixedDecision {
  const observed = [...view.slots.values()].map((slot) => ({
    name: slot.name,
    container: containerState(slot),
    agent: agentState(slot),
    generation: slot.generation,
  }));
  const plan = planFixedSlots(desiredCount, namePrefix, observed);
  const creates = [...plan.create, ...plan.recreate].map((action) => ({
    slot: action.slot,
    resourceId: resourceIdOf(action.slot, action.generation),
    reason: action.reason,
    replace: view.slots.get(action.index)?.ended ?? [],
  }));
  const removals = plan.remove.map((action) => slotRemoval(action.slot, view.slots.get(action.index), action.reason));
  return { plan, creates, removals };
}

/** Removing a slot: its registration and every container or task of it, live or ended. */
export function slotRemoval(name: string, slot: SlotView | undefined, reason: string): Removal {
  return { name, agent: slot?.agent, resources: [...(slot?.live ? [slot.live] : []), ...(slot?.ended ?? [])], reason };
}

/** Queue mode, before deciding: slots whose single-use agent is done (or whose removal stalled). */
export function finishedSlots(view: PoolView): Removal[] {
  const removals: Removal[] = [];
  for (const slot of view.slots.values()) {
    if (isBusy(slot.agent)) continue;
    if (!slot.live && (slot.ended.length > 0 || slot.agent)) {
      removals.push(slotRemoval(slot.name, slot,
        slot.ended.length > 0 ? `its container/task ended (${slot.ended[0].state}): the agent's job is done` : 'registration without a container'));
    } else if (slot.live && draining(slot)) {
      removals.push(slotRemoval(slot.name, slot, 'disabled by an earlier removal that did not finish'));
    } else if (slot.live && agentState(slot) === 'used') {
      removals.push(slotRemoval(slot.name, slot, 'its agent has completed a job (single use): never kept as standby'));
    }
  }
  return removals;
}

/**
 * Queue mode: the lowest free slots below maxAgents, so concurrent runs pick the same names; a name
 * another scaler's live agent holds (`occupied`, lowercase) is not free.
 */
export function queueCreates(view: PoolView, namePrefix: string, count: number, maxAgents: number, resourceIdOf: ResourceIdOf, reason: string, removed: ReadonlySet<string>, occupied: ReadonlySet<string> = new Set()): CreateItem[] {
  const items: CreateItem[] = [];
  for (let index = 0; index < maxAgents && items.length < count; index++) {
    if (occupied.has(slotName(namePrefix, index).toLowerCase())) continue;
    const slot = view.slots.get(index);
    const gone = slot ? removed.has(slot.name) : true;
    if (slot && !gone && (slot.live || isBusy(slot.agent))) continue;
    const generation = (slot?.generation ?? -1) + 1;
    const name = slotName(namePrefix, index);
    items.push({ slot: name, resourceId: resourceIdOf(name, generation), reason, replace: gone ? [] : slot?.ended ?? [] });
  }
  return items;
}

export function queueSample(view: PoolView, waiting: number, lowerBound: boolean, freeParallelJobs: number | undefined, now: number): QueueSample {
  const counts = countSlots(view);
  return { waiting, waitingLowerBound: lowerBound, busy: counts.busy, idle: counts.idle, starting: counts.starting, freeParallelJobs, now };
}
