// The scaler treats an agent that has completed a request as used up: single use, it takes no other
// job, so it is removed (queue mode) or replaced (fixed mode), never kept or counted as idle standby.
import assert from 'node:assert/strict';
import type { PoolAgent } from '../../../tasks/common/src/devops/agent-pool-client';
import type { AgentResource } from '../../../tasks/common/src/providers/provider';
import { planFixedSlots } from '../../../tasks/common/src/scaler/fixed-slots';
import { decideFixedPass, finishedSlots, queueSample } from '../../../tasks/common/src/scaler/passes';
import { agentState, hasRunItsJob, type PoolView, type SlotView } from '../../../tasks/common/src/scaler/pool-view';

const NOW = Date.parse('2025-06-01T12:00:00Z');
const minutesAgo = (minutes: number) => new Date(NOW - minutes * 60_000);

function live(name: string): AgentResource {
  return { name, resourceId: name, where: 'ACI', state: 'running', detail: '', tags: {} };
}
function agent(name: string, extra: Partial<PoolAgent> = {}): PoolAgent {
  return { id: 1, name, enabled: true, online: true, capabilities: {}, statusChangedOn: minutesAgo(10), ...extra };
}
function viewOf(slots: SlotView[]): PoolView {
  return { pool: { id: 1, name: 'p' }, agents: [], resources: [], slots: new Map(slots.map((s) => [s.index, s])), takenAt: NOW };
}

/** Online since 10 minutes ago, finished a job 2 minutes ago, still online (a job that tried to keep it). */
const used = agent('q-0', { lastCompletedRequest: { requestId: 7, finishTime: minutesAgo(2) } });
/** The slot's next agent: it took over the registration (--replace) and came online after that job. */
const fresh = agent('q-1', { statusChangedOn: minutesAgo(1), lastCompletedRequest: { requestId: 6, finishTime: minutesAgo(3) } });

describe('scaler: an agent that has completed a request is used up', () => {
  it('knows an agent that completed a request since it came online, and a fresh one that took over the registration', () => {
    assert.equal(hasRunItsJob(used), true);
    assert.equal(hasRunItsJob(fresh), false);
    assert.equal(hasRunItsJob(agent('q-2')), false, 'never ran a job');
    assert.equal(hasRunItsJob(agent('q-3', { lastCompletedRequest: { requestId: 1 } })), true, 'completed a request, time unknown');
  });

  it('a used agent is neither idle standby nor a starting agent', () => {
    const view = viewOf([
      { index: 0, name: 'q-0', live: live('q-0'), agent: used, ended: [] },
      { index: 1, name: 'q-1', live: live('q-1'), agent: fresh, ended: [] },
    ]);
    assert.equal(agentState(view.slots.get(0)!), 'used');
    const sample = queueSample(view, 0, false, 5, NOW);
    assert.deepEqual(sample.idle.map((i) => i.name), ['q-1']);
    assert.equal(sample.starting, 0);
  });

  it('queue mode removes a used agent and its container, even with a standby minimum to keep', () => {
    const view = viewOf([
      { index: 0, name: 'q-0', live: live('q-0'), agent: used, ended: [] },
      { index: 1, name: 'q-1', live: live('q-1'), agent: fresh, ended: [] },
    ]);
    const removals = finishedSlots(view);
    assert.deepEqual(removals.map((r) => r.name), ['q-0']);
    assert.deepEqual(removals[0].resources.map((r) => r.name), ['q-0']);
    assert.equal(removals[0].agent, used);
    assert.match(removals[0].reason, /completed a job/);
  });

  it('fixed mode replaces a used agent instead of keeping it', () => {
    const view = viewOf([
      { index: 0, name: 'q-0', live: live('q-0'), agent: used, ended: [] },
      { index: 1, name: 'q-1', live: live('q-1'), agent: fresh, ended: [] },
    ]);
    const decision = decideFixedPass(view, 'q', 2, (slot) => slot);
    assert.deepEqual(decision.plan.recreate.map((a) => a.slot), ['q-0']);
    assert.match(decision.plan.recreate[0].reason, /completed a job/);
    assert.deepEqual(decision.plan.keep.map((a) => a.slot), ['q-1']);
    assert.deepEqual(decision.creates.map((c) => c.slot), ['q-0']);
  });

  it('a surplus used agent is removed before a running one, like an idle one', () => {
    const plan = planFixedSlots(1, 'q', [
      { name: 'q-0', container: 'exists', agent: 'idle' },
      { name: 'q-1', container: 'exists', agent: 'offline' },
      { name: 'q-2', container: 'exists', agent: 'used' },
    ]);
    assert.deepEqual(plan.remove.map((a) => a.slot), ['q-2', 'q-1']);
  });
});
