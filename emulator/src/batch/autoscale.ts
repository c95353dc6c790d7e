// Autoscale formula evaluation. Only constant assignments (`$Name = <number>;`) are evaluated; any
// other expression leaves its variable unset, and the pool's targets default to 0. The results
// string has the service's shape: `$TargetDedicatedNodes=N;$TargetLowPriorityNodes=N;
// $NodeDeallocationOption=requeue` followed by the formula's other variables.
import { invalidValue } from './errors';

export interface Evaluation {
  results: string;
  targetDedicatedNodes: number;
  targetLowPriorityNodes: number;
}

export function evaluateFormula(formula: string): Evaluation {
  const variables = new Map<string, string>();
  for (const statement of formula.split(/[;\n]/)) {
    const match = /^\s*\$([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.+?)\s*$/.exec(statement);
    if (!match) continue;
    const [, name, expression] = match;
    if (/^-?\d+(\.\d+)?$/.test(expression)) variables.set(name, expression);
    else if (/^[A-Za-z]+$/.test(expression)) variables.set(name, expression);
  }
  const asNodes = (value: string | undefined) => Math.max(0, Math.floor(Number(value ?? '0')) || 0);
  const dedicated = asNodes(variables.get('TargetDedicatedNodes') ?? variables.get('TargetDedicated'));
  const lowPriority = asNodes(variables.get('TargetLowPriorityNodes'));
  const deallocation = variables.get('NodeDeallocationOption') ?? 'requeue';
  const others = [...variables].filter(([name]) => !['TargetDedicatedNodes', 'TargetLowPriorityNodes', 'NodeDeallocationOption'].includes(name));
  const results = [
    `$TargetDedicatedNodes=${dedicated}`,
    `$TargetLowPriorityNodes=${lowPriority}`,
    `$NodeDeallocationOption=${deallocation}`,
    ...others.map(([name, value]) => `$${name}=${value}`),
  ].join(';');
  return { results, targetDedicatedNodes: dedicated, targetLowPriorityNodes: lowPriority };
}

/** Parses an ISO 8601 duration (PnDTnHnMnS) into milliseconds; NaN when malformed. */
export function durationMs(text: string): number {
  const match = /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text);
  if (!match || text === 'P' || text.endsWith('T')) return NaN;
  const [, d, h, m, s] = match.map((v) => Number(v ?? 0));
  return (((d * 24 + h) * 60 + m) * 60 + s) * 1000;
}

const MIN_INTERVAL_MS = 5 * 60 * 1000;
const MAX_INTERVAL_MS = 168 * 60 * 60 * 1000;

export function checkEvaluationInterval(interval: string): void {
  const ms = durationMs(interval);
  if (Number.isNaN(ms) || ms < MIN_INTERVAL_MS || ms > MAX_INTERVAL_MS) {
    throw invalidValue('autoScaleEvaluationInterval', interval, 'The evaluation interval must be between 5 minutes and 168 hours.');
  }
}
