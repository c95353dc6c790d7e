// e2e: the bundled tasks run the DESIGN.md pipeline against the emulator, as the pipeline agent runs
// them: Container Instances and Batch, every AzureRM auth scheme, every registration mode, retried
// jobs, repeated and partial releases, classic release pipelines and the agent's proxy. Independent
// runs (distinct run ids) start together in `before` and each test checks its own.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { allOutcomes, type FlowResult, type FlowSpec, fullFlow, provision, release, seedSecrets } from './flows';
import { assertNoSecretIn, assertSucceeded, leftovers, sleep, World } from './harness';

/** A CONNECT proxy on 127.0.0.1 that counts the tunnels it opens, by target. */
async function startConnectProxy(): Promise<{ url: string; tunnels: Map<string, number>; close(): Promise<void> }> {
  const tunnels = new Map<string, number>();
  const sockets = new Set<net.Socket>();
  const server = http.createServer((_req, res) => res.writeHead(405).end());
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const [host, port] = (req.url ?? '').split(':');
    tunnels.set(`${host}:${port}`, (tunnels.get(`${host}:${port}`) ?? 0) + 1);
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => { client.destroy(); upstream.destroy(); });
      s.on('close', () => sockets.delete(s));
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    tunnels,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function portOf(url: string): string {
  return new URL(url).port;
}

function checkFlow(world: World, result: FlowResult, spec: FlowSpec): void {
  const what = `${spec.provider}/${spec.auth}/${spec.registration}`;
  const count = spec.count ?? 1;
  // A classic release's run value cannot equal a build id (ownership.ts): release-<Release.DeploymentId>.
  const runId = spec.release ? `release-${result.run.buildId}` : String(result.run.buildId);
  assertSucceeded(result.request, `${what} RequestEphemeralAgent`);
  if (spec.provider === 'batch' && spec.registration !== 'azureServiceConnection') {
    // allowReadableTokenOnBatch: the warning says who can read the token and for how long.
    assert.ok(result.request.issues.some((i) => i.type === 'warning' && /read access to the Batch account/.test(i.message) && /as long as the task record exists/.test(i.message)),
      `${what}: the readable-token warning`);
  }
  const names = result.request.variables.agentNames?.value.split(',') ?? [];
  assert.equal(names.length, count, `${what}: agentNames`);
  assert.ok(result.request.variables.agentNames.isOutput);
  assert.deepEqual(result.request.variables.demand, { value: `EPHEMERAL_RUN -equals ${runId}`, isOutput: true, isSecret: false });
  assert.equal(result.request.variables.resourceIds?.value.split(',').length, count, `${what}: resourceIds`);
  assert.equal(result.request.variables['EphemeralAgents.Names']?.value, names.join(','));
  assert.equal(result.request.variables['EphemeralAgents.Names']?.isOutput, false);
  for (const name of names) assert.match(name, new RegExp(`^eph-${runId}-[0-9a-f]{6}-\\d+$`));
  assert.ok(names.every((n) => result.request.summaries.join('\n').includes(n)), `${what}: the request summary lists every agent`);

  assert.ok(result.wait, `${what}: WaitForAgent ran`);
  assertSucceeded(result.wait, `${what} WaitForAgent`);
  const online = result.afterWait?.agents.filter((a) => names.includes(a.name)) ?? [];
  assert.deepEqual(online.map((a) => `${a.name} ${a.status} ${a.enabled}`).sort(), names.map((n) => `${n} online true`).sort(), `${what}: agents online after the wait`);
  const summary = result.wait.summaries.join('\n');
  for (const name of names) assert.match(summary, new RegExp(`\\| ${name} \\|[^\\n]*\\| \\d+(\\.\\d)? m?s \\| online \\|`), `${what}: time to online of ${name}\n${summary}`);

  assert.equal(result.jobs?.length, count);
  assert.ok(result.jobs?.every((j) => j.result === 'succeeded'), JSON.stringify(result.jobs));
  assert.deepEqual(result.jobs?.map((j) => j.agentName).sort(), [...names].sort(), `${what}: one job on each agent`);

  for (const r of result.releases) assertSucceeded(r, `${what} ReleaseEphemeralAgent`);
  assert.deepEqual(leftovers(result.afterRelease as never, runId), [], `${what}: nothing left after the release`);
  for (const outcome of allOutcomes(result)) assertNoSecretIn(outcome, seedSecrets(world), what);
}

describe('e2e: the bundled tasks run the pipeline against the emulator', function () {
  this.timeout(120_000);
  let world: World;
  let proxy: Awaited<ReturnType<typeof startConnectProxy>>;
  const flows = new Map<string, { spec: FlowSpec; result: Promise<FlowResult> }>();
  const scenarios = new Map<string, Promise<unknown>>();

  const specs: Record<string, FlowSpec> = {
    aciSecretEntra: { provider: 'aci', auth: 'secret', registration: 'azureServiceConnection', count: 2 },
    aciCertificateJobToken: { provider: 'aci', auth: 'certificate', registration: 'systemAccessToken' },
    aciWorkloadIdentityPat: { provider: 'aci', auth: 'workloadIdentity', registration: 'pat' },
    batchSharedKeyEntra: { provider: 'batch', auth: 'workloadIdentity', registration: 'azureServiceConnection', batchAuth: 'sharedKey' },
    batchEntraPat: { provider: 'batch', auth: 'secret', registration: 'pat', batchAuth: 'azureServiceConnection', count: 2 },
    classicRelease: { provider: 'aci', auth: 'secret', registration: 'azureServiceConnection', release: true },
    // The agent's --sslcacert alone (no NODE_EXTRA_CA_CERTS): Entra, ARM, Batch and Azure DevOps trust it.
    aciAgentCaInfo: { provider: 'aci', auth: 'workloadIdentity', registration: 'azureServiceConnection', trust: 'agentCaInfo' },
    batchAgentCaInfo: { provider: 'batch', auth: 'secret', registration: 'systemAccessToken', batchAuth: 'azureServiceConnection', trust: 'agentCaInfo' },
  };

  before(async () => {
    world = await World.start();
    proxy = await startConnectProxy();
    for (const [name, spec] of Object.entries(specs)) flows.set(name, { spec, result: fullFlow(world, spec) });
    const proxied: FlowSpec = { provider: 'aci', auth: 'workloadIdentity', registration: 'azureServiceConnection', variables: { 'Agent.ProxyUrl': proxy.url } };
    flows.set('proxy', { spec: proxied, result: fullFlow(world, proxied) });
    const proxiedWithAgentCa: FlowSpec = { provider: 'batch', auth: 'certificate', registration: 'azureServiceConnection', batchAuth: 'azureServiceConnection', trust: 'agentCaInfo', variables: { 'Agent.ProxyUrl': proxy.url } };
    flows.set('proxyAgentCa', { spec: proxiedWithAgentCa, result: fullFlow(world, proxiedWithAgentCa) });
    scenarios.set('retry', retriedJob());
    scenarios.set('releases', busyAndRepeatedRelease());
    // Avoid unhandled rejections before the tests await them.
    for (const p of [...[...flows.values()].map((f) => f.result), ...scenarios.values()]) p.catch(() => undefined);
  });

  after(async () => {
    await proxy?.close();
    await world?.stop();
  });

  /** A retried job (same System.JobId, attempt 2) replaces its container and registration. */
  async function retriedJob() {
    const spec: FlowSpec = { provider: 'aci', auth: 'secret', registration: 'azureServiceConnection' };
    const run = world.run();
    const first = run.job('provision');
    const attempt1 = await provision(world, run, spec, first);
    const before = await world.state();
    const attempt2 = await provision(world, run, spec, first.retry());
    const retried = await world.state();
    const jobs = await world.runJobs(run.buildId, 1);
    const released = await release(world, run, spec);
    return { run, attempt1, attempt2, before, retried, jobs, released, after: await world.state() };
  }

  /** Release while one agent runs a job (left and reported), then again (the rest), then once more (nothing). */
  async function busyAndRepeatedRelease() {
    const spec: FlowSpec = { provider: 'batch', auth: 'certificate', registration: 'systemAccessToken', batchAuth: 'sharedKey', count: 2 };
    const run = world.run();
    const provisioned = await provision(world, run, spec);
    // The job outlasts the first release even on a loaded machine; the waits are on conditions, not poll counts.
    const { requestId } = await world.control<{ requestId: number }>('POST', 'jobs', { pool: world.seed.agentPool, demands: [`EPHEMERAL_RUN -equals ${run.buildId}`], durationMs: 20_000 });
    let busyAgent: string | null = null;
    for (const deadline = Date.now() + 60_000; !busyAgent && Date.now() < deadline;) {
      busyAgent = (await world.state()).jobRequests.find((r) => r.requestId === requestId)?.agentName ?? null;
      if (!busyAgent) await sleep(100);
    }
    const first = await release(world, run, spec);
    const afterFirst = await world.state();
    for (const deadline = Date.now() + 90_000; Date.now() < deadline;) {
      if ((await world.state()).jobRequests.find((r) => r.requestId === requestId)?.result) break;
      await sleep(200);
    }
    const second = await release(world, run, spec);
    const third = await release(world, run, spec);
    return { run, provisioned, busyAgent, first, afterFirst, second, third, after: await world.state() };
  }

  for (const name of Object.keys(specs)) {
    const spec = specs[name];
    it(`${name}: ${spec.provider}, ${spec.auth} connection, ${spec.registration} registration${spec.release ? ', classic release' : ''}: agents online, one job each, nothing left, no secret shown`, async () => {
      const flow = flows.get(name);
      assert.ok(flow);
      checkFlow(world, await flow.result, flow.spec);
    });
  }

  it('classic release pipelines bind the agents to release-<Release.DeploymentId>', async () => {
    const result = await (flows.get('classicRelease') as { result: Promise<FlowResult> }).result;
    assert.equal(result.run.variables()['Build.BuildId'], undefined);
    assert.match(result.request.variables.agentNames.value, new RegExp(`^eph-release-${result.run.buildId}-`));
    const agent = result.afterWait?.agents.find((a) => a.name === result.request.variables.agentNames.value);
    assert.equal(agent?.capabilities.EPHEMERAL_RUN, `release-${result.run.buildId}`);
    assert.equal(agent?.capabilities.EPHEMERAL_RUN_KIND, 'release');
  });

  it('all traffic of the tasks goes through the agent proxy (Agent.ProxyUrl)', async () => {
    const flow = flows.get('proxy') as { spec: FlowSpec; result: Promise<FlowResult> };
    const result = await flow.result;
    checkFlow(world, result, flow.spec);
    const info = world.info;
    const through = (url: string) => [...proxy.tunnels].filter(([target]) => target.endsWith(`:${portOf(url)}`)).reduce((n, [, c]) => n + c, 0);
    assert.ok(through(info.entra) > 0, `Entra through the proxy: ${JSON.stringify([...proxy.tunnels])}`);
    assert.ok(through(info.arm) > 0, `ARM through the proxy: ${JSON.stringify([...proxy.tunnels])}`);
    assert.ok(through(info.devops) > 0, `Azure DevOps through the proxy: ${JSON.stringify([...proxy.tunnels])}`);
  });

  it('through the agent proxy with only the agent CA (Agent.CAInfo) trusted, Batch and the rest still work', async () => {
    const flow = flows.get('proxyAgentCa') as { spec: FlowSpec; result: Promise<FlowResult> };
    const result = await flow.result;
    checkFlow(world, result, flow.spec);
    assert.equal(result.run.env.NODE_EXTRA_CA_CERTS, undefined);
    const info = world.info;
    const through = (url: string) => [...proxy.tunnels].filter(([target]) => target.endsWith(`:${portOf(url)}`)).reduce((n, [, c]) => n + c, 0);
    assert.ok(through(info.batch) > 0, `Batch through the proxy: ${JSON.stringify([...proxy.tunnels])}`);
  });

  it('a retried job (attempt 2, same System.JobId) replaces its container and registration without duplicates', async () => {
    const r = (await scenarios.get('retry')) as Awaited<ReturnType<typeof retriedJob>>;
    assertSucceeded(r.attempt1.request, 'attempt 1');
    assertSucceeded(r.attempt2.request, 'attempt 2');
    assert.ok(r.attempt2.wait);
    assertSucceeded(r.attempt2.wait, 'attempt 2 WaitForAgent');
    const name = r.attempt1.request.variables.agentNames.value;
    assert.equal(r.attempt2.request.variables.agentNames.value, name, 'the same agent name on every attempt');
    assert.match(r.attempt2.request.log, /earlier attempt/);
    const runId = String(r.run.buildId);
    assert.equal(r.retried.containerGroups.filter((g) => g.tags.run === runId).length, 1);
    assert.equal(r.retried.agents.filter((a) => a.name === name).length, 1);
    const before = r.before.agents.find((a) => a.name === name);
    const after = r.retried.agents.find((a) => a.name === name);
    assert.ok(before && after && after.status === 'online');
    assert.equal(r.jobs[0].agentName, name);
    assertSucceeded(r.released, 'release');
    assert.deepEqual(leftovers(r.after, runId), []);
  });

  it('release leaves an agent that runs a job (and says so), is safe to run again, and then finds nothing', async () => {
    const r = (await scenarios.get('releases')) as Awaited<ReturnType<typeof busyAndRepeatedRelease>>;
    assert.ok(r.provisioned.wait);
    assertSucceeded(r.provisioned.wait, 'WaitForAgent');
    assert.ok(r.busyAgent, 'a job was assigned');
    assert.equal(r.first.result, 'SucceededWithIssues', r.first.log);
    assert.ok(r.first.issues.some((i) => i.type === 'warning' && i.message.includes(r.busyAgent as string) && /running a job/.test(i.message)), JSON.stringify(r.first.issues));
    const runId = String(r.run.buildId);
    assert.deepEqual(leftovers(r.afterFirst, runId).sort(), [`Batch task ${r.busyAgent}`, `agent ${r.busyAgent}`].sort());
    assertSucceeded(r.second, 'second release');
    assert.match(r.second.message, /^1 agent\(s\) released/);
    assertSucceeded(r.third, 'third release');
    assert.match(r.third.message, /^0 agent\(s\) released/);
    assert.deepEqual(leftovers(r.after, runId), []);
  });

  it('no job saw a registration secret', async () => {
    await Promise.allSettled([...[...flows.values()].map((f) => f.result), ...scenarios.values()]);
    assert.deepEqual((await world.state()).secretsSeen, []);
  });
});
