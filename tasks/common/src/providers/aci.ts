// AgentProvider on Azure Container Instances: one container group per agent, restartPolicy Never,
// the registration secret only as the secureValue of AZP_TOKEN, tagged for Release and sweepers.
import type { ContainerGroup, ContainerInstanceManagementClient, EnvironmentVariable } from '@azure/arm-containerinstance';
import { type AgentSpec, CREATOR, SECRET_ENV_NAME, TAG_CREATOR, TAG_RUN } from '../agent-spec';
import { RESOURCE_CAPABILITY } from '../ownership';
import { type Clock, systemClock } from '../clock';
import { CloudError, httpStatusOf, type ServiceName } from '../errors';
import type { AciParams } from '../params/provider-params';
import type { AdaptiveLimit } from '../adaptive-limit';
import { callSignal } from '../call-signal';
import { armThrottling } from './arm-throttling';
import { retryCloudCall } from './cloud-errors';
import type { AgentProvider, AgentResource, AgentStatus, CreatedAgent, ResourceState } from './provider';

/** The container's name inside each group. */
export const AGENT_CONTAINER = 'agent';

export interface AciClient {
  containerGroups: Pick<ContainerInstanceManagementClient['containerGroups'], 'get' | 'beginCreateOrUpdate' | 'beginDeleteAndWait' | 'list' | 'listByResourceGroup'>;
  containers: Pick<ContainerInstanceManagementClient['containers'], 'listLogs'>;
}

export interface AciProviderOptions {
  /** Looks up the resource group's location (ARM GET resourceGroups) when input 'location' is empty. */
  resourceGroupLocation: (resourceGroup: string) => Promise<string>;
  identity: string;
  clock?: Clock;
  signal?: AbortSignal;
  deadline?: () => number | undefined;
  debug?: (message: string) => void;
  /** LRO polling interval when the service sends no Retry-After (tests use a small one). */
  pollIntervalMs?: number;
  /**
   * Bounds the creates' PUTs in flight, adapting to ARM's throttling (armWriteLimit). Only the PUT
   * holds a slot: a create's long-running operation is polled after it, so the next creates go out.
   */
  writes?: AdaptiveLimit;
}

function resourceGroupOfId(id: string | undefined): string | undefined {
  return id ? /\/resourceGroups\/([^/]+)\//i.exec(id)?.[1] : undefined;
}

/** Normalises ACI's provisioningState + instance states into one ResourceState. */
export function aciState(group: ContainerGroup): { state: ResourceState; detail: string; exitCode?: number } {
  const provisioning = group.provisioningState ?? 'Unknown';
  const container = group.containers?.[0]?.instanceView?.currentState;
  const groupState = group.instanceView?.state;
  const detail = [`provisioning ${provisioning}`, groupState && `group ${groupState}`, container?.state && `container ${container.state}${container.detailStatus ? ` (${container.detailStatus})` : ''}`]
    .filter(Boolean).join(', ');
  const exitCode = container?.exitCode ?? undefined;
  const p = provisioning.toLowerCase();
  if (p === 'failed' || p === 'canceled' || p === 'unhealthy') return { state: 'failed', detail, exitCode };
  if (container?.state?.toLowerCase() === 'terminated') {
    return { state: exitCode === 0 ? 'succeeded' : 'failed', detail, exitCode };
  }
  switch (groupState?.toLowerCase()) {
    case 'running':
      return { state: container?.state?.toLowerCase() === 'waiting' ? 'creating' : 'running', detail, exitCode };
    case 'succeeded':
      return { state: 'succeeded', detail, exitCode };
    case 'failed':
      return { state: 'failed', detail, exitCode };
    case 'stopped':
      return { state: 'stopped', detail, exitCode };
  }
  if (p === 'succeeded' && container?.state?.toLowerCase() === 'running') return { state: 'running', detail, exitCode };
  if (['pending', 'creating', 'repairing', 'accepted', 'succeeded'].includes(p)) return { state: 'creating', detail, exitCode };
  return { state: 'unknown', detail, exitCode };
}

export class AciProvider implements AgentProvider {
  static readonly serviceName: ServiceName = 'Azure Resource Manager';
  readonly serviceName = AciProvider.serviceName;
  // Listed groups carry no instance view: a starting group looks like a running one.
  readonly listedStateIsCurrent = false;
  private location?: string;
  /** Resource groups learnt from listings, for releases without input 'resourceGroup'. */
  private readonly groupsByName = new Map<string, string>();
  private readonly clock: Clock;

  constructor(private readonly params: AciParams, private readonly client: AciClient, private readonly options: AciProviderOptions) {
    this.clock = options.clock ?? systemClock;
    this.location = params.location;
  }

  get description(): string {
    return AciProvider.describe(this.params, this.location);
  }

  /** The description, without a client: logged before the SDK has loaded. */
  static describe(params: AciParams, location = params.location): string {
    return `Azure Container Instances (${params.resourceGroup ? `resource group ${params.resourceGroup}` : `subscription ${params.subscriptionId}`}${location ? `, ${location}` : ''})`;
  }

  resourceIdOf(agentName: string): string {
    return agentName;
  }

  private where(resourceGroup: string | undefined): string {
    return `ACI ${resourceGroup ?? '?'}${this.location ? `/${this.location}` : ''}`;
  }

  private retry<T>(operation: string, fn: () => Promise<T>, image?: string): Promise<T> {
    return retryCloudCall({ ...this.options, service: 'Azure Resource Manager', label: 'ARM', clock: this.clock }, operation, fn, image);
  }

  private resourceGroupFor(name: string): string | undefined {
    return this.params.resourceGroup ?? this.groupsByName.get(name);
  }

  /** Without input 'resourceGroup', finds the group of `name` among this extension's groups in the subscription. */
  private async locate(name: string): Promise<string | undefined> {
    const known = this.resourceGroupFor(name);
    if (known) return known;
    const groups = await this.retry('listing container groups', async () => {
      const all: ContainerGroup[] = [];
      for await (const group of this.client.containerGroups.list()) all.push(group);
      return all;
    });
    for (const g of groups) {
      const rg = resourceGroupOfId(g.id);
      if (g.name && rg && g.tags?.[TAG_CREATOR] === CREATOR) this.groupsByName.set(g.name, rg);
    }
    return this.groupsByName.get(name);
  }

  async prepare(): Promise<void> {
    if (!this.location && this.params.resourceGroup) {
      const rg = this.params.resourceGroup;
      this.location = await this.retry(`reading resource group '${rg}'`, () => this.options.resourceGroupLocation(rg));
    }
  }

  /** Without input 'resourceGroup', Release finds containers from their registrations; a refused listing needs this input. */
  static readonly listingFix = "set input 'resourceGroup' to the agents' resource group, so nothing is listed subscription-wide";
  readonly listingFix = AciProvider.listingFix;

  /** The ARM id of a container group; the agent carries it (EPHEMERAL_RESOURCE) so Release finds it without a listing. */
  private groupId(resourceGroup: string, name: string): string {
    return `/subscriptions/${this.params.subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ContainerInstance/containerGroups/${name}`;
  }

  learnLocation(resourceId: string): void {
    const match = /\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ContainerInstance\/containerGroups\/([^/]+)$/i.exec(resourceId);
    if (match && !this.groupsByName.has(match[2])) this.groupsByName.set(match[2], match[1]);
  }

  private containerGroup(spec: AgentSpec, secret: string, resourceGroup: string): ContainerGroup {
    const env = { ...spec.env, [RESOURCE_CAPABILITY]: this.groupId(resourceGroup, spec.name) };
    const environmentVariables: EnvironmentVariable[] = Object.entries(env).map(([name, value]) => ({ name, value }));
    environmentVariables.push({ name: SECRET_ENV_NAME, secureValue: secret });
    const registry = this.params.registry;
    const group: ContainerGroup = {
      location: this.location,
      tags: spec.tags,
      osType: spec.osType,
      restartPolicy: 'Never',
      priority: this.params.priority,
      containers: [{
        name: AGENT_CONTAINER,
        image: spec.image,
        resources: { requests: { cpu: spec.cpu, memoryInGB: spec.memoryGB } },
        environmentVariables,
      }],
    };
    if (registry) {
      group.imageRegistryCredentials = [registry.identity
        ? { server: registry.server, identity: registry.identity }
        : { server: registry.server, username: registry.username, password: registry.password }];
      if (registry.identity) group.identity = { type: 'UserAssigned', userAssignedIdentities: { [registry.identity]: {} } };
    }
    if (this.params.subnetId) group.subnetIds = [{ id: this.params.subnetId }];
    return group;
  }

  async create(spec: AgentSpec, secret: string): Promise<CreatedAgent> {
    const rg = this.params.resourceGroup;
    if (!rg) throw new CloudError('Azure Resource Manager', "Input 'resourceGroup' is required to create container groups");
    await this.prepare();
    const group = this.containerGroup(spec, secret, rg);
    const abortSignal = callSignal(this.options.signal);
    const begin = () => this.client.containerGroups.beginCreateOrUpdate(rg, spec.name, group, {
      abortSignal,
      updateIntervalInMs: this.options.pollIntervalMs,
    });
    const writes = this.options.writes;
    // A retry sends the PUT again (idempotent in ARM), as the SDK's own poller would not resume a failed poll.
    const result = await this.retry(`creating container group '${spec.name}'`, async () => {
      const poller = await (writes ? writes.run(begin, armThrottling, abortSignal) : begin());
      return poller.pollUntilDone({ abortSignal });
    }, spec.image);
    if ((result.provisioningState ?? '').toLowerCase() === 'failed') {
      const status = await this.get(spec.name);
      throw new CloudError('Azure Resource Manager',
        `Container group '${spec.name}' failed to provision: ${status?.failure ?? status?.events.slice(-3).join('; ') ?? 'no details'}`, undefined, 'ProvisioningFailed');
    }
    return { name: spec.name, resourceId: result.id ?? spec.name, where: this.where(rg) };
  }

  private toResource(group: ContainerGroup): AgentStatus {
    const { state, detail, exitCode } = aciState(group);
    const container = group.containers?.[0];
    const events = [...(group.instanceView?.events ?? []), ...(container?.instanceView?.events ?? [])]
      .map((e) => `${e.lastTimestamp ? new Date(e.lastTimestamp).toISOString() : ''} ${e.type ?? ''} ${e.name ?? ''}: ${e.message ?? ''}`.trim());
    const current = container?.instanceView?.currentState;
    const rg = resourceGroupOfId(group.id) ?? this.params.resourceGroup;
    return {
      name: group.name ?? '',
      resourceId: group.id ?? '',
      where: this.where(rg),
      state,
      detail,
      tags: group.tags ?? {},
      exitCode,
      events,
      failure: state === 'failed' ? current?.detailStatus ?? undefined : undefined,
      createdAt: current?.startTime ? new Date(current.startTime) : undefined,
      finishedAt: current?.finishTime ? new Date(current.finishTime) : undefined,
      env: Object.fromEntries((container?.environmentVariables ?? [])
        .filter((e) => e.name !== SECRET_ENV_NAME && typeof e.value === 'string').map((e) => [e.name, e.value as string])),
    };
  }

  async get(name: string): Promise<AgentStatus | undefined> {
    const rg = await this.locate(name);
    if (!rg) return undefined;
    try {
      const group = await this.retry(`reading container group '${name}'`, () => this.client.containerGroups.get(rg, name));
      return this.toResource(group);
    } catch (error) {
      if (httpStatusOf(error) === 404) return undefined;
      throw error;
    }
  }

  async listByRun(runId: string): Promise<AgentResource[]> {
    return (await this.ourGroups()).filter((g) => g.tags?.[TAG_RUN] === runId).map((g) => this.toResource(g));
  }

  /** Every container group this extension created in the resource group (or subscription); lists carry no instance views. */
  async listAll(): Promise<AgentResource[]> {
    return (await this.ourGroups()).map((g) => this.toResource(g));
  }

  /** The container groups this extension created, all pages; remembers each one's resource group. */
  private async ourGroups(): Promise<ContainerGroup[]> {
    const rg = this.params.resourceGroup;
    const groups = await this.retry('listing container groups', async () => {
      const all: ContainerGroup[] = [];
      const pages = rg ? this.client.containerGroups.listByResourceGroup(rg) : this.client.containerGroups.list();
      for await (const group of pages) all.push(group);
      return all;
    });
    const ours = groups.filter((g) => g.tags?.[TAG_CREATOR] === CREATOR);
    for (const g of ours) {
      const groupRg = resourceGroupOfId(g.id);
      if (g.name && groupRg) this.groupsByName.set(g.name, groupRg);
    }
    return ours;
  }

  async logTail(name: string, lines: number): Promise<string | undefined> {
    const rg = await this.locate(name);
    if (!rg) return undefined;
    try {
      const logs = await this.retry(`reading the log of '${name}'`, () => this.client.containers.listLogs(rg, name, AGENT_CONTAINER, { tail: lines }));
      return logs.content ?? undefined;
    } catch (error) {
      this.options.debug?.(`no log for ${name}: ${String((error as Error)?.message ?? error)}`);
      return undefined;
    }
  }

  async delete(name: string): Promise<boolean> {
    const rg = await this.locate(name);
    if (!rg) return false;
    try {
      await this.retry(`deleting container group '${name}'`, () =>
        this.client.containerGroups.beginDeleteAndWait(rg, name, { abortSignal: callSignal(this.options.signal), updateIntervalInMs: this.options.pollIntervalMs }));
      return true;
    } catch (error) {
      if (httpStatusOf(error) === 404) return false;
      throw error;
    }
  }
}
