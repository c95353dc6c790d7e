// e2e: never touch what is not ours. The organization holds two pools (the second created through
// POST _apis/distributedtask/pools, as azure-devops-node-api's addAgentPool sends it), a classic
// release beside a build of the same number, a foreign agent and an untagged container group of a
// name a user asks to release. The bundled tasks act only on what their run owns and report the rest.
import assert from 'node:assert/strict';
import * as azdev from 'azure-devops-node-api';
import type { TaskOutcome } from '../../emulator/src/pipeline-agent';
import { CONNECTION_IDS, type PipelineRun } from '../../emulator/src/pipeline-run';
import { type FlowSpec, provision, providerInputs, release } from './flows';
import { assertSucceeded, leftovers, sleep, type State, World } from './harness';

const POOL_B = 'Ephemeral-B';
const aci: FlowSpec = { provider: 'aci', auth: 'secret', registration: 'azureServiceConnection' };

async function releaseIn(world: World, run: PipelineRun, pool: string, extra: Record<string, string> = {}): Promise<TaskOutcome> {
  return run.job(`release-${pool}`).step('ReleaseEphemeralAgent', { ...providerInputs(world, aci).inputs, agentPool: pool, ...extra });
}

/** Request + Wait in `pool` for `run`, as the provision job of DESIGN.md does. */
async function provisionIn(world: World, run: PipelineRun, pool: string): Promise<{ request: TaskOutcome; wait?: TaskOutcome }> {
  const job = run.job(`provision-${pool}`);
  const request = await job.step('RequestEphemeralAgent', {
    ...providerInputs(world, aci).inputs, agentPool: pool, image: world.seed.image, count: '1',
  }, { name: 'eph' });
  if (request.result !== 'Succeeded') return { request };
  const wait = await job.step('WaitForAgent', { ...providerInputs(world, aci).inputs, agentPool: pool, timeoutMinutes: '2' });
  return { request, wait };
}

async function until(world: World, probe: (s: State) => boolean, what: string, timeoutMs = 30_000): Promise<State> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await world.state();
    if (probe(state)) return state;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

describe('e2e: ownership (two pools, a classic release beside a build, foreign agents and containers)', function () {
  this.timeout(300_000);
  let world: World;
  let armToken: string;

  const groupUrl = (name: string) =>
    `${world.info.arm.replace(/\/$/, '')}/subscriptions/${world.seed.subscriptionId}/resourceGroups/${world.seed.resourceGroup}` +
    `/providers/Microsoft.ContainerInstance/containerGroups/${name}?api-version=2023-05-01`;

  /** A container group someone else made with the seeded image (it exits at once: no registration settings). */
  async function putForeignGroup(name: string, tags: Record<string, string>): Promise<void> {
    const response = await fetch(groupUrl(name), {
      method: 'PUT',
      headers: { authorization: `Bearer ${armToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        location: world.seed.location, tags,
        properties: {
          osType: 'Linux', restartPolicy: 'Never',
          containers: [{ name: 'app', properties: { image: world.seed.image, resources: { requests: { cpu: 1, memoryInGB: 1 } } } }],
        },
      }),
    });
    assert.ok(response.status === 200 || response.status === 201, `PUT ${name}: ${response.status} ${await response.text()}`);
  }

  before(async () => {
    world = await World.start();
    // The second pool, created the way azure-devops-node-api creates pools.
    const connection = new azdev.WebApi(world.info.devops, azdev.getPersonalAccessTokenHandler(world.seed.pat));
    const agentApi = await connection.getTaskAgentApi();
    const created = await agentApi.addAgentPool({ name: POOL_B, autoProvision: false });
    assert.equal(created.name, POOL_B);
    assert.ok((await agentApi.getAgentPools(POOL_B)).some((p) => p.id === created.id), 'the new pool is listed by name');
    const { ClientSecretCredential } = await import('@azure/identity');
    const credential = new ClientSecretCredential(world.seed.tenantId, world.seed.clientId, world.seed.clientSecret,
      { authorityHost: world.info.entra, disableInstanceDiscovery: true });
    armToken = (await credential.getToken('https://management.azure.com/.default')).token;
  });

  after(async () => {
    await world?.stop();
  });

  it('Release of one pool leaves another pool\'s agent and container of the same run alone', async () => {
    const run = world.run();
    const a = await provisionIn(world, run, world.seed.agentPool);
    const b = await provisionIn(world, run, POOL_B);
    for (const o of [a.request, a.wait, b.request, b.wait]) assertSucceeded(o as TaskOutcome, 'provision');
    const nameB = b.request.variables.agentNames?.value as string;

    const releaseA = await releaseIn(world, run, world.seed.agentPool);
    assertSucceeded(releaseA, 'release of pool A');
    const state = await world.state();
    const groupB = state.containerGroups.find((g) => g.name === nameB);
    assert.ok(groupB, `pool ${POOL_B}'s container group ${nameB} is still there`);
    assert.notEqual(groupB.containers[0]?.state, 'Terminated', 'and still running');
    assert.ok(state.agents.some((a2) => a2.name === nameB && a2.pool === POOL_B && a2.enabled), `its agent is still registered and enabled`);
    assert.ok(!state.agents.some((a2) => a2.name === a.request.variables.agentNames?.value), 'pool A\'s agent is released');

    assertSucceeded(await releaseIn(world, run, POOL_B), 'release of pool B');
    assert.deepEqual(leftovers(await world.state(), run.buildId), []);
  });

  it('a classic release and a build of the same number: the build\'s job never takes the release\'s agent, and each releases only its own', async () => {
    const id = 20_000 + Math.floor(Math.random() * 9000);
    const build = world.run({ buildId: id });
    const classic = world.run({ buildId: id, release: true });
    const b = await provisionIn(world, build, world.seed.agentPool);
    const r = await provisionIn(world, classic, world.seed.agentPool);
    for (const o of [b.request, b.wait, r.request, r.wait]) assertSucceeded(o as TaskOutcome, 'provision');
    assert.equal(b.request.variables.demand?.value, `EPHEMERAL_RUN -equals ${id}`);
    assert.equal(r.request.variables.demand?.value, `EPHEMERAL_RUN -equals release-${id}`, 'the documented classic release demand');
    const releaseAgent = r.request.variables.agentNames?.value as string;
    const buildAgent = b.request.variables.agentNames?.value as string;
    const state = await world.state();
    assert.equal(state.agents.find((x) => x.name === releaseAgent)?.capabilities.EPHEMERAL_RUN, `release-${id}`);
    assert.equal(state.agents.find((x) => x.name === buildAgent)?.capabilities.EPHEMERAL_RUN, String(id));

    // The YAML build's demand matches the build's agent only.
    const [job] = await world.runJobs(id, 1);
    assert.equal(job.agentName, buildAgent);

    assertSucceeded(await releaseIn(world, build, world.seed.agentPool), 'release of the build');
    const afterBuild = await world.state();
    assert.ok(afterBuild.agents.some((x) => x.name === releaseAgent && x.enabled), 'the classic release\'s agent is left');
    assert.ok(afterBuild.containerGroups.some((g) => g.name === releaseAgent), 'with its container');

    assertSucceeded(await releaseIn(world, classic, world.seed.agentPool), 'release of the classic release');
    const end = await world.state();
    assert.deepEqual(leftovers(end, id), []);
    assert.deepEqual(leftovers(end, `release-${id}`), []);
  });

  it('named release leaves a foreign agent and an untagged container group of the requested name alone, with a warning (SucceededWithIssues)', async () => {
    const name = `build-vm-${Math.floor(Math.random() * 1e6)}`;
    const connection = new azdev.WebApi(world.info.devops, azdev.getPersonalAccessTokenHandler(world.seed.pat));
    const agentApi = await connection.getTaskAgentApi();
    await agentApi.addAgent({ name, version: '4.255.0', enabled: true, systemCapabilities: { 'Agent.OS': 'Linux' } }, world.seed.agentPoolId);
    await putForeignGroup(name, { team: 'someone-else' });

    const run = world.run();
    const outcome = await releaseIn(world, run, world.seed.agentPool, { agentNames: name });
    assert.equal(outcome.result, 'SucceededWithIssues', `${outcome.message}\n${outcome.log}`);
    assert.match(outcome.log, new RegExp(`Agent ${name} is left alone`));
    assert.match(outcome.log, new RegExp(`${name} \\(ACI [^)]*\\) is left alone`));
    const state = await world.state();
    const agent = state.agents.find((x) => x.name === name);
    assert.ok(agent?.enabled, 'the foreign agent is still registered and enabled');
    assert.ok(state.containerGroups.some((g) => g.name === name), 'the untagged container group is still there');
    assert.ok(!state.requests.some((q) => q.method === 'DELETE' && q.path.includes(`/${name}`)), 'nothing of that name was deleted');
    assert.ok(!state.requests.some((q) => q.method === 'PATCH' && q.path.endsWith(`/agents/${agent?.id}`)), 'nor disabled');
  });

  it('WaitForAgent that meets a foreign container of a waited-for name leaves it alone and ends SucceededWithIssues naming it', async () => {
    // The agent runs on Batch; the Wait of another job is pointed at the resource group, where someone
    // else's untagged container group has the agent's name.
    const run = world.run();
    const { request, wait } = await provision(world, run, { provider: 'batch', auth: 'secret', registration: 'azureServiceConnection' });
    assertSucceeded(request, 'request');
    assertSucceeded(wait as TaskOutcome, 'wait of the provision job');
    const name = request.variables['EphemeralAgents.Names']?.value ?? '';
    assert.match(name, /^[^,]+$/, 'one agent');
    await putForeignGroup(name, { team: 'someone-else' });

    const outcome = await run.job('wait-elsewhere').step('WaitForAgent', { ...providerInputs(world, aci).inputs, agentPool: world.seed.agentPool, agentNames: name, timeoutMinutes: '2' });
    assert.equal(outcome.result, 'SucceededWithIssues', `${outcome.message}\n${outcome.log}`);
    assert.match(outcome.message, new RegExp(`left alone, not this run's: ${name} \\(ACI`));
    assert.match(outcome.log, new RegExp(`${name} \\(ACI [^)]*\\) has a name this task waits for but is left alone`));
    const state = await world.state();
    assert.ok(state.containerGroups.some((g) => g.name === name), 'the foreign container group is still there');
    assertSucceeded(await release(world, run, { provider: 'batch', auth: 'secret', registration: 'azureServiceConnection' }), 'release');
    assert.ok((await world.state()).containerGroups.some((g) => g.name === name), 'release of the Batch agents leaves it alone too');
  });

  it('the ScaleAgentPool sweep of one pool leaves another pool\'s ended container alone; that pool\'s own sweep removes it', async () => {
    const run = world.run();
    // What a RequestEphemeralAgent of pool A left behind: our tags, pool A, an expiry in the past.
    const leftover = `eph-${run.buildId}-aaaaaa-0`;
    const tags = {
      creator: 'ephemeral-agents', organization: world.info.devops.replace(/\/+$/, '').toLowerCase(), project: world.seed.projectId,
      pool: world.seed.agentPool, runKind: 'build', run: String(run.buildId), agent: leftover, expiresAt: new Date(Date.now() - 60_000).toISOString(),
    };
    await putForeignGroup(leftover, tags);
    await until(world, (s) => s.containerGroups.some((g) => g.name === leftover && g.containers[0]?.state === 'Terminated'), `${leftover} to end`);

    const scale = (pool: string) => run.job(`scale-${pool}`).step('ScaleAgentPool', {
      provider: 'aci', azureSubscription: CONNECTION_IDS.secret, resourceGroup: world.seed.resourceGroup, agentPool: pool,
      image: world.seed.image, namePrefix: 'own', mode: 'fixed', desiredCount: '0', sweep: 'true',
    });
    const other = await scale(POOL_B);
    assert.ok(other.result === 'Succeeded' || other.result === 'SucceededWithIssues', `${other.message}\n${other.log}`);
    assert.ok((await world.state()).containerGroups.some((g) => g.name === leftover), `pool ${POOL_B}'s sweep left pool A's container alone`);

    const own = await scale(world.seed.agentPool);
    assert.ok(own.result === 'Succeeded' || own.result === 'SucceededWithIssues', `${own.message}\n${own.log}`);
    await until(world, (s) => !s.containerGroups.some((g) => g.name === leftover), `pool A's own sweep to remove ${leftover}`);
  });

  /** Registers an agent by hand, as a person or another tool would (no EPHEMERAL_* capabilities). */
  async function registerForeign(name: string): Promise<number> {
    const connection = new azdev.WebApi(world.info.devops, azdev.getPersonalAccessTokenHandler(world.seed.pat));
    const agentApi = await connection.getTaskAgentApi();
    const agent = await agentApi.addAgent({ name, version: '4.255.0', enabled: true, systemCapabilities: { 'Agent.OS': 'Linux' } }, world.seed.agentPoolId);
    return agent.id as number;
  }

  /** The foreign agent is registered as before: same id, enabled, none of our capabilities (not replaced). */
  async function assertUntouched(name: string, id: number, since: string): Promise<void> {
    const state = await world.state();
    const agent = state.agents.find((a) => a.name.toLowerCase() === name.toLowerCase());
    assert.equal(agent?.id, id, `${name} is still the same registration`);
    assert.ok(agent?.enabled, `${name} is still enabled`);
    assert.ok(!Object.keys(agent?.capabilities ?? {}).some((k) => k.toUpperCase().startsWith('EPHEMERAL_')), `${name} was not replaced by one of ours`);
    const touched = state.requests.filter((q) => q.time >= since && q.path.endsWith(`/agents/${id}`) && q.method !== 'GET');
    assert.deepEqual(touched.map((q) => q.method), [], `${name} was neither disabled nor deleted`);
    assert.ok(!state.containerGroups.some((g) => g.name.toLowerCase().startsWith(name.toLowerCase())), `no container was made for ${name}`);
  }

  it('RequestEphemeralAgent never takes over a foreign agent of a requested name: it fails naming namePrefix before anything is created', async () => {
    const run = world.run();
    const job = run.job('provision');
    // A first attempt of the job learns the names; released, then someone registers one of them by hand.
    const first = await job.step('RequestEphemeralAgent', { ...providerInputs(world, aci).inputs, agentPool: world.seed.agentPool, image: world.seed.image, count: '2' }, { name: 'eph' });
    assertSucceeded(first, 'first request');
    const names = (first.variables['EphemeralAgents.Names']?.value ?? '').split(',');
    assertSucceeded(await releaseIn(world, run, world.seed.agentPool), 'release');
    await until(world, (st) => !st.agents.some((a) => names.includes(a.name)) && !st.containerGroups.some((g) => names.includes(g.name)), 'the first attempt\'s agents to go');
    const since = new Date().toISOString();
    const id = await registerForeign(names[1]);

    const again = await job.step('RequestEphemeralAgent', { ...providerInputs(world, aci).inputs, agentPool: world.seed.agentPool, image: world.seed.image, count: '2' }, { name: 'eph' });
    assert.equal(again.result, 'Failed', again.log);
    assert.match(again.message, new RegExp(`agent ${names[1]}, which is not this run's.*input 'namePrefix'`));
    const state = await world.state();
    assert.ok(!state.requests.some((q) => q.time >= since && q.service === 'arm' && q.method === 'PUT'), 'nothing was created');
    await assertUntouched(names[1], id, since);
  });

  it('ScaleAgentPool leaves a foreign agent holding a slot name or the template name alone: the slot counts as taken (SucceededWithIssues)', async () => {
    const run = world.run();
    const since = new Date().toISOString();
    const slotId = await registerForeign('hold-0');
    const templateId = await registerForeign('tpl-holdq');
    // An untagged container group of a slot's name, ended: never deleted to make room.
    await putForeignGroup('hold-2', { team: 'someone-else' });
    const scale = (inputs: Record<string, string>) => run.job(`scale-${inputs.namePrefix}`).step('ScaleAgentPool', {
      provider: 'aci', azureSubscription: CONNECTION_IDS.secret, resourceGroup: world.seed.resourceGroup, agentPool: world.seed.agentPool,
      image: world.seed.image, sweep: 'true', ...inputs,
    });

    const fixed = await scale({ namePrefix: 'hold', mode: 'fixed', desiredCount: '3' });
    assert.equal(fixed.result, 'SucceededWithIssues', `${fixed.message}\n${fixed.log}`);
    assert.match(fixed.log, /Agent hold-0 in pool '[^']+' has a name of this scaler's but is not its .* left alone/);
    assert.match(fixed.log, /Agent hold-2 could not be created: its name is held by a container that is not this scaler's/);
    await until(world, (st) => st.agents.some((a) => a.name === 'hold-1' && a.status === 'online'), 'hold-1 to come online');
    const queue = await scale({ namePrefix: 'holdq', mode: 'queue', minAgents: '0', maxAgents: '2' });
    assert.equal(queue.result, 'SucceededWithIssues', `${queue.message}\n${queue.log}`);
    assert.match(queue.log, /Agent tpl-holdq in pool '[^']+' has a name of this scaler's but is not its/);

    const removed = await scale({ namePrefix: 'hold', mode: 'fixed', desiredCount: '0' });
    assert.ok(removed.result.startsWith('Succeeded'), `${removed.message}\n${removed.log}`);
    await until(world, (st) => !st.agents.some((a) => a.name === 'hold-1') && !st.containerGroups.some((g) => g.name.startsWith('hold-1')), 'hold-1 to be removed');
    await assertUntouched('hold-0', slotId, since);
    await assertUntouched('tpl-holdq', templateId, since);
    const after = await world.state();
    assert.ok(after.containerGroups.some((g) => g.name === 'hold-2'), 'the foreign container group is still there');
    const writes = after.requests.filter((q) => q.time >= since && q.service === 'arm' && q.method !== 'GET' && q.path.endsWith('/containerGroups/hold-2'));
    assert.deepEqual(writes.map((q) => q.method), ['PUT'], 'only the test\'s own PUT wrote hold-2');
  });

  it('a requested capability that would break the agent or hide its ownership is refused before anything is created', async () => {
    const run = world.run();
    for (const capabilities of ['VSO_AGENT_IGNORE=EPHEMERAL_AGENT', 'PATH=/x', 'EPHEMERAL_POOL=other']) {
      const { request } = await provision(world, run, { ...aci, requestInputs: { capabilities } }, run.job(`caps-${capabilities.split('=')[0]}`));
      assert.equal(request.result, 'Failed');
      assert.match(request.message, /Input 'capabilities' cannot set/);
    }
    const state = await world.state();
    assert.equal(state.requests.filter((q) => q.service === 'arm' && q.method === 'PUT' && q.path.includes(`eph-${run.buildId}-`)).length, 0);
  });

  it('Release with rights on the resource group only and no resourceGroup input finds the containers from the registrations; a refused listing names the input that fixes the rest', async () => {
    const run = world.run();
    const { request, wait } = await provisionIn(world, run, world.seed.agentPool);
    assertSucceeded(request, 'request');
    assertSucceeded(wait as TaskOutcome, 'wait');
    // The identity may not list container groups subscription-wide (403 AuthorizationFailed).
    await world.fault({ service: 'arm', method: 'GET', path: `subscriptions/${world.seed.subscriptionId}/providers/Microsoft.ContainerInstance/containerGroups`, status: 403, count: 20 });
    const inputs = { ...providerInputs(world, aci).inputs };
    delete inputs.resourceGroup;
    const released = await run.job('release').step('ReleaseEphemeralAgent', { ...inputs, agentPool: world.seed.agentPool });
    assert.equal(released.result, 'SucceededWithIssues', `${released.message}\n${released.log}`);
    assert.match(released.message, /input 'resourceGroup'/);
    assert.deepEqual(leftovers(await world.state(), run.buildId), [], 'every registration and the container it points to are gone');
  });
});
