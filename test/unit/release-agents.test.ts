import assert from 'node:assert/strict';
import { type Owner, ownerEnv, ownerTags } from '../../tasks/common/src/ownership';
import { releaseAgents } from '../../tasks/common/src/release-agents';
import { FakeClock } from './fakes/fake-clock';
import { FakeDevOps } from './fakes/fake-devops';
import { FakeProvider } from './fakes/fake-provider';
import { MemoryTaskIO } from './fakes/memory-task-io';

const ORG = 'https://dev.azure.com/contoso';
const OWNER = { organization: ORG, project: 'p1', runKind: 'build' as const };
const PLAN = { agentPool: 'Ephemeral', runId: '4711', owner: OWNER };
const OWNER_FULL = { ...OWNER, pool: 'Ephemeral', run: '4711' };
/** What an agent of this run carries, and its container's tags. */
const RUN_CAPS = ownerEnv(OWNER_FULL);
const RUN_TAGS = ownerTags(OWNER_FULL);
const tagsOf = (changes: Partial<Owner>) => ownerTags({ ...OWNER_FULL, ...changes });
const capsOf = (changes: Partial<Owner>) => ownerEnv({ ...OWNER_FULL, ...changes });

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
    provider.put('a-0', 'running', { tags: RUN_TAGS });
    const outcome = await releaseAgents(PLAN, deps);
    assert.deepEqual(order, ['devops.disableAgent "a-0"', `devops.deleteAgent ${agent.id}`, 'provider.delete "a-0"']);
    assert.deepEqual(outcome.rows, [{ name: 'a-0', registration: 'disabled and deleted', resource: 'deleted (fake)' }]);
    assert.equal(devops.agents.length, 0);
    assert.equal(provider.resources.size, 0);
  });

  it('only touches this run\'s agents, found by capability and tag', async () => {
    const { devops, provider, deps } = setup();
    devops.register('a-0', { capabilities: RUN_CAPS });
    devops.register('other-run', { capabilities: capsOf({ run: '1' }) });
    devops.register('foreign', { capabilities: { EPHEMERAL_RUN: '4711' } });
    provider.put('b-0', 'succeeded', { tags: RUN_TAGS });
    provider.put('x-0', 'running', { tags: tagsOf({ run: '1' }) });
    await releaseAgents(PLAN, deps);
    assert.deepEqual(devops.agents.map((a) => a.name).sort(), ['foreign', 'other-run']);
    assert.deepEqual([...provider.resources.keys()], ['x-0']);
  });

  it('leaves an agent that runs a job, with its container, and reports it', async () => {
    const { devops, provider, io, deps } = setup();
    devops.register('a-0', { capabilities: RUN_CAPS, assignedRequest: { requestId: 1, jobName: 'build', finished: false } });
    provider.put('a-0', 'running', { tags: RUN_TAGS });
    const outcome = await releaseAgents(PLAN, deps);
    assert.deepEqual(outcome.busy, ['a-0']);
    assert.equal(devops.agents.length, 1);
    assert.equal(devops.agents[0].enabled, true);
    assert.equal(provider.resources.size, 1);
    assert.ok(io.lines('warning').some((l) => l.includes('a-0') && l.includes('running a job')));
  });

  it('leaves an agent that got a job between listing and disabling', async () => {
    const { devops, provider, deps } = setup();
    const agent = devops.register('a-0', { capabilities: RUN_CAPS });
    provider.put('a-0', 'running', { tags: RUN_TAGS });
    const disable = devops.disableAgent.bind(devops);
    devops.disableAgent = async (poolId, a) => {
      await disable(poolId, a);
      agent.assignedRequest = { requestId: 2, finished: false };
    };
    const outcome = await releaseAgents(PLAN, deps);
    assert.deepEqual(outcome.busy, ['a-0']);
    assert.equal(devops.agents.length, 1);
    assert.equal(provider.resources.size, 1);
  });

  it('is safe to run twice', async () => {
    const { devops, provider, io, deps } = setup();
    devops.register('a-0', { capabilities: RUN_CAPS });
    provider.put('a-0', 'succeeded', { tags: RUN_TAGS });
    await releaseAgents(PLAN, deps);
    const second = await releaseAgents(PLAN, deps);
    assert.deepEqual(second, { rows: [], busy: [], failures: [], leftAlone: [] });
    assert.ok(io.lines('info').some((l) => l.includes('Nothing to release')));
  });

  it('releases explicitly named agents', async () => {
    const { devops, provider, deps } = setup();
    devops.register('a-0', { capabilities: RUN_CAPS });
    devops.register('a-1', { capabilities: RUN_CAPS });
    provider.put('a-0', 'running', { tags: RUN_TAGS });
    await releaseAgents({ ...PLAN, agentNames: ['a-0'] }, deps);
    assert.deepEqual(devops.agents.map((a) => a.name), ['a-1']);
    assert.equal(provider.resources.size, 0);
  });

  it('keeps a failed container while its keepFailedMinutes last', async () => {
    const { provider, clock, deps } = setup();
    provider.put('a-0', 'failed', { tags: { ...RUN_TAGS, keepFailedMinutes: '30' }, finishedAt: new Date(clock.now() - 10 * 60_000) });
    provider.put('a-1', 'failed', { tags: { ...RUN_TAGS, keepFailedMinutes: '30' }, finishedAt: new Date(clock.now() - 40 * 60_000) });
    await releaseAgents(PLAN, deps);
    assert.deepEqual([...provider.resources.keys()], ['a-0']);
  });

  it('named release leaves a foreign agent and an untagged container of a requested name alone, and says so', async () => {
    const { devops, provider, io, deps } = setup();
    devops.register('build-vm', { capabilities: { 'Agent.OS': 'Linux' } });
    provider.put('build-vm', 'running', { tags: {} });
    const outcome = await releaseAgents({ ...PLAN, agentNames: ['build-vm'] }, deps);
    assert.deepEqual(devops.agents.map((a) => a.name), ['build-vm']);
    assert.equal(devops.agents[0].enabled, true);
    assert.deepEqual([...provider.resources.keys()], ['build-vm']);
    assert.equal(outcome.leftAlone.length, 2);
    assert.ok(io.lines('warning').every((l) => !l.includes('build-vm') || l.includes('left alone')));
    assert.ok(io.lines('warning').some((l) => l.includes('Agent build-vm') && l.includes('did not create it')));
  });

  it('by run: another pool\'s container of the same run is not touched; a classic release of the same number is another run', async () => {
    const { devops, provider, deps } = setup();
    provider.put('other-pool-0', 'running', { tags: tagsOf({ pool: 'Other' }) });
    devops.register('release-0', { capabilities: capsOf({ runKind: 'release', run: 'release-4711' }) });
    provider.put('release-0', 'running', { tags: tagsOf({ runKind: 'release', run: 'release-4711' }) });
    devops.register('org2-0', { capabilities: capsOf({ organization: 'https://dev.azure.com/fabrikam' }) });
    provider.put('org2-0', 'running', { tags: tagsOf({ organization: 'https://dev.azure.com/fabrikam' }) });
    const outcome = await releaseAgents(PLAN, deps);
    assert.deepEqual(devops.agents.map((a) => a.name).sort(), ['org2-0', 'release-0']);
    assert.deepEqual([...provider.resources.keys()].sort(), ['org2-0', 'other-pool-0', 'release-0']);
    assert.equal(outcome.leftAlone.length, 2, `another organization's agent and container of this run value are reported: ${outcome.leftAlone.join(' | ')}`);
  });

  it('deletes registrations that come late, after their containers were deleted', async () => {
    const { devops, provider, deps } = setup();
    provider.put('a-0', 'creating', { tags: RUN_TAGS });
    const remove = provider.delete.bind(provider);
    // The agent registers while Release deletes the containers.
    provider.delete = async (name) => {
      devops.register(name, { capabilities: RUN_CAPS });
      return remove(name);
    };
    const outcome = await releaseAgents(PLAN, deps);
    assert.deepEqual(devops.agents, []);
    assert.equal(outcome.rows[0].registration, 'registered late; disabled and deleted');
  });

  it('without the right to list, still deletes the registrations and the containers they point to, naming the input that fixes the rest', async () => {
    const { devops, provider, deps } = setup();
    devops.register('a-0', { capabilities: { ...RUN_CAPS, EPHEMERAL_RESOURCE: '/fake/a-0' } });
    provider.put('a-0', 'running', { tags: RUN_TAGS });
    const learnt: string[] = [];
    Object.assign(provider, {
      listingFix: "set input 'resourceGroup'",
      learnLocation: (id: string) => learnt.push(id),
      listByRun: async () => {
        throw Object.assign(new Error('AuthorizationFailed'), { statusCode: 403 });
      },
    });
    const outcome = await releaseAgents(PLAN, deps);
    assert.deepEqual(learnt, ['/fake/a-0']);
    assert.deepEqual(devops.agents, []);
    assert.equal(provider.resources.size, 0);
    assert.match(outcome.failures.join('\n'), /input 'resourceGroup'/);
  });
});
