// The sweeper's decisions: only what this extension created, never templates, busy agents or the
// scaler's own slots; ended and gone containers, expired and never-claimed agents.
import assert from 'node:assert/strict';
import type { PoolAgent } from '../../../tasks/common/src/devops/agent-pool-client';
import type { AgentResource } from '../../../tasks/common/src/providers/provider';
import type { PoolView } from '../../../tasks/common/src/scaler/pool-view';
import { planSweep } from '../../../tasks/common/src/scaler/sweep';

const NOW = Date.parse('2025-06-01T12:00:00Z');
const MIN = 60_000;

function agent(name: string, caps: Record<string, string>, extra: Partial<PoolAgent> = {}): PoolAgent {
  return { id: name.length, name, enabled: true, online: false, capabilities: caps, createdOn: new Date(NOW - 60 * MIN), statusChangedOn: new Date(NOW - 30 * MIN), ...extra };
}

function resource(name: string, state: AgentResource['state'], extra: Partial<AgentResource> = {}): AgentResource {
  return { name, resourceId: name, where: 'ACI', state, detail: state, tags: { creator: 'ephemeral-agents' }, env: { AZP_AGENT_NAME: name }, ...extra };
}

function view(agents: PoolAgent[], resources: AgentResource[]): PoolView {
  return { pool: { id: 10, name: 'Ephemeral' }, agents, resources, slots: new Map(), takenAt: NOW };
}

const OURS = { EPHEMERAL_AGENT: '1', EPHEMERAL_RUN: '42' };

describe('sweep plan', () => {
  const cases: Array<{ name: string; agents: PoolAgent[]; resources: AgentResource[]; swept: string[] }> = [
    { name: 'an offline agent whose container ended, with the container', agents: [agent('eph-42-a-0', OURS)], resources: [resource('eph-42-a-0', 'succeeded')], swept: ['eph-42-a-0'] },
    { name: 'an offline agent whose container is gone (past the grace)', agents: [agent('eph-42-a-0', OURS)], resources: [], swept: ['eph-42-a-0'] },
    { name: 'not an agent that went offline a moment ago (restarting)', agents: [agent('eph-42-a-0', OURS, { statusChangedOn: new Date(NOW - 10_000) })], resources: [], swept: [] },
    { name: 'an agent whose name looks ours but has no EPHEMERAL_AGENT', agents: [agent('eph-42-a-0', { EPHEMERAL_RUN: '42' })], resources: [], swept: [] },
    { name: 'a foreign agent', agents: [agent('build-01', {})], resources: [], swept: [] },
    { name: 'never a template', agents: [agent('tpl-x', { EPHEMERAL_AGENT: '1', EPHEMERAL_TEMPLATE: '1' }, { enabled: false })], resources: [], swept: [] },
    { name: 'never an agent running a job, even past its expiry', agents: [agent('eph-42-a-0', OURS, { online: true, assignedRequest: { requestId: 1, finished: false } })],
      resources: [resource('eph-42-a-0', 'running', { tags: { creator: 'ephemeral-agents', expiresAt: new Date(NOW - MIN).toISOString() } })], swept: [] },
    { name: 'an idle agent past its expiresAt', agents: [agent('eph-42-a-0', OURS, { online: true })],
      resources: [resource('eph-42-a-0', 'running', { tags: { creator: 'ephemeral-agents', expiresAt: new Date(NOW - MIN).toISOString() } })], swept: ['eph-42-a-0'] },
    { name: 'a never-claimed agent past its idle timeout', agents: [agent('eph-42-a-0', OURS, { online: true })],
      resources: [resource('eph-42-a-0', 'running', { env: { AZP_AGENT_NAME: 'eph-42-a-0', AZP_IDLE_TIMEOUT_SECONDS: '900' } })], swept: ['eph-42-a-0'] },
    { name: 'not an agent that did a job (waits for release)', agents: [agent('eph-42-a-0', OURS, { online: true, lastCompletedRequest: { requestId: 3 } })],
      resources: [resource('eph-42-a-0', 'running', { env: { AZP_AGENT_NAME: 'eph-42-a-0', AZP_IDLE_TIMEOUT_SECONDS: '900' } })], swept: [] },
    { name: 'an ended container without a registration', agents: [], resources: [resource('eph-42-b-0', 'failed')], swept: ['eph-42-b-0'] },
    { name: 'not a failed container kept for investigation', agents: [],
      resources: [resource('eph-42-b-0', 'failed', { tags: { creator: 'ephemeral-agents', keepFailedMinutes: '60' }, finishedAt: new Date(NOW - 5 * MIN) })], swept: [] },
    { name: "not the scaler's own slots (its passes manage them)", agents: [agent('sp-0', { EPHEMERAL_AGENT: '1', EPHEMERAL_SCALER: 'sp' })],
      resources: [resource('sp-0', 'succeeded', { env: { AZP_AGENT_NAME: 'sp-0', EPHEMERAL_SCALER: 'sp' } })], swept: [] },
    { name: "another scaler's ended slot", agents: [agent('other-0', { EPHEMERAL_AGENT: '1', EPHEMERAL_SCALER: 'other' })],
      resources: [resource('other-0', 'succeeded', { env: { AZP_AGENT_NAME: 'other-0', EPHEMERAL_SCALER: 'other' } })], swept: ['other-0'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const plan = planSweep(view(c.agents, c.resources), 'sp', NOW);
      assert.deepEqual(plan.removals.map((r) => r.name), c.swept);
    });
  }

  it('deletes the registration and the ended container together, and lists foreign agents', () => {
    const plan = planSweep(view([agent('eph-42-a-0', OURS), agent('build-01', {})], [resource('eph-42-a-0', 'failed')]), 'sp', NOW);
    assert.equal(plan.removals[0].agent?.name, 'eph-42-a-0');
    assert.deepEqual(plan.removals[0].resources.map((r) => r.name), ['eph-42-a-0']);
    assert.match(plan.removals[0].reason, /failed container\/task ended/);
    assert.deepEqual(plan.foreign, ['build-01']);
  });
});
