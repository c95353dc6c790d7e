// A pool's autoscale: the task counts the pool records for formulas to sample, and running its
// formula against them (formula.ts) the way the service does on enable, on evaluate and at each
// evaluation interval. Only a run that succeeded changes the pool's targets.
import type { BatchPoolRecord, BatchTaskCountRecord, Store } from '../store';
import { BatchHttpError, invalidValue } from './errors';
import { checkFormula, evaluateFormula, type FormulaFailure, type FormulaOutcome, isFormulaFailure } from './formula';
import { sampleTaskCounts } from './formula-samples';
import { sameId } from './model';

/** How far back a pool keeps its task counts, so how far back formulas can sample. */
export const TASK_COUNT_HISTORY_MS = 24 * 60 * 60 * 1000;
/** A cap on the changes kept, whatever their age: a burst of tasks must not grow memory without end. */
export const MAX_TASK_COUNT_CHANGES = 10_000;
export const DEFAULT_EVALUATION_INTERVAL = 'PT15M';
const MIN_INTERVAL_MS = 5 * 60 * 1000;
const MAX_INTERVAL_MS = 168 * 60 * 60 * 1000;

export type AutoScaleRun = NonNullable<BatchPoolRecord['autoScaleRun']>;

/** When the pool's samples begin; a seeded pool without a creation time starts when first used. */
export function poolCreatedAt(pool: BatchPoolRecord, now = Date.now()): number {
  if (pool.createdAt === undefined) {
    const fromWire = Date.parse(String(pool.extra.creationTime ?? ''));
    pool.createdAt = Number.isNaN(fromWire) ? now : fromWire;
  }
  return pool.createdAt;
}

/** Active and running tasks of the pool's jobs; a preparing task holds a node, so it counts as running. */
function countTasks(store: Store, pool: BatchPoolRecord): { active: number; running: number } {
  const jobIds = new Set(store.batchJobs.filter((j) => sameId(j.poolId, pool.id)).map((j) => j.id));
  let active = 0;
  let running = 0;
  for (const task of store.batchTasks) {
    if (!jobIds.has(task.jobId)) continue;
    if (task.state === 'active') active++;
    else if (task.state === 'preparing' || task.state === 'running') running++;
  }
  return { active, running };
}

/** Drops changes older than the history window, keeping the one in force at its start. */
function prune(history: BatchTaskCountRecord[], now: number): void {
  const firstInWindow = history.findIndex((c) => c.time >= now - TASK_COUNT_HISTORY_MS);
  const keepFrom = firstInWindow === -1 ? history.length - 1 : Math.max(0, firstInWindow - 1);
  const excess = history.length - keepFrom > MAX_TASK_COUNT_CHANGES ? history.length - MAX_TASK_COUNT_CHANGES : keepFrom;
  if (excess > 0) history.splice(0, excess);
}

/** Appends the pool's current task counts to its history when they changed. */
export function recordPoolTaskCounts(store: Store, pool: BatchPoolRecord, now = Date.now()): void {
  poolCreatedAt(pool, now);
  const history = (pool.taskCounts ??= []);
  const counts = countTasks(store, pool);
  const last = history.at(-1);
  if (last ? last.active === counts.active && last.running === counts.running : counts.active === 0 && counts.running === 0) return;
  // Several changes within one millisecond: the latest wins.
  if (last && last.time === now) Object.assign(last, counts);
  else history.push({ time: now, ...counts });
  prune(history, now);
}

/** Records the task counts of every pool: called wherever a task is added, changes state or goes away. */
export function recordTaskCounts(store: Store, now = Date.now()): void {
  for (const pool of store.batchPools) recordPoolTaskCounts(store, pool, now);
}

/** The 400 BatchError the service answers for a formula that cannot run at all. */
export function formulaRejected(failure: FormulaFailure): BatchHttpError {
  const values = failure.error.values?.map((v) => ({ key: v.name, value: v.value }));
  return new BatchHttpError(400, failure.error.code, failure.error.message, values);
}

/** Throws the service's 400 when the formula does not compile. */
export function requireCompilableFormula(formula: string): void {
  const failure = checkFormula(formula);
  if (failure) throw formulaRejected(failure);
}

/** Evaluates `formula` for the pool at `at` (epoch ms) against the samples its history gives. */
export function evaluatePoolFormula(store: Store, pool: BatchPoolRecord, formula: string, at: number, now = Date.now()): FormulaOutcome {
  recordPoolTaskCounts(store, pool, now);
  const since = Math.max(poolCreatedAt(pool, now), at - TASK_COUNT_HISTORY_MS);
  const samples = sampleTaskCounts(pool.taskCounts ?? [], since, at);
  // $CurrentDedicatedNodes: the nodes allocated so far (batch/nodes.ts), without advancing the allocation.
  const current = pool.currentNodes ?? pool.targetDedicatedNodes + pool.targetLowPriorityNodes;
  const currentDedicated = Math.min(pool.targetDedicatedNodes, current);
  return evaluateFormula(formula, samples, at, {
    targetDedicatedNodes: pool.targetDedicatedNodes,
    targetLowPriorityNodes: pool.targetLowPriorityNodes,
    currentDedicatedNodes: currentDedicated,
    currentLowPriorityNodes: current - currentDedicated,
  });
}

/** The AutoScaleRun wire shape of an outcome. */
export function autoScaleRun(outcome: FormulaOutcome, at: number): AutoScaleRun {
  return {
    timestamp: new Date(at).toISOString(),
    results: outcome.results,
    ...(isFormulaFailure(outcome) ? { error: outcome.error } : {}),
  };
}

/** Runs the pool's own formula at `at`: stores the run and applies its targets when it succeeded. */
export function runPoolAutoScale(store: Store, pool: BatchPoolRecord, at: number, now = Date.now()): AutoScaleRun {
  const outcome = evaluatePoolFormula(store, pool, pool.autoScaleFormula ?? '', at, now);
  pool.autoScaleRun = autoScaleRun(outcome, at);
  if (!isFormulaFailure(outcome)) {
    pool.targetDedicatedNodes = outcome.targetDedicatedNodes;
    pool.targetLowPriorityNodes = outcome.targetLowPriorityNodes;
  }
  return pool.autoScaleRun;
}

/**
 * Catches up with the service's evaluation schedule (every interval from the last run): when an
 * evaluation is due, runs the latest one that would have happened, at its own time.
 */
export function catchUpAutoScale(store: Store, pool: BatchPoolRecord, now = Date.now()): void {
  if (!pool.enableAutoScale || !pool.autoScaleFormula || !pool.autoScaleRun) return;
  const interval = durationMs(pool.autoScaleEvaluationInterval ?? DEFAULT_EVALUATION_INTERVAL);
  const last = Date.parse(pool.autoScaleRun.timestamp);
  if (!(interval > 0) || Number.isNaN(last) || now < last + interval) return;
  runPoolAutoScale(store, pool, last + Math.floor((now - last) / interval) * interval, now);
}

/** Parses an ISO 8601 duration (PnDTnHnMnS) into milliseconds; NaN when malformed. */
export function durationMs(text: string): number {
  const match = /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text);
  if (!match || text === 'P' || text.endsWith('T')) return NaN;
  const [, d, h, m, s] = match.map((v) => Number(v ?? 0));
  return (((d * 24 + h) * 60 + m) * 60 + s) * 1000;
}

/** The service's documented range: 5 minutes to 168 hours, else 400 InvalidPropertyValue. */
export function checkEvaluationInterval(interval: string): void {
  const ms = durationMs(interval);
  if (Number.isNaN(ms) || ms < MIN_INTERVAL_MS || ms > MAX_INTERVAL_MS) {
    throw invalidValue('autoScaleEvaluationInterval', interval, 'The evaluation interval must be between 5 minutes and 168 hours.');
  }
}
