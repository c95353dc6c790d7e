// AgentPoolClient over azure-devops-node-api (loaded on first use). node-api does not retry 429, so
// every call goes through withRetry (429 + Retry-After / X-RateLimit-Delay, 5xx, resets) and honours
// the X-RateLimit-Delay Azure DevOps sends on successful answers before the next call.
import type { ITaskAgentApiBase } from 'azure-devops-node-api/TaskAgentApiBase';
import type { TaskAgent, TaskAgentJobRequest } from 'azure-devops-node-api/interfaces/TaskAgentInterfaces';
import { type Clock, systemClock } from '../clock';
import { CloudError, describeError, httpStatusOf, isCancellation, TaskError } from '../errors';
import { isTransient, withRetry } from '../retry';
import type { NodeApiCertificates } from '../agent-tls';
import type { ProxyConfig } from '../task-io';
import type { AgentPoolClient, JobRequest, ListAgentsOptions, OpenJobRequests, PoolAgent, PoolRef, ResourceUsage } from './agent-pool-client';
import { type NodeApiFactory, nodeApiFactory, nodeApiOptions, type TokenHandler } from './node-api-connection';
import type { DevOpsToken, DevOpsTokenSource } from './token-source';

type ITaskAgentApi = ITaskAgentApiBase;

export interface NodeApiPoolClientOptions {
  collectionUri: string;
  tokenSource: DevOpsTokenSource;
  /** Who authenticates, for error messages (e.g. "the job access token"). */
  identity: string;
  proxy?: ProxyConfig;
  /** The agent's CA and client certificate files (Agent.CAInfo...). */
  certificates?: NodeApiCertificates;
  clock?: Clock;
  signal?: AbortSignal;
  /** Epoch ms after which retries stop. */
  deadline?: () => number | undefined;
  /** Called once per REST call (for request budgets and metrics). */
  onRequest?: (operation: string) => void;
  debug?: (message: string) => void;
  /** Injected clients for tests; azure-devops-node-api's narrow modules, loaded lazily, otherwise. */
  nodeApi?: NodeApiFactory;
}

const ONLINE = 2; // TaskAgentStatus.Online
/** Location id of distributedtask jobrequests; the server pages them 200 at a time. */
const JOB_REQUESTS_LOCATION = 'fc825784-c92a-4299-9221-998a02d1b54f';
const JOB_REQUESTS_PAGE = 200;
/** At most this many pages of all job requests (2000 requests) are read. */
export const MAX_JOB_REQUEST_PAGES = 10;
const CONTINUATION_HEADER = 'x-ms-continuationtoken';

function toDate(value: unknown): Date | undefined {
  if (value instanceof Date) return value;
  if (typeof value === 'string' && value) return new Date(value);
  return undefined;
}

export function toPoolAgent(agent: TaskAgent): PoolAgent {
  const status = agent.status as unknown;
  const assigned = agent.assignedRequest;
  return {
    id: agent.id ?? 0,
    name: agent.name ?? '',
    enabled: agent.enabled !== false,
    online: status === ONLINE || (typeof status === 'string' && status.toLowerCase() === 'online'),
    capabilities: { ...(agent.systemCapabilities ?? {}), ...(agent.userCapabilities ?? {}) },
    assignedRequest: assigned
      ? { requestId: assigned.requestId ?? 0, jobName: assigned.jobName, planId: assigned.planId, finished: Boolean(assigned.finishTime) || assigned.result !== undefined }
      : undefined,
    statusChangedOn: toDate(agent.statusChangedOn),
    createdOn: toDate(agent.createdOn),
    lastCompletedRequest: agent.lastCompletedRequest
      ? { requestId: agent.lastCompletedRequest.requestId ?? 0, finishTime: toDate(agent.lastCompletedRequest.finishTime) }
      : undefined,
  };
}

function toJobRequest(request: TaskAgentJobRequest): JobRequest {
  const demands = (request.demands ?? []).map((d) => (typeof d === 'string' ? d : `${d.name ?? ''}${d.value ? ` -equals ${d.value}` : ''}`));
  return {
    requestId: request.requestId ?? 0,
    queueTime: toDate(request.queueTime),
    assignTime: toDate(request.assignTime),
    finishTime: toDate(request.finishTime),
    result: request.result === undefined || request.result === null ? undefined : String(request.result),
    demands,
    reservedAgent: request.reservedAgent?.id !== undefined ? { id: request.reservedAgent.id, name: request.reservedAgent.name ?? '' } : undefined,
    jobName: request.jobName,
    planId: request.planId,
  };
}

export class NodeApiAgentPoolClient implements AgentPoolClient {
  private api?: ITaskAgentApi;
  private handler?: TokenHandler;
  private kind?: DevOpsToken['kind'];
  private notBefore = 0;
  private readonly clock: Clock;

  constructor(private readonly options: NodeApiPoolClientOptions) {
    this.clock = options.clock ?? systemClock;
  }

  private async taskAgentApi(): Promise<ITaskAgentApi> {
    const { token, kind } = await this.options.tokenSource();
    if (this.api && this.handler && this.kind === kind) {
      this.handler.token = token; // a renewed Entra token; keeps the cached API locations
      return this.api;
    }
    const nodeApi = this.options.nodeApi ?? nodeApiFactory;
    const handler = nodeApi.handler(kind, token);
    this.api = nodeApi.taskAgentApi(this.options.collectionUri, handler, nodeApiOptions(this.options.proxy, this.options.certificates));
    this.handler = handler;
    this.kind = kind;
    return this.api;
  }

  private async call<T>(operation: string, fn: (api: ITaskAgentApi) => Promise<T>): Promise<T> {
    return withRetry(async () => {
      const wait = this.notBefore - this.clock.now();
      if (wait > 0) await this.clock.sleep(wait, this.options.signal);
      this.options.onRequest?.(operation);
      try {
        const result = await fn(await this.taskAgentApi());
        this.honourRateLimit(result);
        return result;
      } catch (error) {
        this.honourRateLimit(error);
        throw error;
      }
    }, {
      clock: this.clock,
      signal: this.options.signal,
      deadline: this.options.deadline?.(),
      maxAttempts: 8,
      isRetryable: (error) => !(error instanceof TaskError) && isTransient(error),
      onRetry: (error, attempt, delay) => this.options.debug?.(`Azure DevOps ${operation}: ${describeError(error)}; retry ${attempt} in ${delay} ms`),
    }).catch((error: unknown) => {
      throw this.explain(operation, error);
    });
  }

  /** Azure DevOps asks clients near their limit to slow down with X-RateLimit-Delay (seconds). */
  private honourRateLimit(value: unknown): void {
    const delay = (value as { rateLimit?: { delay?: number } } | undefined)?.rateLimit?.delay;
    if (typeof delay === 'number' && delay > 0) this.notBefore = Math.max(this.notBefore, this.clock.now() + delay * 1000);
  }

  private explain(operation: string, error: unknown): unknown {
    if (error instanceof TaskError || isCancellation(error)) return error;
    const status = httpStatusOf(error);
    const detail = describeError(error);
    if (status === 401) {
      return new CloudError('Azure DevOps', `Azure DevOps refused ${this.options.identity} (401) during ${operation}: ${detail}`, status, undefined, { cause: error });
    }
    if (status === 403) {
      return new CloudError('Azure DevOps',
        `Azure DevOps denied ${this.options.identity} (403) during ${operation}: it needs the Administrator role on the agent pool (Organization settings > Agent pools > Security). ${detail}`,
        status, undefined, { cause: error });
    }
    return new CloudError('Azure DevOps', `Azure DevOps ${operation} failed${status ? ` (${status})` : ''}: ${detail}`, status, undefined, { cause: error });
  }

  async findPool(name: string): Promise<PoolRef> {
    const pools = await this.call(`lookup of agent pool '${name}'`, (api) => api.getAgentPools(name));
    const pool = (pools ?? []).find((p) => (p.name ?? '').toLowerCase() === name.toLowerCase());
    if (!pool?.id) {
      throw new CloudError('Azure DevOps',
        `Agent pool '${name}' was not found in ${this.options.collectionUri}, or ${this.options.identity} cannot see it: check input 'agentPool' and the pool's security settings`,
        404, 'TaskAgentPoolNotFound');
    }
    return { id: pool.id, name: pool.name ?? name };
  }

  async listAgents(poolId: number, options: ListAgentsOptions = {}): Promise<PoolAgent[]> {
    const names = options.names;
    const single = names && names.length === 1 ? names[0] : undefined;
    const agents = await this.call('listing of agents', (api) =>
      api.getAgents(poolId, single, options.includeCapabilities, options.includeAssignedRequest, options.includeLastCompletedRequest, undefined,
        options.demands && options.demands.length > 0 ? [...options.demands] : undefined));
    const wanted = names ? new Set(names.map((n) => n.toLowerCase())) : undefined;
    return (agents ?? []).map(toPoolAgent).filter((a) => !wanted || wanted.has(a.name.toLowerCase()));
  }

  async disableAgent(poolId: number, agent: Pick<PoolAgent, 'id' | 'name'>): Promise<void> {
    await this.call(`disabling agent '${agent.name}'`, (api) => api.updateAgent({ id: agent.id, name: agent.name, enabled: false }, poolId, agent.id));
  }

  async deleteAgent(poolId: number, agentId: number): Promise<boolean> {
    try {
      await this.call(`deleting agent ${agentId}`, (api) => api.deleteAgent(poolId, agentId));
      return true;
    } catch (error) {
      if (httpStatusOf(error) === 404) return false;
      throw error;
    }
  }

  /**
   * One GET of the jobrequests route with `query`, through node-api's REST client: node-api's own
   * getAgentRequests drops the `x-ms-continuationtoken` header the server pages with.
   */
  private async jobRequestsPage(operation: string, poolId: number, query: Record<string, string | number | undefined>): Promise<{ list: TaskAgentJobRequest[]; next?: string }> {
    return this.call(operation, async (api) => {
      const version = await api.vsoClient.getVersioningData('7.2-preview.1', 'distributedtask', JOB_REQUESTS_LOCATION, { poolId }, query);
      const response = await api.rest.get<{ value?: TaskAgentJobRequest[] }>(version.requestUrl as string,
        api.createRequestOptions('application/json', version.apiVersion));
      const headers = (response.headers ?? {}) as Record<string, string | string[] | undefined>;
      const next = headers[CONTINUATION_HEADER];
      return { list: response.result?.value ?? [], next: (Array.isArray(next) ? next[0] : next) || undefined };
    });
  }

  /**
   * Every request of the pool, as node-api's getAgentRequests asks for them (`$top` and
   * `continuationToken`), following the continuation header for at most MAX_JOB_REQUEST_PAGES pages
   * and never twice with the same token.
   */
  async listJobRequests(poolId: number): Promise<JobRequest[]> {
    const all: JobRequest[] = [];
    const seen = new Set<string>();
    let token: string | undefined;
    for (let page = 0; page < MAX_JOB_REQUEST_PAGES; page++) {
      const { list, next } = await this.jobRequestsPage('listing of job requests', poolId, { $top: JOB_REQUESTS_PAGE, continuationToken: token });
      for (const request of list) all.push(toJobRequest(request));
      if (!next || seen.has(next)) break;
      seen.add(next);
      token = next;
    }
    return all;
  }

  /**
   * The pool's unfinished requests in one GET with `completedRequestCount=0` alone, the parameter set
   * node-api's getAgentRequestsForAgents uses and KEDA's azure-pipelines scaler sends
   * (fetchUnfinishedJobsOnly). That answer is not paged; a service that pages it anyway (a
   * continuation header) costs this one page, and the count is a lower bound.
   */
  async listOpenJobRequests(poolId: number): Promise<OpenJobRequests> {
    const { list, next } = await this.jobRequestsPage('listing of queued job requests', poolId, { completedRequestCount: 0 });
    const requests = list.map(toJobRequest).filter((r) => !r.finishTime);
    return { requests, lowerBound: next !== undefined, pages: 1 };
  }

  async resourceUsage(): Promise<ResourceUsage> {
    const usage = await this.call('reading parallel job usage', (api) => api.getResourceUsage('Private', false, false));
    return { totalParallelJobs: usage?.resourceLimit?.totalCount, usedParallelJobs: usage?.usedCount };
  }
}
