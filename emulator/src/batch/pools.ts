// Pools: get (and HEAD), list, and autoscale: enable (validates and stores formula and interval,
// evaluates it and applies the targets; calls for one pool at least 30 s apart), disable (targets
// stay), and evaluate (only when autoscale is enabled). A pool read runs the evaluation that its
// interval made due since the last one (autoscale.ts).
import type { Reply } from '../context';
import type { BatchPoolRecord } from '../store';
import {
  autoScaleRun,
  catchUpAutoScale,
  checkEvaluationInterval,
  DEFAULT_EVALUATION_INTERVAL,
  evaluatePoolFormula,
  poolCreatedAt,
  requireCompilableFormula,
  runPoolAutoScale,
} from './autoscale';
import { currentNodeCounts } from './nodes';
import { BatchHttpError, missingProperty } from './errors';
import { parseFilter } from './filter';
import { type BatchCall, batchHeaders, empty, odata, readBody } from './http';
import { findPool, newETag } from './model';
import { poolWire } from './wire';

export const ENABLE_AUTOSCALE_MIN_GAP_MS = 30_000;

function creationTime(pool: BatchPoolRecord): string {
  return new Date(poolCreatedAt(pool)).toISOString();
}

function poolResource(pool: BatchPoolRecord): { eTag: string; lastModified: string } {
  return { eTag: String(pool.extra.eTag ?? '0x8D0000000000000'), lastModified: String(pool.extra.lastModified ?? creationTime(pool)) };
}

function requirePool(call: BatchCall, poolId: string): BatchPoolRecord {
  const pool = findPool(call.ctx.store, poolId);
  if (!pool) throw new BatchHttpError(404, 'PoolNotFound', 'The specified pool does not exist.');
  return pool;
}

/** Pool-level data changed (autoscale settings): a new ETag and Last-Modified, as the service gives. */
function touchPool(pool: BatchPoolRecord, now: number): void {
  pool.extra.eTag = newETag();
  pool.extra.lastModified = new Date(now).toISOString();
}

function wire(call: BatchCall, pool: BatchPoolRecord): Record<string, unknown> {
  catchUpAutoScale(call.ctx.store, pool);
  // New targets may let waiting tasks start (or nodes finish allocating).
  call.runner.schedule(call.ctx);
  return poolWire(call.base, pool, creationTime(pool), currentNodeCounts(pool, call.ctx.options.batchNodeAllocationMs ?? 0));
}

export function getPool(call: BatchCall, poolId: string): Reply {
  const pool = requirePool(call, poolId);
  return odata(200, call.req, { 'odata.metadata': `${call.base}/$metadata#pools/@Element`, ...wire(call, pool) }, poolResource(pool));
}

export function poolExists(call: BatchCall, poolId: string): Reply {
  const pool = findPool(call.ctx.store, poolId);
  return pool ? empty(200, call.req, poolResource(pool)) : { status: 404, headers: batchHeaders(call.req) };
}

export function listPools(call: BatchCall): Reply {
  const keep = parseFilter(call.req.query.get('$filter'));
  const value = call.ctx.store.batchPools.map((p) => wire(call, p)).filter(keep);
  return odata(200, call.req, { 'odata.metadata': `${call.base}/$metadata#pools`, value });
}

function stringProperty(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

export function enableAutoScale(call: BatchCall, poolId: string): Reply {
  const pool = requirePool(call, poolId);
  const body = readBody(call.req);
  const now = Date.now();
  if (pool.lastEnableAutoScaleAt !== undefined && now - pool.lastEnableAutoScaleAt < ENABLE_AUTOSCALE_MIN_GAP_MS) {
    // Code and status from the service's error-code table (TooManyEnableAutoScaleRequests, 503);
    // .NET names the constant AutoScaleTooManyRequestsToEnable. SDK retry policies retry a 503.
    throw new BatchHttpError(503, 'TooManyEnableAutoScaleRequests', 'Too many Enable Pool AutoScale requests are issued on the pool.');
  }
  const formula = stringProperty(body, 'autoScaleFormula') ?? (pool.enableAutoScale ? pool.autoScaleFormula : undefined);
  if (!formula) throw missingProperty('autoScaleFormula');
  const interval = stringProperty(body, 'autoScaleEvaluationInterval');
  if (interval) checkEvaluationInterval(interval);
  requireCompilableFormula(formula);
  pool.enableAutoScale = true;
  pool.autoScaleFormula = formula;
  pool.autoScaleEvaluationInterval = interval ?? pool.autoScaleEvaluationInterval ?? DEFAULT_EVALUATION_INTERVAL;
  pool.lastEnableAutoScaleAt = now;
  // The service evaluates at once and starts the interval schedule from this run.
  runPoolAutoScale(call.ctx.store, pool, now, now);
  touchPool(pool, now);
  return empty(200, call.req, poolResource(pool), `${call.base}/pools/${pool.id}`);
}

export function disableAutoScale(call: BatchCall, poolId: string): Reply {
  const pool = requirePool(call, poolId);
  // The pool keeps the size autoscale last gave it.
  pool.enableAutoScale = false;
  pool.autoScaleFormula = undefined;
  pool.autoScaleEvaluationInterval = undefined;
  pool.autoScaleRun = undefined;
  touchPool(pool, Date.now());
  return empty(200, call.req, poolResource(pool), `${call.base}/pools/${pool.id}`);
}

export function evaluateAutoScale(call: BatchCall, poolId: string): Reply {
  const pool = requirePool(call, poolId);
  const body = readBody(call.req);
  const formula = stringProperty(body, 'autoScaleFormula');
  if (!formula) throw missingProperty('autoScaleFormula');
  if (!pool.enableAutoScale) {
    throw new BatchHttpError(409, 'AutoScalingNotEnabledForPool', 'The specified pool does not have autoscale enabled.');
  }
  requireCompilableFormula(formula);
  // Evaluating only reports: neither the pool's targets nor its last run change.
  const now = Date.now();
  const run = autoScaleRun(evaluatePoolFormula(call.ctx.store, pool, formula, now, now), now);
  return odata(200, call.req, { 'odata.metadata': `${call.base}/$metadata#Microsoft.Azure.Batch.Protocol.Entities.AutoScaleRun`, ...run }, poolResource(pool));
}
