// Fixed mode of ScaleAgentPool: slots `<namePrefix>-0 .. N-1`, one single-use agent each. Pure:
// from what the caller observed in Azure and Azure DevOps, decide which slots to create, which to
// recreate (their container or Batch task ended: delete, then create afresh, so no secret has to
// live in Azure for restarts) and which surplus slots to remove. A slot whose agent runs a job is
// never removed; removing an idle one still needs the caller's disable / re-check / delete.
import { InputError } from '../errors';

/** The container group or Batch task behind a slot. `exists` = created and not terminated/completed. */
export type SlotContainerState = 'exists' | 'terminated' | 'absent';
/**
 * The slot's agent registration: `busy`/`idle` are online; `offline` is registered but not online;
 * `used` has completed a job since it came online: single use, it takes no other, so it is removed.
 */
export type SlotAgentState = 'busy' | 'idle' | 'used' | 'offline' | 'absent';

export interface ObservedSlot {
  /** `<namePrefix>-<index>`; names that do not have this form are ignored. */
  name: string;
  container: SlotContainerState;
  agent: SlotAgentState;
  /** Batch only: the generation in the slot's current task id `<slot>-<generation>`. */
  generation?: number;
}

export interface SlotAction {
  slot: string;
  index: number;
  /** Batch: the generation of the task to create (`<slot>-<generation>`); ACI ignores it. */
  generation: number;
  /** Batch: the id of the task to create. */
  taskId: string;
  /** Batch: the id of the task to delete first (recreate and remove only). */
  previousTaskId?: string;
  reason: string;
}

export interface FixedPlan {
  desired: number;
  /** Slots with nothing behind them: create. */
  create: SlotAction[];
  /** Slots whose container terminated: delete it, then create with a fresh registration token. */
  recreate: SlotAction[];
  /** Surplus slots (index >= desired) to remove now, idle ones first. */
  remove: SlotAction[];
  /** Surplus slots left for a later pass because their agent runs a job. */
  deferred: SlotAction[];
  /** Slots within the count that need nothing. */
  keep: SlotAction[];
}

const NAME_PREFIX = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const MAX_NAME_LENGTH = 63;

export function slotName(namePrefix: string, index: number): string {
  return `${namePrefix}-${index}`;
}

export function batchTaskId(slot: string, generation: number): string {
  return `${slot}-${generation}`;
}

/** Checks the fixed-mode inputs; the error names the input and the fix. */
export function validateFixedSettings(desiredCount: number, namePrefix: string): void {
  if (!Number.isInteger(desiredCount) || desiredCount < 0) {
    throw new InputError('desiredCount', `Input 'desiredCount' must be a whole number of 0 or more (got ${desiredCount}).`);
  }
  if (!NAME_PREFIX.test(namePrefix)) {
    throw new InputError(
      'namePrefix',
      `Input 'namePrefix' ('${namePrefix}') may hold only lowercase letters, digits and '-', and must start and end with a letter or digit.`,
    );
  }
  // The longest name is a Batch task id: `<prefix>-<index>-<generation>`; keep the slot itself a valid group name.
  const longest = slotName(namePrefix, Math.max(0, desiredCount - 1));
  if (longest.length > MAX_NAME_LENGTH) {
    throw new InputError('namePrefix', `Input 'namePrefix' is too long: slot name '${longest}' exceeds ${MAX_NAME_LENGTH} characters.`);
  }
}

/** The slot index encoded in `name`, or undefined when the name is not one of this prefix's slots. */
export function slotIndex(namePrefix: string, name: string): number | undefined {
  if (!name.startsWith(`${namePrefix}-`)) return undefined;
  const rest = name.slice(namePrefix.length + 1);
  if (!/^(0|[1-9][0-9]*)$/.test(rest)) return undefined;
  return Number(rest);
}

function action(slot: string, index: number, generation: number, reason: string, previous?: number): SlotAction {
  return {
    slot,
    index,
    generation,
    taskId: batchTaskId(slot, generation),
    ...(previous !== undefined ? { previousTaskId: batchTaskId(slot, previous) } : {}),
    reason,
  };
}

/** Removal order for surplus slots: nothing running first, then idle, then offline (may be starting). */
function removalRank(slot: ObservedSlot): number {
  if (slot.container !== 'exists') return 0;
  if (slot.agent === 'idle' || slot.agent === 'used') return 1;
  if (slot.agent === 'absent') return 2;
  return 3;
}

/** Plans one fixed-mode pass. */
export function planFixedSlots(desiredCount: number, namePrefix: string, observed: readonly ObservedSlot[]): FixedPlan {
  validateFixedSettings(desiredCount, namePrefix);
  const byIndex = new Map<number, ObservedSlot>();
  for (const slot of observed) {
    const index = slotIndex(namePrefix, slot.name);
    if (index !== undefined) byIndex.set(index, slot);
  }

  const plan: FixedPlan = { desired: desiredCount, create: [], recreate: [], remove: [], deferred: [], keep: [] };

  for (let index = 0; index < desiredCount; index++) {
    const name = slotName(namePrefix, index);
    const slot = byIndex.get(index);
    const generation = slot?.generation;
    if (!slot || slot.container === 'absent') {
      const next = generation === undefined ? 0 : generation + 1;
      const why = slot && slot.agent !== 'absent' ? `no container, agent ${slot.agent}: create (--replace takes over the registration)` : 'empty slot: create';
      plan.create.push(action(name, index, next, why));
    } else if (slot.container === 'terminated') {
      const current = generation ?? 0;
      plan.recreate.push(action(name, index, current + 1, 'container ended (its job is done or it failed): delete, then create afresh', generation));
    } else if (slot.agent === 'used') {
      const current = generation ?? 0;
      plan.recreate.push(action(name, index, current + 1, 'its agent has completed a job (single use): delete, then create afresh', generation));
    } else {
      const why =
        slot.agent === 'busy'
          ? 'running a job'
          : slot.agent === 'idle'
            ? 'online, waiting for a job'
            : slot.agent === 'offline'
              ? 'container running, agent offline (starting or between restarts)'
              : 'container running, agent not registered yet (starting)';
      plan.keep.push(action(name, index, generation ?? 0, why));
    }
  }

  const surplus = [...byIndex.entries()]
    .filter(([index, slot]) => index >= desiredCount && !(slot.container === 'absent' && slot.agent === 'absent'))
    .sort(([ia, a], [ib, b]) => removalRank(a) - removalRank(b) || ia - ib);
  for (const [index, slot] of surplus) {
    const generation = slot.generation ?? 0;
    const withTask = slot.generation !== undefined && slot.container !== 'absent' ? generation : undefined;
    if (slot.container === 'exists' && slot.agent === 'busy') {
      plan.deferred.push(action(slot.name, index, generation, `surplus (desiredCount ${desiredCount}) but running a job: removed on a later pass`, withTask));
      continue;
    }
    const state = slot.container === 'exists' ? `agent ${slot.agent}` : `container ${slot.container}, agent ${slot.agent}`;
    plan.remove.push(action(slot.name, index, generation, `surplus (desiredCount ${desiredCount}), ${state}: remove`, withTask));
  }
  return plan;
}
