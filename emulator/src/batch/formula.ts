// The emulator's Batch autoscale formula evaluator: the language subset that formulas sizing a pool
// from its task counts use, evaluated against the task-count samples the Batch service recorded.
//
// Supported: statements `name = expr;` (user variables with or without `$`), numbers, "strings",
// + - * / (double, doubleVec, timeinterval and timestamp as in the service's operations table),
// comparisons, && || !, `?:` (only the chosen branch is evaluated), the functions avg, len, lg, ln,
// log, max, min, norm, percentile, range, std, sum, val, time; TimeInterval_* constants; the samples
// $PendingTasks, $ActiveTasks, $RunningTasks with GetSample(count | interval [, interval] [, percent]),
// GetSamplePercent(interval [, interval]), GetSamplePeriod(), Count(), HistoryBeginTime(); timestamp
// members (.year .month .day .weekday .hour .minute .second); $CurrentDedicatedNodes and
// $CurrentLowPriorityNodes as doubles; settable $TargetDedicatedNodes, $TargetLowPriorityNodes (and the
// aliases $TargetDedicated, $TargetLowPriority; the full name wins when both are set) and
// $NodeDeallocationOption = requeue | terminate | taskcompletion | retaineddata (default requeue).
// Service variable names compare case-insensitively; user variables as written.
//
// Errors, in the AutoScaleRunError shape {code, message, values: [{name: 'Message', value: 'Line L, Col C: ...'}]}:
// - stage 'compile' (the formula cannot run at all: a real service rejects enable/evaluate with a
//   400 BatchError of this code):
//     AutoScaleFormulaTooLong        more than 8192 characters (documented code and limit)
//     AutoScalingFormulaSyntaxError  does not parse, more than 100 statements, unknown function or
//                                    method, undefined variable, assignment to a read-only variable,
//                                    and service variables this emulator does not sample ($CPUPercent,
//                                    $SucceededTasks, ... are rejected with a message saying so). The
//                                    code is documented; using it for the semantic cases is our choice.
// - stage 'evaluate' (reported in AutoScaleRun.error, with the results computed so far):
//     InsufficientSampleData   "Autoscale evaluation failed due to insufficient sample data", value
//                              "Line L, Col C: Insufficient data from data set: $X wanted P%, received Q%"
//                              (code, message and value format as in the service's documented example)
//     FormulaEvaluationError   type mismatches, empty lists, division by zero, bad targets or
//                              deallocation option [unverified code: the service's is not documented]
// Samples: GetSample(n) returns the latest n samples (fewer if fewer exist; none at all is
// InsufficientSampleData); an interval window counts samples in (from, to], its percentage against one
// sample per 30 s. Vectors are oldest first. `results` lists $TargetDedicatedNodes,
// $TargetLowPriorityNodes, $NodeDeallocationOption, then user variables sorted by name, as the service does.
import { Expr, FormulaSyntaxError, parseFormula, Position, Statement } from './formula-syntax';

export interface Sample {
  /** Epoch milliseconds. */
  time: number;
  value: number;
}

export interface FormulaSamples {
  pendingTasks: readonly Sample[];
  activeTasks: readonly Sample[];
  runningTasks: readonly Sample[];
}

/** The pool's state the formula can read; targets start from the pool's current targets. */
export interface FormulaPoolState {
  targetDedicatedNodes?: number;
  targetLowPriorityNodes?: number;
  currentDedicatedNodes?: number;
  currentLowPriorityNodes?: number;
}

export type NodeDeallocationOption = 'requeue' | 'terminate' | 'taskcompletion' | 'retaineddata';

export interface AutoScaleRunError {
  code: string;
  message: string;
  values?: Array<{ name: string; value: string }>;
}

export interface FormulaSuccess {
  results: string;
  /** The targets to apply (fractions truncated). */
  targetDedicatedNodes: number;
  targetLowPriorityNodes: number;
  nodeDeallocationOption: NodeDeallocationOption;
}

export interface FormulaFailure {
  error: AutoScaleRunError;
  stage: 'compile' | 'evaluate';
  /** What the variables held when evaluation stopped (empty for compile errors). */
  results: string;
}

export type FormulaOutcome = FormulaSuccess | FormulaFailure;

export const SAMPLE_PERIOD_MS = 30_000;
export const MAX_FORMULA_LENGTH = 8192;
export const MAX_STATEMENTS = 100;

const DEALLOCATION_OPTIONS: readonly NodeDeallocationOption[] = ['requeue', 'terminate', 'taskcompletion', 'retaineddata'];

const TIME_INTERVALS: Record<string, number> = {
  timeinterval_zero: 0,
  timeinterval_100ns: 0.0001,
  timeinterval_microsecond: 0.001,
  timeinterval_millisecond: 1,
  timeinterval_second: 1000,
  timeinterval_minute: 60_000,
  timeinterval_hour: 3_600_000,
  timeinterval_day: 86_400_000,
  timeinterval_week: 7 * 86_400_000,
  timeinterval_year: 365 * 86_400_000,
};

type MetricKey = keyof FormulaSamples;
const METRICS: Record<string, { key: MetricKey; label: string }> = {
  $pendingtasks: { key: 'pendingTasks', label: '$PendingTasks' },
  $activetasks: { key: 'activeTasks', label: '$ActiveTasks' },
  $runningtasks: { key: 'runningTasks', label: '$RunningTasks' },
};
const POOL_COUNTS: Record<string, 'currentDedicatedNodes' | 'currentLowPriorityNodes'> = {
  $currentdedicatednodes: 'currentDedicatedNodes',
  $currentdedicated: 'currentDedicatedNodes',
  $currentlowprioritynodes: 'currentLowPriorityNodes',
  $currentlowpriority: 'currentLowPriorityNodes',
};
type TargetSlot = 'dedicated' | 'dedicatedAlias' | 'lowPriority' | 'lowPriorityAlias';
const TARGETS: Record<string, TargetSlot> = {
  $targetdedicatednodes: 'dedicated',
  $targetdedicated: 'dedicatedAlias',
  $targetlowprioritynodes: 'lowPriority',
  $targetlowpriority: 'lowPriorityAlias',
};
const DEALLOCATION = '$nodedeallocationoption';
/** Documented service variables this emulator does not sample. */
const UNSUPPORTED = new Set(
  [
    'CPUPercent', 'WallClockSeconds', 'MemoryBytes', 'DiskBytes', 'DiskReadBytes', 'DiskWriteBytes', 'DiskReadOps', 'DiskWriteOps',
    'NetworkInBytes', 'NetworkOutBytes', 'SampleNodeCount', 'SucceededTasks', 'FailedTasks', 'PreemptedNodeCount', 'UsableNodeCount',
    'TaskSlotsPerNode',
  ].map((name) => `$${name.toLowerCase()}`),
);

const FUNCTION_ARITY: Record<string, [number, number]> = {
  avg: [1, Infinity],
  len: [1, Infinity],
  lg: [1, 1],
  ln: [1, 1],
  log: [1, 1],
  max: [1, Infinity],
  min: [1, Infinity],
  norm: [1, Infinity],
  percentile: [2, 2],
  range: [1, Infinity],
  std: [1, Infinity],
  sum: [1, Infinity],
  val: [2, 2],
  time: [0, 1],
};
const METHOD_ARITY: Record<string, [number, number]> = {
  getsample: [1, 3],
  getsamplepercent: [1, 2],
  getsampleperiod: [0, 0],
  count: [0, 0],
  historybegintime: [0, 0],
};
const TIMESTAMP_MEMBERS = ['year', 'month', 'day', 'weekday', 'hour', 'minute', 'second'];

type Value =
  | { t: 'double'; v: number }
  | { t: 'vec'; v: number[] }
  | { t: 'string'; v: string }
  | { t: 'interval'; ms: number }
  | { t: 'timestamp'; ms: number }
  | { t: 'metric'; key: MetricKey; label: string };

const TYPE_NAMES: Record<Value['t'], string> = {
  double: 'double',
  vec: 'doubleVec',
  string: 'string',
  interval: 'timeinterval',
  timestamp: 'timestamp',
  metric: 'sample data set',
};

/** A failure while running the formula. */
class EvaluationError extends Error {
  constructor(
    readonly pos: Position,
    readonly detail: string,
    readonly code = 'FormulaEvaluationError',
    readonly summary = 'Autoscale evaluation failed',
  ) {
    super(`Line ${pos.line}, Col ${pos.col}: ${detail}`);
  }
}

const double = (v: number): Value => ({ t: 'double', v });
const bool = (b: boolean): Value => double(b ? 1 : 0);

function isServiceName(lower: string): boolean {
  return lower in METRICS || lower in POOL_COUNTS || lower in TARGETS || lower === DEALLOCATION || UNSUPPORTED.has(lower);
}

/** Name resolution done before running, so errors in branches never taken are still reported. */
function checkNames(statements: Statement[]): void {
  const assigned = new Set<string>();
  const visit = (expr: Expr): void => {
    switch (expr.kind) {
      case 'number':
      case 'string':
        return;
      case 'name': {
        const lower = expr.name.toLowerCase();
        if (UNSUPPORTED.has(lower)) throw new FormulaSyntaxError(expr.pos, `${expr.name} is not supported by the emulator (it samples only $PendingTasks, $ActiveTasks and $RunningTasks)`);
        if (isServiceName(lower) || lower in TIME_INTERVALS || (DEALLOCATION_OPTIONS as readonly string[]).includes(lower) || assigned.has(expr.name)) return;
        throw new FormulaSyntaxError(expr.pos, `Undefined variable '${expr.name}'`);
      }
      case 'unary':
        return visit(expr.operand);
      case 'binary':
        visit(expr.left);
        return visit(expr.right);
      case 'ternary':
        visit(expr.condition);
        visit(expr.whenTrue);
        return visit(expr.whenFalse);
      case 'call': {
        const arity = FUNCTION_ARITY[expr.name.toLowerCase()];
        if (!arity) throw new FormulaSyntaxError(expr.pos, `Unknown function '${expr.name}'`);
        checkArity(expr.name, expr.args.length, arity, expr.pos);
        return expr.args.forEach(visit);
      }
      case 'method': {
        const target = expr.target;
        const arity = METHOD_ARITY[expr.name.toLowerCase()];
        if (!arity) throw new FormulaSyntaxError(expr.pos, `Unknown method '${expr.name}'`);
        visit(target);
        if (target.kind !== 'name' || !(target.name.toLowerCase() in METRICS)) {
          throw new FormulaSyntaxError(expr.pos, `Method '${expr.name}' applies only to a sample data set such as $PendingTasks`);
        }
        checkArity(expr.name, expr.args.length, arity, expr.pos);
        return expr.args.forEach(visit);
      }
      case 'member':
        if (!TIMESTAMP_MEMBERS.includes(expr.name)) throw new FormulaSyntaxError(expr.pos, `Unknown member '${expr.name}'`);
        return visit(expr.target);
    }
  };
  for (const statement of statements) {
    visit(statement.value);
    const lower = statement.target.toLowerCase();
    if (lower in TARGETS || lower === DEALLOCATION) continue;
    if (isServiceName(lower)) throw new FormulaSyntaxError(statement.targetPos, `${statement.target} is read-only and cannot be assigned`);
    if (lower in TIME_INTERVALS || (DEALLOCATION_OPTIONS as readonly string[]).includes(lower) || lower in FUNCTION_ARITY) {
      throw new FormulaSyntaxError(statement.targetPos, `'${statement.target}' is a reserved name and cannot be assigned`);
    }
    assigned.add(statement.target);
  }
}

function checkArity(name: string, count: number, [min, max]: [number, number], pos: Position): void {
  if (count < min || count > max) {
    const expected = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    throw new FormulaSyntaxError(pos, `'${name}' takes ${expected} argument${expected === '1' ? '' : 's'}, not ${count}`);
  }
}

class Evaluator {
  readonly userVariables = new Map<string, Value>();
  private readonly targets: Record<TargetSlot, number | undefined> = { dedicated: undefined, dedicatedAlias: undefined, lowPriority: undefined, lowPriorityAlias: undefined };
  private latestDedicated: number;
  private latestLowPriority: number;
  deallocation: NodeDeallocationOption = 'requeue';
  private readonly series: Record<MetricKey, Sample[]>;

  constructor(
    samples: FormulaSamples,
    private readonly now: number,
    private readonly pool: FormulaPoolState,
  ) {
    const prepare = (list: readonly Sample[]) => list.filter((s) => s.time <= now).sort((a, b) => a.time - b.time);
    this.series = { pendingTasks: prepare(samples.pendingTasks), activeTasks: prepare(samples.activeTasks), runningTasks: prepare(samples.runningTasks) };
    this.latestDedicated = pool.targetDedicatedNodes ?? 0;
    this.latestLowPriority = pool.targetLowPriorityNodes ?? 0;
  }

  get dedicated(): number {
    return this.targets.dedicated ?? this.targets.dedicatedAlias ?? this.pool.targetDedicatedNodes ?? 0;
  }

  get lowPriority(): number {
    return this.targets.lowPriority ?? this.targets.lowPriorityAlias ?? this.pool.targetLowPriorityNodes ?? 0;
  }

  run(statements: Statement[]): void {
    for (const statement of statements) this.assign(statement, this.evaluate(statement.value));
  }

  private assign(statement: Statement, value: Value): void {
    const lower = statement.target.toLowerCase();
    const slot = TARGETS[lower];
    if (slot) {
      if (value.t !== 'double' || !Number.isFinite(value.v) || value.v < 0) {
        throw new EvaluationError(statement.targetPos, `${statement.target} must be a number of 0 or more, not ${show(value)}`);
      }
      this.targets[slot] = value.v;
      if (slot.startsWith('dedicated')) this.latestDedicated = value.v;
      else this.latestLowPriority = value.v;
      return;
    }
    if (lower === DEALLOCATION) {
      const option = value.t === 'string' ? value.v.toLowerCase() : undefined;
      if (!option || !(DEALLOCATION_OPTIONS as readonly string[]).includes(option)) {
        throw new EvaluationError(statement.targetPos, `$NodeDeallocationOption must be one of ${DEALLOCATION_OPTIONS.join(', ')}, not ${show(value)}`);
      }
      this.deallocation = option as NodeDeallocationOption;
      return;
    }
    if (value.t === 'metric') throw new EvaluationError(statement.targetPos, `${value.label} cannot be assigned to a variable; use one of its methods such as GetSample`);
    this.userVariables.set(statement.target, value);
  }

  private evaluate(expr: Expr): Value {
    switch (expr.kind) {
      case 'number':
        return double(expr.value);
      case 'string':
        return { t: 'string', v: expr.value };
      case 'name':
        return this.lookup(expr.name, expr.pos);
      case 'unary': {
        const operand = this.evaluate(expr.operand);
        if (expr.op === '!') return bool(this.asDouble(operand, expr.pos, "'!'") === 0);
        if (operand.t === 'double') return double(-operand.v);
        if (operand.t === 'interval') return { t: 'interval', ms: -operand.ms };
        if (operand.t === 'vec') return { t: 'vec', v: operand.v.map((x) => -x) };
        throw new EvaluationError(expr.pos, `'-' does not apply to a ${TYPE_NAMES[operand.t]}`);
      }
      case 'binary':
        return this.binary(expr.op, expr.left, expr.right, expr.pos);
      case 'ternary': {
        const condition = this.asDouble(this.evaluate(expr.condition), expr.pos, "the condition of '?:'");
        return this.evaluate(condition !== 0 ? expr.whenTrue : expr.whenFalse);
      }
      case 'call':
        return this.call(expr.name.toLowerCase(), expr.args.map((arg) => this.evaluate(arg)), expr.pos);
      case 'method': {
        const target = this.evaluate(expr.target);
        if (target.t !== 'metric') throw new EvaluationError(expr.pos, `Method '${expr.name}' applies only to a sample data set`);
        return this.method(target, expr.name.toLowerCase(), expr.args.map((arg) => this.evaluate(arg)), expr.pos);
      }
      case 'member': {
        const target = this.evaluate(expr.target);
        if (target.t !== 'timestamp') throw new EvaluationError(expr.pos, `Member '${expr.name}' applies only to a timestamp, not a ${TYPE_NAMES[target.t]}`);
        return double(timestampMember(target.ms, expr.name));
      }
    }
  }

  private lookup(name: string, pos: Position): Value {
    const lower = name.toLowerCase();
    if (lower in METRICS) return { t: 'metric', ...METRICS[lower] };
    if (lower in POOL_COUNTS) return double(this.pool[POOL_COUNTS[lower]] ?? 0);
    if (lower in TARGETS) return double(TARGETS[lower].startsWith('dedicated') ? this.latestDedicated : this.latestLowPriority);
    if (lower === DEALLOCATION) return { t: 'string', v: this.deallocation };
    if (lower in TIME_INTERVALS) return { t: 'interval', ms: TIME_INTERVALS[lower] };
    const value = this.userVariables.get(name);
    if (value) return value;
    if ((DEALLOCATION_OPTIONS as readonly string[]).includes(lower)) return { t: 'string', v: lower };
    throw new EvaluationError(pos, `Undefined variable '${name}'`);
  }

  private asDouble(value: Value, pos: Position, what: string): number {
    if (value.t !== 'double') throw new EvaluationError(pos, `${what} needs a double, not a ${TYPE_NAMES[value.t]}`);
    return value.v;
  }

  private binary(op: string, leftExpr: Expr, rightExpr: Expr, pos: Position): Value {
    const left = this.evaluate(leftExpr);
    const right = this.evaluate(rightExpr);
    const mismatch = () => new EvaluationError(pos, `'${op}' does not apply to ${TYPE_NAMES[left.t]} and ${TYPE_NAMES[right.t]}`);
    if (op === '&&' || op === '||') {
      if (left.t !== 'double' || right.t !== 'double') throw mismatch();
      return bool(op === '&&' ? left.v !== 0 && right.v !== 0 : left.v !== 0 || right.v !== 0);
    }
    if (['<', '<=', '>', '>=', '==', '!='].includes(op)) {
      const a = comparable(left);
      const b = comparable(right);
      if (a === undefined || b === undefined || left.t !== right.t) throw mismatch();
      return bool(compare(op, a, b));
    }
    if (left.t === 'double' && right.t === 'double') {
      if (op === '/' && right.v === 0) throw new EvaluationError(pos, 'Division by zero');
      return double(arithmetic(op, left.v, right.v));
    }
    if (left.t === 'vec' || right.t === 'vec') {
      const a = left.t === 'vec' ? left.v : left.t === 'double' ? undefined : null;
      const b = right.t === 'vec' ? right.v : right.t === 'double' ? undefined : null;
      if (a === null || b === null) throw mismatch();
      if (a && b && a.length !== b.length) throw new EvaluationError(pos, `'${op}' needs vectors of the same length (${a.length} and ${b.length})`);
      const length = (a ?? b ?? []).length;
      const at = (side: Value, vector: number[] | undefined, i: number) => (vector ? vector[i] : (side as { v: number }).v);
      const out: number[] = [];
      for (let i = 0; i < length; i++) {
        const divisor = at(right, b, i);
        if (op === '/' && divisor === 0) throw new EvaluationError(pos, 'Division by zero');
        out.push(arithmetic(op, at(left, a, i), divisor));
      }
      return { t: 'vec', v: out };
    }
    if (left.t === 'interval' && right.t === 'interval' && (op === '+' || op === '-')) return { t: 'interval', ms: arithmetic(op, left.ms, right.ms) };
    if (left.t === 'double' && right.t === 'interval' && op === '*') return { t: 'interval', ms: left.v * right.ms };
    if (left.t === 'interval' && right.t === 'double' && (op === '*' || op === '/')) {
      if (op === '/' && right.v === 0) throw new EvaluationError(pos, 'Division by zero');
      return { t: 'interval', ms: arithmetic(op, left.ms, right.v) };
    }
    if (left.t === 'timestamp' && right.t === 'interval' && (op === '+' || op === '-')) return { t: 'timestamp', ms: arithmetic(op, left.ms, right.ms) };
    if (left.t === 'interval' && right.t === 'timestamp' && op === '+') return { t: 'timestamp', ms: left.ms + right.ms };
    if (left.t === 'timestamp' && right.t === 'timestamp' && op === '-') return { t: 'interval', ms: left.ms - right.ms };
    throw mismatch();
  }

  private call(name: string, args: Value[], pos: Position): Value {
    if (name === 'time') {
      if (args.length === 0) return { t: 'timestamp', ms: this.now };
      const text = args[0];
      if (text.t !== 'string') throw new EvaluationError(pos, `time() takes a date string, not a ${TYPE_NAMES[text.t]}`);
      const ms = Date.parse(text.v);
      if (Number.isNaN(ms)) throw new EvaluationError(pos, `time() cannot read the date "${text.v}" (use W3C-DTF or RFC 1123)`);
      return { t: 'timestamp', ms };
    }
    if (name === 'lg' || name === 'ln' || name === 'log') {
      const fn = name === 'lg' ? Math.log2 : name === 'ln' ? Math.log : Math.log10;
      const arg = args[0];
      if (arg.t === 'double') return double(fn(arg.v));
      if (arg.t === 'vec') return { t: 'vec', v: arg.v.map(fn) };
      throw new EvaluationError(pos, `${name}() takes a double or doubleVec, not a ${TYPE_NAMES[arg.t]}`);
    }
    if (name === 'percentile' || name === 'val') {
      const vector = this.flatten([args[0]], name, pos);
      const n = this.asDouble(args[1], pos, `the second argument of ${name}()`);
      if (name === 'val') {
        if (!Number.isInteger(n) || n < 0 || n >= vector.length) throw new EvaluationError(pos, `val(): index ${n} is outside the vector of length ${vector.length}`);
        return double(vector[n]);
      }
      if (vector.length === 0) throw new EvaluationError(pos, 'percentile() of an empty vector');
      if (n < 0 || n > 100) throw new EvaluationError(pos, `percentile(): ${n} is not between 0 and 100`);
      const sorted = [...vector].sort((a, b) => a - b);
      return double(sorted[Math.max(0, Math.ceil((n / 100) * sorted.length) - 1)]);
    }
    const values = this.flatten(args, name, pos);
    if (name === 'len') return double(values.length);
    if (name === 'sum') return double(values.reduce((a, b) => a + b, 0));
    if (name === 'norm') return double(Math.sqrt(values.reduce((a, b) => a + b * b, 0)));
    if (values.length === 0) throw new EvaluationError(pos, `${name}() of an empty list (no samples?)`);
    switch (name) {
      case 'avg':
        return double(values.reduce((a, b) => a + b, 0) / values.length);
      case 'min':
        return double(Math.min(...values));
      case 'max':
        return double(Math.max(...values));
      case 'range':
        return double(Math.max(...values) - Math.min(...values));
      default: {
        // std: the sample standard deviation
        if (values.length < 2) throw new EvaluationError(pos, 'std() needs at least 2 values');
        const mean = values.reduce((a, b) => a + b, 0) / values.length;
        return double(Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1)));
      }
    }
  }

  private flatten(args: Value[], name: string, pos: Position): number[] {
    const out: number[] = [];
    for (const arg of args) {
      if (arg.t === 'double') out.push(arg.v);
      else if (arg.t === 'vec') out.push(...arg.v);
      else throw new EvaluationError(pos, `${name}() takes doubles and doubleVecs, not a ${TYPE_NAMES[arg.t]}`);
    }
    return out;
  }

  private method(metric: Extract<Value, { t: 'metric' }>, name: string, args: Value[], pos: Position): Value {
    const series = this.series[metric.key];
    switch (name) {
      case 'count':
        return double(series.length);
      case 'getsampleperiod':
        return { t: 'interval', ms: SAMPLE_PERIOD_MS };
      case 'historybegintime':
        if (series.length === 0) throw insufficient(pos, `${metric.label} has no samples yet`);
        return { t: 'timestamp', ms: series[0].time };
      case 'getsamplepercent': {
        const window = this.window(args, pos, 'GetSamplePercent');
        if (window.percent !== undefined) throw new EvaluationError(pos, 'GetSamplePercent() takes a time range, not a percentage');
        return double(this.select(series, window.from, window.to).percent);
      }
      default: {
        // GetSample
        const first = args[0];
        if (args.length === 1 && first.t === 'double') {
          const count = Math.floor(first.v);
          if (count < 1) throw new EvaluationError(pos, `GetSample(${first.v}): the sample count must be 1 or more`);
          if (series.length === 0) throw insufficient(pos, `Insufficient data from data set: ${metric.label} wanted ${count} samples, received 0`);
          return { t: 'vec', v: series.slice(-count).map((s) => s.value) };
        }
        const window = this.window(args, pos, 'GetSample');
        const selected = this.select(series, window.from, window.to);
        if (window.percent !== undefined && selected.percent < window.percent) {
          throw insufficient(pos, `Insufficient data from data set: ${metric.label} wanted ${formatNumber(window.percent)}%, received ${Math.floor(selected.percent)}%`);
        }
        return { t: 'vec', v: selected.values };
      }
    }
  }

  /** Reads (start [, end] [, percent]): look-back intervals or absolute timestamps. */
  private window(args: Value[], pos: Position, method: string): { from: number; to: number; percent?: number } {
    const point = (value: Value): number | undefined => (value.t === 'interval' ? this.now - value.ms : value.t === 'timestamp' ? value.ms : undefined);
    const start = point(args[0]);
    if (start === undefined) throw new EvaluationError(pos, `${method}() needs a timeinterval or timestamp, not a ${TYPE_NAMES[args[0].t]}`);
    let end: number | undefined;
    let percent: number | undefined;
    for (const arg of args.slice(1)) {
      const at = point(arg);
      if (at !== undefined && end === undefined && percent === undefined) end = at;
      else if (arg.t === 'double' && percent === undefined) percent = arg.v;
      else throw new EvaluationError(pos, `${method}(): unexpected ${TYPE_NAMES[arg.t]} argument`);
    }
    if (percent !== undefined && (percent < 0 || percent > 100)) throw new EvaluationError(pos, `${method}(): the sample percentage ${percent} is not between 0 and 100`);
    // With one point the window runs to now; with two, between them (either order).
    const other = end ?? this.now;
    return { from: Math.min(start, other), to: Math.max(start, other), percent };
  }

  private select(series: Sample[], from: number, to: number): { values: number[]; percent: number } {
    const values = series.filter((s) => s.time > from && s.time <= to).map((s) => s.value);
    const expected = Math.max(1, Math.floor((to - from) / SAMPLE_PERIOD_MS));
    return { values, percent: Math.min(100, (values.length / expected) * 100) };
  }

  /** `$TargetDedicatedNodes=..;$TargetLowPriorityNodes=..;$NodeDeallocationOption=..;<user variables by name>`. */
  results(): string {
    const parts = [
      `$TargetDedicatedNodes=${formatNumber(this.dedicated)}`,
      `$TargetLowPriorityNodes=${formatNumber(this.lowPriority)}`,
      `$NodeDeallocationOption=${this.deallocation}`,
    ];
    const names = [...this.userVariables.keys()].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()) || a.localeCompare(b));
    for (const name of names) parts.push(`${name}=${show(this.userVariables.get(name) as Value)}`);
    return parts.join(';');
  }
}

function insufficient(pos: Position, detail: string): EvaluationError {
  return new EvaluationError(pos, detail, 'InsufficientSampleData', 'Autoscale evaluation failed due to insufficient sample data');
}

function comparable(value: Value): number | string | undefined {
  if (value.t === 'double' || value.t === 'string') return value.v;
  if (value.t === 'interval' || value.t === 'timestamp') return value.ms;
  return undefined;
}

function compare(op: string, a: number | string, b: number | string): boolean {
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '==':
      return a === b;
    default:
      return a !== b;
  }
}

function arithmetic(op: string, a: number, b: number): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    default:
      return a / b;
  }
}

function timestampMember(ms: number, member: string): number {
  const date = new Date(ms);
  switch (member) {
    case 'year':
      return date.getUTCFullYear();
    case 'month':
      return date.getUTCMonth() + 1;
    case 'day':
      return date.getUTCDate();
    case 'weekday':
      return date.getUTCDay();
    case 'hour':
      return date.getUTCHours();
    case 'minute':
      return date.getUTCMinutes();
    default:
      return date.getUTCSeconds();
  }
}

function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(15)));
}

/** A .NET TimeSpan-like rendering, e.g. 00:05:00 or 1.02:00:00. */
function formatInterval(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  const days = Math.floor(rest / 86_400_000);
  rest -= days * 86_400_000;
  const pad = (n: number) => String(n).padStart(2, '0');
  const h = Math.floor(rest / 3_600_000);
  const m = Math.floor((rest % 3_600_000) / 60_000);
  const s = Math.floor((rest % 60_000) / 1000);
  const fraction = rest % 1000 ? `.${String(Math.round(rest % 1000)).padStart(3, '0')}` : '';
  return `${sign}${days ? `${days}.` : ''}${pad(h)}:${pad(m)}:${pad(s)}${fraction}`;
}

function show(value: Value): string {
  switch (value.t) {
    case 'double':
      return formatNumber(value.v);
    case 'vec':
      return `[${value.v.map(formatNumber).join(',')}]`;
    case 'string':
      return value.v;
    case 'interval':
      return formatInterval(value.ms);
    case 'timestamp':
      return new Date(value.ms).toISOString();
    case 'metric':
      return value.label;
  }
}

function compileError(code: string, message: string, detail?: string): FormulaFailure {
  return { stage: 'compile', results: '', error: { code, message, ...(detail ? { values: [{ name: 'Message', value: detail }] } : {}) } };
}

const SYNTAX_MESSAGE = 'An automatic scaling formula has a syntax error.';

/** Parses and checks a formula without running it: the error a real service gives on enable, if any. */
export function checkFormula(formula: string): FormulaFailure | undefined {
  if (formula.length > MAX_FORMULA_LENGTH) {
    return compileError('AutoScaleFormulaTooLong', `An automatic scaling formula is too long. The maximum length is ${MAX_FORMULA_LENGTH} characters.`);
  }
  try {
    const statements = parseFormula(formula);
    if (statements.length === 0) return compileError('AutoScalingFormulaSyntaxError', SYNTAX_MESSAGE, 'Line 1, Col 1: The formula has no statements');
    if (statements.length > MAX_STATEMENTS) {
      const pos = statements[MAX_STATEMENTS].targetPos;
      return compileError('AutoScalingFormulaSyntaxError', SYNTAX_MESSAGE, `Line ${pos.line}, Col ${pos.col}: A formula may have at most ${MAX_STATEMENTS} statements`);
    }
    checkNames(statements);
    return undefined;
  } catch (error) {
    if (error instanceof FormulaSyntaxError) return compileError('AutoScalingFormulaSyntaxError', SYNTAX_MESSAGE, error.message);
    throw error;
  }
}

/**
 * Evaluates `formula` at `now` against the recorded samples, the way the Batch service does on
 * enable, on evaluate and at each evaluation interval. Never throws for a bad formula.
 */
export function evaluateFormula(formula: string, samples: FormulaSamples, now: number, pool: FormulaPoolState = {}): FormulaOutcome {
  const problem = checkFormula(formula);
  if (problem) return problem;
  const statements = parseFormula(formula);
  const evaluator = new Evaluator(samples, now, pool);
  try {
    evaluator.run(statements);
  } catch (error) {
    if (!(error instanceof EvaluationError)) throw error;
    return {
      stage: 'evaluate',
      results: evaluator.results(),
      error: { code: error.code, message: error.summary, values: [{ name: 'Message', value: error.message }] },
    };
  }
  return {
    results: evaluator.results(),
    targetDedicatedNodes: Math.floor(evaluator.dedicated),
    targetLowPriorityNodes: Math.floor(evaluator.lowPriority),
    nodeDeallocationOption: evaluator.deallocation,
  };
}

/** Narrows an outcome to a failure. */
export function isFormulaFailure(outcome: FormulaOutcome): outcome is FormulaFailure {
  return 'error' in outcome;
}
