// The emulated Batch account (api-version 2022-10-01.16.0): jobs, tasks and pools, Shared Key and
// AAD authentication, OData error bodies and the service's response headers.
import type { EmuRequest, EmulatorContext, Reply, Service } from '../context';
import { authenticate } from './auth';
import { BatchHttpError, batchErrorReply } from './errors';
import type { BatchCall } from './http';
import { addJob, deleteJob, getJob, listJobs, terminateJob } from './jobs';
import { disableAutoScale, enableAutoScale, evaluateAutoScale, getPool, listPools, poolExists } from './pools';
import { BatchTaskRunner } from './runner';
import { addTask, addTaskCollection, deleteTask, getTask, listTasks, terminateTask } from './tasks';

export const BATCH_API_VERSION = '2022-10-01.16.0';
/** Versions this emulation answers; others get the service's invalid-parameter error. */
const SUPPORTED_API_VERSIONS = new Set(['2022-01-01.15.0', BATCH_API_VERSION, '2023-05-01.17.0']);

type Handler = (call: BatchCall) => Reply | Promise<Reply>;

function notSupported(method: string): Handler {
  return () => {
    throw new BatchHttpError(405, 'UnsupportedHttpVerb', `The HTTP verb ${method} is not supported for this resource.`);
  };
}

function byMethod(method: string, handlers: Record<string, Handler>): Handler {
  return handlers[method] ?? notSupported(method);
}

function route(method: string, segments: string[]): Handler | undefined {
  const lower = segments.map((s) => s.toLowerCase());
  const [, id, , childId] = segments;
  if (lower[0] === 'jobs') {
    if (segments.length === 1) return byMethod(method, { POST: addJob, GET: listJobs });
    if (segments.length === 2) return byMethod(method, { GET: (c) => getJob(c, id), DELETE: (c) => deleteJob(c, id) });
    if (segments.length === 3 && lower[2] === 'terminate') return byMethod(method, { POST: (c) => terminateJob(c, id) });
    if (segments.length === 3 && lower[2] === 'addtaskcollection') return byMethod(method, { POST: (c) => addTaskCollection(c, id) });
    if (segments.length === 3 && lower[2] === 'tasks') return byMethod(method, { POST: (c) => addTask(c, id), GET: (c) => listTasks(c, id) });
    if (segments.length === 4 && lower[2] === 'tasks') {
      return byMethod(method, { GET: (c) => getTask(c, id, childId), DELETE: (c) => deleteTask(c, id, childId) });
    }
    if (segments.length === 5 && lower[2] === 'tasks' && lower[4] === 'terminate') return byMethod(method, { POST: (c) => terminateTask(c, id, childId) });
    return undefined;
  }
  if (lower[0] === 'pools') {
    if (segments.length === 1) return byMethod(method, { GET: listPools });
    if (segments.length === 2) return byMethod(method, { GET: (c) => getPool(c, id), HEAD: (c) => poolExists(c, id) });
    if (segments.length === 3) {
      if (lower[2] === 'enableautoscale') return byMethod(method, { POST: (c) => enableAutoScale(c, id) });
      if (lower[2] === 'disableautoscale') return byMethod(method, { POST: (c) => disableAutoScale(c, id) });
      if (lower[2] === 'evaluateautoscale') return byMethod(method, { POST: (c) => evaluateAutoScale(c, id) });
    }
  }
  return undefined;
}

function checkApiVersion(req: EmuRequest): void {
  const version = req.query.get('api-version');
  if (!version) {
    throw new BatchHttpError(400, 'MissingRequiredQueryParameter', 'A query parameter that\'s mandatory for this request is not specified.', [
      { key: 'QueryParameterName', value: 'api-version' },
    ]);
  }
  if (!SUPPORTED_API_VERSIONS.has(version)) {
    throw new BatchHttpError(400, 'InvalidQueryParameterValue', 'Value for one of the query parameters specified in the request URI is invalid.', [
      { key: 'QueryParameterName', value: 'api-version' },
      { key: 'QueryParameterValue', value: version },
      { key: 'Reason', value: 'The specified api version string is invalid or not supported.' },
    ]);
  }
}

function accountBase(ctx: EmulatorContext): string {
  return ctx.urls.batch.replace(/\/$/, '');
}

/** Path segments under the account URL (which may itself carry a path). */
function segmentsOf(req: EmuRequest, ctx: EmulatorContext): string[] {
  const prefix = new URL(accountBase(ctx)).pathname.replace(/\/$/, '');
  const path = prefix && req.path.startsWith(prefix) ? req.path.slice(prefix.length) : req.path;
  return path.split('/').filter((s) => s !== '').map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
}

export function createBatchService(): Service {
  const runner = new BatchTaskRunner();
  return {
    name: 'batch',
    errorReply(status: number, code: string, message: string): Reply {
      // Faults and unexpected errors have no context at hand: the account URL is not needed for their shape.
      return batchErrorReply('', status, code || 'InternalError', message);
    },
    async handle(req: EmuRequest, ctx: EmulatorContext): Promise<Reply> {
      const base = accountBase(ctx);
      try {
        authenticate(req, ctx);
        checkApiVersion(req);
        const handler = route(req.method.toUpperCase(), segmentsOf(req, ctx));
        if (!handler) throw new BatchHttpError(404, 'ResourceNotFound', 'The specified resource does not exist.');
        return await handler({ req, ctx, base, runner });
      } catch (err) {
        if (err instanceof BatchHttpError) {
          const reply = batchErrorReply(base, err.status, err.code, err.message, err.values);
          // HEAD answers carry no body.
          return req.method.toUpperCase() === 'HEAD' ? { status: reply.status, headers: reply.headers } : reply;
        }
        throw err;
      }
    },
    reset(): void {
      void runner.stopAll();
    },
    stop(): void {
      void runner.stopAll();
    },
  };
}
