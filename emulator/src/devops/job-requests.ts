// `_apis/distributedtask/pools/{poolId}/jobrequests[/{requestId}]`: the pool's job requests, as
// KEDA-style scalers read the queue, and the agent's lock renewal / completion (PATCH).
import type { Reply } from '../context';
import type { JobRequestRecord, TaskResultName } from '../store';
import { DevOpsHttpError, badRequest, devopsError } from './errors';
import { type Call, json, parseId, poolById, readJson, wrapped } from './http';
import { LOCK_DURATION_MS, dispatch, finishRequest } from './queue';
import { requestWire } from './wire';

/** The real server never returns more than this many requests at once. */
export const MAX_REQUESTS_PER_PAGE = 200;
export const CONTINUATION_HEADER = 'x-ms-continuationtoken';

const RESULTS: TaskResultName[] = ['succeeded', 'succeededWithIssues', 'failed', 'canceled', 'skipped', 'abandoned'];

/** node-api sends the TaskResult enum as its number; other clients send the name. */
function parseResult(value: unknown): TaskResultName {
  if (typeof value === 'number' && RESULTS[value]) return RESULTS[value];
  if (typeof value === 'string') {
    const found = RESULTS.find((r) => r.toLowerCase() === value.toLowerCase());
    if (found) return found;
  }
  throw badRequest(`'${String(value)}' is not a valid TaskResult.`);
}

function isFinished(request: JobRequestRecord): boolean {
  return request.finishTime !== undefined;
}

/**
 * Requests of a set of agents: every unfinished one plus the latest `completedCount` finished ones
 * of each agent (all of them when the parameter is absent).
 */
function forAgents(requests: JobRequestRecord[], agentIds: number[], completedCount: number | undefined): JobRequestRecord[] {
  const ofAgents = requests.filter((r) => r.agentId !== undefined && agentIds.includes(r.agentId));
  if (completedCount === undefined) return ofAgents;
  const keep = new Set(ofAgents.filter((r) => !isFinished(r)));
  for (const agentId of agentIds) {
    const finished = ofAgents.filter((r) => r.agentId === agentId && isFinished(r)).sort((a, b) => b.requestId - a.requestId);
    for (const r of finished.slice(0, completedCount)) keep.add(r);
  }
  return ofAgents.filter((r) => keep.has(r));
}

function parseIdList(text: string, what: string): number[] {
  return text.split(',').filter((s) => s.trim()).map((s) => parseId(s.trim(), what));
}

export function listJobRequests(call: Call, poolIdText: string): Reply {
  const { ctx, req } = call;
  const pool = poolById(ctx, poolIdText);
  dispatch(ctx);
  let requests = ctx.store.jobRequests.filter((r) => r.poolId === pool.id).sort((a, b) => a.requestId - b.requestId);
  const completedText = req.query.get('completedRequestCount');
  const completedCount = completedText === null ? undefined : parseId(completedText, 'completedRequestCount');
  const agentIdsText = req.query.get('agentIds') ?? req.query.get('agentId');
  if (agentIdsText) {
    requests = forAgents(requests, parseIdList(agentIdsText, 'agentId'), completedCount);
  } else if (completedCount === 0) {
    requests = requests.filter((r) => !isFinished(r));
  }
  const planId = req.query.get('planId');
  if (planId) requests = requests.filter((r) => r.planId.toLowerCase() === planId.toLowerCase());
  const jobId = req.query.get('jobId');
  if (jobId) requests = requests.filter((r) => r.jobId.toLowerCase() === jobId.toLowerCase());

  // completedRequestCount selects the server's "requests for agents" parameter set (node-api's
  // getAgentRequestsForAgent(s); KEDA's fetchUnfinishedJobsOnly): one unpaged answer, $top and
  // continuationToken play no part in it.
  if (completedCount !== undefined) return json(wrapped(requests.map((r) => requestWire(ctx, r))));

  // Paging ($top, continuationToken: node-api's getAgentRequests): the token is the first request id of the next page.
  const token = req.query.get('continuationToken');
  if (token) requests = requests.filter((r) => r.requestId >= parseId(token, 'continuationToken'));
  const topText = req.query.get('$top');
  const top = Math.min(MAX_REQUESTS_PER_PAGE, topText ? Math.max(1, parseId(topText, '$top')) : MAX_REQUESTS_PER_PAGE);
  const page = requests.slice(0, top);
  const headers: Record<string, string> = {};
  if (requests.length > top) headers[CONTINUATION_HEADER] = String(requests[top].requestId);
  return json(wrapped(page.map((r) => requestWire(ctx, r))), 200, headers);
}

function requestInPool(call: Call, poolIdText: string, requestIdText: string): JobRequestRecord | undefined {
  const pool = poolById(call.ctx, poolIdText);
  const requestId = parseId(requestIdText, 'requestId');
  return call.ctx.store.jobRequests.find((r) => r.poolId === pool.id && r.requestId === requestId);
}

function requestNotFound(requestIdText: string): Reply {
  return devopsError(404, 'TaskAgentJobNotFoundException', `No job request found with identifier ${requestIdText}.`);
}

export function getJobRequest(call: Call, poolIdText: string, requestIdText: string): Reply {
  dispatch(call.ctx);
  const request = requestInPool(call, poolIdText, requestIdText);
  if (!request) return requestNotFound(requestIdText);
  return json(requestWire(call.ctx, request));
}

/** PATCH: without `result` it renews the agent's lock; with it, it finishes the request. */
export function updateJobRequest(call: Call, poolIdText: string, requestIdText: string): Reply {
  const { ctx, caller } = call;
  const request = requestInPool(call, poolIdText, requestIdText);
  if (!request) return requestNotFound(requestIdText);
  if (caller.kind === 'agent' && request.agentId !== caller.agentId) {
    throw new DevOpsHttpError(409, 'TaskAgentJobTokenExpiredException', `The job request ${request.requestId} is not assigned to this agent.`);
  }
  const body = readJson(call.req);
  if (isFinished(request)) return json(requestWire(ctx, request));
  const agent = ctx.store.agents.find((a) => a.id === request.agentId);
  const now = Date.now();
  if (agent) agent.lastPollAt = now;
  request.receiveTime ??= new Date(now).toISOString();
  if (body.result !== undefined && body.result !== null) {
    const finishTime = typeof body.finishTime === 'string' && !Number.isNaN(Date.parse(body.finishTime)) ? new Date(body.finishTime).toISOString() : undefined;
    if (finishTime) request.finishTime = finishTime;
    finishRequest(ctx, request, parseResult(body.result));
  } else if (request.agentId !== undefined) {
    request.lockedUntil = new Date(now + LOCK_DURATION_MS).toISOString();
  }
  return json(requestWire(ctx, request));
}
