import assert from 'node:assert/strict';
import { RequestBudget } from '../../tasks/common/src/request-budget';
import { SecretMasker } from '../../tasks/common/src/secrets';
import { MISSING_GRACE_MS, WaitFailure, waitForAgents } from '../../tasks/common/src/wait';
import { FakeClock } from './fakes/fake-clock';
import { FakeDevOps } from './fakes/fake-devops';
import { FakeProvider } from './fakes/fake-provider';
import { MemoryTaskIO } from './fakes/memory-task-io';

function setup(withProvider = true) {
  const clock = new FakeClock();
  const devops = new FakeDevOps();
  const provider = withProvider ? new FakeProvider() : undefined;
  const io = new MemoryTaskIO();
  const budget = new RequestBudget(16, 60_000, clock, 5);
  const listAgents = devops.listAgents.bind(devops);
  const devopsTimes: number[] = [];
  devops.listAgents = async (...args) => {
    budget.record();
    devopsTimes.push(clock.now());
    return listAgents(...args);
  };
  const masker = new SecretMasker();
  masker.add('registration-secret');
  const deps = { devops, provider, budget, clock, log: io, mask: (t: string) => masker.mask(t), start: clock.now() };
  return { clock, devops, provider, io, deps, devopsTimes, start: clock.now() };
}

/** At `at` ms after the start, run `change` once. */
function schedule(clock: FakeClock, start: number, events: Array<[number, () => void]>): void {
  const pending = [...events].sort((a, b) => a[0] - b[0]);
  clock.onTick = (now) => {
    while (pending.length > 0 && now - start >= pending[0][0]) (pending.shift() as [number, () => void])[1]();
  };
}

describe('waitForAgents', () => {
  it('succeeds when every agent is online and enabled, reporting time to online', async () => {
    const { clock, devops, provider, deps, start } = setup();
    provider?.put('a-0', 'creating');
    provider?.put('a-1', 'creating');
    schedule(clock, start, [
      [4_000, () => provider?.put('a-0', 'running')],
      [5_000, () => devops.register('a-0', { online: true })],
      [9_000, () => provider?.put('a-1', 'running')],
      [10_000, () => devops.register('a-1', { online: true })],
    ]);
    const online = await waitForAgents({ agentPool: 'Ephemeral', agentNames: ['a-0', 'a-1'], timeoutMinutes: 15 }, deps);
    assert.deepEqual(online.map((o) => o.name), ['a-0', 'a-1']);
    // Noticed within one fast poll interval of going online.
    assert.ok(online[0].onlineAfterMs >= 5_000 && online[0].onlineAfterMs < 6_000, String(online[0].onlineAfterMs));
    assert.ok(online[1].onlineAfterMs >= 10_000 && online[1].onlineAfterMs < 11_000, String(online[1].onlineAfterMs));
  });

  it('polls Azure DevOps fast only while a container runs, within 20 requests a minute', async () => {
    const { clock, devops, provider, deps, devopsTimes, start } = setup();
    provider?.put('a-0', 'creating');
    schedule(clock, start, [
      [50_000, () => provider?.put('a-0', 'running')],
      [80_000, () => devops.register('a-0', { online: true })],
    ]);
    await waitForAgents({ agentPool: 'Ephemeral', agentNames: ['a-0'], timeoutMinutes: 15 }, deps);
    const beforeRunning = devopsTimes.filter((t) => t - start < 50_000).length;
    assert.ok(beforeRunning <= 5, `${beforeRunning} polls while nothing ran`);
    for (const t of devopsTimes) {
      const inWindow = devopsTimes.filter((u) => u > t - 60_000 && u <= t).length + 1; // + findPool
      assert.ok(inWindow <= 20, `${inWindow} Azure DevOps requests in a minute`);
    }
    assert.ok(devops.calls.filter((c) => c.startsWith('listAgents')).every((c) => c === 'listAgents a-0'));
  });

  it('paces polls so agents coming online late in the first minute are still noticed quickly', async () => {
    const { clock, devops, provider, deps, devopsTimes, start } = setup();
    // Every container runs from the start, but the agents come online only at 5, 10 and 20 s.
    for (const n of ['a-0', 'a-1', 'a-2']) provider?.put(n, 'running');
    schedule(clock, start, [
      [5_000, () => devops.register('a-0', { online: true })],
      [10_000, () => devops.register('a-1', { online: true })],
      [20_000, () => devops.register('a-2', { online: true })],
    ]);
    const online = await waitForAgents({ agentPool: 'Ephemeral', agentNames: ['a-0', 'a-1', 'a-2'], timeoutMinutes: 15 }, deps);
    const lags = online.map((o, i) => o.onlineAfterMs - [5_000, 10_000, 20_000][i]);
    assert.ok(lags.every((lag) => lag < 4_000), `lags ${lags.join(', ')} ms`);
    assert.ok(devopsTimes.length + 1 <= 16, `${devopsTimes.length + 1} counted requests`);
  });

  it('asks Azure DevOps nothing while every container is being created, nor at the instant one starts', async () => {
    const { clock, devops, provider, deps, devopsTimes, start } = setup();
    for (const n of ['a-0', 'a-1']) provider?.put(n, 'creating');
    schedule(clock, start, [
      [5_000, () => provider?.put('a-0', 'running')],
      [5_300, () => devops.register('a-0', { online: true })],
      [10_000, () => provider?.put('a-1', 'running')],
      [10_300, () => devops.register('a-1', { online: true })],
    ]);
    const online = await waitForAgents({ agentPool: 'Ephemeral', agentNames: ['a-0', 'a-1'], timeoutMinutes: 15 }, deps);
    // One poll per agent, shortly after its container started; none before.
    assert.equal(devopsTimes.length, 2, `polls at ${devopsTimes.map((t) => t - start).join(', ')} ms`);
    assert.ok(online.every((o, i) => o.onlineAfterMs - [5_300, 10_300][i] < 1_500), online.map((o) => o.onlineAfterMs).join(', '));
  });

  it('makes one list request per poll for all agents', async () => {
    const { clock, devops, deps, start } = setup(false);
    schedule(clock, start, [[7_000, () => ['a-0', 'a-1', 'a-2'].forEach((n) => devops.register(n, { online: true }))]]);
    await waitForAgents({ agentPool: 'Ephemeral', agentNames: ['a-0', 'a-1', 'a-2'], timeoutMinutes: 15 }, deps);
    const lists = devops.calls.filter((c) => c.startsWith('listAgents'));
    assert.ok(lists.length <= 4, lists.join('; '));
    assert.equal(lists[0], 'listAgents a-0,a-1,a-2');
  });

  it('does not count an online but disabled agent, and warns about it', async () => {
    const { clock, devops, io, deps, start } = setup(false);
    devops.register('a-0', { online: true, enabled: false });
    schedule(clock, start, [[10_000, () => { devops.agents[0].enabled = true; }]]);
    const online = await waitForAgents({ agentPool: 'Ephemeral', agentNames: ['a-0'], timeoutMinutes: 15 }, deps);
    assert.ok(online[0].onlineAfterMs >= 10_000);
    assert.equal(io.lines('warning').filter((l) => l.includes('disabled')).length, 1);
  });

  it('fails fast when a container fails, with its state, events and log, secrets masked', async () => {
    const { clock, provider, deps, start } = setup();
    provider?.put('a-0', 'creating');
    provider?.logs.set('a-0', 'line 1\nconfig.sh --token registration-secret failed\nagent configuration failed: config.sh exited with code 1');
    schedule(clock, start, [[6_000, () => provider?.put('a-0', 'failed', { detail: 'container Terminated (Error)', exitCode: 78, events: ['Pulled: image pulled', 'Started'] })]]);
    const error = await waitForAgents({ agentPool: 'Ephemeral', agentNames: ['a-0'], timeoutMinutes: 15 }, deps).catch((e: unknown) => e);
    assert.ok(error instanceof WaitFailure);
    assert.ok(clock.now() - start < 10_000, 'failed as soon as the container failed');
    assert.match(error.message, /ended before the agent came online: a-0 \(failed\)/);
    assert.match(error.diagnosis, /exit code 78/);
    assert.match(error.diagnosis, /Pulled: image pulled/);
    assert.match(error.diagnosis, /agent configuration failed/);
    assert.ok(!error.diagnosis.includes('registration-secret'));
  });

  it('fails at the timeout with a diagnosis of each missing agent', async () => {
    const { clock, devops, provider, deps, start } = setup();
    provider?.put('a-0', 'running', { detail: 'container Running' });
    provider?.put('a-1', 'running', { detail: 'container Running' });
    schedule(clock, start, [[3_000, () => devops.register('a-0', { online: true })]]);
    const error = await waitForAgents({ agentPool: 'Ephemeral', agentNames: ['a-0', 'a-1'], timeoutMinutes: 2 }, deps).catch((e: unknown) => e);
    assert.ok(error instanceof WaitFailure);
    assert.equal(clock.now() - start >= 120_000, true);
    assert.match(error.message, /1 of 2 agent\(s\) did not come online within 2 minutes: a-1/);
    assert.match(error.diagnosis, /Agent a-1 \(fake\): running — container Running/);
    assert.deepEqual(error.pending, ['a-1']);
  });

  it('fails when the container stays missing beyond the grace period, not at once', async () => {
    const { clock, deps, start } = setup();
    const error = await waitForAgents({ agentPool: 'Ephemeral', agentNames: ['a-0'], timeoutMinutes: 15 }, deps).catch((e: unknown) => e);
    assert.ok(error instanceof WaitFailure);
    assert.match(error.diagnosis, /does not exist/);
    assert.ok(clock.now() - start >= MISSING_GRACE_MS, 'a resource not found just after its create is unknown, not ended');
    assert.ok(clock.now() - start < MISSING_GRACE_MS + 30_000);
  });

  it('does not declare Batch agents ended when named with the default ACI provider and no recorded placement', async () => {
    const { clock, devops, io, deps, start } = setup();
    // The Batch node allocates for longer than the grace period; the ACI provider never sees the task.
    const taskUrl = 'https://acct.westeurope.batch.azure.com/jobs/agents/tasks/a-0-1';
    schedule(clock, start, [
      [MISSING_GRACE_MS + 60_000, () => devops.register('a-0', { online: false, capabilities: { EPHEMERAL_RESOURCE: taskUrl } })],
      [MISSING_GRACE_MS + 90_000, () => { devops.agents[0].online = true; }],
    ]);
    const online = await waitForAgents({ agentPool: 'Ephemeral', agentNames: ['a-0'], timeoutMinutes: 15, placementRecorded: false }, deps);
    assert.deepEqual(online.map((o) => o.name), ['a-0']);
    assert.ok(online[0].onlineAfterMs >= MISSING_GRACE_MS + 90_000);
    assert.ok(io.lines('info').some((l) => l.includes(taskUrl) && l.includes('not in fake cloud')), io.lines('info').join('\n'));
  });

  it('trusts a missing container again once the registration confirms the provider looks in the right place', async () => {
    const { clock, devops, provider, deps, start } = setup();
    const groupId = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerInstance/containerGroups/a-0';
    provider?.put('a-0', 'running');
    schedule(clock, start, [
      [5_000, () => devops.register('a-0', { online: false, capabilities: { EPHEMERAL_RESOURCE: groupId } })],
      [20_000, () => provider?.resources.delete('a-0')],
    ]);
    const error = await waitForAgents({ agentPool: 'Ephemeral', agentNames: ['a-0'], timeoutMinutes: 15, placementRecorded: false }, deps).catch((e: unknown) => e);
    assert.ok(error instanceof WaitFailure, String(error));
    assert.match(error.message, /ended before the agent came online: a-0 \(missing\)/);
    assert.ok(clock.now() - start < 20_000 + MISSING_GRACE_MS + 30_000);
  });

  it('keeps waiting for a resource that appears after a first miss, and sees its agent online', async () => {
    const { clock, devops, provider, deps, start } = setup();
    schedule(clock, start, [[20_000, () => provider?.put('a-0', 'running')], [25_000, () => devops.register('a-0', { online: true })]]);
    const online = await waitForAgents({ agentPool: 'Ephemeral', agentNames: ['a-0'], timeoutMinutes: 15 }, deps);
    assert.deepEqual(online.map((a) => a.name), ['a-0']);
  });
});

describe('request budget', () => {
  it('allows a burst, then paces evenly, never exceeding the limit per window', () => {
    const clock = new FakeClock();
    const budget = new RequestBudget(16, 60_000, clock, 5);
    const times: number[] = [];
    while (clock.now() < Date.UTC(2025, 0, 1) + 180_000) {
      const next = budget.nextAllowedAt();
      if (next > clock.now()) clock.time = next;
      budget.record();
      times.push(clock.now());
    }
    assert.equal(times[4], times[0], 'a burst of 5 at once');
    assert.ok(times[5] - times[4] >= 3_000, 'then one every 3.75 s');
    for (const t of times) assert.ok(times.filter((u) => u > t - 60_000 && u <= t).length <= 16);
  });
});
