// The Batch pool's own autoscale: nodes follow the agent tasks the scaler adds. A pool without
// autoscale gets it enabled with the formula (errors come back from that call or in
// autoScaleRun.error); on a pool that already autoscales, a different formula is evaluated first and
// enabled only if it evaluates, so a typo never replaces a working formula. The task enables once per
// run; when Batch refuses an enable as too close to another caller's (30 s apart), it waits that out
// once. The evaluation interval is at least 5 minutes.
import type { BatchServiceClient, BatchServiceModels } from '@azure/batch';
import type { Clock } from '../clock';
import { describeError, errorCodeOf, httpStatusOf } from '../errors';
import { ENABLE_AUTOSCALE_SPACING_MS, MIN_EVALUATION_INTERVAL, MIN_EVALUATION_INTERVAL_MS, parseIsoDuration } from '../scaler/autoscale-formula';
import type { AutoscaleOutcome, PoolAutoscaler } from './pool-autoscaler';

export type BatchPoolOperations = Pick<BatchServiceClient['pool'], 'get' | 'enableAutoScale' | 'evaluateAutoScale'>;

export interface BatchAutoscaleDeps {
  pool: BatchPoolOperations;
  clock: Clock;
  signal?: AbortSignal;
}

/** PoolAutoscaler on a Batch pool. */
export class BatchPoolAutoscaler implements PoolAutoscaler {
  constructor(readonly poolId: string, private readonly formula: string, private readonly deps: BatchAutoscaleDeps) {}

  ensure(): Promise<AutoscaleOutcome> {
    return ensurePoolAutoscale(this.poolId, this.formula, this.deps);
  }
}

function normalise(formula: string | undefined): string {
  return (formula ?? '').replace(/\r\n/g, '\n').split('\n').map((l) => l.trim()).filter(Boolean).join('\n');
}

function runError(run: BatchServiceModels.AutoScaleRun | undefined): string | undefined {
  const error = run?.error;
  if (!error) return undefined;
  const values = (error.values ?? []).map((v) => `${v.name}: ${v.value}`).join('; ');
  return `${error.code ?? 'error'}: ${error.message ?? ''}${values ? ` (${values})` : ''}`.trim();
}

function serviceMessage(error: unknown): string {
  const body = (error as { body?: { code?: string; message?: { value?: string } | string; values?: Array<{ key?: string; value?: string }> } }).body;
  const text = typeof body?.message === 'string' ? body.message : body?.message?.value;
  const values = (body?.values ?? []).map((v) => `${v.key}: ${v.value}`).join('; ');
  if (text) return `${body?.code ?? errorCodeOf(error) ?? httpStatusOf(error)}: ${text.split('\nRequestId:')[0]}${values ? ` (${values})` : ''}`;
  return describeError(error);
}

function tooManyEnables(error: unknown): boolean {
  const code = errorCodeOf(error) ?? '';
  return /TooMany/i.test(code);
}

/** The interval to ask for: the pool's own when it is at least 5 minutes, else 5 minutes. */
function intervalFor(current: string | undefined): string {
  const ms = current ? parseIsoDuration(current) : undefined;
  return ms !== undefined && ms >= MIN_EVALUATION_INTERVAL_MS ? (current as string) : MIN_EVALUATION_INTERVAL;
}

export async function ensurePoolAutoscale(poolId: string, formula: string, deps: BatchAutoscaleDeps): Promise<AutoscaleOutcome> {
  const { pool, clock } = deps;
  const current = await pool.get(poolId);
  const interval = intervalFor(current.autoScaleEvaluationInterval);
  if (current.enableAutoScale) {
    if (normalise(current.autoScaleFormula) === normalise(formula) && interval === current.autoScaleEvaluationInterval) {
      return { action: 'unchanged', message: `Batch pool '${poolId}' already autoscales with this formula.`, interval };
    }
    let run: BatchServiceModels.AutoScaleRun;
    try {
      run = await pool.evaluateAutoScale(poolId, formula);
    } catch (error) {
      return { action: 'rejected', message: `The formula does not evaluate on Batch pool '${poolId}' (its current formula is kept): ${serviceMessage(error)}`, interval };
    }
    const error = runError(run);
    if (error) return { action: 'rejected', message: `The formula does not evaluate on Batch pool '${poolId}' (its current formula is kept): ${error}`, interval };
  }

  const enable = () => pool.enableAutoScale(poolId, { autoScaleFormula: formula, autoScaleEvaluationInterval: interval });
  try {
    await enable();
  } catch (error) {
    if (!tooManyEnables(error)) {
      return { action: 'rejected', message: `Batch pool '${poolId}' refused the autoscale formula: ${serviceMessage(error)}`, interval };
    }
    // Another caller enabled autoscale on this pool moments ago: wait out the spacing once.
    await clock.sleep(ENABLE_AUTOSCALE_SPACING_MS, deps.signal);
    try {
      await enable();
    } catch (again) {
      return { action: 'rejected', message: `Batch pool '${poolId}' refused the autoscale formula: ${serviceMessage(again)}`, interval };
    }
  }
  const after = await pool.get(poolId);
  const error = runError(after.autoScaleRun);
  if (error) return { action: 'rejected', message: `Autoscale is enabled on Batch pool '${poolId}', but its formula failed to evaluate: ${error}`, interval };
  return { action: 'enabled', message: `Autoscale enabled on Batch pool '${poolId}' (interval ${interval})${after.autoScaleRun?.results ? `: ${after.autoScaleRun.results}` : ''}.`, interval };
}
