// The emulated Azure DevOps organization (`https://127.0.0.1:<port>/<org>/`): location discovery,
// the distributedtask pools/agents/sessions/messages/jobrequests/resourceusage routes, the job's
// OIDC token, the agent OAuth token route, authentication and the per-identity rate limit.
import type { EmuRequest, EmulatorContext, Reply, Service } from '../context';
import { addAgent, deleteAgent, getAgent, listAgents, replaceAgent, updateAgent } from './agents';
import { authenticate, type Caller } from './auth';
import { DevOpsHttpError, devopsError } from './errors';
import { type Call, json, wrapped } from './http';
import { getJobRequest, listJobRequests, updateJobRequest } from './job-requests';
import { areaLocations } from './locations';
import { handleTokenRequest } from './oauth';
import { createOidcToken } from './oidc';
import { addPool, getPool, listPools } from './pools';
import { RateLimiter } from './rate-limit';
import { getResourceUsage } from './resource-usage';
import { reportSecretsSeen } from './secrets-seen';
import { resetRuntime } from './runtime';
import { createSession, deleteMessage, deleteSession, getMessage } from './sessions';

type Handler = (call: Call) => Reply | Promise<Reply>;

function unauthorized(ctx: EmulatorContext): Reply {
  return devopsError(401, 'UnauthorizedRequestException', 'TF400813: The user is not authorized to access this resource.', {
    'WWW-Authenticate': `Bearer authorization_uri=${ctx.urls.entra.replace(/\/$/, '')}/${ctx.seed.tenantId}, Basic realm="${ctx.urls.devops}"`,
  });
}

function methodNotAllowed(method: string): Reply {
  return devopsError(405, 'HttpMethodNotAllowedException', `The requested resource does not support http method '${method}'.`);
}

function routeNotFound(path: string): Reply {
  return devopsError(404, 'VssResourceNotFoundException', `The requested resource was not found: ${path}`);
}

function byMethod(method: string, handlers: Record<string, Handler>): Handler {
  return handlers[method] ?? (() => methodNotAllowed(method));
}

/** Picks the handler for an authenticated call; `segments` follow the organization segment. */
function route(method: string, segments: string[]): Handler | undefined {
  const lower = segments.map((s) => s.toLowerCase());
  // {scopeIdentifier}/_apis/distributedtask/hubs/{hub}/plans/{planId}/jobs/{jobId}/oidctoken
  if (lower.length === 10 && lower[1] === '_apis' && lower[2] === 'distributedtask' && lower[3] === 'hubs' && lower[5] === 'plans' && lower[7] === 'jobs' && lower[9] === 'oidctoken') {
    return byMethod(method, { POST: (call) => createOidcToken(call, segments[0]) });
  }
  if (lower[0] !== '_apis') return undefined;
  if (lower[1] === 'emulator' && lower[2] === 'secretsseen' && lower.length === 3) return byMethod(method, { POST: reportSecretsSeen });
  if (lower[1] !== 'distributedtask') return undefined;
  // _apis/distributedtask/pools/{poolId}/{sub}/{childId}
  const [, , , poolId, , childId] = segments;
  const rest = lower.slice(2);
  if (rest[0] === 'resourceusage' && rest.length === 1) return byMethod(method, { GET: getResourceUsage });
  if (rest[0] !== 'pools') return undefined;
  if (rest.length === 1) return byMethod(method, { GET: listPools, POST: addPool });
  if (rest.length === 2) return byMethod(method, { GET: (call) => getPool(call, poolId) });
  const sub = rest[2];
  if (rest.length === 3) {
    if (sub === 'agents') return byMethod(method, { GET: (c) => listAgents(c, poolId), POST: (c) => addAgent(c, poolId) });
    if (sub === 'sessions') return byMethod(method, { POST: (c) => createSession(c, poolId) });
    if (sub === 'messages') return byMethod(method, { GET: (c) => getMessage(c, poolId) });
    if (sub === 'jobrequests') return byMethod(method, { GET: (c) => listJobRequests(c, poolId) });
    return undefined;
  }
  if (rest.length !== 4) return undefined;
  if (sub === 'agents') {
    return byMethod(method, {
      GET: (c) => getAgent(c, poolId, childId),
      PUT: (c) => replaceAgent(c, poolId, childId),
      PATCH: (c) => updateAgent(c, poolId, childId),
      DELETE: (c) => deleteAgent(c, poolId, childId),
    });
  }
  if (sub === 'sessions') return byMethod(method, { DELETE: (c) => deleteSession(c, poolId, childId) });
  if (sub === 'messages') return byMethod(method, { DELETE: (c) => deleteMessage(c, poolId, childId) });
  if (sub === 'jobrequests') {
    return byMethod(method, { GET: (c) => getJobRequest(c, poolId, childId), PATCH: (c) => updateJobRequest(c, poolId, childId) });
  }
  return undefined;
}

function callerKey(caller: Caller): string {
  switch (caller.kind) {
    case 'agent':
      return `agent:${caller.agentId}`;
    case 'entra':
      return `entra:${caller.subject}`;
    default:
      return caller.kind;
  }
}

/** Splits the path into decoded segments after the organization; null for another organization. */
function segmentsUnderOrganization(req: EmuRequest, ctx: EmulatorContext): string[] | null {
  const segments = req.path.split('/').filter((s) => s !== '').map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  if (segments.length === 0 || segments[0].toLowerCase() !== ctx.seed.organization.toLowerCase()) return null;
  return segments.slice(1);
}

/** Discovery needs no credentials on the real service either; it is not rate limited. */
function discovery(method: string, segments: string[]): Reply | undefined {
  const lower = segments.map((s) => s.toLowerCase());
  if (lower[0] !== '_apis') return undefined;
  if (method === 'OPTIONS' && lower.length === 2) {
    const locations = areaLocations(lower[1]);
    return locations ? json(wrapped(locations)) : routeNotFound(`/_apis/${segments[1]}`);
  }
  // The on-premises answer: no resource areas, so the client keeps the organization URL.
  if (method === 'GET' && lower[1] === 'resourceareas') return json({ count: 0, value: [] });
  return undefined;
}

export function createDevOpsService(): Service {
  const limiter = new RateLimiter();
  return {
    name: 'devops',
    errorReply(status: number, code: string, message: string): Reply {
      return devopsError(status, code || 'VssServiceException', message);
    },
    async handle(req: EmuRequest, ctx: EmulatorContext): Promise<Reply> {
      const segments = segmentsUnderOrganization(req, ctx);
      if (!segments) return routeNotFound(req.path);
      const method = req.method.toUpperCase();
      const open = discovery(method, segments);
      if (open) return open;
      if (method === 'POST' && segments.length === 3 && segments.map((s) => s.toLowerCase()).join('/') === '_apis/oauth2/token') {
        return handleTokenRequest(req, ctx);
      }
      const caller = authenticate(req, ctx);
      if (!caller) return unauthorized(ctx);
      const handler = route(method, segments);
      if (!handler) return routeNotFound(req.path);
      const limited = limiter.check(callerKey(caller), ctx.options);
      if (limited) return limited;
      try {
        return await handler({ req, ctx, caller });
      } catch (err) {
        if (err instanceof DevOpsHttpError) return devopsError(err.status, err.typeKey, err.message);
        throw err;
      }
    },
    reset(ctx: EmulatorContext): void {
      limiter.reset();
      resetRuntime(ctx.store);
    },
  };
}
