// Tasks: add (201), add collection (up to 100, per-task status), get, list, terminate (204),
// delete (200).
import type { Reply } from '../context';
import type { BatchJobRecord, BatchTaskRecord } from '../store';
import { recordTaskCounts } from './autoscale';
import { BatchHttpError, invalidValue, missingProperty } from './errors';
import { parseFilter } from './filter';
import { type BatchCall, empty, odata, readBody } from './http';
import { requireJob } from './jobs';
import { findTask, newETag, touch, validId } from './model';
import { taskUrl, taskWire } from './wire';

export const MAX_TASKS_PER_COLLECTION = 100;

function taskNotFound(): BatchHttpError {
  return new BatchHttpError(404, 'TaskNotFound', 'The specified task does not exist.');
}

function requireTask(call: BatchCall, jobId: string, taskId: string): { job: BatchJobRecord; task: BatchTaskRecord } {
  const job = requireJob(call, jobId);
  const task = findTask(call.ctx.store, job.id, taskId);
  if (!task) throw taskNotFound();
  return { job, task };
}

function requireJobAcceptingTasks(call: BatchCall, jobId: string): BatchJobRecord {
  const job = requireJob(call, jobId);
  if (job.state === 'completed' || job.state === 'terminating') {
    throw new BatchHttpError(409, 'JobCompleted', 'The specified job is already in a completed state.');
  }
  if (job.state === 'deleting') throw new BatchHttpError(409, 'JobBeingDeleted', 'The specified job has been marked for deletion and is being garbage collected.');
  return job;
}

/** Validates one TaskAddParameter and creates its record (not yet stored). */
function newTask(call: BatchCall, job: BatchJobRecord, body: Record<string, unknown>): BatchTaskRecord {
  if (body.id === undefined) throw missingProperty('id');
  if (!validId(body.id)) throw invalidValue('id', String(body.id), 'The id may contain only letters, digits, hyphens and underscores, up to 64 characters.');
  if (typeof body.commandLine !== 'string') throw missingProperty('commandLine');
  const settings = body.containerSettings as { imageName?: unknown; containerRunOptions?: unknown } | undefined;
  if (settings !== undefined && typeof settings?.imageName !== 'string') throw missingProperty('containerSettings.imageName');
  if (settings?.containerRunOptions !== undefined && typeof settings.containerRunOptions !== 'string') {
    throw invalidValue('containerSettings.containerRunOptions', String(settings.containerRunOptions), 'The value must be a string of docker create options.');
  }
  if (findTask(call.ctx.store, job.id, body.id)) throw new BatchHttpError(409, 'TaskExists', 'The specified task already exists.');
  const now = new Date().toISOString();
  return {
    jobId: job.id,
    id: body.id,
    state: 'active',
    body,
    creationTime: now,
    stateTransitionTime: now,
    eTag: newETag(),
    lastModified: now,
  };
}

export function addTask(call: BatchCall, jobId: string): Reply {
  const { ctx, req, base, runner } = call;
  const job = requireJobAcceptingTasks(call, jobId);
  const task = newTask(call, job, readBody(req));
  ctx.store.batchTasks.push(task);
  const reply = empty(201, req, task, taskUrl(base, task));
  runner.schedule(ctx);
  return reply;
}

function errorValue(err: BatchHttpError) {
  return {
    code: err.code,
    message: { lang: 'en-US', value: err.message },
    ...(err.values ? { values: err.values } : {}),
  };
}

export function addTaskCollection(call: BatchCall, jobId: string): Reply {
  const { ctx, req, base, runner } = call;
  const job = requireJobAcceptingTasks(call, jobId);
  const body = readBody(req);
  if (!Array.isArray(body.value)) throw missingProperty('value');
  if (body.value.length > MAX_TASKS_PER_COLLECTION) {
    throw new BatchHttpError(413, 'RequestBodyTooLarge', 'The request body is too large and exceeds the maximum permissible limit.', [
      { key: 'MaxLimit', value: String(MAX_TASKS_PER_COLLECTION) },
    ]);
  }
  const results = (body.value as unknown[]).map((item) => {
    const params = (item && typeof item === 'object' ? item : {}) as Record<string, unknown>;
    try {
      const task = newTask(call, job, params);
      ctx.store.batchTasks.push(task);
      return { status: 'success', taskId: task.id, eTag: task.eTag, lastModified: task.lastModified, location: taskUrl(base, task) };
    } catch (err) {
      if (!(err instanceof BatchHttpError)) throw err;
      return { status: 'clientError', taskId: typeof params.id === 'string' ? params.id : '', error: errorValue(err) };
    }
  });
  runner.schedule(ctx);
  return odata(200, req, { 'odata.metadata': `${base}/$metadata#taskaddresult`, value: results });
}

export function getTask(call: BatchCall, jobId: string, taskId: string): Reply {
  const { job, task } = requireTask(call, jobId, taskId);
  return odata(200, call.req, { 'odata.metadata': `${call.base}/$metadata#tasks/@Element`, ...taskWire(call.base, task, job.poolId) }, task);
}

export function listTasks(call: BatchCall, jobId: string): Reply {
  const { ctx, req, base } = call;
  const job = requireJob(call, jobId);
  const keep = parseFilter(req.query.get('$filter'));
  const value = ctx.store.batchTasks.filter((t) => t.jobId === job.id).map((t) => taskWire(base, t, job.poolId)).filter(keep);
  return odata(200, req, { 'odata.metadata': `${base}/$metadata#tasks`, value });
}

export async function terminateTask(call: BatchCall, jobId: string, taskId: string): Promise<Reply> {
  const { task } = requireTask(call, jobId, taskId);
  if (task.state !== 'completed') await call.runner.terminate(call.ctx, task);
  touch(task);
  return empty(204, call.req, task, taskUrl(call.base, task));
}

export async function deleteTask(call: BatchCall, jobId: string, taskId: string): Promise<Reply> {
  const { task } = requireTask(call, jobId, taskId);
  await call.runner.discard(task);
  call.ctx.store.batchTasks = call.ctx.store.batchTasks.filter((t) => t !== task);
  recordTaskCounts(call.ctx.store);
  return empty(200, call.req);
}
