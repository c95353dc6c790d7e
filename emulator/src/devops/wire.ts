// Wire shapes of the distributedtask resources (TaskAgentPool, TaskAgent, TaskAgentJobRequest in
// distributedTask/7.2/taskAgent.json): lowercase enum strings, ISO dates, demands as strings.
import type { EmulatorContext } from '../context';
import type { AgentPoolRecord, AgentRecord, JobRequestRecord } from '../store';
import { agentSatisfies, parseDemand } from './demands';
import { isQueued } from './queue';
import { tokenUrl } from './oauth';

/** A stable identity for things the emulator owns (pool owner, request owner). */
function emulatorIdentity(ctx: EmulatorContext): Record<string, unknown> {
  return { displayName: 'Project Collection Build Service', id: ctx.seed.projectId, uniqueName: `Build\\${ctx.seed.projectId}` };
}

function orgUrl(ctx: EmulatorContext): string {
  return ctx.urls.devops.endsWith('/') ? ctx.urls.devops : `${ctx.urls.devops}/`;
}

export function poolWire(ctx: EmulatorContext, pool: AgentPoolRecord): Record<string, unknown> {
  return {
    createdOn: pool.createdOn,
    autoProvision: false,
    autoUpdate: true,
    autoSize: true,
    targetSize: null,
    agentCloudId: null,
    createdBy: emulatorIdentity(ctx),
    owner: emulatorIdentity(ctx),
    properties: {},
    id: pool.id,
    scope: ctx.seed.projectId,
    name: pool.name,
    isHosted: pool.isHosted,
    poolType: pool.poolType,
    size: ctx.store.agents.filter((a) => a.poolId === pool.id).length,
    isLegacy: false,
    options: 'none',
  };
}

export function agentReference(ctx: EmulatorContext, agent: AgentRecord): Record<string, unknown> {
  const href = `${orgUrl(ctx)}_apis/distributedtask/pools/${agent.poolId}/agents/${agent.id}`;
  return {
    _links: { self: { href }, web: { href } },
    id: agent.id,
    name: agent.name,
    version: agent.version,
    osDescription: agent.osDescription,
    enabled: agent.enabled,
    status: agent.status,
    provisioningState: 'Provisioned',
    accessPoint: 'CodexAccessMapping',
  };
}

export interface AgentWireOptions {
  includeCapabilities?: boolean;
  includeAssignedRequest?: boolean;
  includeLastCompletedRequest?: boolean;
  /** Only add/replace answer the OAuth client and its token URL. */
  includeAuthorizationUrl?: boolean;
}

export function agentWire(ctx: EmulatorContext, agent: AgentRecord, options: AgentWireOptions = {}): Record<string, unknown> {
  const wire: Record<string, unknown> = {
    ...agentReference(ctx, agent),
    maxParallelism: 1,
    createdOn: agent.createdOn,
    statusChangedOn: agent.statusChangedOn,
    properties: {},
  };
  if (agent.clientId) {
    wire.authorization = {
      clientId: agent.clientId,
      publicKey: agent.publicKey,
      ...(options.includeAuthorizationUrl ? { authorizationUrl: tokenUrl(ctx) } : {}),
    };
  }
  if (options.includeCapabilities) {
    wire.systemCapabilities = agent.systemCapabilities;
    wire.userCapabilities = agent.userCapabilities;
  }
  const requestOf = (id: number | undefined) => ctx.store.jobRequests.find((r) => r.requestId === id);
  const assigned = requestOf(agent.assignedRequestId);
  if (options.includeAssignedRequest && assigned) wire.assignedRequest = requestWire(ctx, assigned);
  const last = requestOf(agent.lastCompletedRequestId);
  if (options.includeLastCompletedRequest && last) wire.lastCompletedRequest = requestWire(ctx, last);
  return wire;
}

export function requestWire(ctx: EmulatorContext, request: JobRequestRecord): Record<string, unknown> {
  const agent = ctx.store.agents.find((a) => a.id === request.agentId);
  const owner = { _links: {}, id: 1, name: `Run ${request.requestId}` };
  const wire: Record<string, unknown> = {
    requestId: request.requestId,
    queueTime: request.queueTime,
    assignTime: request.assignTime,
    receiveTime: request.receiveTime,
    finishTime: request.finishTime,
    result: request.result,
    lockedUntil: request.finishTime === undefined ? request.lockedUntil : undefined,
    serviceOwner: '00025394-6065-48ca-87d9-7f5672854ef7',
    hostId: ctx.seed.projectId,
    scopeId: ctx.seed.projectId,
    planType: 'Build',
    planId: request.planId,
    jobId: request.jobId,
    jobName: request.jobName,
    demands: request.demands,
    reservedAgent: agent ? agentReference(ctx, agent) : undefined,
    definition: { _links: {}, id: 1, name: 'emulated-pipeline' },
    owner,
    data: { ParallelismTag: 'Private', IsScheduledKey: 'False' },
    poolId: request.poolId,
    orchestrationId: `${request.planId}.${request.jobId}`,
    matchesAllAgentsInPool: request.demands.length === 0,
    priority: 0,
    statusMessage: request.statusMessage,
  };
  if (isQueued(request)) {
    const demands = request.demands.map(parseDemand);
    wire.matchedAgents = ctx.store.agents
      .filter((a) => a.poolId === request.poolId && agentSatisfies(a, demands))
      .map((a) => agentReference(ctx, a));
  }
  // JSON omits undefined members, as the real server omits unset ones.
  return wire;
}
