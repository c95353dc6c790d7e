// Azure Resource Manager for Microsoft.ContainerInstance (api-version 2023-05-01) and resource group
// reads: authentication, routing (path segments case-insensitive, as ARM), and the operations.
import { randomUUID } from 'node:crypto';
import type { EmuRequest, EmulatorContext, Reply, Service } from '../context';
import type { ContainerGroupRecord } from '../store';
import { allowedAudiences, audienceAllowed, bearerToken } from '../tokens';
import { cloudError, containerGroupNotFound, invalidRequestContent, resourceGroupNotFound } from './cloud-error';
import { ContainerGroupRuntime, materializeIdentity, newContainerRecords, type AsyncOperation } from './runtime';
import { isObject, validateContainerGroup } from './validation';
import { containerGroupView } from './wire';

export const ACI_API_VERSION = '2023-05-01';
const PROVIDER = 'Microsoft.ContainerInstance';
/** Where the real ARM points token requests in WWW-Authenticate challenges. */
const LOGIN_AUTHORITY = 'https://login.windows.net';

type Json = Record<string, unknown>;

interface Route {
  subscriptionId: string;
  resourceGroup?: string;
  name?: string;
  action?: string;
  container?: string;
  location?: string;
  operationId?: string;
  kind: 'resourceGroup' | 'listBySubscription' | 'listByResourceGroup' | 'group' | 'action' | 'logs' | 'operation';
}

const SEGMENT = '([^/]+)';
const ROUTES: [RegExp, Route['kind'], (keyof Route)[]][] = [
  [new RegExp(`^/subscriptions/${SEGMENT}/resourcegroups/${SEGMENT}$`, 'i'), 'resourceGroup', ['subscriptionId', 'resourceGroup']],
  [new RegExp(`^/subscriptions/${SEGMENT}/providers/${PROVIDER}/containergroups$`, 'i'), 'listBySubscription', ['subscriptionId']],
  [new RegExp(`^/subscriptions/${SEGMENT}/providers/${PROVIDER}/locations/${SEGMENT}/operations/${SEGMENT}$`, 'i'), 'operation',
    ['subscriptionId', 'location', 'operationId']],
  [new RegExp(`^/subscriptions/${SEGMENT}/resourcegroups/${SEGMENT}/providers/${PROVIDER}/containergroups$`, 'i'), 'listByResourceGroup',
    ['subscriptionId', 'resourceGroup']],
  [new RegExp(`^/subscriptions/${SEGMENT}/resourcegroups/${SEGMENT}/providers/${PROVIDER}/containergroups/${SEGMENT}$`, 'i'), 'group',
    ['subscriptionId', 'resourceGroup', 'name']],
  [new RegExp(`^/subscriptions/${SEGMENT}/resourcegroups/${SEGMENT}/providers/${PROVIDER}/containergroups/${SEGMENT}/(start|stop|restart)$`, 'i'),
    'action', ['subscriptionId', 'resourceGroup', 'name', 'action']],
  [new RegExp(`^/subscriptions/${SEGMENT}/resourcegroups/${SEGMENT}/providers/${PROVIDER}/containergroups/${SEGMENT}/containers/${SEGMENT}/logs$`, 'i'),
    'logs', ['subscriptionId', 'resourceGroup', 'name', 'container']],
];

function matchRoute(path: string): Route | undefined {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  for (const [pattern, kind, keys] of ROUTES) {
    const match = pattern.exec(trimmed);
    if (!match) continue;
    const route: Route = { kind, subscriptionId: '' };
    keys.forEach((key, i) => {
      (route as unknown as Record<string, string>)[key] = decodeURIComponent(match[i + 1]);
    });
    if (route.action) route.action = route.action.toLowerCase();
    return route;
  }
  return undefined;
}

function unauthorized(ctx: EmulatorContext, code: string, message: string): Reply {
  const challenge = `Bearer authorization_uri="${LOGIN_AUTHORITY}/${ctx.seed.tenantId}", error="invalid_token", error_description="${message}"`;
  return cloudError(401, code, message, { 'WWW-Authenticate': challenge });
}

function authenticate(req: EmuRequest, ctx: EmulatorContext): Reply | undefined {
  const token = bearerToken(req.headers);
  if (!req.headers.authorization) {
    return unauthorized(ctx, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.");
  }
  if (!token) {
    return unauthorized(ctx, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is provided in an invalid format.");
  }
  const claims = ctx.tokens.verify(token);
  if (!claims) return unauthorized(ctx, 'InvalidAuthenticationToken', 'The access token is invalid.');
  if (!audienceAllowed(claims, 'arm')) {
    const allowed = allowedAudiences('arm').flatMap((a) => [`${a}/`, a]).map((a) => `'${a}'`).join(',');
    return unauthorized(ctx, 'InvalidAuthenticationTokenAudience',
      `The access token has been obtained for wrong audience or resource '${String(claims.aud)}'. ` +
      `It should exactly match with one of the allowed audiences ${allowed}.`);
  }
  if (claims.tid !== ctx.seed.tenantId) {
    return unauthorized(ctx, 'InvalidAuthenticationTokenTenant',
      `The access token is from the wrong issuer '${String(claims.iss)}'. It must match the tenant ` +
      `'${LOGIN_AUTHORITY}/${ctx.seed.tenantId}/' associated with this subscription. Please use the authority (URL) ` +
      `'${LOGIN_AUTHORITY}/${ctx.seed.tenantId}' to get the token.`);
  }
  return undefined;
}

function checkApiVersion(req: EmuRequest, route: Route, ctx: EmulatorContext): Reply | undefined {
  const version = req.query.get('api-version');
  if (!version) {
    return cloudError(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
  }
  if (route.kind === 'resourceGroup') {
    if (/^\d{4}-\d{2}-\d{2}(-preview)?$/.test(version)) return undefined;
    return cloudError(400, 'InvalidApiVersionParameter', `The api-version '${version}' is invalid. The supported versions are '${ACI_API_VERSION}'.`);
  }
  if (version === ACI_API_VERSION) return undefined;
  return cloudError(400, 'NoRegisteredProviderFound',
    `No registered resource provider found for location '${ctx.seed.location.toLowerCase()}' and API version '${version}' for type ` +
    `'containerGroups'. The supported api-versions are '${ACI_API_VERSION}'. The supported locations are '${ctx.seed.location.toLowerCase()}'.`);
}

function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function findResourceGroup(ctx: EmulatorContext, route: Route) {
  return ctx.store.resourceGroups.find((rg) => sameName(rg.subscriptionId, route.subscriptionId) && sameName(rg.name, route.resourceGroup ?? ''));
}

function findGroup(ctx: EmulatorContext, route: Route): ContainerGroupRecord | undefined {
  return ctx.store.containerGroups.find((g) =>
    sameName(g.subscriptionId, route.subscriptionId) && sameName(g.resourceGroup, route.resourceGroup ?? '') && sameName(g.name, route.name ?? ''));
}

function parseBody(req: EmuRequest): { value: unknown } | Reply {
  if (req.body.length === 0) return { value: undefined };
  try {
    return { value: JSON.parse(req.body.toString('utf8')) };
  } catch (error) {
    return invalidRequestContent((error as Error).message);
  }
}

function json(status: number, body: unknown, headers?: Record<string, string>): Reply {
  return { status, body, headers };
}

export function createArmService(): Service {
  const runtime = new ContainerGroupRuntime();

  function operationUrl(ctx: EmulatorContext, op: AsyncOperation, location: string): string {
    const loc = encodeURIComponent(location.toLowerCase().replace(/\s/g, ''));
    return `${ctx.urls.arm}/subscriptions/${ctx.seed.subscriptionId}/providers/${PROVIDER}/locations/${loc}/operations/${op.id}?api-version=${ACI_API_VERSION}`;
  }

  function asyncHeaders(ctx: EmulatorContext, op: AsyncOperation, location: string): Record<string, string> {
    return { 'Azure-AsyncOperation': operationUrl(ctx, op, location), 'Retry-After': '1' };
  }

  function resourceGroupView(ctx: EmulatorContext, route: Route): Reply {
    const rg = findResourceGroup(ctx, route);
    if (!rg) return resourceGroupNotFound(route.resourceGroup ?? '');
    return json(200, {
      id: `/subscriptions/${rg.subscriptionId}/resourceGroups/${rg.name}`,
      name: rg.name,
      type: 'Microsoft.Resources/resourceGroups',
      location: rg.location,
      tags: rg.tags,
      properties: { provisioningState: 'Succeeded' },
    });
  }

  async function put(req: EmuRequest, ctx: EmulatorContext, route: Route): Promise<Reply> {
    const parsed = parseBody(req);
    if ('status' in parsed) return parsed;
    const name = route.name ?? '';
    // ARM's front door answers for a missing resource group before the provider sees the body.
    const rg = findResourceGroup(ctx, route);
    if (!rg) return resourceGroupNotFound(route.resourceGroup ?? '');
    const valid = validateContainerGroup(ctx, name, parsed.value);
    if ('status' in valid) return valid;
    const existing = findGroup(ctx, route);
    const body = parsed.value as Json;
    const zones = Array.isArray(body.zones) ? body.zones.map(String) : undefined;
    if (existing) {
      await runtime.stopContainers(existing);
      existing.location = valid.location;
      existing.tags = valid.tags;
      existing.identity = materializeIdentity(valid.identity, ctx.seed.tenantId, existing.identity);
      existing.properties = valid.properties;
      existing.zones = zones;
      existing.stopped = false;
      existing.containers = newContainerRecords(valid.containers);
      const op = runtime.newOperation();
      runtime.provision(ctx, existing, op);
      return json(200, containerGroupView(existing, true), asyncHeaders(ctx, op, existing.location));
    }
    const group: ContainerGroupRecord = {
      id: `/subscriptions/${rg.subscriptionId}/resourceGroups/${rg.name}/providers/${PROVIDER}/containerGroups/${name}`,
      name,
      resourceGroup: rg.name,
      subscriptionId: rg.subscriptionId,
      location: valid.location,
      tags: valid.tags,
      provisioningState: 'Pending',
      properties: valid.properties,
      identity: materializeIdentity(valid.identity, ctx.seed.tenantId),
      containers: newContainerRecords(valid.containers),
      createdAt: new Date().toISOString(),
      zones,
    };
    ctx.store.containerGroups.push(group);
    const op = runtime.newOperation();
    runtime.provision(ctx, group, op);
    return json(201, containerGroupView(group, true), asyncHeaders(ctx, op, group.location));
  }

  function patchTags(req: EmuRequest, group: ContainerGroupRecord): Reply {
    const parsed = parseBody(req);
    if ('status' in parsed) return parsed;
    const body = parsed.value;
    if (isObject(body) && isObject(body.tags)) {
      group.tags = Object.fromEntries(Object.entries(body.tags).map(([k, v]) => [k, String(v)]));
    }
    return json(200, containerGroupView(group, true));
  }

  /** 200 with the body when nothing runs; 202 + Azure-AsyncOperation while containers are killed; 204 when absent. */
  function remove(ctx: EmulatorContext, route: Route, group: ContainerGroupRecord | undefined): Reply {
    if (!group) return { status: 204 };
    if (!runtime.hasRunningContainers(group)) {
      ctx.store.containerGroups.splice(ctx.store.containerGroups.indexOf(group), 1);
      return json(200, containerGroupView(group, true));
    }
    group.provisioningState = 'Deleting';
    const op = runtime.track(async () => {
      await runtime.stopContainers(group);
      const index = ctx.store.containerGroups.indexOf(group);
      if (index >= 0) ctx.store.containerGroups.splice(index, 1);
    });
    return { status: 202, headers: { ...asyncHeaders(ctx, op, group.location), Location: operationUrl(ctx, op, group.location) } };
  }

  function action(ctx: EmulatorContext, route: Route, group: ContainerGroupRecord): Reply {
    switch (route.action) {
      case 'stop':
        // Not an LRO in the spec: 204 once the containers are told to stop.
        group.stopped = true;
        void runtime.stopContainers(group);
        return { status: 204 };
      case 'start': {
        group.stopped = false;
        group.containers = newContainerRecords(group.properties.containers as Json[]);
        const op = runtime.newOperation();
        runtime.provision(ctx, group, op);
        return { status: 202, headers: asyncHeaders(ctx, op, group.location) };
      }
      default: {
        // restart: the spec's only answer is 204; the containers come back right after.
        const restart = async () => {
          await runtime.stopContainers(group);
          group.stopped = false;
          group.containers = newContainerRecords(group.properties.containers as Json[]);
          runtime.provision(ctx, group, runtime.newOperation());
        };
        void restart();
        return { status: 204 };
      }
    }
  }

  function logs(req: EmuRequest, route: Route, group: ContainerGroupRecord): Reply {
    const record = group.containers.find((c) => sameName(c.name, route.container ?? ''));
    if (!record) {
      return cloudError(404, 'ContainerNotFound', `The container '${route.container}' is not found in container group '${group.name}'.`);
    }
    let content = record.log;
    const tail = Number.parseInt(req.query.get('tail') ?? '', 10);
    if (Number.isInteger(tail) && tail >= 0) {
      const lines = content.split('\n');
      if (lines[lines.length - 1] === '') lines.pop();
      content = tail === 0 ? '' : lines.slice(-tail).join('\n') + '\n';
    }
    return json(200, { content });
  }

  function operationStatus(ctx: EmulatorContext, route: Route): Reply {
    const op = runtime.operation(route.operationId ?? '');
    if (!op) return cloudError(404, 'OperationNotFound', `The operation '${route.operationId}' could not be found.`);
    const body: Json = {
      id: `/subscriptions/${ctx.seed.subscriptionId}/providers/${PROVIDER}/locations/${route.location}/operations/${op.id}`,
      name: op.id,
      status: op.status,
      startTime: op.startTime,
    };
    if (op.endTime) body.endTime = op.endTime;
    if (op.error) body.error = op.error;
    return json(200, body, op.status === 'InProgress' ? { 'Retry-After': '1' } : undefined);
  }

  async function handle(req: EmuRequest, ctx: EmulatorContext): Promise<Reply> {
    const authError = authenticate(req, ctx);
    if (authError) return authError;
    const route = matchRoute(req.path);
    if (!route) {
      return cloudError(404, 'InvalidResourceType', `The resource type could not be found in the namespace '${PROVIDER}' for api version '${req.query.get('api-version') ?? ''}'.`);
    }
    if (!sameName(route.subscriptionId, ctx.seed.subscriptionId)) {
      return cloudError(404, 'SubscriptionNotFound', `The subscription '${route.subscriptionId}' could not be found.`);
    }
    const versionError = checkApiVersion(req, route, ctx);
    if (versionError) return versionError;
    const method = req.method.toUpperCase();
    const notAllowed = (): Reply => cloudError(405, 'MethodNotAllowed', `The requested method '${method}' is not allowed for this resource.`);

    switch (route.kind) {
      case 'resourceGroup':
        if (method === 'HEAD') return { status: findResourceGroup(ctx, route) ? 204 : 404 };
        return method === 'GET' ? resourceGroupView(ctx, route) : notAllowed();
      case 'operation':
        return method === 'GET' ? operationStatus(ctx, route) : notAllowed();
      case 'listBySubscription':
        if (method !== 'GET') return notAllowed();
        return json(200, {
          value: ctx.store.containerGroups.filter((g) => sameName(g.subscriptionId, route.subscriptionId)).map((g) => containerGroupView(g, false)),
        });
      case 'listByResourceGroup':
        if (method !== 'GET') return notAllowed();
        if (!findResourceGroup(ctx, route)) return resourceGroupNotFound(route.resourceGroup ?? '');
        return json(200, {
          value: ctx.store.containerGroups
            .filter((g) => sameName(g.subscriptionId, route.subscriptionId) && sameName(g.resourceGroup, route.resourceGroup ?? ''))
            .map((g) => containerGroupView(g, false)),
        });
      default:
        break;
    }

    if (route.kind === 'group' && method === 'PUT') return put(req, ctx, route);
    if (!findResourceGroup(ctx, route)) return resourceGroupNotFound(route.resourceGroup ?? '');
    const group = findGroup(ctx, route);
    if (route.kind === 'group' && method === 'DELETE') return remove(ctx, route, group);
    if (!group) return containerGroupNotFound(route.name ?? '', route.resourceGroup ?? '');
    if (route.kind === 'group') {
      if (method === 'GET') return json(200, containerGroupView(group, true));
      if (method === 'PATCH') return patchTags(req, group);
      return notAllowed();
    }
    if (route.kind === 'action') return method === 'POST' ? action(ctx, route, group) : notAllowed();
    return method === 'GET' ? logs(req, route, group) : notAllowed();
  }

  /** Every ARM answer carries request ids; the client's own id is echoed, as ARM does. */
  async function handleWithIds(req: EmuRequest, ctx: EmulatorContext): Promise<Reply> {
    const reply = await handle(req, ctx);
    const requestId = randomUUID();
    const clientRequestId = req.headers['x-ms-client-request-id'];
    const ids: Record<string, string> = { 'x-ms-request-id': requestId, 'x-ms-correlation-request-id': requestId };
    if (typeof clientRequestId === 'string') ids['x-ms-client-request-id'] = clientRequestId;
    return { ...reply, headers: { ...ids, ...reply.headers } };
  }

  return {
    name: 'arm',
    handle: handleWithIds,
    errorReply: (status, code, message) => cloudError(status, code, message),
    reset: () => runtime.reset(),
    stop: () => runtime.reset(),
  };
}
