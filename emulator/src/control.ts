// The control API: test and demo hooks that are not part of any Azure service. Queue a pipeline job,
// read the emulator's state (without secrets), inject faults, tune options and reset to the seed.
// Its own calls are not logged in `requests`.
import type { EmuRequest, EmulatorContext, EmulatorOptions, Reply } from './context';
import { parseFaultRule, type FaultBook } from './faults';
import { queueJob, syncQueue } from './devops/queue';
import type { ContainerGroupRecord } from './store';

export interface ControlDeps {
  faults: FaultBook;
  /** Restores the seed state: stops containers, clears faults, logs and services' private state. */
  reset(): Promise<void>;
}

const REDACTED = '***';
const JWT_SHAPE = /^eyJ[\w-]*\.[\w-]+\.[\w-]*$/;

function json(status: number, body: unknown): Reply {
  return { status, body };
}

function badRequest(message: string): Reply {
  return json(400, { error: { code: 'BadRequest', message } });
}

/** Masks a value that is, contains or looks like a credential (seeded secrets, JWTs). */
function redactor(ctx: EmulatorContext): (value: string) => string {
  const secrets = [ctx.seed.clientSecret, ctx.seed.pat, ctx.seed.systemAccessToken, ctx.seed.batchAccountKey].filter((s) => s.length >= 8);
  return (value) => (JWT_SHAPE.test(value) || secrets.some((s) => value.includes(s)) ? REDACTED : value);
}

function containerGroupState(group: ContainerGroupRecord) {
  return {
    name: group.name,
    resourceGroup: group.resourceGroup,
    provisioningState: group.provisioningState,
    tags: { ...group.tags },
    containers: group.containers.map((c) => ({ name: c.name, state: c.state, exitCode: c.exitCode ?? null })),
  };
}

/** The `GET state` document: lowercase wire enums, ARM casing for ACI states, ISO times, no secret. */
export function stateDocument(ctx: EmulatorContext): Record<string, unknown> {
  const { store } = ctx;
  const redact = redactor(ctx);
  const poolName = (id: number) => store.agentPools.find((p) => p.id === id)?.name ?? null;
  const agentName = (id: number | undefined) => (id === undefined ? null : store.agents.find((a) => a.id === id)?.name ?? null);
  return {
    containerGroups: store.containerGroups.map(containerGroupState),
    batchJobs: store.batchJobs.map((j) => ({ id: j.id, poolId: j.poolId })),
    batchTasks: store.batchTasks.map((t) => ({
      jobId: t.jobId, id: t.id, state: t.state, exitCode: t.exitCode ?? null,
      containerRunOptions: (t.body.containerSettings as { containerRunOptions?: string } | undefined)?.containerRunOptions ?? null,
    })),
    agents: store.agents.map((a) => ({
      pool: poolName(a.poolId),
      id: a.id,
      name: a.name,
      status: a.status,
      enabled: a.enabled,
      capabilities: Object.fromEntries(
        Object.entries({ ...a.systemCapabilities, ...a.userCapabilities }).map(([k, v]) => [k, redact(String(v))])),
      createdOn: a.createdOn,
      statusChangedOn: a.statusChangedOn,
    })),
    jobRequests: store.jobRequests.map((r) => ({
      requestId: r.requestId,
      pool: poolName(r.poolId),
      demands: [...r.demands],
      queueTime: r.queueTime,
      assignTime: r.assignTime ?? null,
      finishTime: r.finishTime ?? null,
      result: r.result ?? null,
      agentName: agentName(r.agentId),
      agentRegistration: r.agentClientId ?? null,
    })),
    secretsSeen: store.secretsSeen.map((s) => ({ agentName: s.agentName, where: s.where })),
    requests: store.requests.map((r) => ({ time: r.time, service: r.service, method: r.method, path: r.path, query: r.query, status: r.status })),
  };
}

/** Longest a control request may wait for a condition (`waitMs`): shorter than any client's timeout. */
export const MAX_CONTROL_WAIT_MS = 60_000;
const WAIT_CHECK_MS = 5;

function nonNegativeQuery(req: EmuRequest, name: string, fallback: number): number | Reply {
  const raw = req.query.get(name);
  if (raw === null) return fallback;
  const value = Number(raw);
  return Number.isInteger(value) && value >= 0 ? value : badRequest(`'${name}' must be an integer >= 0`);
}

/** Resolves once `ready()` holds or `waitMs` has passed, checking every few milliseconds (a length or a filter). */
async function waitUntil(ready: () => boolean, waitMs: number): Promise<void> {
  const until = Date.now() + Math.min(waitMs, MAX_CONTROL_WAIT_MS);
  while (!ready() && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, WAIT_CHECK_MS));
}

/**
 * `GET /requests?from=N&waitMs=T`: the request log from index N on (with user agents), once it holds
 * more than N requests or T ms have passed: a benchmark waits for a task's first request without
 * reading the whole state.
 */
async function requestLog(req: EmuRequest, ctx: EmulatorContext): Promise<Reply> {
  const from = nonNegativeQuery(req, 'from', 0);
  const waitMs = nonNegativeQuery(req, 'waitMs', 0);
  if (typeof from !== 'number') return from;
  if (typeof waitMs !== 'number') return waitMs;
  await waitUntil(() => ctx.store.requests.length > from, waitMs);
  const requests = ctx.store.requests;
  return json(200, {
    total: requests.length,
    requests: requests.slice(from).map((r) => ({ time: r.time, service: r.service, method: r.method, path: r.path, query: r.query, status: r.status, userAgent: r.userAgent ?? null })),
  });
}

/**
 * `GET /container-groups?prefix=P&count=N&provisioningState=S&waitMs=T`: name and provisioning state
 * of the container groups whose name starts with P, once N of them (in state S, when given) exist or
 * T ms have passed.
 */
async function containerGroupList(req: EmuRequest, ctx: EmulatorContext): Promise<Reply> {
  const prefix = req.query.get('prefix') ?? '';
  const state = req.query.get('provisioningState');
  const count = nonNegativeQuery(req, 'count', 0);
  const waitMs = nonNegativeQuery(req, 'waitMs', 0);
  if (typeof count !== 'number') return count;
  if (typeof waitMs !== 'number') return waitMs;
  const matching = () => ctx.store.containerGroups.filter((g) => g.name.startsWith(prefix));
  await waitUntil(() => matching().filter((g) => state === null || g.provisioningState === state).length >= count, waitMs);
  return json(200, { containerGroups: matching().map((g) => ({ name: g.name, provisioningState: g.provisioningState })) });
}

const OPTION_KEYS: (keyof EmulatorOptions)[] = ['containerStartDelayMs', 'agentStartDelayMs', 'agentOnlineWindowMs', 'devopsRateLimit', 'devopsRateWindowMs', 'devopsLongPollMs',
  'entraTokenLifetimeSeconds', 'batchNodeAllocationMs'];

function applyOptions(ctx: EmulatorContext, body: unknown): Reply {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return badRequest('the body must be a JSON object');
  const changes: Partial<Record<keyof EmulatorOptions, number>> = {};
  for (const [key, value] of Object.entries(body)) {
    if (!OPTION_KEYS.includes(key as keyof EmulatorOptions)) return badRequest(`unknown option '${key}'; known: ${OPTION_KEYS.join(', ')}`);
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return badRequest(`'${key}' must be a number >= 0`);
    changes[key as keyof EmulatorOptions] = value;
  }
  Object.assign(ctx.options, changes);
  return json(200, { ...ctx.options });
}

function queue(ctx: EmulatorContext, body: unknown): Reply {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return badRequest('the body must be a JSON object');
  const b = body as Record<string, unknown>;
  if (typeof b.pool !== 'string' || b.pool === '') return badRequest("'pool' must be a pool name");
  const demands = b.demands ?? [];
  if (!Array.isArray(demands) || demands.some((d) => typeof d !== 'string')) return badRequest("'demands' must be an array of strings");
  if (b.durationMs !== undefined && (typeof b.durationMs !== 'number' || b.durationMs < 0)) return badRequest("'durationMs' must be a number >= 0");
  const durationMs = (b.durationMs as number | undefined) ?? 1000;
  const agentExitCode = b.agentExitCode;
  if (agentExitCode !== undefined && !(Number.isInteger(agentExitCode) && (agentExitCode as number) >= 0 && (agentExitCode as number) <= 255)) {
    return badRequest("'agentExitCode' must be a whole number from 0 to 255");
  }
  try {
    return json(200, queueJob(ctx, { pool: b.pool, demands: demands as string[], durationMs, agentExitCode: agentExitCode as number | undefined }));
  } catch (error) {
    // The devops queue throws DevOpsHttpError (status, typeKey) for an unknown pool or a malformed demand.
    const err = error as Error & { status?: number; typeKey?: string };
    if (typeof err.status === 'number' && err.status >= 400 && err.status < 500) {
      return json(err.status, { error: { code: err.typeKey ?? err.name, message: err.message } });
    }
    throw new Error('queueing the job failed', { cause: error });
  }
}

/** Handles one control request (paths relative to the control URL; a doubled leading '/' is tolerated). */
export async function handleControl(req: EmuRequest, ctx: EmulatorContext, deps: ControlDeps): Promise<Reply> {
  const path = req.path.replace(/^\/+/, '/').replace(/\/+$/, '') || '/';
  let body: unknown;
  if (req.body.length > 0) {
    try {
      body = JSON.parse(req.body.toString('utf8'));
    } catch {
      return badRequest('the body is not valid JSON');
    }
  }
  const route = `${req.method} ${path}`;
  switch (route) {
    case 'GET /requests':
      return requestLog(req, ctx);
    case 'GET /container-groups':
      return containerGroupList(req, ctx);
    case 'GET /state':
      // Agent statuses and the queue are derived on demand: bring them up to date first.
      syncQueue(ctx);
      return json(200, stateDocument(ctx));
    case 'POST /jobs':
      return queue(ctx, body);
    case 'POST /faults':
      try {
        deps.faults.add(parseFaultRule(body));
      } catch (error) {
        return badRequest((error as Error).message);
      }
      return json(200, { faults: deps.faults.pending() });
    case 'GET /faults':
      return json(200, { faults: deps.faults.pending() });
    case 'POST /reset':
      await deps.reset();
      return json(200, { reset: true });
    case 'GET /config':
      return json(200, { ...ctx.options });
    case 'POST /config':
      return applyOptions(ctx, body);
    default:
      return json(404, { error: { code: 'NotFound', message: `no control route ${route}` } });
  }
}
