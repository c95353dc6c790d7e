// Jobs: add (201), get, list, terminate (202), delete (202).
import type { Reply } from '../context';
import type { BatchJobRecord } from '../store';
import { recordTaskCounts } from './autoscale';
import { BatchHttpError, invalidValue, missingProperty } from './errors';
import { parseFilter } from './filter';
import { type BatchCall, empty, odata, readBody } from './http';
import { findJob, newETag, setJobState, validId } from './model';
import { jobUrl, jobWire } from './wire';

export function jobNotFound(): BatchHttpError {
  return new BatchHttpError(404, 'JobNotFound', 'The specified job does not exist.');
}

export function requireJob(call: BatchCall, jobId: string): BatchJobRecord {
  const job = findJob(call.ctx.store, jobId);
  if (!job) throw jobNotFound();
  return job;
}

export function addJob(call: BatchCall): Reply {
  const { ctx, req, base } = call;
  const body = readBody(req);
  if (body.id === undefined) throw missingProperty('id');
  if (!validId(body.id)) throw invalidValue('id', String(body.id), 'The id may contain only letters, digits, hyphens and underscores, up to 64 characters.');
  const poolInfo = body.poolInfo as { poolId?: unknown; autoPoolSpecification?: unknown } | undefined;
  if (!poolInfo || typeof poolInfo !== 'object') throw missingProperty('poolInfo');
  if (typeof poolInfo.poolId !== 'string' && !poolInfo.autoPoolSpecification) throw missingProperty('poolInfo.poolId');
  if (findJob(ctx.store, body.id)) throw new BatchHttpError(409, 'JobExists', 'The specified job already exists.');
  const now = new Date().toISOString();
  const job: BatchJobRecord = {
    id: body.id,
    // An auto pool is not created by the emulator: its tasks stay active, as for a missing pool.
    poolId: typeof poolInfo.poolId === 'string' ? poolInfo.poolId : '',
    state: 'active',
    body,
    creationTime: now,
    eTag: newETag(),
    lastModified: now,
    stateTransitionTime: now,
  };
  ctx.store.batchJobs.push(job);
  return empty(201, req, job, jobUrl(base, job));
}

export function getJob(call: BatchCall, jobId: string): Reply {
  const job = requireJob(call, jobId);
  return odata(200, call.req, { 'odata.metadata': `${call.base}/$metadata#jobs/@Element`, ...jobWire(call.base, job) }, job);
}

export function listJobs(call: BatchCall): Reply {
  const { ctx, req, base } = call;
  const keep = parseFilter(req.query.get('$filter'));
  const value = ctx.store.batchJobs.map((j) => jobWire(base, j)).filter(keep);
  return odata(200, req, { 'odata.metadata': `${base}/$metadata#jobs`, value });
}

export async function terminateJob(call: BatchCall, jobId: string): Promise<Reply> {
  const { ctx, req, base, runner } = call;
  const job = requireJob(call, jobId);
  if (job.state === 'completed') throw new BatchHttpError(409, 'JobCompleted', 'The specified job is already in a completed state.');
  if (job.state === 'deleting') throw new BatchHttpError(409, 'JobBeingDeleted', 'The specified job has been marked for deletion and is being garbage collected.');
  const body = req.body.length > 0 ? readBody(req) : {};
  setJobState(job, 'terminating');
  const tasks = ctx.store.batchTasks.filter((t) => t.jobId === job.id && t.state !== 'completed');
  // The reply does not wait for the tasks to end, as the real service answers 202 at once.
  void Promise.all(tasks.map((t) => runner.terminate(ctx, t))).then(() => {
    job.endTime = new Date().toISOString();
    job.terminateReason = typeof body.terminateReason === 'string' ? body.terminateReason : 'UserTerminate';
    if (job.state === 'terminating') setJobState(job, 'completed');
  });
  return empty(202, req, job, jobUrl(base, job));
}

export function deleteJob(call: BatchCall, jobId: string): Reply {
  const { ctx, req, runner } = call;
  const job = requireJob(call, jobId);
  if (job.state === 'deleting') return empty(202, req);
  setJobState(job, 'deleting');
  const tasks = ctx.store.batchTasks.filter((t) => t.jobId === job.id);
  void Promise.all(tasks.map((t) => runner.discard(t))).then(() => {
    ctx.store.batchTasks = ctx.store.batchTasks.filter((t) => !tasks.includes(t));
    ctx.store.batchJobs = ctx.store.batchJobs.filter((j) => j !== job);
    recordTaskCounts(ctx.store);
  });
  return empty(202, req);
}
