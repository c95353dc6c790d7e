// The task-count history a Batch pool keeps for its autoscale formula: one entry per change, the
// counts of its own jobs only, bounded in age and size without losing the counts in force.
import assert from 'node:assert/strict';
import { MAX_TASK_COUNT_CHANGES, recordPoolTaskCounts, TASK_COUNT_HISTORY_MS } from '../../emulator/src/batch/autoscale';
import type { BatchPoolRecord, BatchTaskRecord, Store } from '../../emulator/src/store';

const T0 = Date.parse('2025-06-02T10:00:00Z');

function world(): { store: Store; pool: BatchPoolRecord; setTasks(states: BatchTaskRecord['state'][], jobId?: string): void } {
  const pool: BatchPoolRecord = { id: 'agents', enableAutoScale: false, targetDedicatedNodes: 0, targetLowPriorityNodes: 0, extra: {} };
  const job = (id: string, poolId: string) => ({ id, poolId, state: 'active', body: {}, creationTime: '', eTag: '', lastModified: '' });
  const store = {
    batchPools: [pool],
    batchJobs: [job('mine', 'AGENTS'), job('theirs', 'other')],
    batchTasks: [] as BatchTaskRecord[],
  } as unknown as Store;
  const setTasks = (states: BatchTaskRecord['state'][], jobId = 'mine') => {
    store.batchTasks = store.batchTasks.filter((t) => t.jobId !== jobId);
    states.forEach((state, i) => store.batchTasks.push({ jobId, id: `t${i}`, state } as BatchTaskRecord));
  };
  return { store, pool, setTasks };
}

describe('emulator: Batch pool task-count history', () => {
  it("records a change only when the pool's active or running counts change; preparing counts as running", () => {
    const { store, pool, setTasks } = world();
    recordPoolTaskCounts(store, pool, T0);
    assert.deepEqual(pool.taskCounts, [], 'nothing before the first task: counts before the first change are 0');
    assert.equal(pool.createdAt, T0);
    setTasks(['active', 'preparing', 'running', 'completed']);
    recordPoolTaskCounts(store, pool, T0 + 1000);
    setTasks(['active', 'running', 'running', 'completed']);
    recordPoolTaskCounts(store, pool, T0 + 2000);
    setTasks(['running', 'running', 'running'], 'theirs');
    recordPoolTaskCounts(store, pool, T0 + 3000);
    setTasks([]);
    recordPoolTaskCounts(store, pool, T0 + 4000);
    assert.deepEqual(pool.taskCounts, [
      { time: T0 + 1000, active: 1, running: 2 },
      { time: T0 + 4000, active: 0, running: 0 },
    ]);
  });

  it('forgets changes older than the history window but keeps the one still in force', () => {
    const { store, pool, setTasks } = world();
    setTasks(['active']);
    recordPoolTaskCounts(store, pool, T0);
    setTasks(['running', 'running']);
    recordPoolTaskCounts(store, pool, T0 + 1000);
    setTasks(['running']);
    const later = T0 + TASK_COUNT_HISTORY_MS + 5000;
    recordPoolTaskCounts(store, pool, later);
    assert.deepEqual(pool.taskCounts, [
      { time: T0 + 1000, active: 0, running: 2 },
      { time: later, active: 0, running: 1 },
    ]);
  });

  it(`keeps at most ${MAX_TASK_COUNT_CHANGES} changes`, () => {
    const { store, pool, setTasks } = world();
    for (let i = 0; i < MAX_TASK_COUNT_CHANGES + 50; i++) {
      setTasks(i % 2 ? ['running'] : ['active']);
      recordPoolTaskCounts(store, pool, T0 + i);
    }
    assert.equal(pool.taskCounts?.length, MAX_TASK_COUNT_CHANGES);
    assert.equal(pool.taskCounts?.at(-1)?.time, T0 + MAX_TASK_COUNT_CHANGES + 49);
  });
});
