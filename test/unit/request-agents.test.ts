import assert from 'node:assert/strict';
import { CloudError, InputError } from '../../tasks/common/src/errors';
import { ownerTags } from '../../tasks/common/src/ownership';
import { requestAgents, type RequestPlan } from '../../tasks/common/src/request-agents';
import { FakeClock } from './fakes/fake-clock';
import { FakeDevOps } from './fakes/fake-devops';
import { MemoryTaskIO } from './fakes/memory-task-io';
import { FakeProvider } from './fakes/fake-provider';

function plan(names: string[]): RequestPlan {
  return {
    agentPool: 'Ephemeral', image: 'img', osType: 'Linux', cpu: 1, memoryGB: 2, idleTimeoutMinutes: 15, keepFailedMinutes: 0,
    capabilities: [], tags: [], names, runId: '4711', organizationUrl: 'https://dev.azure.com/contoso/',
  };
}

function setup() {
  const provider = new FakeProvider();
  const devops = new FakeDevOps();
  const io = new MemoryTaskIO();
  const minted: string[] = [];
  const deps = {
    provider, devops, log: io, clock: new FakeClock(),
    registrationSecret: async () => {
      minted.push('registration-secret');
      return 'registration-secret';
    },
  };
  return { provider, devops, io, deps, minted };
}

/** The agent of `name` registers (with the capabilities its environment gives) as soon as it is created. */
function registerOnCreate(provider: FakeProvider, devops: FakeDevOps, name: string): void {
  const create = provider.create.bind(provider);
  provider.create = async (spec, secret) => {
    const created = await create(spec, secret);
    if (spec.name === name) devops.register(name, { capabilities: { ...spec.env } });
    return created;
  };
}

describe('requestAgents', () => {
  it('fails naming namePrefix, before anything is created, when a registration of a requested name is not this run\'s', async () => {
    const { provider, devops, deps } = setup();
    // A hand-registered agent, and one of another run of the same pool: the agent's --replace would take either over.
    devops.register('a-1', { capabilities: { 'Agent.OS': 'Linux' } });
    devops.register('a-2', { capabilities: { EPHEMERAL_AGENT: '1', EPHEMERAL_ORG: 'https://dev.azure.com/contoso', EPHEMERAL_PROJECT: '',
      EPHEMERAL_POOL: 'Ephemeral', EPHEMERAL_RUN_KIND: 'build', EPHEMERAL_RUN: '99' } });
    const error = await requestAgents(plan(['a-0', 'a-1', 'a-2']), deps).catch((e: unknown) => e);
    assert.ok(error instanceof InputError, String(error));
    assert.equal(error.input, 'namePrefix');
    assert.match(error.message, /agent a-1, agent a-2, which is not this run's.*Set input 'namePrefix' to another prefix/);
    assert.deepEqual(provider.calls.filter((c) => c.startsWith('create')), []);
    assert.deepEqual(devops.agents.map((a) => [a.name, a.enabled]), [['a-1', true], ['a-2', true]]);
  });

  it('an earlier attempt\'s own registration of a requested name is no obstacle', async () => {
    const { provider, devops, deps } = setup();
    registerOnCreate(provider, devops, 'a-0');
    await requestAgents(plan(['a-0']), deps);
    provider.resources.clear();
    await requestAgents(plan(['a-0']), deps);
    assert.equal(provider.calls.filter((c) => c.startsWith('create')).length, 2);
  });

  it('its cleanup deletes only this run\'s registrations: one of the same name that is someone else\'s is left alone', async () => {
    const { provider, devops, io, deps } = setup();
    provider.failCreate.set('a-1', new CloudError('Azure Resource Manager', 'quota exceeded', 400, 'QuotaExceeded'));
    registerOnCreate(provider, devops, 'a-0');
    // Someone registers a-1 by hand while the creates run.
    const create = provider.create.bind(provider);
    provider.create = async (spec, secret) => {
      if (spec.name === 'a-1') devops.register('a-1');
      return create(spec, secret);
    };
    await assert.rejects(requestAgents(plan(['a-0', 'a-1']), deps), /could not be provisioned/);
    assert.deepEqual(devops.agents.map((a) => a.name), ['a-1']);
    assert.ok(io.lines('warning').some((l) => l.includes("Agent a-1: its registration is not this run's, so it is left alone")), io.lines('warning').join('\n'));
  });

  it('creates every agent and returns the outputs', async () => {
    const { provider, deps } = setup();
    const outcome = await requestAgents(plan(['a-0', 'a-1']), deps);
    assert.equal(outcome.agentNames, 'a-0,a-1');
    assert.equal(outcome.demand, 'EPHEMERAL_RUN -equals 4711');
    assert.equal(outcome.resourceIds, '/fake/a-0,/fake/a-1');
    assert.deepEqual(provider.secretsSeen, ['registration-secret', 'registration-secret']);
    assert.equal(provider.specs[0].env.EPHEMERAL_RUN, '4711');
  });

  it('mints a registration token for each create, so none has aged while others were created', async () => {
    const { provider, deps } = setup();
    let n = 0;
    deps.registrationSecret = async () => `token-${++n}`;
    await requestAgents(plan(['a-0', 'a-1', 'a-2']), deps);
    assert.equal(n, 3);
    assert.deepEqual([...provider.secretsSeen].sort(), ['token-1', 'token-2', 'token-3']);
  });

  it('warns that agents waiting for capacity may outlive their registration token', async () => {
    const { provider, deps, io } = setup();
    Object.assign(provider, { startDelayWarning: async (count: number) => `Batch pool 'agents' has no node running for ${count} new agent(s)` });
    await requestAgents(plan(['a-0', 'a-1']), deps);
    const warning = io.lines('warning').find((w) => w.includes("Batch pool 'agents' has no node running for 2 new agent(s)"));
    assert.ok(warning, io.lines('warning').join('\n'));
    assert.match(warning, /60 to 90 minutes.*HTTP 401.*code 78/);
    // The advice is what works on Batch; a personal access token is refused there without allowReadableTokenOnBatch.
    assert.match(warning, /free nodes.*minimum number of dedicated nodes.*provider 'aci'/);
    assert.doesNotMatch(warning, /personal access token/);
  });

  it('checks the pool before it creates anything', async () => {
    const { provider, deps } = setup();
    await assert.rejects(requestAgents({ ...plan(['a-0']), agentPool: 'Nope' }, deps), /Agent pool 'Nope' was not found/);
    assert.deepEqual(provider.calls, []);
  });

  it('replaces the container an earlier attempt of the job left', async () => {
    const { provider, deps } = setup();
    provider.put('a-0', 'failed', { tags: ownerTags({ organization: 'https://dev.azure.com/contoso', project: '', pool: 'Ephemeral', runKind: 'build', run: '4711' }) });
    await requestAgents(plan(['a-0']), deps);
    assert.deepEqual(provider.calls.filter((c) => !c.startsWith('prepare')), ['get a-0', 'delete a-0', 'create a-0']);
  });

  it('never replaces a container of the same name that is not this run\'s', async () => {
    const { provider, deps } = setup();
    provider.put('a-0', 'running', { tags: { team: 'someone-else' } });
    await assert.rejects(requestAgents(plan(['a-0']), deps), /'a-0' exists and is not this run's \(this extension did not create it\)/);
    assert.ok(!provider.calls.includes('delete a-0'));
    assert.deepEqual(provider.resources.get('a-0')?.tags, { team: 'someone-else' });
  });

  it('begins every create at once, none waiting for another to finish (the provider bounds its own writes)', async () => {
    const { provider, deps } = setup();
    provider.createDelayMs = 2;
    await requestAgents(plan([...Array(20).keys()].map((i) => `a-${i}`)), deps);
    assert.equal(provider.maxInFlight, 20);
  });

  it('is all or nothing: one failure removes every container and registration it created', async () => {
    const { provider, devops, io, deps } = setup();
    provider.failCreate.set('a-1', new CloudError('Azure Resource Manager', 'quota exceeded', 400, 'QuotaExceeded'));
    // The first agent already registered before the failure was noticed.
    registerOnCreate(provider, devops, 'a-0');
    await assert.rejects(requestAgents(plan(['a-0', 'a-1', 'a-2']), deps), /Agent a-1 could not be provisioned, so none were kept: quota exceeded/);
    assert.equal(provider.resources.size, 0);
    assert.deepEqual(devops.agents, []);
    assert.ok(provider.calls.includes('delete a-0') && provider.calls.includes('delete a-2') && provider.calls.includes('delete a-1'));
    // Containers go before registrations, so no agent registers again after its registration is deleted.
    const lastContainerDelete = Math.max(...['a-0', 'a-1', 'a-2'].map((n) => provider.calls.lastIndexOf(`delete ${n}`)));
    assert.ok(lastContainerDelete >= 0);
    assert.ok(devops.calls.includes('deleteAgent a-0'));
    assert.ok(io.lines('error').some((l) => l.includes('a-1') && l.includes('quota exceeded')));
  });

  it('keeps a failed container for investigation when keepFailedMinutes is set', async () => {
    const { provider, deps } = setup();
    provider.failCreate.set('a-1', new Error('container failed'));
    const original = provider.create.bind(provider);
    provider.create = async (spec, secret) => {
      if (spec.name === 'a-1') provider.put('a-1', 'failed');
      return original(spec, secret);
    };
    await assert.rejects(requestAgents({ ...plan(['a-0', 'a-1']), keepFailedMinutes: 30 }, deps));
    assert.deepEqual([...provider.resources.keys()], ['a-1']);
  });

  it('on cancellation stops and removes what it created', async () => {
    const { provider, deps } = setup();
    const controller = new AbortController();
    provider.createDelayMs = 5;
    const pending = requestAgents(plan(['a-0', 'a-1', 'a-2']), { ...deps, signal: controller.signal });
    setTimeout(() => controller.abort(), 1);
    await assert.rejects(pending, /cancelled/);
    await new Promise((r) => setTimeout(r, 20));
    // What was in flight when the task was cancelled is removed too.
    assert.ok(provider.calls.some((c) => c.startsWith('delete')));
  });

  it('when a delete fails too, the failure message says exactly what is left instead of "none were kept"', async () => {
    const { provider, devops, deps } = setup();
    provider.failCreate.set('a-1', new CloudError('Azure Resource Manager', 'quota exceeded', 400, 'QuotaExceeded'));
    const remove = provider.delete.bind(provider);
    provider.delete = async (name) => {
      if (name === 'a-0') throw new CloudError('Azure Resource Manager', 'delete refused', 409, 'Conflict');
      return remove(name);
    };
    registerOnCreate(provider, devops, 'a-0');
    const error = (await requestAgents(plan(['a-0', 'a-1']), deps).catch((e: unknown) => e)) as Error;
    assert.doesNotMatch(error.message, /none were kept/);
    assert.match(error.message, /could not all be removed: the container\/task of a-0/);
  });

  it('after a cancellation, waits for a create still in flight and removes what it made', async () => {
    const { provider, deps } = setup();
    // The create lands (the resource appears) only 50 ms after the cancellation.
    provider.createDelayMs = 60;
    const controller = new AbortController();
    const pending = requestAgents(plan(['a-0']), { ...deps, clock: { now: () => Date.now(), sleep: (ms: number) => new Promise((r) => setTimeout(r, ms)) }, signal: controller.signal });
    setTimeout(() => controller.abort(), 10);
    await assert.rejects(pending, /cancelled/);
    assert.equal(provider.resources.size, 0, 'the late create was deleted');
  });

  it('after a cancellation, lists the run once more when a create in flight showed nothing within the grace', async () => {
    const { provider, deps } = setup();
    provider.createDelayMs = 50;
    const controller = new AbortController();
    // Virtual time: the grace passes at once while the create is still in flight.
    const pending = requestAgents(plan(['a-0']), { ...deps, signal: controller.signal });
    setTimeout(() => controller.abort(), 10);
    await assert.rejects(pending, /cancelled/);
    assert.ok(provider.calls.includes('listByRun 4711'), 'the run was listed once more');
  });
});
