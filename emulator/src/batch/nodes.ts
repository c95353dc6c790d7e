// A Batch pool's compute nodes as task capacity: the nodes follow the pool's targets (dedicated plus
// low-priority) after `batchNodeAllocationMs`; each node runs up to `taskSlotsPerNode` task slots.
// A task starts only on a free slot and waits (active) otherwise, as on the real service.
import type { BatchPoolRecord } from '../store';

export interface PoolNodes {
  /** Nodes allocated and able to run tasks. */
  current: number;
  /** When the nodes being allocated for a larger target are ready (epoch ms), if any. */
  readyAt?: number;
}

/** The pool's task slots per node: its own setting (CloudPool.taskSlotsPerNode), default 1. */
export function taskSlotsPerNode(pool: BatchPoolRecord): number {
  const slots = Number(pool.extra.taskSlotsPerNode);
  return Number.isInteger(slots) && slots > 0 ? slots : 1;
}

/**
 * The pool's allocated nodes at `now`, advancing its allocation: a larger target is reached
 * `allocationMs` after it was first seen, a smaller one at once (running tasks finish regardless).
 */
export function poolNodes(pool: BatchPoolRecord, allocationMs: number, now = Date.now()): PoolNodes {
  const target = pool.targetDedicatedNodes + pool.targetLowPriorityNodes;
  pool.currentNodes ??= target;
  if (target <= pool.currentNodes) {
    pool.currentNodes = target;
    pool.allocation = undefined;
    return { current: target };
  }
  if (pool.allocation?.target !== target) pool.allocation = { target, readyAt: now + allocationMs };
  if (now >= pool.allocation.readyAt) {
    pool.currentNodes = target;
    pool.allocation = undefined;
    return { current: target };
  }
  return { current: pool.currentNodes, readyAt: pool.allocation.readyAt };
}

/** Current dedicated and low-priority nodes (dedicated first), as CloudPool reports them. */
export function currentNodeCounts(pool: BatchPoolRecord, allocationMs: number, now = Date.now()): { dedicated: number; lowPriority: number; resizing: boolean } {
  const nodes = poolNodes(pool, allocationMs, now);
  const dedicated = Math.min(pool.targetDedicatedNodes, nodes.current);
  return { dedicated, lowPriority: nodes.current - dedicated, resizing: nodes.readyAt !== undefined };
}
