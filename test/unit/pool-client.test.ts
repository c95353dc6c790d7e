import assert from 'node:assert/strict';
import type { NodeApiFactory } from '../../tasks/common/src/devops/node-api-connection';
import { NodeApiAgentPoolClient } from '../../tasks/common/src/devops/node-api-pool-client';
import { FakeClock } from './fakes/fake-clock';

type Api = Record<string, (...args: unknown[]) => Promise<unknown>>;

/** A stand-in for azure-devops-node-api's narrow modules whose TaskAgentApi methods are given per test. */
function nodeApi(api: Api) {
  const handlers: Array<{ kind: string; token: string }> = [];
  const module = {
    handler: (kind: string, token: string) => { const h = { kind, token }; handlers.push(h); return h; },
    taskAgentApi: () => api,
    taskApi: () => { throw new Error('not used'); },
  } as unknown as NodeApiFactory;
  return { module, handlers };
}

function client(api: Api, tokens: string[] = ['tok']) {
  const clock = new FakeClock();
  const { module, handlers } = nodeApi(api);
  let i = 0;
  const requests: string[] = [];
  const c = new NodeApiAgentPoolClient({
    collectionUri: 'https://dev.azure.com/contoso/', identity: 'the job access token', clock, nodeApi: module,
    tokenSource: async () => ({ token: tokens[Math.min(i++, tokens.length - 1)], kind: 'bearer' }),
    onRequest: (op) => requests.push(op),
  });
  return { c, clock, handlers, requests };
}

describe('Azure DevOps pool client', () => {
  it('retries 429 after Retry-After (node-api does not)', async () => {
    let calls = 0;
    const { c, clock, requests } = client({
      getAgentPools: async () => {
        if (++calls === 1) throw Object.assign(new Error('Too many requests'), { statusCode: 429, responseHeaders: { 'retry-after': '3' } });
        return [{ id: 10, name: 'Ephemeral' }];
      },
    });
    assert.deepEqual(await c.findPool('Ephemeral'), { id: 10, name: 'Ephemeral' });
    assert.deepEqual(clock.sleeps, [3000]);
    assert.equal(requests.length, 2);
  });

  it('slows down when a successful answer carries X-RateLimit-Delay', async () => {
    const { c, clock } = client({
      getAgents: async () => Object.assign([], { rateLimit: { delay: 1.5 } }),
    });
    await c.listAgents(10);
    await c.listAgents(10);
    assert.deepEqual(clock.sleeps, [1500]);
  });

  it('names the pool when it does not exist', async () => {
    const { c } = client({ getAgentPools: async () => [] });
    await assert.rejects(c.findPool('Nope'), /Agent pool 'Nope' was not found .* check input 'agentPool'/);
  });

  it('explains a 403 with the role the identity needs', async () => {
    const { c } = client({ getAgentPools: async () => { throw Object.assign(new Error('denied'), { statusCode: 403 }); } });
    await assert.rejects(c.findPool('Ephemeral'), /the job access token .*403.*Administrator role on the agent pool/);
  });

  it('lists agents in one request and filters by name', async () => {
    const seen: unknown[][] = [];
    const { c, requests } = client({
      getAgents: async (...args) => {
        seen.push(args);
        return [{ id: 1, name: 'a-0', status: 2, enabled: true }, { id: 2, name: 'a-1', status: 1, enabled: true }, { id: 3, name: 'x', status: 2 }];
      },
    });
    const agents = await c.listAgents(10, { names: ['a-0', 'a-1'] });
    assert.deepEqual(agents.map((a) => [a.name, a.online]), [['a-0', true], ['a-1', false]]);
    assert.equal(requests.length, 1);
    assert.equal(seen[0][1], undefined, 'no server-side name filter for several names');
  });

  /** node-api's REST path for jobrequests: records each query, answers `pages` in turn with their continuation header. */
  function jobRequestsApi(pages: Array<{ ids: number[]; next?: string }>, queries: Array<Record<string, unknown>>): Api {
    return {
      vsoClient: { getVersioningData: async (_v: unknown, _a: unknown, _l: unknown, _r: unknown, query: Record<string, unknown>) => {
        queries.push(query);
        return { requestUrl: 'https://dev.azure.com/contoso/_apis/distributedtask/pools/10/jobrequests', apiVersion: '7.2-preview.1' };
      } },
      createRequestOptions: () => ({}),
      rest: { get: async () => {
        const page = pages.length > 1 ? pages.shift()! : pages[0];
        return { result: { value: page.ids.map((requestId) => ({ requestId })) }, headers: page.next ? { 'x-ms-continuationtoken': page.next } : {} };
      } },
    } as unknown as Api;
  }

  it('follows the x-ms-continuationtoken header of job requests past 200 ($top and continuationToken, as node-api sends them)', async () => {
    const queries: Array<Record<string, unknown>> = [];
    const { c } = client(jobRequestsApi([{ ids: [...Array(200).keys()], next: '200' }, { ids: [200] }], queries));
    const requests = await c.listJobRequests(10);
    assert.equal(requests.length, 201);
    assert.deepEqual(queries, [{ $top: 200, continuationToken: undefined }, { $top: 200, continuationToken: '200' }]);
  });

  it('stops paging when a service repeats its continuation token, and after 10 pages at most', async () => {
    const repeating: Array<Record<string, unknown>> = [];
    await client(jobRequestsApi([{ ids: [1, 2], next: 'same' }], repeating)).c.listJobRequests(10);
    assert.equal(repeating.length, 2, 'the first page, then one with the token, which came back unchanged');
    const endless: Array<Record<string, unknown>> = [];
    let n = 0;
    const api = jobRequestsApi([{ ids: [1] }], endless);
    (api.rest as unknown as { get: () => Promise<unknown> }).get = async () => ({ result: { value: [{ requestId: n }] }, headers: { 'x-ms-continuationtoken': String(++n) } });
    await client(api).c.listJobRequests(10);
    assert.equal(endless.length, 10);
  });

  it('lists open requests with completedRequestCount=0 alone, in one request; a paged answer makes the count a lower bound', async () => {
    const queries: Array<Record<string, unknown>> = [];
    const open = await client(jobRequestsApi([{ ids: [1, 2, 3] }], queries)).c.listOpenJobRequests(10);
    assert.deepEqual(queries, [{ completedRequestCount: 0 }]);
    assert.deepEqual({ n: open.requests.length, lowerBound: open.lowerBound, pages: open.pages }, { n: 3, lowerBound: false, pages: 1 });

    const ignoring: Array<Record<string, unknown>> = [];
    const paged = await client(jobRequestsApi([{ ids: [...Array(200).keys()], next: '200' }], ignoring)).c.listOpenJobRequests(10);
    assert.equal(ignoring.length, 1, 'a service that ignores the parameter costs one page');
    assert.equal(paged.lowerBound, true);
  });

  it('puts a renewed Entra token on the same handler', async () => {
    const { c, handlers } = client({ getAgents: async () => [] }, ['t1', 't2']);
    await c.listAgents(10);
    await c.listAgents(10);
    assert.equal(handlers.length, 1);
    assert.equal(handlers[0].token, 't2');
  });

  it('treats deleting an agent that is gone as done', async () => {
    const { c } = client({ deleteAgent: async () => { throw Object.assign(new Error('gone'), { statusCode: 404 }); } });
    assert.equal(await c.deleteAgent(10, 1), false);
  });
});
