// The emulator's Batch autoscale formula evaluator: formulas Batch users write (the documentation's
// examples and ScaleAgentPool's default) evaluate to the targets and results string the service
// reports; anything else comes back as an error in the AutoScaleRunError shape.
import assert from 'node:assert/strict';
import { defaultAutoscaleFormula } from '../../tasks/common/src/scaler/autoscale-formula';
import { evaluateFormula, FormulaFailure, FormulaOutcome, FormulaSamples, FormulaSuccess, isFormulaFailure, Sample } from '../../emulator/src/batch/formula';
import { sampleTaskCounts } from '../../emulator/src/batch/formula-samples';

const NOW = Date.parse('2025-06-02T10:00:00Z'); // a Monday
const PERIOD = 30_000;

/** Samples every 30 s ending at NOW; `values` oldest first. */
function series(values: number[]): Sample[] {
  return values.map((value, i) => ({ time: NOW - (values.length - 1 - i) * PERIOD, value }));
}

function pending(values: number[]): FormulaSamples {
  return { pendingTasks: series(values), activeTasks: series(values), runningTasks: series(values.map(() => 0)) };
}

const none: FormulaSamples = { pendingTasks: [], activeTasks: [], runningTasks: [] };

function ok(outcome: FormulaOutcome): FormulaSuccess {
  if (isFormulaFailure(outcome)) assert.fail(`expected success, got ${JSON.stringify(outcome.error)}`);
  return outcome;
}

function failed(outcome: FormulaOutcome): FormulaFailure {
  if (!isFormulaFailure(outcome)) assert.fail(`expected an error, got ${outcome.results}`);
  return outcome;
}

const hour = (value: number) => Array.from({ length: 120 }, () => value);

describe('emulator: Batch autoscale formula evaluator', () => {
  describe('valid formulas', () => {
    const cases: Array<{ name: string; formula: string; samples?: FormulaSamples; pool?: Parameters<typeof evaluateFormula>[3]; results: string }> = [
      {
        name: 'a constant target, as in the service examples',
        formula: '$TargetDedicatedNodes=3',
        results: '$TargetDedicatedNodes=3;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue',
      },
      {
        name: 'the documented pending-tasks example (user variables listed by name)',
        formula: [
          'startingNumberOfVMs = 1;',
          'maxNumberofVMs = 25;',
          'pendingTaskSamplePercent = $PendingTasks.GetSamplePercent(180 * TimeInterval_Second);',
          'pendingTaskSamples = pendingTaskSamplePercent < 70 ? startingNumberOfVMs : avg($PendingTasks.GetSample(180 * TimeInterval_Second));',
          '$TargetDedicatedNodes=min(maxNumberofVMs, pendingTaskSamples);',
          '$NodeDeallocationOption = taskcompletion;',
        ].join('\n'),
        samples: pending([9, 3, 3, 3, 3, 3, 3]),
        results:
          '$TargetDedicatedNodes=3;$TargetLowPriorityNodes=0;$NodeDeallocationOption=taskcompletion;maxNumberofVMs=25;pendingTaskSamplePercent=100;pendingTaskSamples=3;startingNumberOfVMs=1',
      },
      {
        name: 'the documented task-based example, with comments and line breaks',
        formula: [
          '// Get pending tasks for the past 15 minutes.',
          '$samples = $PendingTasks.GetSamplePercent(TimeInterval_Minute * 15);',
          '/* fewer than 70 percent: use the last sample */',
          '$tasks = $samples < 70 ? max(0,$PendingTasks.GetSample(1)) : max( $PendingTasks.GetSample(1), avg($PendingTasks.GetSample(TimeInterval_Minute * 15)));',
          '$targetVMs = $tasks > 0? $tasks:max(0, $TargetDedicatedNodes/2);',
          '$TargetDedicatedNodes = max(0, min($targetVMs, 20));',
          '$NodeDeallocationOption = taskcompletion;',
        ].join('\n'),
        samples: pending([0, 0, 7]),
        pool: { targetDedicatedNodes: 8 },
        results: '$TargetDedicatedNodes=7;$TargetLowPriorityNodes=0;$NodeDeallocationOption=taskcompletion;$samples=10;$targetVMs=7;$tasks=7',
      },
      {
        name: 'an empty queue halves the current target through $TargetDedicatedNodes',
        formula: '$tasks = max(0, $PendingTasks.GetSample(1)); $TargetDedicatedNodes = $tasks > 0 ? $tasks : max(0, $TargetDedicatedNodes / 2);',
        samples: pending([0]),
        pool: { targetDedicatedNodes: 6 },
        results: '$TargetDedicatedNodes=3;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue;$tasks=0',
      },
      {
        name: 'time of day and weekday',
        formula: '$curTime = time(); $workHours = $curTime.hour >= 8 && $curTime.hour < 18; $isWeekday = $curTime.weekday >= 1 && $curTime.weekday <= 5; $TargetDedicatedNodes = $workHours && $isWeekday ? 20 : 10;',
        results: '$TargetDedicatedNodes=20;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue;$curTime=2025-06-02T10:00:00.000Z;$isWeekday=1;$workHours=1',
      },
      {
        name: 'a look-back range and vectors',
        formula: '$running = $RunningTasks.GetSample(1 * TimeInterval_Minute, 3 * TimeInterval_Minute); $last = $ActiveTasks.GetSample(3); $n = len($running); $TargetLowPriorityNodes = val($last, 2) + sum(1, $last * 0);',
        samples: { pendingTasks: series([5, 6, 7, 8, 9, 10, 11, 12]), activeTasks: series([1, 2, 3, 4, 5, 6, 7, 8]), runningTasks: series([4, 4, 4, 4, 4, 4, 4, 4]) },
        results: '$TargetDedicatedNodes=0;$TargetLowPriorityNodes=9;$NodeDeallocationOption=requeue;$last=[6,7,8];$n=4;$running=[4,4,4,4]',
      },
      {
        name: 'the full name wins over its alias; service names ignore case',
        formula: '$TargetDedicated = 2; $targetdedicatednodes = 4; $TargetLowPriority = 1; $nodeDeallocationOption = retaineddata;',
        results: '$TargetDedicatedNodes=4;$TargetLowPriorityNodes=1;$NodeDeallocationOption=retaineddata',
      },
      {
        name: 'only the chosen branch of a conditional runs (no insufficient-data error from the other)',
        formula: '$p = $PendingTasks.GetSamplePercent(TimeInterval_Minute * 15); $TargetDedicatedNodes = $p < 70 ? 1 : avg($PendingTasks.GetSample(TimeInterval_Minute * 15, 95));',
        samples: pending([3, 3]),
        results: '$TargetDedicatedNodes=1;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue;$p=6.66666666666667',
      },
      {
        name: 'current node counts and time intervals',
        formula: '$grow = $CurrentDedicatedNodes * 1.5; $period = $PendingTasks.GetSamplePeriod() * 10; $TargetDedicatedNodes = $grow;',
        pool: { currentDedicatedNodes: 4 },
        results: '$TargetDedicatedNodes=6;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue;$grow=6;$period=00:05:00',
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        assert.equal(ok(evaluateFormula(c.formula, c.samples ?? none, NOW, c.pool)).results, c.results);
      });
    }

    it('returns the targets to apply, fractions truncated', () => {
      const outcome = ok(evaluateFormula('$TargetDedicatedNodes = 7 / 2; $TargetLowPriorityNodes = 1; $NodeDeallocationOption = terminate;', none, NOW));
      assert.deepEqual(
        { d: outcome.targetDedicatedNodes, l: outcome.targetLowPriorityNodes, o: outcome.nodeDeallocationOption },
        { d: 3, l: 1, o: 'terminate' },
      );
      assert.match(outcome.results, /^\$TargetDedicatedNodes=3\.5;/);
    });
  });

  describe("ScaleAgentPool's default formula", () => {
    const formula = (lowPriority = false) => defaultAutoscaleFormula({ maxNodes: 20, lowPriority });
    const scenarios: Array<{ name: string; values: number[]; dedicated: number }> = [
      { name: 'a new pool with one sample follows it at once', values: [4], dedicated: 4 },
      { name: 'a quiet hour keeps the pool at zero', values: hour(0), dedicated: 0 },
      { name: 'a burst in the last 5 minutes scales out to its peak', values: [...hour(0).slice(10), 2, 5, 9, 9, 8, 6, 3, 3, 3, 3], dedicated: 9 },
      { name: 'a burst beyond batchMaxNodes is capped', values: [...hour(0).slice(10), ...Array.from({ length: 10 }, () => 30)], dedicated: 20 },
      { name: 'after a burst the pool shrinks no faster than the hour average', values: [...Array.from({ length: 60 }, () => 10), ...hour(0).slice(60)], dedicated: 5 },
    ];
    for (const s of scenarios) {
      it(s.name, () => {
        const outcome = ok(evaluateFormula(formula(), pending(s.values), NOW));
        assert.equal(outcome.targetDedicatedNodes, s.dedicated);
        assert.equal(outcome.targetLowPriorityNodes, 0);
        assert.equal(outcome.nodeDeallocationOption, 'taskcompletion');
      });
    }

    it('puts the nodes on low priority when asked', () => {
      const outcome = ok(evaluateFormula(formula(true), pending([0, 0, 6]), NOW));
      assert.deepEqual([outcome.targetDedicatedNodes, outcome.targetLowPriorityNodes], [0, 6]);
    });

    it('evaluates against samples recorded from task-count changes', () => {
      const created = NOW - 2 * 3_600_000;
      const samples = sampleTaskCounts(
        [
          { time: created, active: 0, running: 0 },
          { time: NOW - 4 * 60_000, active: 6, running: 0 },
          { time: NOW - 2 * 60_000, active: 2, running: 4 },
        ],
        created,
        NOW,
      );
      const outcome = ok(evaluateFormula(formula(), samples, NOW));
      assert.equal(outcome.targetDedicatedNodes, 6);
    });
  });

  describe('invalid formulas', () => {
    const compile: Array<{ name: string; formula: string; code: string; value: RegExp }> = [
      { name: 'an unfinished expression', formula: '$TargetDedicatedNodes = (1 + ;', code: 'AutoScalingFormulaSyntaxError', value: /^Line 1, Col 30: Expected a value but found ';'$/ },
      { name: 'a statement that assigns nothing', formula: 'something_useless', code: 'AutoScalingFormulaSyntaxError', value: /^Line 1, Col 18: Expected '=' after 'something_useless'/ },
      { name: 'a stray character', formula: '$a = 1;\n$b = 2 # 3;', code: 'AutoScalingFormulaSyntaxError', value: /^Line 2, Col 8: Unexpected character '#'$/ },
      { name: 'a missing semicolon', formula: '$a = 1 $b = 2', code: 'AutoScalingFormulaSyntaxError', value: /^Line 1, Col 8: Expected ';'/ },
      { name: 'an unknown function', formula: '$TargetDedicatedNodes = ceil(2.5);', code: 'AutoScalingFormulaSyntaxError', value: /Col 25: Unknown function 'ceil'/ },
      { name: 'an unknown method', formula: '$x = $PendingTasks.GetLast(1);', code: 'AutoScalingFormulaSyntaxError', value: /Unknown method 'GetLast'/ },
      { name: 'a method on a plain variable', formula: '$x = 1; $y = $x.GetSample(1);', code: 'AutoScalingFormulaSyntaxError', value: /applies only to a sample data set/ },
      { name: 'an undefined variable', formula: '$TargetDedicatedNodes = $nodes;', code: 'AutoScalingFormulaSyntaxError', value: /Undefined variable '\$nodes'/ },
      { name: 'a variable used before it is assigned', formula: '$a = $b; $b = 1;', code: 'AutoScalingFormulaSyntaxError', value: /Undefined variable '\$b'/ },
      { name: 'an undefined variable in a branch never taken', formula: '$TargetDedicatedNodes = 1 ? 2 : $ghost;', code: 'AutoScalingFormulaSyntaxError', value: /\$ghost/ },
      { name: 'a service metric the emulator does not sample', formula: '$x = avg($CPUPercent.GetSample(TimeInterval_Minute * 10));', code: 'AutoScalingFormulaSyntaxError', value: /\$CPUPercent is not supported by the emulator/ },
      { name: 'an assignment to a read-only variable', formula: '$PendingTasks = 3;', code: 'AutoScalingFormulaSyntaxError', value: /read-only/ },
      { name: 'a wrong number of arguments', formula: '$x = max();', code: 'AutoScalingFormulaSyntaxError', value: /'max' takes at least 1 argument/ },
      { name: 'no statements at all', formula: '// nothing\n', code: 'AutoScalingFormulaSyntaxError', value: /no statements/ },
      { name: 'more than 100 statements', formula: Array.from({ length: 101 }, (_, i) => `$v${i} = ${i};`).join(''), code: 'AutoScalingFormulaSyntaxError', value: /at most 100 statements/ },
    ];
    for (const c of compile) {
      it(`rejects ${c.name} before running it`, () => {
        const outcome = failed(evaluateFormula(c.formula, pending([1, 2, 3]), NOW));
        assert.equal(outcome.stage, 'compile');
        assert.equal(outcome.error.code, c.code);
        assert.equal(outcome.error.message, 'An automatic scaling formula has a syntax error.');
        assert.equal(outcome.error.values?.[0].name, 'Message');
        assert.match(outcome.error.values?.[0].value ?? '', c.value);
      });
    }

    it('rejects a formula over 8192 characters', () => {
      const outcome = failed(evaluateFormula(`$TargetDedicatedNodes = 1;${' '.repeat(8192)}`, none, NOW));
      assert.deepEqual([outcome.stage, outcome.error.code], ['compile', 'AutoScaleFormulaTooLong']);
    });

    it('reports insufficient sample data the way the service does', () => {
      const outcome = failed(evaluateFormula('$x = $PendingTasks.GetSample(TimeInterval_Minute * 10, 95);', pending([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), NOW));
      assert.deepEqual(outcome.error, {
        code: 'InsufficientSampleData',
        message: 'Autoscale evaluation failed due to insufficient sample data',
        values: [{ name: 'Message', value: 'Line 1, Col 20: Insufficient data from data set: $PendingTasks wanted 95%, received 50%' }],
      });
      assert.equal(outcome.stage, 'evaluate');
    });

    it('reports a sample request on a pool with no samples as insufficient data', () => {
      const outcome = failed(evaluateFormula('$TargetDedicatedNodes = max($PendingTasks.GetSample(1));', none, NOW));
      assert.equal(outcome.error.code, 'InsufficientSampleData');
      assert.match(outcome.error.values?.[0].value ?? '', /wanted 1 samples, received 0/);
    });

    const runtime: Array<{ name: string; formula: string; value: RegExp }> = [
      { name: 'a deallocation option the service does not know', formula: '$NodeDeallocationOption = "drain";', value: /must be one of requeue, terminate, taskcompletion, retaineddata, not drain/ },
      { name: 'a negative target', formula: '$TargetDedicatedNodes = 2 - 5;', value: /must be a number of 0 or more, not -3/ },
      { name: 'a vector as a target', formula: '$TargetDedicatedNodes = $PendingTasks.GetSample(2);', value: /not \[2,3\]/ },
      { name: 'adding a string to a number', formula: '$x = "a" + 1;', value: /'\+' does not apply to string and double/ },
      { name: 'a division by zero', formula: '$x = 1 / 0;', value: /Division by zero/ },
      { name: 'the average of no samples', formula: '$x = avg($PendingTasks.GetSample(TimeInterval_Minute * 5, TimeInterval_Minute * 10));', value: /avg\(\) of an empty list/ },
    ];
    for (const c of runtime) {
      it(`reports ${c.name} as an evaluation error`, () => {
        const outcome = failed(evaluateFormula(`$before = 1; ${c.formula}`, pending([1, 2, 3]), NOW));
        assert.equal(outcome.stage, 'evaluate');
        assert.equal(outcome.error.code, 'FormulaEvaluationError');
        assert.match(outcome.error.values?.[0].value ?? '', c.value);
        assert.match(outcome.results, /^\$TargetDedicatedNodes=0;\$TargetLowPriorityNodes=0;\$NodeDeallocationOption=requeue;\$before=1/);
      });
    }
  });

  describe('recorded samples', () => {
    it('samples the task counts every 30 s back to the pool\'s creation, newest at now', () => {
      const samples = sampleTaskCounts(
        [
          { time: NOW - 45_000, active: 3, running: 1 },
          { time: NOW - 10_000, active: 0, running: 2 },
        ],
        NOW - 90_000,
        NOW,
      );
      assert.deepEqual(samples.pendingTasks, [
        { time: NOW - 90_000, value: 0 },
        { time: NOW - 60_000, value: 0 },
        { time: NOW - 30_000, value: 4 },
        { time: NOW, value: 2 },
      ]);
      assert.deepEqual(samples.activeTasks.map((s) => s.value), [0, 0, 3, 0]);
      assert.deepEqual(samples.runningTasks.map((s) => s.value), [0, 0, 1, 2]);
    });
  });
});
