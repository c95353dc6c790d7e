// AgentProvider on Azure Batch: one container task per agent in a job on the user's pool. Batch has
// no secure environment settings, so the docs recommend short-lived registration tokens here.
import type { BatchServiceClient, BatchServiceModels } from '@azure/batch';
import { type AgentSpec, AGENT_CAPABILITY, CREATOR, SECRET_ENV_NAME, TAG_CREATOR } from '../agent-spec';
import { factsFromCapabilities, RESOURCE_CAPABILITY, TAG_ORGANIZATION, TAG_POOL, TAG_PROJECT, TAG_RUN, TAG_RUN_KIND } from '../ownership';
import { type Clock, systemClock } from '../clock';
import { CloudError, errorCodeOf, httpStatusOf, type ServiceName } from '../errors';
import type { BatchParams } from '../params/provider-params';
import { addTasksInBulk } from './batch-bulk';
import { retryCloudCall } from './cloud-errors';
import type { AgentProvider, AgentResource, AgentStatus, BulkAddResult, CreatedAgent, ResourceState } from './provider';

export interface BatchClient {
  job: Pick<BatchServiceClient['job'], 'get' | 'add'>;
  task: Pick<BatchServiceClient['task'], 'add' | 'get' | 'list' | 'listNext' | 'terminate' | 'deleteMethod'> & Partial<Pick<BatchServiceClient['task'], 'addCollection'>>;
  file: Pick<BatchServiceClient['file'], 'getFromTask'>;
  /** Optional so fakes may leave it out; the real client always has it (prepare() checks the pool exists). */
  pool?: Pick<BatchServiceClient['pool'], 'get'>;
}

export interface BatchProviderOptions {
  identity: string;
  clock?: Clock;
  signal?: AbortSignal;
  deadline?: () => number | undefined;
  debug?: (message: string) => void;
}

/** Minimum time a finished task's files stay on the node. */
const MIN_RETENTION_MINUTES = 10;

export function batchState(task: BatchServiceModels.CloudTask): { state: ResourceState; detail: string; exitCode?: number; failure?: string } {
  const info = task.executionInfo;
  const failure = info?.failureInfo ? `${info.failureInfo.code ?? info.failureInfo.category}: ${info.failureInfo.message ?? ''}`.trim() : undefined;
  const exitCode = info?.exitCode;
  const detail = `task ${task.state ?? 'unknown'}${exitCode !== undefined ? `, exit code ${exitCode}` : ''}${info?.containerInfo?.state ? `, container ${info.containerInfo.state}` : ''}`;
  switch (task.state) {
    case 'active':
    case 'preparing':
      return { state: 'creating', detail };
    case 'running':
      return { state: 'running', detail };
    case 'completed':
      return { state: failure || info?.result === 'failure' || (exitCode ?? 0) !== 0 ? 'failed' : 'succeeded', detail, exitCode, failure };
    default:
      return { state: 'unknown', detail, exitCode, failure };
  }
}

async function readTail(stream: NodeJS.ReadableStream | undefined, lines: number): Promise<string | undefined> {
  if (!stream) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    chunks.push(buffer);
    size += buffer.length;
    while (size > 256 * 1024 && chunks.length > 1) size -= (chunks.shift() as Buffer).length; // keep the end only
  }
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/).slice(-lines - 1).join('\n');
}

export class BatchProvider implements AgentProvider {
  static readonly serviceName: ServiceName = 'Azure Batch';
  readonly serviceName = BatchProvider.serviceName;
  readonly listedStateIsCurrent = true;
  private prepared = false;
  private readonly clock: Clock;

  constructor(private readonly params: BatchParams, private readonly client: BatchClient, private readonly options: BatchProviderOptions) {
    this.clock = options.clock ?? systemClock;
  }

  get description(): string {
    return BatchProvider.describe(this.params);
  }

  /** The description, without a client: logged before the SDK has loaded. */
  static describe(params: BatchParams): string {
    return `Azure Batch (${new URL(params.accountUrl).host}, pool ${params.poolId || '?'}, job ${params.jobId})`;
  }

  resourceIdOf(agentName: string, generation: number | string): string {
    return `${agentName}-${generation}`;
  }

  private get where(): string {
    return `Batch pool ${this.params.poolId || '?'} (job ${this.params.jobId})`;
  }

  private retry<T>(operation: string, fn: () => Promise<T>, image?: string): Promise<T> {
    return retryCloudCall({ ...this.options, service: 'Azure Batch', label: 'Batch', clock: this.clock }, operation, fn, image);
  }

  /** Makes sure the pool exists and the job exists on it (created if missing; JobExists from a concurrent creator is fine). */
  async prepare(): Promise<void> {
    if (this.prepared) return;
    const { jobId, poolId } = this.params;
    // Batch accepts a job on a pool that does not exist and its tasks wait 'active' forever: check first,
    // as the ACI path checks the resource group.
    const pools = this.client.pool;
    if (poolId && pools) {
      try {
        await this.retry(`reading Batch pool '${poolId}'`, () => pools.get(poolId, { poolGetOptions: { select: 'id,state' } }));
      } catch (error) {
        // An identity allowed to add tasks but not to read pools: the check is skipped, not the request.
        if (httpStatusOf(error) === 403) this.options.debug?.(`cannot read Batch pool '${poolId}' to check it exists: ${String((error as Error)?.message ?? error)}`);
        else if (httpStatusOf(error) !== 404) throw error;
        else throw new CloudError('Azure Batch',
          `Batch pool '${poolId}' does not exist in ${new URL(this.params.accountUrl).host}: set input 'batchPoolId' to an existing pool`, 404, 'PoolNotFound', { cause: error });
      }
    }
    let job: BatchServiceModels.CloudJob | undefined;
    try {
      job = await this.retry(`reading Batch job '${jobId}'`, () => this.client.job.get(jobId));
    } catch (error) {
      if (httpStatusOf(error) !== 404) throw error;
    }
    if (!job) {
      try {
        await this.retry(`creating Batch job '${jobId}'`, () => this.client.job.add({ id: jobId, poolInfo: { poolId }, onAllTasksComplete: 'noaction' }));
      } catch (error) {
        if (errorCodeOf((error as { cause?: unknown }).cause ?? error) !== 'JobExists' && httpStatusOf(error) !== 409) throw error;
      }
    } else if (poolId && job.poolInfo?.poolId && job.poolInfo.poolId.toLowerCase() !== poolId.toLowerCase()) {
      throw new CloudError('Azure Batch',
        `Batch job '${jobId}' runs its tasks on pool '${job.poolInfo.poolId}', not on '${poolId}': set input 'batchJobId' to a job of your own for this pool`);
    } else if (job.state && job.state !== 'active') {
      throw new CloudError('Azure Batch', `Batch job '${jobId}' is ${job.state} and takes no new tasks: set input 'batchJobId' to another job or delete this one`);
    }
    this.prepared = true;
  }

  /** The task's URL; the agent carries it (EPHEMERAL_RESOURCE) so Release finds it from the registration. */
  private taskUrl(id: string): string {
    return `${this.params.accountUrl.replace(/\/+$/, '')}/jobs/${this.params.jobId}/tasks/${id}`;
  }

  private taskParameter(spec: AgentSpec, secret: string, id = spec.name): BatchServiceModels.TaskAddParameter {
    const env = { ...spec.env, [RESOURCE_CAPABILITY]: this.taskUrl(id) };
    const environmentSettings = Object.entries(env).map(([name, value]) => ({ name, value }));
    environmentSettings.push({ name: SECRET_ENV_NAME, value: secret });
    const registry = this.params.registry;
    return {
      id,
      displayName: `Azure Pipelines agent ${spec.name} (run ${spec.runId}, pool ${spec.pool})`,
      // Empty: the container runs its image's entrypoint.
      commandLine: '',
      containerSettings: {
        imageName: spec.image,
        ...(this.params.containerRunOptions ? { containerRunOptions: this.params.containerRunOptions } : {}),
        registry: registry
          ? registry.identity
            ? { registryServer: registry.server, identityReference: { resourceId: registry.identity } }
            : { registryServer: registry.server, userName: registry.username, password: registry.password }
          : undefined,
      },
      environmentSettings,
      // Pool scope with admin elevation: root in a Linux container (start.sh switches to the agent user
      // itself), and the elevation Windows container tasks require (Batch container workloads docs).
      userIdentity: { autoUser: { scope: 'pool', elevationLevel: 'admin' } },
      constraints: { retentionTime: `PT${Math.max(MIN_RETENTION_MINUTES, spec.keepFailedMinutes)}M`, maxTaskRetryCount: 0 },
    };
  }

  async create(spec: AgentSpec, secret: string): Promise<CreatedAgent> {
    await this.prepare();
    await this.retry(`adding Batch task '${spec.name}'`, () => this.client.task.add(this.params.jobId, this.taskParameter(spec, secret)), spec.image);
    return { name: spec.name, resourceId: this.taskUrl(spec.name), where: this.where };
  }

  private toStatus(task: BatchServiceModels.CloudTask): AgentStatus {
    const { state, detail, exitCode, failure } = batchState(task);
    const env = Object.fromEntries((task.environmentSettings ?? []).map((e) => [e.name, e.value ?? '']));
    const details = task.executionInfo?.failureInfo?.details?.map((d) => `${d.name}: ${d.value}`) ?? [];
    delete env[SECRET_ENV_NAME];
    return {
      env,
      name: task.id ?? '',
      resourceId: task.url ?? `${this.params.accountUrl}/jobs/${this.params.jobId}/tasks/${task.id}`,
      where: this.where,
      state,
      detail,
      tags: this.tagsOf(env),
      exitCode,
      events: [failure, ...details, task.executionInfo?.containerInfo?.error].filter((s): s is string => Boolean(s)),
      failure,
      createdAt: task.creationTime ? new Date(task.creationTime) : undefined,
      finishedAt: task.executionInfo?.endTime ? new Date(task.executionInfo.endTime) : undefined,
    };
  }

  /** Batch tasks have no tags: the ownership facts come from their environment settings, shown as tags. */
  private tagsOf(env: Record<string, string>): Record<string, string> {
    const facts = factsFromCapabilities(env);
    const tags: Record<string, string> = { agent: env[AGENT_CAPABILITY] ?? '' };
    if (facts.ours) tags[TAG_CREATOR] = CREATOR;
    const pairs: Array<[string, string | undefined]> = [[TAG_ORGANIZATION, facts.organization], [TAG_PROJECT, facts.project], [TAG_POOL, facts.pool], [TAG_RUN_KIND, facts.runKind], [TAG_RUN, facts.run]];
    for (const [name, value] of pairs) if (value !== undefined) tags[name] = value;
    return tags;
  }

  async get(name: string): Promise<AgentStatus | undefined> {
    try {
      const task = await this.retry(`reading Batch task '${name}'`, () => this.client.task.get(this.params.jobId, name));
      return this.toStatus(task);
    } catch (error) {
      if (httpStatusOf(error) === 404) return undefined;
      throw error;
    }
  }

  /** Every task of the job, all pages; none when the job does not exist. */
  private async jobTasks(): Promise<BatchServiceModels.CloudTask[]> {
    const tasks: BatchServiceModels.CloudTask[] = [];
    try {
      let page = await this.retry('listing Batch tasks', () => this.client.task.list(this.params.jobId));
      tasks.push(...page);
      while (page.odatanextLink) {
        const next = page.odatanextLink;
        page = await this.retry('listing Batch tasks', () => this.client.task.listNext(next));
        tasks.push(...page);
      }
    } catch (error) {
      if (httpStatusOf(error) === 404) return []; // no job, so no task
      throw error;
    }
    return tasks;
  }

  async listByRun(runId: string): Promise<AgentResource[]> {
    return (await this.listAll()).filter((r) => r.tags[TAG_RUN] === runId);
  }

  /** Every task of the job this extension created (the EPHEMERAL_AGENT setting), any run. */
  async listAll(): Promise<AgentResource[]> {
    const tasks = await this.jobTasks();
    return tasks.filter((t) => (t.environmentSettings ?? []).some((e) => e.name === AGENT_CAPABILITY)).map((t) => this.toStatus(t));
  }

  /** Adds many agent tasks with add-task-collection (few requests, each entry's status checked). */
  async createMany(items: ReadonlyArray<{ spec: AgentSpec; id: string }>, secret: string): Promise<BulkAddResult[]> {
    const addCollection = this.client.task.addCollection?.bind(this.client.task);
    if (!addCollection) throw new CloudError('Azure Batch', 'This Batch client cannot add task collections');
    await this.prepare();
    const tasks = items.map(({ spec, id }) => this.taskParameter(spec, secret, id));
    return addTasksInBulk({ addCollection }, this.params.jobId, tasks, (what, request) => this.retry(what, request, items[0]?.spec.image));
  }

  /**
   * A warning when the pool lacks task slots for `count` more agents: they wait for nodes (an
   * autoscale evaluation, at least every 5 minutes, then node start and image pull).
   */
  async startDelayWarning(count: number): Promise<string | undefined> {
    const { poolId } = this.params;
    if (!this.client.pool || !poolId) return undefined;
    let pool: BatchServiceModels.CloudPool;
    try {
      pool = await this.retry(`reading Batch pool '${poolId}'`, () => this.client.pool!.get(poolId));
    } catch (error) {
      this.options.debug?.(`cannot read Batch pool ${poolId}: ${String((error as Error)?.message ?? error)}`);
      return undefined;
    }
    const nodes = (pool.currentDedicatedNodes ?? 0) + (pool.currentLowPriorityNodes ?? 0);
    const slots = nodes * (pool.taskSlotsPerNode ?? 1);
    if (slots >= count) return undefined;
    return nodes === 0
      ? `Batch pool '${poolId}' has no node running for ${count} new agent(s)`
      : `Batch pool '${poolId}' has ${slots} task slot(s) on ${nodes} node(s) for ${count} new agent(s), fewer if other tasks run there`;
  }

  async logTail(name: string, lines: number): Promise<string | undefined> {
    try {
      const file = await this.client.file.getFromTask(this.params.jobId, name, 'stderr.txt');
      const stderr = await readTail(file.readableStreamBody, lines);
      const out = await this.client.file.getFromTask(this.params.jobId, name, 'stdout.txt');
      const stdout = await readTail(out.readableStreamBody, lines);
      return [stdout, stderr].filter(Boolean).join('\n') || undefined;
    } catch (error) {
      this.options.debug?.(`no log for ${name}: ${String((error as Error)?.message ?? error)}`);
      return undefined;
    }
  }

  async delete(name: string): Promise<boolean> {
    const { jobId } = this.params;
    const existing = await this.get(name);
    if (!existing) return false;
    try {
      if (existing.state === 'creating' || existing.state === 'running') {
        await this.retry(`terminating Batch task '${name}'`, () => this.client.task.terminate(jobId, name));
      }
      await this.retry(`deleting Batch task '${name}'`, () => this.client.task.deleteMethod(jobId, name));
      return true;
    } catch (error) {
      if (httpStatusOf(error) === 404) return false;
      throw error;
    }
  }
}
