// Fixed mode of ScaleAgentPool: which slots are created, recreated, removed or left alone.
import assert from 'node:assert/strict';
import { InputError } from '../../../tasks/common/src/errors';
import { ObservedSlot, planFixedSlots, slotIndex, validateFixedSettings } from '../../../tasks/common/src/scaler/fixed-slots';

const slot = (index: number, container: ObservedSlot['container'], agent: ObservedSlot['agent'], generation?: number): ObservedSlot => ({
  name: `pool-${index}`,
  container,
  agent,
  ...(generation !== undefined ? { generation } : {}),
});

const names = (actions: Array<{ slot: string }>) => actions.map((a) => a.slot);

describe('fixed slots (fixed mode)', () => {
  it('scales up from nothing: every slot is created, generation 0', () => {
    const plan = planFixedSlots(3, 'pool', []);
    assert.deepEqual(names(plan.create), ['pool-0', 'pool-1', 'pool-2']);
    assert.deepEqual(plan.create.map((a) => a.taskId), ['pool-0-0', 'pool-1-0', 'pool-2-0']);
    assert.deepEqual([plan.recreate, plan.remove, plan.deferred, plan.keep], [[], [], [], []]);
  });

  it('scales up from two to four: only the new slots are created', () => {
    const plan = planFixedSlots(4, 'pool', [slot(0, 'exists', 'idle'), slot(1, 'exists', 'busy')]);
    assert.deepEqual(names(plan.create), ['pool-2', 'pool-3']);
    assert.deepEqual(names(plan.keep), ['pool-0', 'pool-1']);
  });

  it('recreates a slot whose container terminated after its job, with the next generation', () => {
    const plan = planFixedSlots(2, 'pool', [slot(0, 'terminated', 'offline', 4), slot(1, 'exists', 'idle', 0)]);
    assert.equal(plan.recreate.length, 1);
    assert.deepEqual(plan.recreate[0], {
      slot: 'pool-0',
      index: 0,
      generation: 5,
      taskId: 'pool-0-5',
      previousTaskId: 'pool-0-4',
      reason: plan.recreate[0].reason,
    });
    assert.match(plan.recreate[0].reason, /delete, then create/);
    assert.deepEqual(plan.create, []);
  });

  it('recreates terminated ACI slots (no generation) and creates slots whose container vanished under a registered agent', () => {
    const plan = planFixedSlots(2, 'pool', [slot(0, 'terminated', 'idle'), slot(1, 'absent', 'offline')]);
    assert.deepEqual(names(plan.recreate), ['pool-0']);
    assert.deepEqual(names(plan.create), ['pool-1']);
    assert.match(plan.create[0].reason, /--replace/);
  });

  it('never touches a running container, whatever its agent reports', () => {
    const plan = planFixedSlots(4, 'pool', [slot(0, 'exists', 'busy'), slot(1, 'exists', 'idle'), slot(2, 'exists', 'offline'), slot(3, 'exists', 'absent')]);
    assert.deepEqual(names(plan.keep), ['pool-0', 'pool-1', 'pool-2', 'pool-3']);
    assert.deepEqual([plan.create, plan.recreate, plan.remove], [[], [], []]);
  });

  it('scales down: surplus slots go, idle ones first, never one running a job', () => {
    const observed = [
      slot(0, 'exists', 'idle'),
      slot(1, 'exists', 'busy'),
      slot(2, 'exists', 'busy'),
      slot(3, 'exists', 'offline'),
      slot(4, 'exists', 'idle'),
      slot(5, 'terminated', 'offline', 2),
    ];
    const plan = planFixedSlots(2, 'pool', observed);
    assert.deepEqual(names(plan.remove), ['pool-5', 'pool-4', 'pool-3']);
    assert.equal(plan.remove[0].previousTaskId, 'pool-5-2');
    assert.deepEqual(names(plan.deferred), ['pool-2']);
    assert.match(plan.deferred[0].reason, /running a job/);
    assert.deepEqual(names(plan.keep), ['pool-0', 'pool-1']);
  });

  it('scales to zero: every idle slot is removed, busy ones wait for a later pass', () => {
    const plan = planFixedSlots(0, 'pool', [slot(0, 'exists', 'idle'), slot(1, 'exists', 'busy'), slot(2, 'absent', 'offline')]);
    assert.deepEqual(names(plan.remove), ['pool-2', 'pool-0']);
    assert.deepEqual(names(plan.deferred), ['pool-1']);
    assert.deepEqual([plan.create, plan.recreate, plan.keep], [[], [], []]);
  });

  it('ignores names that are not this prefix\'s slots (the template, other prefixes, run agents)', () => {
    const foreign: ObservedSlot[] = [
      { name: 'tpl-pool', container: 'absent', agent: 'offline' },
      { name: 'pool2-0', container: 'exists', agent: 'idle' },
      { name: 'pool-1-abc123-0', container: 'exists', agent: 'idle' },
      { name: 'pool-01', container: 'exists', agent: 'idle' },
    ];
    const plan = planFixedSlots(1, 'pool', foreign);
    assert.deepEqual(names(plan.create), ['pool-0']);
    assert.deepEqual([plan.remove, plan.deferred], [[], []]);
  });

  it('reads slot indexes strictly', () => {
    assert.equal(slotIndex('pool', 'pool-12'), 12);
    assert.equal(slotIndex('pool', 'pool-'), undefined);
    assert.equal(slotIndex('pool', 'pool-1a'), undefined);
    assert.equal(slotIndex('pool', 'other-1'), undefined);
  });

  describe('input validation', () => {
    const bad: Array<[number, string, string]> = [
      [-1, 'pool', 'desiredCount'],
      [1.5, 'pool', 'desiredCount'],
      [1, 'Pool', 'namePrefix'],
      [1, 'pool_x', 'namePrefix'],
      [1, '-pool', 'namePrefix'],
      [1, '', 'namePrefix'],
      [1, 'a'.repeat(62), 'namePrefix'],
    ];
    for (const [count, prefix, input] of bad) {
      it(`rejects desiredCount=${count} namePrefix='${prefix.slice(0, 12)}' naming ${input}`, () => {
        assert.throws(() => validateFixedSettings(count, prefix), (e: unknown) => e instanceof InputError && e.input === input && e.message.includes(`'${input}'`));
      });
    }
  });
});
