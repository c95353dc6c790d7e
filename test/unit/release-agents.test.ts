import assert from 'node:assert/strict';
import { releaseAgents } from '../../tasks/common/src/release-agents';
import { FakeClock } from './fakes/fake-clock';
import { FakeDevOps } from './fakes/fake-devops';
import { FakeProvider } from './fakes/fake-provider';
import { MemoryTaskIO } from './fakes/memory-task-io';

const RUN_CAPS = { EPHEMERAL_RUN: '4711', EPHEMERAL_AGENT: '1' };

function setup() {
  const devops = new FakeDevOps();
  const provider = new FakeProvider();
  const io = new MemoryTaskIO();
  const clock = new FakeClock();
  const order: string[] = [];
  const trace = <T extends object>(target: T, label: string, methods: string[]) => {
    for (const m of methods) {
      const original = (target as Record<string, (...a: unknown[]) => unknown>)[m].bind(target);
      (target as Record<string, unknown>)[m] = (...args: unknown[]) => {
        order.push(`${label}.${m} ${JSON.stringify(args.find((a) => typeof a === 'string') ?? (args[1] as { name?: string })?.name ?? args[1])}`);
        return original(...args);
      };
    }
  };
  trace(devops, 'devops', ['disableAgent', 'deleteAgent']);
  trace(provider, 'provider', ['delete']);
  return { devops, provider, io, clock, order, deps: { devops, provider, io, clock, log: io } };
}

describe('releaseAgents', () => {
  it('disables, deletes the registration, then deletes the container', async () => {
    const { devops, provider, order, deps } = setup();
    const agent = devops.register('a-0', { capabilities: RUN_CAPS, online: true });
    provider.put('a-0', 'running', { tags: { run: '4711' } });
    const outcome = await releaseAgents({ agentPool: 'Ephemeral', runId: '4711' }, deps);
    assert.deepEqual(order, ['devops.disableAgent "a-0"', `devops.deleteAgent ${agent.id}`, 'provider.delete "a-0"']);
    assert.deepEqual(outcome.rows, [{ name: 'a-0', registration: 'disabled and deleted', resource: 'deleted (fake)' }]);
    assert.equal(devops.agents.length, 0);
    assert.equal(provider.resources.size, 0);
  });

  it('only touches this run\'s agents, found by capability and tag', async () => {
    const { devops, provider, deps } = setup();
    devops.register('a-0', { capabilities: RUN_CAPS });
    devops.register('other-run', { capabilities: { EPHEMERAL_RUN: '1', EPHEMERAL_AGENT: '1' } });
    devops.register('foreign', { capabilities: { EPHEMERAL_RUN: '4711' } });
    provider.put('b-0', 'succeeded', { tags: { run: '4711' } });
    provider.put('x-0', 'running', { tags: { run: '1' } });
    await releaseAgents({ agentPool: 'Ephemeral', runId: '4711' }, deps);
    assert.deepEqual(devops.agents.map((a) => a.name).sort(), ['foreign', 'other-run']);
    assert.deepEqual([...provider.resources.keys()], ['x-0']);
  });

  it('leaves an agent that runs a job, with its container, and reports it', async () => {
    const { devops, provider, io, deps } = setup();
    devops.register('a-0', { capabilities: RUN_CAPS, assignedRequest: { requestId: 1, jobName: 'build', finished: false } });
    provider.put('a-0', 'running', { tags: { run: '4711' } });
    const outcome = await releaseAgents({ agentPool: 'Ephemeral', runId: '4711' }, deps);
    assert.deepEqual(outcome.busy, ['a-0']);
    assert.equal(devops.agents.length, 1);
    assert.equal(devops.agents[0].enabled, true);
    assert.equal(provider.resources.size, 1);
    assert.ok(io.lines('warning').some((l) => l.includes('a-0') && l.includes('running a job')));
  });

  it('leaves an agent that got a job between listing and disabling', async () => {
    const { devops, provider, deps } = setup();
    const agent = devops.register('a-0', { capabilities: RUN_CAPS });
    provider.put('a-0', 'running', { tags: { run: '4711' } });
    const disable = devops.disableAgent.bind(devops);
    devops.disableAgent = async (poolId, a) => {
      await disable(poolId, a);
      agent.assignedRequest = { requestId: 2, finished: false };
    };
    const outcome = await releaseAgents({ agentPool: 'Ephemeral', runId: '4711' }, deps);
    assert.deepEqual(outcome.busy, ['a-0']);
    assert.equal(devops.agents.length, 1);
    assert.equal(provider.resources.size, 1);
  });

  it('is safe to run twice', async () => {
    const { devops, provider, io, deps } = setup();
    devops.register('a-0', { capabilities: RUN_CAPS });
    provider.put('a-0', 'succeeded', { tags: { run: '4711' } });
    await releaseAgents({ agentPool: 'Ephemeral', runId: '4711' }, deps);
    const second = await releaseAgents({ agentPool: 'Ephemeral', runId: '4711' }, deps);
    assert.deepEqual(second, { rows: [], busy: [], failures: [] });
    assert.ok(io.lines('info').some((l) => l.includes('Nothing to release')));
  });

  it('releases explicitly named agents', async () => {
    const { devops, provider, deps } = setup();
    devops.register('a-0');
    devops.register('a-1');
    provider.put('a-0', 'running', { tags: { run: '1' } });
    await releaseAgents({ agentPool: 'Ephemeral', runId: '4711', agentNames: ['a-0'] }, deps);
    assert.deepEqual(devops.agents.map((a) => a.name), ['a-1']);
    assert.equal(provider.resources.size, 0);
  });

  it('keeps a failed container while its keepFailedMinutes last', async () => {
    const { provider, clock, deps } = setup();
    provider.put('a-0', 'failed', { tags: { run: '4711', keepFailedMinutes: '30' }, finishedAt: new Date(clock.now() - 10 * 60_000) });
    provider.put('a-1', 'failed', { tags: { run: '4711', keepFailedMinutes: '30' }, finishedAt: new Date(clock.now() - 40 * 60_000) });
    await releaseAgents({ agentPool: 'Ephemeral', runId: '4711' }, deps);
    assert.deepEqual([...provider.resources.keys()], ['a-0']);
  });
});
