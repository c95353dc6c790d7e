// The Batch pool side of ScaleAgentPool: the default autoscale formula and the service's limits on
// enabling it. Pure: the caller makes the enable/evaluate calls.
//
// The default formula sizes the pool from $PendingTasks (agent tasks queued or running, one node
// each): it scales out to the most tasks pending over the last 5 minutes, and scales in no faster
// than the average over the last 60 minutes, so nodes (minutes to boot) are not released between
// bursts. With less than 70% of a window's samples (a new pool) it falls back to the latest sample.
// `taskcompletion` lets a node finish its agent's job before Batch removes it.
import { InputError } from '../errors';

export interface AutoscaleFormulaOptions {
  /** batchMaxNodes: the most nodes the formula may ask for. */
  maxNodes: number;
  /** batchLowPriority: ask for low-priority (spot) nodes instead of dedicated ones. */
  lowPriority: boolean;
}

/** Batch rejects enable calls for one pool closer together than this (TooManyEnableAutoScaleRequests). */
export const ENABLE_AUTOSCALE_SPACING_MS = 30_000;
/** The shortest evaluation interval Batch accepts; also the one the task asks for. */
export const MIN_EVALUATION_INTERVAL = 'PT5M';
export const MIN_EVALUATION_INTERVAL_MS = 5 * 60_000;
/** Batch's limit on a formula's length. */
export const MAX_FORMULA_LENGTH = 8192;

/** Builds the default autoscale formula text. */
export function defaultAutoscaleFormula(options: AutoscaleFormulaOptions): string {
  if (!Number.isInteger(options.maxNodes) || options.maxNodes < 0) {
    throw new InputError('batchMaxNodes', `Input 'batchMaxNodes' must be a whole number of 0 or more (got ${options.maxNodes}).`);
  }
  const [scaled, zero] = options.lowPriority ? ['$TargetLowPriorityNodes', '$TargetDedicatedNodes'] : ['$TargetDedicatedNodes', '$TargetLowPriorityNodes'];
  return [
    '// ScaleAgentPool default: one node per agent task queued or running.',
    '// Scale out to the most tasks pending in the last 5 minutes (the latest sample while history is short).',
    '$outPercent = $PendingTasks.GetSamplePercent(TimeInterval_Minute * 5);',
    '$scaleOut = $outPercent < 70 ? max(0, $PendingTasks.GetSample(1)) : max($PendingTasks.GetSample(1), $PendingTasks.GetSample(TimeInterval_Minute * 5));',
    '// Scale in no faster than the average of the last 60 minutes.',
    '$inPercent = $PendingTasks.GetSamplePercent(TimeInterval_Minute * 60);',
    '$scaleIn = $inPercent < 70 ? $scaleOut : avg($PendingTasks.GetSample(TimeInterval_Minute * 60));',
    `$maxNodes = ${options.maxNodes};`,
    '$nodes = min($maxNodes, max($scaleOut, $scaleIn));',
    `${scaled} = $nodes;`,
    `${zero} = 0;`,
    '// Let a node finish its job before it is removed.',
    '$NodeDeallocationOption = taskcompletion;',
  ].join('\n');
}

/** Checks a formula the user gave (batchAutoscaleFormula) for what can be known without the service. */
export function validateAutoscaleFormula(formula: string, input = 'batchAutoscaleFormula'): string {
  const trimmed = formula.trim();
  if (trimmed === '') throw new InputError(input, `Input '${input}' is empty: give a formula or leave the input out to use the default.`);
  if (trimmed.length > MAX_FORMULA_LENGTH) {
    throw new InputError(input, `Input '${input}' is ${trimmed.length} characters long; Batch accepts at most ${MAX_FORMULA_LENGTH}.`);
  }
  return trimmed;
}

/** Milliseconds in an ISO 8601 day-time duration such as `PT5M`, `PT1H30M`, `P1DT2H`; undefined if not one. */
export function parseIsoDuration(value: string): number | undefined {
  const match = /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(value.trim());
  if (!match || value.trim().toUpperCase() === 'P' || /T$/i.test(value.trim())) return undefined;
  const [, d, h, m, s] = match.map((part) => (part === undefined ? 0 : Number(part)));
  return ((d * 24 + h) * 60 + m) * 60_000 + s * 1000;
}
