// The default Batch autoscale formula and the service limits ScaleAgentPool respects when enabling it.
// (That the formula evaluates as intended is checked against the emulator's evaluator in test/emulator.)
import assert from 'node:assert/strict';
import { InputError } from '../../../tasks/common/src/errors';
import {
  defaultAutoscaleFormula,
  parseIsoDuration,
  validateAutoscaleFormula,
} from '../../../tasks/common/src/scaler/autoscale-formula';

describe('autoscale formula (Batch)', () => {
  it('scales dedicated nodes by default and pins low-priority ones to zero', () => {
    const formula = defaultAutoscaleFormula({ maxNodes: 12, lowPriority: false });
    assert.match(formula, /^\$TargetDedicatedNodes = \$nodes;$/m);
    assert.match(formula, /^\$TargetLowPriorityNodes = 0;$/m);
    assert.match(formula, /^\$maxNodes = 12;$/m);
    assert.match(formula, /^\$NodeDeallocationOption = taskcompletion;$/m);
  });

  it('scales low-priority nodes when batchLowPriority is true', () => {
    const formula = defaultAutoscaleFormula({ maxNodes: 3, lowPriority: true });
    assert.match(formula, /^\$TargetLowPriorityNodes = \$nodes;$/m);
    assert.match(formula, /^\$TargetDedicatedNodes = 0;$/m);
  });

  it('reads $PendingTasks over 5 minutes to scale out and 60 minutes to scale in', () => {
    const formula = defaultAutoscaleFormula({ maxNodes: 3, lowPriority: false });
    assert.match(formula, /\$PendingTasks\.GetSample\(TimeInterval_Minute \* 5\)/);
    assert.match(formula, /avg\(\$PendingTasks\.GetSample\(TimeInterval_Minute \* 60\)\)/);
  });

  it('rejects a bad batchMaxNodes naming the input', () => {
    for (const maxNodes of [-1, 2.5, Number.NaN]) {
      assert.throws(() => defaultAutoscaleFormula({ maxNodes, lowPriority: false }), (e: unknown) => e instanceof InputError && e.input === 'batchMaxNodes');
    }
  });

  it('checks a user formula for emptiness and the 8192-character limit', () => {
    assert.equal(validateAutoscaleFormula('  $TargetDedicatedNodes = 1;  '), '$TargetDedicatedNodes = 1;');
    assert.throws(() => validateAutoscaleFormula('   '), (e: unknown) => e instanceof InputError && e.input === 'batchAutoscaleFormula');
    assert.throws(() => validateAutoscaleFormula(`$x = 1;${' '.repeat(8190)}$y = 2;`), /at most 8192/);
  });

  describe('evaluation interval', () => {
    const durations: Array<[string, number | undefined]> = [
      ['PT5M', 300_000],
      ['PT1H30M', 5_400_000],
      ['P1DT2H', 93_600_000],
      ['PT90S', 90_000],
      ['pt15m', 900_000],
      ['P', undefined],
      ['PT', undefined],
      ['5M', undefined],
      ['', undefined],
    ];
    for (const [text, ms] of durations) {
      it(`parses '${text}' as ${ms}`, () => assert.equal(parseIsoDuration(text), ms));
    }
  });
});
