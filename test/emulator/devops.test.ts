// The emulated Azure DevOps organization driven by azure-devops-node-api, as the tasks drive it:
// discovery, pools, agents, job requests (200 per page), resource usage, the job's OIDC token,
// authentication and the rate limit; and the queue-time rule for queued jobs.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { ClientAssertionCredential, ClientSecretCredential } from '@azure/identity';
import { WebApi, getBasicHandler, getBearerHandler, getPersonalAccessTokenHandler } from 'azure-devops-node-api';
import type { ITaskAgentApi } from 'azure-devops-node-api/TaskAgentApi';
import { TaskAgentStatus, TaskResult, type TaskAgent } from 'azure-devops-node-api/interfaces/TaskAgentInterfaces';
import { stateDocument } from '../../emulator/src/control';
import { queueJob } from '../../emulator/src/devops/queue';
import { startTestEmulator, type TestEmulator } from './core-harness';

const DEVOPS_SCOPE = '499b84ac-1321-427f-aa17-267ca6975798/.default';

function publicKey(): { exponent: string; modulus: string } {
  const jwk = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' });
  return { exponent: Buffer.from(jwk.e!, 'base64url').toString('base64'), modulus: Buffer.from(jwk.n!, 'base64url').toString('base64') };
}

describe('emulator: Azure DevOps (azure-devops-node-api)', () => {
  let emu: TestEmulator;
  let agentApi: ITaskAgentApi;
  let poolId: number;

  const identityOptions = () => ({ authorityHost: emu.urls.entra, disableInstanceDiscovery: true });

  function connect(handler = getPersonalAccessTokenHandler(emu.seed.pat)): WebApi {
    return new WebApi(emu.urls.devops, handler);
  }

  function agentBody(name: string, capabilities: Record<string, string> = {}): TaskAgent {
    return {
      name,
      version: '4.260.0',
      enabled: true,
      systemCapabilities: { 'Agent.Name': name, ...capabilities },
      authorization: { publicKey: publicKey() as never },
    } as TaskAgent;
  }

  before(async () => {
    emu = await startTestEmulator();
    poolId = emu.seed.agentPoolId;
  });
  after(async () => emu?.stop());
  beforeEach(async () => {
    await emu.reset();
    emu.ctx.options.devopsRateLimit = 0;
    agentApi = await connect().getTaskAgentApi();
  });

  it('finds pools by name (an unknown name is an empty list) and by id (a missing one is null)', async () => {
    const pools = await agentApi.getAgentPools(emu.seed.agentPool.toUpperCase());
    assert.equal(pools.length, 1);
    assert.equal(pools[0].id, poolId);
    assert.equal(pools[0].isHosted, false);
    assert.deepEqual(await agentApi.getAgentPools('no-such-pool'), []);
    assert.equal((await agentApi.getAgentPool(poolId)).name, emu.seed.agentPool);
    assert.equal(await agentApi.getAgentPool(9999), null);
  });

  it('adds, lists, updates, replaces and deletes agents', async () => {
    const added = await agentApi.addAgent(agentBody('agent-a', { EPHEMERAL_RUN: '7' }), poolId);
    assert.ok(added.id);
    assert.match(added.authorization!.clientId!, /^[0-9a-f-]{36}$/);
    assert.match(added.authorization!.authorizationUrl!, /^https:\/\/127\.0\.0\.1:\d+\/.+\/_apis\/oauth2\/token$/);
    await assert.rejects(agentApi.addAgent(agentBody('AGENT-A'), poolId), (err: { statusCode: number }) => err.statusCode === 409);

    const listed = await agentApi.getAgents(poolId, 'agent-a', true);
    assert.equal(listed.length, 1);
    assert.equal(listed[0].status, TaskAgentStatus.Offline);
    assert.equal(listed[0].systemCapabilities!.EPHEMERAL_RUN, '7');
    assert.ok(listed[0].createdOn instanceof Date);
    assert.equal((await agentApi.getAgents(poolId, 'agent-a'))[0].systemCapabilities, undefined);
    assert.deepEqual(await agentApi.getAgents(poolId, 'nobody'), []);
    assert.equal((await agentApi.getAgents(poolId, undefined, false, false, false, undefined, ['EPHEMERAL_RUN -equals 7'])).length, 1);
    assert.equal((await agentApi.getAgents(poolId, undefined, false, false, false, undefined, ['EPHEMERAL_RUN -equals 8'])).length, 0);

    const disabled = await agentApi.updateAgent({ id: added.id, enabled: false } as TaskAgent, poolId, added.id);
    assert.equal(disabled.enabled, false);
    assert.equal((await agentApi.getAgent(poolId, added.id)).enabled, false);

    const replaced = await agentApi.replaceAgent(agentBody('agent-a'), poolId, added.id);
    assert.equal(replaced.id, added.id);
    assert.notEqual(replaced.authorization!.clientId, added.authorization!.clientId, 'replace rotates the key');

    await agentApi.deleteAgent(poolId, added.id);
    assert.equal(await agentApi.getAgent(poolId, added.id), null);
  });

  it('answers 401 to a wrong PAT, a foreign token and no credentials; accepts the job token and Entra tokens', async () => {
    const wrong = await connect(getPersonalAccessTokenHandler('x'.repeat(52))).getTaskAgentApi();
    await assert.rejects(wrong.getAgentPools(), (err: { statusCode: number }) => err.statusCode === 401);
    const anonymous = await fetch(`${emu.urls.devops}_apis/distributedtask/pools`);
    assert.equal(anonymous.status, 401);
    assert.equal(((await anonymous.json()) as { typeKey: string }).typeKey, 'UnauthorizedRequestException');

    const job = await connect(getBearerHandler(emu.seed.systemAccessToken)).getTaskAgentApi();
    assert.equal((await job.getAgentPools(emu.seed.agentPool)).length, 1);
    const basic = await connect(getBasicHandler('anyone', emu.seed.pat)).getTaskAgentApi();
    assert.equal((await basic.getAgentPools(emu.seed.agentPool)).length, 1);

    const credential = new ClientSecretCredential(emu.seed.tenantId, emu.seed.clientId, emu.seed.clientSecret, identityOptions());
    const devopsToken = (await credential.getToken(DEVOPS_SCOPE)).token;
    const entra = await connect(getBearerHandler(devopsToken)).getTaskAgentApi();
    assert.equal((await entra.getAgentPools(emu.seed.agentPool)).length, 1);
    const armToken = (await credential.getToken('https://management.azure.com/.default')).token;
    const foreign = await connect(getBearerHandler(armToken)).getTaskAgentApi();
    await assert.rejects(foreign.getAgentPools(), (err: { statusCode: number }) => err.statusCode === 401);
  });

  it('throttles over the rate limit with 429, Retry-After and X-RateLimit-* headers', async () => {
    emu.ctx.options.devopsRateLimit = 2;
    emu.ctx.options.devopsRateWindowMs = 60_000;
    await agentApi.getAgentPools();
    await agentApi.getAgentPools();
    await assert.rejects(agentApi.getAgentPools(), (err: { statusCode: number; responseHeaders: Record<string, string> }) => {
      assert.equal(err.statusCode, 429);
      assert.ok(Number(err.responseHeaders['retry-after']) >= 1);
      assert.equal(err.responseHeaders['x-ratelimit-resource'], 'Core');
      assert.equal(err.responseHeaders['x-ratelimit-limit'], '2');
      assert.equal(err.responseHeaders['x-ratelimit-remaining'], '0');
      assert.ok(Number(err.responseHeaders['x-ratelimit-reset']) > Date.now() / 1000);
      assert.ok(Number(err.responseHeaders['x-ratelimit-delay']) > 0);
      return true;
    });
  });

  it('fails a job at queue time when no registration matches; a disabled or offline match makes it wait', async () => {
    const failed = queueJob(emu.ctx, { pool: emu.seed.agentPool, demands: ['EPHEMERAL_RUN -equals 1'] });
    assert.equal(failed.result, 'failed');
    assert.equal(failed.message, `No agent found in pool ${emu.seed.agentPool} which satisfies the specified demands`);
    const failedRequest = await agentApi.getAgentRequest(poolId, failed.requestId);
    assert.equal(failedRequest.result, TaskResult.Failed);
    assert.ok(failedRequest.finishTime instanceof Date);

    const agent = await agentApi.addAgent(agentBody('template', { EPHEMERAL_RUN: '1' }), poolId);
    await agentApi.updateAgent({ id: agent.id, enabled: false } as TaskAgent, poolId, agent.id!);
    const waiting = queueJob(emu.ctx, { pool: emu.seed.agentPool, demands: ['ephemeral_run -EQUALS 1'] });
    assert.equal(waiting.result, undefined);
    const request = await agentApi.getAgentRequest(poolId, waiting.requestId);
    assert.equal(request.result, undefined);
    assert.equal(request.finishTime, undefined);
    assert.equal(request.assignTime, undefined);
    assert.deepEqual(request.demands, ['ephemeral_run -EQUALS 1']);
    // A demand that only names a capability needs it to exist.
    assert.equal(queueJob(emu.ctx, { pool: emu.seed.agentPool, demands: ['EPHEMERAL_RUN'] }).result, undefined);
    assert.equal(queueJob(emu.ctx, { pool: emu.seed.agentPool, demands: ['docker'] }).result, 'failed');
  });

  it('gives a job back to the queue when its agent closes its session before taking it', async () => {
    const agent = await agentApi.addAgent(agentBody('once-agent', { EPHEMERAL_RUN: '7' }), poolId);
    const session = await agentApi.createAgentSession({ agent: { id: agent.id, name: agent.name }, ownerName: 'test' } as never, poolId);
    const queued = queueJob(emu.ctx, { pool: emu.seed.agentPool, demands: ['EPHEMERAL_RUN -equals 7'] });
    assert.ok((await agentApi.getAgentRequest(poolId, queued.requestId)).assignTime, 'assigned to the online agent');
    // A --once agent that just finished its job stops listening instead of taking this one.
    await agentApi.deleteAgentSession(poolId, session.sessionId!);
    const request = await agentApi.getAgentRequest(poolId, queued.requestId);
    assert.equal(request.assignTime, undefined);
    assert.equal(request.result, undefined);
    assert.equal(request.reservedAgent, undefined);
  });

  it('tells apart the registrations that carried one name (--replace) in the jobs they took', async () => {
    const first = await agentApi.addAgent(agentBody('slot-0', { EPHEMERAL_RUN: '8' }), poolId);
    await agentApi.createAgentSession({ agent: { id: first.id, name: first.name }, ownerName: 'test' } as never, poolId);
    const one = queueJob(emu.ctx, { pool: emu.seed.agentPool, demands: ['EPHEMERAL_RUN -equals 8'] });
    await agentApi.updateAgentRequest({ requestId: one.requestId, result: TaskResult.Succeeded } as never, poolId, one.requestId, '');
    // The slot's next agent takes over the name and id; the request it is given is the next one.
    const next = await agentApi.replaceAgent({ ...agentBody('slot-0', { EPHEMERAL_RUN: '8' }), id: first.id }, poolId, first.id!);
    assert.equal(next.id, first.id);
    await agentApi.createAgentSession({ agent: { id: next.id, name: next.name }, ownerName: 'test' } as never, poolId);
    const two = queueJob(emu.ctx, { pool: emu.seed.agentPool, demands: ['EPHEMERAL_RUN -equals 8'] });
    const requests = (stateDocument(emu.ctx).jobRequests as Array<{ requestId: number; agentName: string | null; agentRegistration: string | null }>)
      .filter((r) => r.requestId === one.requestId || r.requestId === two.requestId);
    assert.deepEqual(requests.map((r) => r.agentName), ['slot-0', 'slot-0']);
    assert.ok(requests.every((r) => r.agentRegistration), JSON.stringify(requests));
    assert.notEqual(requests[0].agentRegistration, requests[1].agentRegistration);
  });

  it('pages $top/continuationToken 200 at a time with x-ms-continuationtoken; answers completedRequestCount=0 unpaged', async () => {
    await agentApi.addAgent(agentBody('template', { EPHEMERAL_RUN: 'q' }), poolId);
    for (let i = 0; i < 205; i++) queueJob(emu.ctx, { pool: emu.seed.agentPool, demands: ['EPHEMERAL_RUN -equals q'] });
    queueJob(emu.ctx, { pool: emu.seed.agentPool, demands: ['EPHEMERAL_RUN -equals none'] }); // finished at once

    const rest = connect().rest;
    const route = `${emu.urls.devops}_apis/distributedtask/pools/${poolId}/jobrequests`;
    type Page = { count: number; value: { requestId: number; result?: string }[] };
    const first = await rest.get<Page>(`${route}?$top=200`);
    assert.equal(first.result!.count, 200);
    const token = (first.headers as Record<string, string>)['x-ms-continuationtoken'];
    assert.ok(token);
    const second = await rest.get<Page>(`${route}?$top=200&continuationToken=${encodeURIComponent(token)}`);
    assert.equal(second.result!.count, 6, 'the finished request too');
    assert.equal((second.headers as Record<string, string>)['x-ms-continuationtoken'], undefined);
    const ids = new Set([...first.result!.value, ...second.result!.value].map((r) => r.requestId));
    assert.equal(ids.size, 206, 'pages do not overlap');

    // The unfinished requests in one answer, whatever $top or continuationToken come with it.
    for (const query of ['completedRequestCount=0', `completedRequestCount=0&$top=200&continuationToken=${encodeURIComponent(token)}`]) {
      const open = await rest.get<Page>(`${route}?${query}`);
      assert.equal(open.result!.count, 205, query);
      assert.equal((open.headers as Record<string, string>)['x-ms-continuationtoken'], undefined, query);
    }

    const all = await agentApi.getAgentRequests(poolId, 1000);
    assert.equal(all.length, 200, 'never more than 200 per response');
  });

  it('reports self-hosted parallel jobs and their use (resourceusage)', async () => {
    const usage = await agentApi.getResourceUsage('Private', false, true);
    assert.equal(usage.resourceLimit!.parallelismTag, 'Private');
    assert.equal(usage.resourceLimit!.isHosted, false);
    assert.equal(usage.resourceLimit!.totalCount, 10);
    assert.equal(usage.usedCount, 0);
    assert.deepEqual(usage.runningRequests, []);
  });

  it('issues the job OIDC token that Entra accepts as a federated assertion', async () => {
    const taskApi = await connect(getBearerHandler(emu.seed.systemAccessToken)).getTaskApi();
    const { oidcToken } = await taskApi.createOidcToken({}, emu.seed.projectId, 'build', '7c9e6679-7425-40de-944b-e07fc1f90ae7', '12345678-1234-1234-1234-123456789012', 'b3c6f0a4-6d2c-4d8c-9e35-3a3f1d2b9c10');
    assert.ok(oidcToken && oidcToken.split('.').length === 3);
    const credential = new ClientAssertionCredential(emu.seed.tenantId, emu.seed.clientId, async () => oidcToken!, identityOptions());
    const token = await credential.getToken('https://management.azure.com/.default');
    assert.ok(token.token);
  });
});
