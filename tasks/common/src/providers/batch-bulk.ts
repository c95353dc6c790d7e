// Batch add-task-collection: many agent tasks in few requests. The service takes at most 100 tasks
// and 1 MB per request and answers each entry on its own (success, clientError, serverError), so a
// request can half succeed: every entry's status is checked, server errors are sent again, and a
// TaskExists means another run created that task first (not a failure of ours).
import type { BatchServiceModels } from '@azure/batch';
import { errorCodeOf, httpStatusOf } from '../errors';
import type { BulkAddResult } from './provider';

export const MAX_TASKS_PER_COLLECTION = 100;
/** The service's limit is 1 MB per request; keep room for the wrapper and headers. */
export const MAX_COLLECTION_BYTES = 1_000_000;
/** Rounds of re-sending entries that got a server error. */
const SERVER_ERROR_ROUNDS = 3;

export type TaskAdd = BatchServiceModels.TaskAddParameter;

export interface TaskCollectionClient {
  addCollection(jobId: string, value: TaskAdd[]): Promise<BatchServiceModels.TaskAddCollectionResult>;
}

export type { BulkAddResult };

/** The size a task takes in the request body. */
function sizeOf(task: TaskAdd): number {
  return Buffer.byteLength(JSON.stringify(task), 'utf8') + 1;
}

/** Splits tasks into requests of at most `maxCount` tasks and `maxBytes` of JSON each, keeping order. */
export function chunkTasks(tasks: readonly TaskAdd[], maxCount = MAX_TASKS_PER_COLLECTION, maxBytes = MAX_COLLECTION_BYTES): TaskAdd[][] {
  const chunks: TaskAdd[][] = [];
  let current: TaskAdd[] = [];
  let bytes = 0;
  for (const task of tasks) {
    const size = sizeOf(task);
    if (current.length > 0 && (current.length >= maxCount || bytes + size > maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(task);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

function entryError(entry: BatchServiceModels.TaskAddResult): string {
  const message = entry.error?.message?.value?.split('\nRequestId:')[0];
  return `${entry.error?.code ?? entry.status}${message ? `: ${message}` : ''}`;
}

/**
 * Adds `tasks` to `jobId` with as few add-task-collection requests as the limits allow. `send` wraps
 * each request (retries of throttling and transient failures, error messages). Results keep the order
 * of `tasks`.
 */
export async function addTasksInBulk(
  client: TaskCollectionClient,
  jobId: string,
  tasks: readonly TaskAdd[],
  send: (what: string, request: () => Promise<BatchServiceModels.TaskAddCollectionResult>) => Promise<BatchServiceModels.TaskAddCollectionResult>,
): Promise<BulkAddResult[]> {
  const results = new Map<string, BulkAddResult>();
  let pending = [...tasks];
  for (let round = 0; round < SERVER_ERROR_ROUNDS && pending.length > 0; round++) {
    const retry: TaskAdd[] = [];
    const queue = chunkTasks(pending);
    while (queue.length > 0) {
      const chunk = queue.shift() as TaskAdd[];
      let answer: BatchServiceModels.TaskAddCollectionResult;
      try {
        answer = await send(`adding ${chunk.length} Batch task(s) to job '${jobId}'`, () => client.addCollection(jobId, chunk));
      } catch (error) {
        // The service measured the body differently: halve the request and go on.
        if ((httpStatusOf(error) === 413 || errorCodeOf(error) === 'RequestBodyTooLarge') && chunk.length > 1) {
          const half = Math.ceil(chunk.length / 2);
          queue.unshift(chunk.slice(0, half), chunk.slice(half));
          continue;
        }
        throw error;
      }
      const byId = new Map((answer.value ?? []).map((entry) => [entry.taskId.toLowerCase(), entry]));
      for (const task of chunk) {
        const entry = byId.get(task.id.toLowerCase());
        if (!entry) {
          retry.push(task);
          continue;
        }
        const status = String(entry.status).toLowerCase();
        if (status === 'success') results.set(task.id, { taskId: task.id, created: true, exists: false });
        else if (entry.error?.code === 'TaskExists') results.set(task.id, { taskId: task.id, created: false, exists: true });
        else if (status === 'servererror') {
          retry.push(task);
          results.set(task.id, { taskId: task.id, created: false, exists: false, error: entryError(entry) });
        } else results.set(task.id, { taskId: task.id, created: false, exists: false, error: entryError(entry) });
      }
    }
    pending = retry;
  }
  return tasks.map((task) => results.get(task.id) ?? { taskId: task.id, created: false, exists: false, error: 'no answer from the service for this task' });
}
