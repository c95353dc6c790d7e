// Batch pool autoscale in the emulator, driven by @azure/batch 10.2.0: enabling a formula evaluates
// it against the task counts the pool recorded and applies its targets; formulas that do not compile
// are refused and leave the pool as it was; evaluate works only on an autoscale pool and sees the
// tasks of the pool's jobs; enable calls are throttled and intervals bounded as the service does.
import assert from 'node:assert/strict';
import { BatchServiceClient, BatchSharedKeyCredentials, type BatchServiceModels } from '@azure/batch';
import sinon from 'sinon';
import { createBatchService } from '../../emulator/src/batch/service';
import { defaultAutoscaleFormula } from '../../tasks/common/src/scaler/autoscale-formula';
import { eventually, startTestEmulator, type TestEmulator } from './core-harness';

interface BatchRestError {
  statusCode: number;
  code: string;
  body?: { message?: { value?: string }; values?: Array<{ key: string; value: string }> };
}

function rejectsWith(promise: Promise<unknown>, statusCode: number, code: string, check?: (err: BatchRestError) => void): Promise<void> {
  return assert.rejects(promise, (err: BatchRestError) => {
    assert.equal(err.statusCode, statusCode, `status of ${err.code}`);
    assert.equal(err.code, code);
    check?.(err);
    return true;
  });
}

/** Reads pending, active and running tasks into the results string (user variables come sorted by name). */
const COUNTS_FORMULA = [
  '$pending = val($PendingTasks.GetSample(1), 0);',
  '$active = val($ActiveTasks.GetSample(1), 0);',
  '$running = val($RunningTasks.GetSample(1), 0);',
  '$TargetDedicatedNodes = $pending;',
].join('\n');

describe('emulator: Batch pool autoscale (@azure/batch)', () => {
  let emu: TestEmulator;
  let client: BatchServiceClient;
  let poolId: string;
  let clock: sinon.SinonFakeTimers | undefined;

  function agentTask(id: string): BatchServiceModels.TaskAddParameter {
    // The simulated runner keeps the seeded image "running" until the task is terminated.
    return { id, commandLine: '', containerSettings: { imageName: emu.seed.image } };
  }

  async function addAgentTasks(jobId: string, count: number, state: 'running' | 'active' = 'running'): Promise<void> {
    await client.job.add({ id: jobId, poolInfo: { poolId } });
    const result = await client.task.addCollection(jobId, Array.from({ length: count }, (_, i) => agentTask(`agent-${i}`)));
    assert.ok(result.value?.every((r) => r.status === 'success'));
    await eventually(async () => {
      const tasks = await client.task.list(jobId);
      return tasks.length === count && tasks.every((t) => t.state === state) ? true : undefined;
    }, 3000, `tasks ${state}`);
  }

  /** Moves the emulator's and the client's clock (Date only: sockets and timers keep real time). */
  function advance(ms: number): void {
    clock ??= sinon.useFakeTimers({ now: Date.now(), toFake: ['Date'], shouldAdvanceTime: true });
    clock.tick(ms);
  }

  before(async () => {
    emu = await startTestEmulator({ services: { batch: createBatchService() } });
  });
  after(async () => emu?.stop());
  beforeEach(async () => {
    await emu.reset();
    // No retries: the throttling answer (503) must reach the test, not be retried after 30 s.
    client = new BatchServiceClient(new BatchSharedKeyCredentials(emu.seed.batchAccountName, emu.seed.batchAccountKey), emu.urls.batch, { noRetryPolicy: true });
    poolId = emu.seed.batchPoolId;
  });
  afterEach(() => {
    clock?.restore();
    clock = undefined;
  });

  it('enables the default formula on a pool without autoscale: the run sizes the pool to its pending agent tasks', async () => {
    const before = await client.pool.get(poolId);
    assert.equal(before.enableAutoScale, false);
    assert.equal(before.autoScaleRun, undefined);
    assert.equal(before.targetDedicatedNodes, 1);
    await addAgentTasks('agents', 3);

    const formula = defaultAutoscaleFormula({ maxNodes: 10, lowPriority: false });
    const enableSent = Date.now();
    await client.pool.enableAutoScale(poolId, { autoScaleFormula: formula, autoScaleEvaluationInterval: 'PT5M' });
    const enableAnswered = Date.now();
    const pool = await client.pool.get(poolId);
    assert.equal(pool.enableAutoScale, true);
    assert.equal(pool.autoScaleFormula, formula);
    assert.equal(pool.autoScaleEvaluationInterval, 'PT5M');
    assert.equal(pool.autoScaleRun?.error, undefined);
    assert.match(pool.autoScaleRun?.results ?? '', /^\$TargetDedicatedNodes=3;\$TargetLowPriorityNodes=0;\$NodeDeallocationOption=taskcompletion;/);
    assert.match(pool.autoScaleRun?.results ?? '', /;\$maxNodes=10;\$nodes=3;/);
    // Evaluated by the enable call itself (timestamps carry whole milliseconds or less).
    const evaluatedAt = pool.autoScaleRun?.timestamp?.getTime() ?? NaN;
    assert.ok(evaluatedAt >= enableSent - 1 && evaluatedAt <= enableAnswered + 1, `evaluated at ${evaluatedAt}, enable call ${enableSent}..${enableAnswered}`);
    assert.equal(pool.targetDedicatedNodes, 3);
    assert.equal(pool.targetLowPriorityNodes, 0);
    assert.notEqual(pool.eTag, before.eTag, 'enabling autoscale changes the pool');

    // Disabling keeps the size the last run gave.
    await client.pool.disableAutoScale(poolId);
    const disabled = await client.pool.get(poolId);
    assert.equal(disabled.enableAutoScale, false);
    assert.equal(disabled.autoScaleFormula, undefined);
    assert.equal(disabled.autoScaleRun, undefined);
    assert.equal(disabled.targetDedicatedNodes, 3);
  });

  it('caps the default formula at batchMaxNodes and puts low-priority formulas on low-priority nodes', async () => {
    await addAgentTasks('agents', 4);
    await client.pool.enableAutoScale(poolId, { autoScaleFormula: defaultAutoscaleFormula({ maxNodes: 2, lowPriority: true }) });
    const pool = await client.pool.get(poolId);
    assert.equal(pool.autoScaleEvaluationInterval, 'PT15M', "the service's default interval");
    assert.equal(pool.targetLowPriorityNodes, 2);
    assert.equal(pool.targetDedicatedNodes, 0);
  });

  it('refuses a formula that does not compile with 400 AutoScalingFormulaSyntaxError and leaves the pool unchanged', async () => {
    const before = await client.pool.get(poolId);
    await rejectsWith(client.pool.enableAutoScale(poolId, { autoScaleFormula: '$TargetDedicatedNodes = ceil(2.5);' }), 400, 'AutoScalingFormulaSyntaxError', (err) => {
      assert.match(err.body?.message?.value ?? '', /^An automatic scaling formula has a syntax error\.\nRequestId:/);
      assert.deepEqual(err.body?.values, [{ key: 'Message', value: "Line 1, Col 25: Unknown function 'ceil'" }]);
    });
    const after = await client.pool.get(poolId);
    assert.equal(after.enableAutoScale, false);
    assert.equal(after.autoScaleFormula, undefined);
    assert.equal(after.targetDedicatedNodes, before.targetDedicatedNodes);
    assert.equal(after.eTag, before.eTag);

    // A refused call does not count against the 30 s between enable calls.
    await client.pool.enableAutoScale(poolId, { autoScaleFormula: '$TargetDedicatedNodes = 2;' });
    advance(31_000);
    await rejectsWith(client.pool.enableAutoScale(poolId, { autoScaleFormula: '$TargetDedicatedNodes = $ghost;' }), 400, 'AutoScalingFormulaSyntaxError', (err) => {
      assert.match(err.body?.values?.[0].value ?? '', /Undefined variable '\$ghost'/);
    });
    const kept = await client.pool.get(poolId);
    assert.equal(kept.autoScaleFormula, '$TargetDedicatedNodes = 2;', 'the enabled formula stays');
    assert.equal(kept.targetDedicatedNodes, 2);
  });

  it('evaluates only on a pool with autoscale enabled, against the tasks of its jobs, without applying the result', async () => {
    await rejectsWith(client.pool.evaluateAutoScale(poolId, COUNTS_FORMULA), 409, 'AutoScalingNotEnabledForPool');
    await client.pool.enableAutoScale(poolId, { autoScaleFormula: '$TargetDedicatedNodes = 1;' });
    const enabled = await client.pool.get(poolId);

    const idle = await client.pool.evaluateAutoScale(poolId, COUNTS_FORMULA);
    assert.equal(idle.results, '$TargetDedicatedNodes=0;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue;$active=0;$pending=0;$running=0');
    assert.equal(idle.error, undefined);

    await addAgentTasks('agents', 4);
    // Tasks of a job on another pool do not count.
    await client.job.add({ id: 'elsewhere', poolInfo: { poolId: 'other-pool' } });
    await client.task.add('elsewhere', agentTask('stray'));
    const busy = await client.pool.evaluateAutoScale(poolId, COUNTS_FORMULA);
    assert.equal(busy.results, '$TargetDedicatedNodes=4;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue;$active=0;$pending=4;$running=4');

    await client.task.terminate('agents', 'agent-0');
    await client.task.deleteMethod('agents', 'agent-1');
    assert.match((await client.pool.evaluateAutoScale(poolId, COUNTS_FORMULA)).results ?? '', /;\$pending=2;/);

    const pool = await client.pool.get(poolId);
    assert.equal(pool.targetDedicatedNodes, 1, 'evaluating does not resize the pool');
    assert.deepEqual(pool.autoScaleRun, enabled.autoScaleRun, "nor replace the pool's last run");

    // A formula that compiles but cannot run answers 200 with the run's error; one that does not compile, 400.
    const short = await client.pool.evaluateAutoScale(poolId, '$TargetDedicatedNodes = avg($PendingTasks.GetSample(TimeInterval_Minute * 10, 95));');
    assert.equal(short.error?.code, 'InsufficientSampleData');
    assert.match(short.error?.values?.[0].value ?? '', /\$PendingTasks wanted 95%, received \d+%/);
    await rejectsWith(client.pool.evaluateAutoScale(poolId, '$TargetDedicatedNodes = (1 + ;'), 400, 'AutoScalingFormulaSyntaxError');
  });

  it('throttles enable calls for one pool to one per 30 s with 503 TooManyEnableAutoScaleRequests', async () => {
    await client.pool.enableAutoScale(poolId, { autoScaleFormula: '$TargetDedicatedNodes = 2;' });
    await rejectsWith(client.pool.enableAutoScale(poolId, { autoScaleFormula: '$TargetDedicatedNodes = 3;' }), 503, 'TooManyEnableAutoScaleRequests');
    assert.equal((await client.pool.get(poolId)).targetDedicatedNodes, 2);
    advance(29_000);
    await rejectsWith(client.pool.enableAutoScale(poolId, { autoScaleFormula: '$TargetDedicatedNodes = 3;' }), 503, 'TooManyEnableAutoScaleRequests');
    advance(1_500);
    await client.pool.enableAutoScale(poolId, { autoScaleFormula: '$TargetDedicatedNodes = 3;' });
    assert.equal((await client.pool.get(poolId)).targetDedicatedNodes, 3);
  });

  it('accepts evaluation intervals from 5 minutes to 168 hours only (400 InvalidPropertyValue)', async () => {
    for (const interval of ['PT4M59S', 'PT1M', 'PT168H1S', 'P8D']) {
      await rejectsWith(client.pool.enableAutoScale(poolId, { autoScaleFormula: '$TargetDedicatedNodes = 2;', autoScaleEvaluationInterval: interval }), 400, 'InvalidPropertyValue', (err) => {
        assert.deepEqual(err.body?.values?.slice(0, 2), [
          { key: 'PropertyName', value: 'autoScaleEvaluationInterval' },
          { key: 'PropertyValue', value: interval },
        ]);
      });
    }
    assert.equal((await client.pool.get(poolId)).enableAutoScale, false);
    await client.pool.enableAutoScale(poolId, { autoScaleFormula: '$TargetDedicatedNodes = 2;', autoScaleEvaluationInterval: 'PT168H' });
    assert.equal((await client.pool.get(poolId)).autoScaleEvaluationInterval, 'PT168H');
  });

  it('re-evaluates at each interval: a pool read after the interval shows the run that was due and its targets', async () => {
    await client.pool.enableAutoScale(poolId, { autoScaleFormula: COUNTS_FORMULA, autoScaleEvaluationInterval: 'PT5M' });
    const first = await client.pool.get(poolId);
    assert.equal(first.targetDedicatedNodes, 0);
    const enabledAt = first.autoScaleRun?.timestamp?.getTime() ?? NaN;

    // No node: the tasks wait, active, until the formula gives the pool nodes.
    await addAgentTasks('agents', 2, 'active');
    advance(4 * 60_000);
    const early = await client.pool.get(poolId);
    assert.equal(early.targetDedicatedNodes, 0, 'no evaluation before the interval');
    assert.equal(early.autoScaleRun?.timestamp?.getTime(), enabledAt);

    advance(7 * 60_000);
    const due = await client.pool.get(poolId);
    assert.equal(due.autoScaleRun?.timestamp?.getTime(), enabledAt + 10 * 60_000, 'the latest run on the schedule');
    assert.match(due.autoScaleRun?.results ?? '', /^\$TargetDedicatedNodes=2;.*\$active=2;.*\$running=0$/);
    assert.equal(due.targetDedicatedNodes, 2);
    assert.equal((await client.pool.list()).find((p) => p.id === poolId)?.targetDedicatedNodes, 2);
  });
});
