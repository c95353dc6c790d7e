// ScaleAgentPool's building blocks: queue-mode slot choice, add-task-collection batching and entry
// statuses, Batch autoscale handling, and the pool agents' and template's specs.
import assert from 'node:assert/strict';
import type { BatchServiceModels } from '@azure/batch';
import type { PoolAgent } from '../../../tasks/common/src/devops/agent-pool-client';
import { addTasksInBulk, chunkTasks, type TaskAdd } from '../../../tasks/common/src/providers/batch-bulk';
import { type BatchPoolOperations, BatchPoolAutoscaler } from '../../../tasks/common/src/providers/batch-autoscale';
import type { AgentResource } from '../../../tasks/common/src/providers/provider';
import { finishedSlots, queueCreates, queueSample } from '../../../tasks/common/src/scaler/passes';
import { poolAgentSpec, templateHash, templateSpec, type PoolAgentTemplate } from '../../../tasks/common/src/scaler/pool-spec';
import { foreignNamesakes, type PoolView, type SlotView } from '../../../tasks/common/src/scaler/pool-view';
import { FakeClock } from '../fakes/fake-clock';

const NOW = Date.parse('2025-06-01T12:00:00Z');

function live(name: string): AgentResource {
  return { name, resourceId: name, where: 'ACI', state: 'running', detail: '', tags: {} };
}
function agent(name: string, extra: Partial<PoolAgent> = {}): PoolAgent {
  return { id: 1, name, enabled: true, online: true, capabilities: {}, statusChangedOn: new Date(NOW - 60_000), ...extra };
}
function viewOf(slots: SlotView[]): PoolView {
  return { pool: { id: 1, name: 'p' }, agents: [], resources: [], slots: new Map(slots.map((s) => [s.index, s])), takenAt: NOW };
}

describe('queue-mode slots', () => {
  const slots = viewOf([
    { index: 0, name: 'q-0', live: live('q-0'), agent: agent('q-0', { assignedRequest: { requestId: 1, finished: false } }), ended: [] },
    { index: 1, name: 'q-1', live: live('q-1'), agent: agent('q-1'), ended: [] },
    { index: 2, name: 'q-2', live: live('q-2'), ended: [] },
    { index: 3, name: 'q-3', ended: [{ ...live('q-3'), state: 'succeeded' }], agent: agent('q-3', { online: false }) },
    { index: 5, name: 'q-5', live: live('q-5'), agent: agent('q-5', { enabled: false }), ended: [] },
  ]);

  it('counts busy, idle and starting agents; a disabled one is on its way out', () => {
    const sample = queueSample(slots, 4, false, 7, NOW);
    assert.deepEqual([sample.busy, sample.idle.map((i) => i.name), sample.starting], [1, ['q-1'], 1]);
  });

  it('cleans up finished single-use agents and stalled removals, never a busy one', () => {
    assert.deepEqual(finishedSlots(slots).map((r) => r.name), ['q-3', 'q-5']);
  });

  it('creates in the lowest free slots below maxAgents, the same names for concurrent runs', () => {
    const sameName = (slot: string) => slot;
    const newEachTime = (slot: string, generation: number) => `${slot}-${generation}`;
    const items = queueCreates(slots, 'q', 3, 6, sameName, 'why', new Set(['q-3']));
    assert.deepEqual(items.map((i) => i.slot), ['q-3', 'q-4']);
    const batch = queueCreates(viewOf([{ index: 0, name: 'q-0', ended: [], generation: 4 }]), 'q', 2, 2, newEachTime, 'why', new Set());
    assert.deepEqual(batch.map((i) => i.resourceId), ['q-0-5', 'q-1-0']);
  });
});

describe('names held by someone else\'s agents', () => {
  const owner = { organization: 'https://dev.azure.com/contoso', project: 'p1', pool: 'p', runKind: 'scaler' as const, run: 'q' };
  const ours = { EPHEMERAL_AGENT: '1', EPHEMERAL_ORG: owner.organization, EPHEMERAL_PROJECT: 'p1', EPHEMERAL_POOL: 'p', EPHEMERAL_RUN_KIND: 'scaler', EPHEMERAL_SCALER: 'q' };

  it('finds slot and template names registered by others (a person, another project\'s scaler), never our own or other names', () => {
    const view: PoolView = {
      ...viewOf([]), owner,
      agents: [
        agent('q-0', { capabilities: { 'Agent.OS': 'Linux' } }),
        agent('Q-1', { capabilities: { ...ours, EPHEMERAL_PROJECT: 'p2' } }),
        agent('q-2', { capabilities: ours }),
        agent('tpl-q', { capabilities: {} }),
        agent('build-vm', { capabilities: {} }),
      ],
    };
    assert.deepEqual([...foreignNamesakes(view, 'q').keys()], ['q-0', 'q-1', 'tpl-q']);
    // Queue mode picks other free slots past them.
    const items = queueCreates(view, 'q', 2, 6, (slot) => slot, 'why', new Set(), new Set(foreignNamesakes(view, 'q').keys()));
    assert.deepEqual(items.map((i) => i.slot), ['q-2', 'q-3']);
  });
});

describe('add-task-collection', () => {
  const task = (id: string, size = 10): TaskAdd => ({ id, commandLine: 'x'.repeat(size) });

  it('splits at 100 tasks and at 1 MB per request', () => {
    assert.deepEqual(chunkTasks(Array.from({ length: 250 }, (_, i) => task(`t${i}`))).map((c) => c.length), [100, 100, 50]);
    assert.deepEqual(chunkTasks(Array.from({ length: 5 }, (_, i) => task(`t${i}`, 300_000))).map((c) => c.length), [3, 2]);
  });

  it('checks each entry: server errors are sent again, TaskExists is a concurrent create, client errors fail', async () => {
    const sent: string[][] = [];
    let round = 0;
    const client = {
      addCollection: async (_job: string, value: TaskAdd[]): Promise<BatchServiceModels.TaskAddCollectionResult> => {
        sent.push(value.map((t) => t.id));
        round++;
        return {
          value: value.map((t) => ({
            taskId: t.id,
            status: t.id === 'b' && round === 1 ? 'servererror' : t.id === 'c' ? 'clienterror' : t.id === 'd' ? 'clienterror' : 'success',
            error: t.id === 'c' ? { code: 'TaskExists' } : t.id === 'd' ? { code: 'InvalidPropertyValue', message: { value: 'bad' } } : t.id === 'b' && round === 1 ? { code: 'ServerBusy' } : undefined,
          })) as BatchServiceModels.TaskAddResult[],
        };
      },
    };
    const results = await addTasksInBulk(client, 'job', ['a', 'b', 'c', 'd'].map((id) => task(id)), (_what, request) => request());
    assert.deepEqual(sent, [['a', 'b', 'c', 'd'], ['b']]);
    assert.deepEqual(results.map((r) => [r.taskId, r.created, r.exists]), [['a', true, false], ['b', true, false], ['c', false, true], ['d', false, false]]);
    assert.match(results[3].error ?? '', /InvalidPropertyValue: bad/);
  });
});

describe('Batch pool autoscale', () => {
  function pool(initial: Partial<BatchServiceModels.CloudPool>, answers: { evaluate?: BatchServiceModels.AutoScaleRun | Error; enable?: Error[] } = {}) {
    const calls: string[] = [];
    let state = { ...initial };
    const ops = {
      get: async () => state,
      evaluateAutoScale: async () => {
        calls.push('evaluate');
        if (answers.evaluate instanceof Error) throw answers.evaluate;
        return answers.evaluate ?? { timestamp: new Date() };
      },
      enableAutoScale: async (_id: string, p: { autoScaleFormula?: string; autoScaleEvaluationInterval?: string }) => {
        calls.push(`enable ${p.autoScaleEvaluationInterval}`);
        const failure = answers.enable?.shift();
        if (failure) throw failure;
        state = { ...state, enableAutoScale: true, autoScaleFormula: p.autoScaleFormula, autoScaleEvaluationInterval: p.autoScaleEvaluationInterval };
        return {};
      },
    } as unknown as BatchPoolOperations;
    return { ops, calls, state: () => state };
  }
  const serviceError = (code: string, message: string) => Object.assign(new Error(message), { code, statusCode: 400, body: { code, message: { value: `${message}\nRequestId:x` } } });

  it('enables on a pool without autoscale, with an interval of at least 5 minutes', async () => {
    const p = pool({ enableAutoScale: false });
    const out = await new BatchPoolAutoscaler('agents', '$TargetDedicatedNodes = 1;', { pool: p.ops, clock: new FakeClock(NOW) }).ensure();
    assert.equal(out.action, 'enabled');
    assert.deepEqual(p.calls, ['enable PT5M']);
  });

  it("keeps the pool's own evaluation interval when it is 5 minutes or more", async () => {
    const long = pool({ enableAutoScale: false, autoScaleEvaluationInterval: 'PT15M' });
    await new BatchPoolAutoscaler('agents', 'f;', { pool: long.ops, clock: new FakeClock(NOW) }).ensure();
    const short = pool({ enableAutoScale: false, autoScaleEvaluationInterval: 'PT2M' });
    await new BatchPoolAutoscaler('agents', 'f;', { pool: short.ops, clock: new FakeClock(NOW) }).ensure();
    assert.deepEqual([long.calls, short.calls], [['enable PT15M'], ['enable PT5M']]);
  });

  it('reports the error of the enable call', async () => {
    const p = pool({ enableAutoScale: false }, { enable: [serviceError('InvalidAutoScaleFormula', 'syntax error at 1:20')] });
    const out = await new BatchPoolAutoscaler('agents', 'x', { pool: p.ops, clock: new FakeClock(NOW) }).ensure();
    assert.equal(out.action, 'rejected');
    assert.match(out.message, /InvalidAutoScaleFormula: syntax error at 1:20/);
  });

  it('evaluates first on a pool with autoscale and keeps its formula when the new one fails', async () => {
    const p = pool({ enableAutoScale: true, autoScaleFormula: 'old', autoScaleEvaluationInterval: 'PT15M' },
      { evaluate: { timestamp: new Date(), error: { code: 'AutoScalingFormulaEvaluationError', message: 'unknown variable' } } });
    const out = await new BatchPoolAutoscaler('agents', 'new', { pool: p.ops, clock: new FakeClock(NOW) }).ensure();
    assert.equal(out.action, 'rejected');
    assert.deepEqual(p.calls, ['evaluate']);
    assert.equal(p.state().autoScaleFormula, 'old');
  });

  it('leaves a pool alone that already has the formula, and waits out an enable refused as too close to another', async () => {
    const same = pool({ enableAutoScale: true, autoScaleFormula: ' f;\n', autoScaleEvaluationInterval: 'PT5M' });
    assert.equal((await new BatchPoolAutoscaler('agents', 'f;', { pool: same.ops, clock: new FakeClock(NOW) }).ensure()).action, 'unchanged');
    assert.deepEqual(same.calls, []);

    const clock = new FakeClock(NOW);
    const busy = pool({ enableAutoScale: false }, { enable: [serviceError('TooManyEnableAutoScaleRequests', 'Too many requests')] });
    const out = await new BatchPoolAutoscaler('agents', 'f;', { pool: busy.ops, clock }).ensure();
    assert.equal(out.action, 'enabled');
    assert.deepEqual(clock.sleeps, [30_000]);
    assert.deepEqual(busy.calls, ['enable PT5M', 'enable PT5M']);
  });
});

describe('pool agent and template specs', () => {
  const template: PoolAgentTemplate = {
    pool: 'p', organizationUrl: 'https://dev.azure.com/o/', image: 'r.io/a:1', osType: 'Linux', cpu: 2, memoryGB: 4, namePrefix: 'lx',
    runId: '42', owner: '42-abc', capabilities: [['TOOL', '1']], tags: [['cost', 'ci']],
  };

  it('standby agents: no idle timeout, no EPHEMERAL_RUN, no expiry; owner and scaler tags', () => {
    const spec = poolAgentSpec(template, 'lx-0', NOW);
    assert.equal(spec.env.AZP_IDLE_TIMEOUT_SECONDS, '0');
    assert.equal(spec.env.EPHEMERAL_RUN, undefined);
    assert.deepEqual([spec.env.EPHEMERAL_AGENT, spec.env.EPHEMERAL_SCALER, spec.env.TOOL], ['1', 'lx', '1']);
    assert.equal(spec.tags.expiresAt, undefined);
    assert.deepEqual([spec.tags.owner, spec.tags.scaler, spec.tags.creator, spec.tags.cost], ['42-abc', 'lx', 'ephemeral-agents', 'ci']);
  });

  it('the template registers only, and its fingerprint follows the image and the capabilities', () => {
    const spec = templateSpec(template, NOW);
    assert.equal(spec.name, 'tpl-lx');
    assert.deepEqual([spec.env.AZP_CONFIGURE_ONLY, spec.env.EPHEMERAL_TEMPLATE, spec.env.EPHEMERAL_AGENT], ['1', '1', '1']);
    assert.equal(spec.env.EPHEMERAL_TEMPLATE_HASH, templateHash(template));
    assert.notEqual(templateHash({ ...template, image: 'r.io/a:2' }), templateHash(template));
    assert.notEqual(templateHash({ ...template, capabilities: [['TOOL', '2']] }), templateHash(template));
    assert.equal(templateHash({ ...template, runId: '43', owner: 'x' } as PoolAgentTemplate), templateHash(template));
  });
});
