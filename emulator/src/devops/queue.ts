// The job queue of the emulated Azure Pipelines server: queue-time validation, assignment of
// queued requests to idle matching agents, and completion. The control API queues jobs here; the
// agent protocol (sessions, messages, jobrequests PATCH) drives the rest.
import { randomUUID } from 'node:crypto';
import type { EmulatorContext } from '../context';
import type { AgentPoolRecord, AgentRecord, JobRequestRecord, TaskResultName } from '../store';
import { agentSatisfies, parseDemand, type Demand } from './demands';
import { badRequest, notFound } from './errors';
import { postMessage, sessionOfAgent } from './runtime';
import { refreshAgentStatuses } from './status';

/** How long an assignment stays locked to its agent without a renewal, as on the real server. */
export const LOCK_DURATION_MS = 5 * 60 * 1000;
export const JOB_MESSAGE_TYPE = 'PipelineAgentJobRequest';

export interface QueueJobInput {
  pool: string;
  demands: string[];
  durationMs?: number;
  /** Display name of the job; default `job-<requestId>`. */
  jobName?: string;
  /**
   * A hostile job: it makes its agent exit with this code once it has run, as a job that owns its
   * agent could (3 and 4 ask the entrypoint to start the agent again).
   */
  agentExitCode?: number;
}

export interface QueueJobResult {
  requestId: number;
  result?: 'failed';
  message?: string;
}

/** What the agent receives when it is assigned a job (the body of a PipelineAgentJobRequest). */
export interface JobMessageBody {
  requestId: number;
  poolId: number;
  jobId: string;
  jobName: string;
  planId: string;
  durationMs: number;
  lockedUntil: string;
  /**
   * SHA-256 (hex) of each credential used to register the agent: lets the fake job recognise a
   * leaked registration secret without ever being handed the secret itself.
   */
  secretHashes: string[];
  /** The job makes its agent exit with this code once it has run (see QueueJobInput). */
  agentExitCode?: number;
}

export function findPoolByName(ctx: EmulatorContext, name: string): AgentPoolRecord | undefined {
  const wanted = name.toLowerCase();
  return ctx.store.agentPools.find((p) => p.name.toLowerCase() === wanted);
}

function parseDemands(demands: readonly string[]): Demand[] {
  try {
    return demands.map(parseDemand);
  } catch (err) {
    throw badRequest((err as Error).message);
  }
}

/**
 * Queues a job as a pipeline would. Fails it at once when no registration in the pool (online,
 * offline or disabled) satisfies its demands; otherwise it waits for a matching idle agent.
 * Throws a 404 DevOpsHttpError for an unknown pool and a 400 one for a malformed demand.
 */
export function queueJob(ctx: EmulatorContext, job: QueueJobInput): QueueJobResult {
  const pool = findPoolByName(ctx, job.pool);
  if (!pool) throw notFound('TaskAgentPoolNotFoundException', `Agent pool not found: '${job.pool}'`);
  const demands = parseDemands(job.demands);
  const now = new Date().toISOString();
  const requestId = ctx.store.nextIds.request++;
  const request: JobRequestRecord = {
    requestId,
    poolId: pool.id,
    demands: [...job.demands],
    jobId: randomUUID(),
    jobName: job.jobName ?? `job-${requestId}`,
    planId: randomUUID(),
    queueTime: now,
    durationMs: job.durationMs ?? 1000,
    agentExitCode: job.agentExitCode,
  };
  ctx.store.jobRequests.push(request);
  const registrations = ctx.store.agents.filter((a) => a.poolId === pool.id);
  if (!registrations.some((agent) => agentSatisfies(agent, demands))) {
    const message = `No agent found in pool ${pool.name} which satisfies the specified demands`;
    request.result = 'failed';
    request.finishTime = now;
    request.statusMessage = message;
    return { requestId, result: 'failed', message };
  }
  dispatch(ctx);
  return { requestId };
}

export function isQueued(request: JobRequestRecord): boolean {
  return request.agentId === undefined && request.finishTime === undefined;
}

function assign(ctx: EmulatorContext, request: JobRequestRecord, agent: AgentRecord): void {
  const session = agent.sessionId ? sessionOfAgent(ctx.store, agent.id) : undefined;
  if (!session) return;
  const now = Date.now();
  request.agentId = agent.id;
  request.agentClientId = agent.clientId;
  request.assignTime = new Date(now).toISOString();
  request.lockedUntil = new Date(now + LOCK_DURATION_MS).toISOString();
  agent.assignedRequestId = request.requestId;
  const body: JobMessageBody = {
    requestId: request.requestId,
    poolId: request.poolId,
    jobId: request.jobId,
    jobName: request.jobName,
    planId: request.planId,
    durationMs: request.durationMs,
    lockedUntil: request.lockedUntil,
    secretHashes: agent.credentialHashes ?? [],
    agentExitCode: request.agentExitCode,
  };
  postMessage(ctx.store, session, JOB_MESSAGE_TYPE, body);
}

/** Expires locks of assignments whose agent stopped renewing them: the job is abandoned. */
function expireLocks(ctx: EmulatorContext): void {
  const now = Date.now();
  for (const request of ctx.store.jobRequests) {
    if (request.agentId === undefined || request.finishTime !== undefined) continue;
    if (request.lockedUntil && Date.parse(request.lockedUntil) < now) finishRequest(ctx, request, 'abandoned', false);
  }
}

/** Hands queued requests, oldest first, to idle, enabled, online agents whose capabilities match. */
export function dispatch(ctx: EmulatorContext): void {
  refreshAgentStatuses(ctx);
  expireLocks(ctx);
  for (const request of ctx.store.jobRequests) {
    if (!isQueued(request)) continue;
    const demands = request.demands.map(parseDemand);
    const agent = ctx.store.agents.find(
      (a) =>
        a.poolId === request.poolId &&
        a.enabled &&
        a.status === 'online' &&
        a.assignedRequestId === undefined &&
        agentSatisfies(a, demands),
    );
    if (agent) assign(ctx, request, agent);
  }
}

/**
 * An agent that closes its session without having taken its assigned job gives the job back: it goes
 * to the queue again. The server hands the next job to any idle online agent, one that has just
 * finished its job included; a `--once` agent leaves that job's message undeleted and exits
 * (microsoft/azure-pipelines-agent `src/Agent.Listener/Agent.cs`, `runOnceJobReceived`,
 * `skipMessageDeletion`), so the job is never run by it and lands here.
 */
export function requeueUnreceived(ctx: EmulatorContext, agent: AgentRecord): void {
  const request = ctx.store.jobRequests.find((r) => r.requestId === agent.assignedRequestId);
  if (!request || request.receiveTime !== undefined || request.finishTime !== undefined) return;
  request.agentId = undefined;
  request.agentClientId = undefined;
  request.assignTime = undefined;
  request.lockedUntil = undefined;
  agent.assignedRequestId = undefined;
  dispatch(ctx);
}

/** Completes a request and frees its agent for the next queued job. */
export function finishRequest(ctx: EmulatorContext, request: JobRequestRecord, result: TaskResultName, redispatch = true): void {
  if (request.finishTime === undefined) request.finishTime = new Date().toISOString();
  request.result = result;
  const agent = ctx.store.agents.find((a) => a.id === request.agentId && a.assignedRequestId === request.requestId);
  if (agent) {
    agent.assignedRequestId = undefined;
    agent.lastCompletedRequestId = request.requestId;
  }
  if (redispatch) dispatch(ctx);
}

/** For the control API's `GET state`: statuses current, expired locks abandoned, queue advanced. */
export function syncQueue(ctx: EmulatorContext): void {
  dispatch(ctx);
}
