// `_apis/distributedtask/pools/{poolId}/agents[/{agentId}]`: list, get, add, update, replace and
// delete agent registrations. Add and replace take the agent's RSA public key and answer the OAuth
// client id and token URL, like the real server; replace rotates the key.
import { createHash } from 'node:crypto';
import type { Reply } from '../context';
import type { AgentPoolRecord, AgentRecord } from '../store';
import { presentedCredential } from './auth';
import { agentSatisfies, parseDemand } from './demands';
import { DevOpsHttpError, badRequest, devopsError, notFound } from './errors';
import { type Call, json, nowIso, parseId, poolById, queryFlag, readJson, wrapped } from './http';
import { newClientId } from './oauth';
import { dispatch, finishRequest } from './queue';
import { closeSession } from './runtime';
import { refreshAgentStatuses } from './status';
import { agentWire, type AgentWireOptions } from './wire';

function wireOptions(call: Call): AgentWireOptions {
  return {
    includeCapabilities: queryFlag(call.req, 'includeCapabilities'),
    includeAssignedRequest: queryFlag(call.req, 'includeAssignedRequest'),
    includeLastCompletedRequest: queryFlag(call.req, 'includeLastCompletedRequest'),
  };
}

function agentInPool(call: Call, pool: AgentPoolRecord, agentIdText: string): AgentRecord | undefined {
  const agentId = parseId(agentIdText, 'agentId');
  return call.ctx.store.agents.find((a) => a.poolId === pool.id && a.id === agentId);
}

function agentNotFound(pool: AgentPoolRecord, agentIdText: string): DevOpsHttpError {
  return notFound('TaskAgentNotFoundException', `No agent found in pool ${pool.id} with identifier ${agentIdText}.`);
}

function stringMap(value: unknown, what: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw badRequest(`${what} must be an object of strings.`);
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, v === null || v === undefined ? '' : String(v)]));
}

function publicKeyOf(body: Record<string, unknown>): AgentRecord['publicKey'] {
  const authorization = body.authorization as { publicKey?: { exponent?: unknown; modulus?: unknown } } | undefined;
  const key = authorization?.publicKey;
  if (!key) return undefined;
  if (typeof key.exponent !== 'string' || typeof key.modulus !== 'string') {
    throw badRequest('authorization.publicKey needs base64 exponent and modulus.');
  }
  return { exponent: key.exponent, modulus: key.modulus };
}

/** Remembers which secret registered the agent (hashed) so the fake job can recognise it. */
function rememberCredential(call: Call, agent: AgentRecord): void {
  const credential = presentedCredential(call.req);
  if (!credential) return;
  const hash = createHash('sha256').update(credential).digest('hex');
  agent.credentialHashes = [...new Set([...(agent.credentialHashes ?? []), hash])];
}

function setKey(agent: AgentRecord, key: AgentRecord['publicKey']): void {
  agent.publicKey = key;
  agent.clientId = key ? newClientId() : undefined;
}

export function listAgents(call: Call, poolIdText: string): Reply {
  const { ctx, req } = call;
  const pool = poolById(ctx, poolIdText);
  refreshAgentStatuses(ctx);
  let agents = ctx.store.agents.filter((a) => a.poolId === pool.id);
  const name = req.query.get('agentName');
  if (name) agents = agents.filter((a) => a.name.toLowerCase() === name.toLowerCase());
  const demandsText = req.query.get('demands');
  if (demandsText) {
    let demands;
    try {
      demands = demandsText.split(',').filter((d) => d.trim()).map(parseDemand);
    } catch (err) {
      throw badRequest((err as Error).message);
    }
    agents = agents.filter((a) => agentSatisfies(a, demands));
  }
  const options = wireOptions(call);
  return json(wrapped(agents.map((a) => agentWire(ctx, a, options))));
}

export function getAgent(call: Call, poolIdText: string, agentIdText: string): Reply {
  const pool = poolById(call.ctx, poolIdText);
  refreshAgentStatuses(call.ctx);
  const agent = agentInPool(call, pool, agentIdText);
  if (!agent) {
    const err = agentNotFound(pool, agentIdText);
    return devopsError(err.status, err.typeKey, err.message);
  }
  return json(agentWire(call.ctx, agent, wireOptions(call)));
}

export function addAgent(call: Call, poolIdText: string): Reply {
  const { ctx } = call;
  const pool = poolById(ctx, poolIdText);
  const body = readJson(call.req);
  const name = typeof body.name === 'string' ? body.name.trim() : '';
  if (!name) throw badRequest('Value cannot be null.\r\nParameter name: agent.Name', 'ArgumentNullException');
  if (ctx.store.agents.some((a) => a.poolId === pool.id && a.name.toLowerCase() === name.toLowerCase())) {
    throw new DevOpsHttpError(409, 'TaskAgentExistsException', `Pool ${pool.id} already contains an agent with name ${name}.`);
  }
  const now = nowIso();
  const agent: AgentRecord = {
    poolId: pool.id,
    id: ctx.store.nextIds.agent++,
    name,
    version: typeof body.version === 'string' ? body.version : '',
    osDescription: typeof body.osDescription === 'string' ? body.osDescription : '',
    enabled: body.enabled !== false,
    status: 'offline',
    systemCapabilities: stringMap(body.systemCapabilities, 'systemCapabilities'),
    userCapabilities: stringMap(body.userCapabilities, 'userCapabilities'),
    createdOn: now,
    statusChangedOn: now,
  };
  setKey(agent, publicKeyOf(body));
  rememberCredential(call, agent);
  ctx.store.agents.push(agent);
  return json(agentWire(ctx, agent, { includeCapabilities: true, includeAuthorizationUrl: true }));
}

/** PUT: a new registration under the same id (what `config.sh --replace` does). */
export function replaceAgent(call: Call, poolIdText: string, agentIdText: string): Reply {
  const { ctx } = call;
  const pool = poolById(ctx, poolIdText);
  const agent = agentInPool(call, pool, agentIdText);
  if (!agent) throw agentNotFound(pool, agentIdText);
  const body = readJson(call.req);
  const name = typeof body.name === 'string' && body.name.trim() ? body.name.trim() : agent.name;
  if (ctx.store.agents.some((a) => a !== agent && a.poolId === pool.id && a.name.toLowerCase() === name.toLowerCase())) {
    throw new DevOpsHttpError(409, 'TaskAgentExistsException', `Pool ${pool.id} already contains an agent with name ${name}.`);
  }
  if (agent.sessionId) closeSession(ctx.store, agent.sessionId);
  agent.sessionId = undefined;
  abandonAssigned(call, agent);
  agent.name = name;
  agent.version = typeof body.version === 'string' ? body.version : agent.version;
  agent.osDescription = typeof body.osDescription === 'string' ? body.osDescription : agent.osDescription;
  if (typeof body.enabled === 'boolean') agent.enabled = body.enabled;
  agent.systemCapabilities = stringMap(body.systemCapabilities, 'systemCapabilities');
  agent.userCapabilities = stringMap(body.userCapabilities, 'userCapabilities');
  setKey(agent, publicKeyOf(body));
  rememberCredential(call, agent);
  refreshAgentStatuses(ctx);
  return json(agentWire(ctx, agent, { includeCapabilities: true, includeAuthorizationUrl: true }));
}

/** PATCH: changes only what the body carries (enabled, name, capabilities, key). */
export function updateAgent(call: Call, poolIdText: string, agentIdText: string): Reply {
  const { ctx } = call;
  const pool = poolById(ctx, poolIdText);
  const agent = agentInPool(call, pool, agentIdText);
  if (!agent) throw agentNotFound(pool, agentIdText);
  const body = readJson(call.req);
  if (typeof body.enabled === 'boolean') agent.enabled = body.enabled;
  if (typeof body.name === 'string' && body.name.trim()) agent.name = body.name.trim();
  if (body.userCapabilities !== undefined) agent.userCapabilities = stringMap(body.userCapabilities, 'userCapabilities');
  if (body.systemCapabilities !== undefined) agent.systemCapabilities = stringMap(body.systemCapabilities, 'systemCapabilities');
  const key = publicKeyOf(body);
  if (key) setKey(agent, key);
  dispatch(ctx);
  return json(agentWire(ctx, agent, { includeCapabilities: true, includeAuthorizationUrl: key !== undefined }));
}

function abandonAssigned(call: Call, agent: AgentRecord): void {
  const request = call.ctx.store.jobRequests.find((r) => r.requestId === agent.assignedRequestId);
  if (request && request.finishTime === undefined) finishRequest(call.ctx, request, 'abandoned', false);
  agent.assignedRequestId = undefined;
}

export function deleteAgent(call: Call, poolIdText: string, agentIdText: string): Reply {
  const { ctx } = call;
  const pool = poolById(ctx, poolIdText);
  const agent = agentInPool(call, pool, agentIdText);
  if (!agent) throw agentNotFound(pool, agentIdText);
  if (agent.sessionId) closeSession(ctx.store, agent.sessionId);
  abandonAssigned(call, agent);
  ctx.store.agents = ctx.store.agents.filter((a) => a !== agent);
  dispatch(ctx);
  return { status: 204 };
}
