// Record helpers of the Batch service: ETags, state transitions, case-insensitive lookups.
import { randomBytes } from 'node:crypto';
import type { BatchJobRecord, BatchPoolRecord, BatchTaskRecord, Store } from '../store';

/** Looks like the service's ETags (0x8D... hex). */
export function newETag(): string {
  return `0x8D${randomBytes(6).toString('hex').toUpperCase()}`;
}

export function sameId(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

export function findJob(store: Store, jobId: string): BatchJobRecord | undefined {
  return store.batchJobs.find((j) => sameId(j.id, jobId));
}

export function findTask(store: Store, jobId: string, taskId: string): BatchTaskRecord | undefined {
  return store.batchTasks.find((t) => sameId(t.jobId, jobId) && sameId(t.id, taskId));
}

export function findPool(store: Store, poolId: string): BatchPoolRecord | undefined {
  return store.batchPools.find((p) => sameId(p.id, poolId));
}

export function touch(record: { eTag: string; lastModified: string }): void {
  record.eTag = newETag();
  record.lastModified = new Date().toISOString();
}

export function setTaskState(task: BatchTaskRecord, state: BatchTaskRecord['state']): void {
  if (task.state === state) return;
  const now = new Date().toISOString();
  task.previousState = task.state;
  task.previousStateTransitionTime = task.stateTransitionTime;
  task.state = state;
  task.stateTransitionTime = now;
  touch(task);
}

export function setJobState(job: BatchJobRecord, state: string): void {
  if (job.state === state) return;
  const now = new Date().toISOString();
  job.previousState = job.state;
  job.previousStateTransitionTime = job.stateTransitionTime ?? job.creationTime;
  job.state = state;
  job.stateTransitionTime = now;
  touch(job);
}

/** Ids: letters, digits, '-' and '_', 1 to 64 characters. */
export function validId(id: unknown): id is string {
  return typeof id === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(id);
}
