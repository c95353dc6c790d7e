// Pools: get (and HEAD), list, and autoscale: enable (stores formula and interval; calls for one
// pool at least 30 s apart), disable, and evaluate (only when autoscale is enabled).
import type { Reply } from '../context';
import type { BatchPoolRecord } from '../store';
import { checkEvaluationInterval, evaluateFormula } from './autoscale';
import { BatchHttpError, missingProperty } from './errors';
import { parseFilter } from './filter';
import { type BatchCall, batchHeaders, empty, odata, readBody } from './http';
import { findPool } from './model';
import { poolWire } from './wire';

export const ENABLE_AUTOSCALE_MIN_GAP_MS = 30_000;
const DEFAULT_INTERVAL = 'PT15M';

/** Pool records have no timestamps of their own: the emulator's start stands in for them. */
const started = new Date().toISOString();

function poolResource(pool: BatchPoolRecord): { eTag: string; lastModified: string } {
  return { eTag: String(pool.extra.eTag ?? '0x8D0000000000000'), lastModified: String(pool.extra.lastModified ?? started) };
}

function requirePool(call: BatchCall, poolId: string): BatchPoolRecord {
  const pool = findPool(call.ctx.store, poolId);
  if (!pool) throw new BatchHttpError(404, 'PoolNotFound', 'The specified pool does not exist.');
  return pool;
}

function wire(call: BatchCall, pool: BatchPoolRecord): Record<string, unknown> {
  return poolWire(call.base, pool, String(pool.extra.creationTime ?? started));
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
    throw new BatchHttpError(
      409,
      'AutoScaleTooManyRequestsToEnable',
      'The number of requests to enable autoscale on the pool has exceeded the limit. Wait at least 30 seconds between requests.',
    );
  }
  const formula = stringProperty(body, 'autoScaleFormula') ?? (pool.enableAutoScale ? pool.autoScaleFormula : undefined);
  if (!formula) throw missingProperty('autoScaleFormula');
  const interval = stringProperty(body, 'autoScaleEvaluationInterval');
  if (interval) checkEvaluationInterval(interval);
  const evaluation = evaluateFormula(formula);
  pool.enableAutoScale = true;
  pool.autoScaleFormula = formula;
  pool.autoScaleEvaluationInterval = interval ?? pool.autoScaleEvaluationInterval ?? DEFAULT_INTERVAL;
  pool.lastEnableAutoScaleAt = now;
  pool.autoScaleRun = { timestamp: new Date(now).toISOString(), results: evaluation.results };
  pool.targetDedicatedNodes = evaluation.targetDedicatedNodes;
  pool.targetLowPriorityNodes = evaluation.targetLowPriorityNodes;
  return empty(200, call.req, poolResource(pool), `${call.base}/pools/${pool.id}`);
}

export function disableAutoScale(call: BatchCall, poolId: string): Reply {
  const pool = requirePool(call, poolId);
  pool.enableAutoScale = false;
  pool.autoScaleFormula = undefined;
  pool.autoScaleEvaluationInterval = undefined;
  pool.autoScaleRun = undefined;
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
  const run = { timestamp: new Date().toISOString(), results: evaluateFormula(formula).results };
  return odata(200, call.req, { 'odata.metadata': `${call.base}/$metadata#Microsoft.Azure.Batch.Protocol.Entities.AutoScaleRun`, ...run }, poolResource(pool));
}
