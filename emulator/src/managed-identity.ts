// Managed identity token endpoints, served by the emulated Entra: the App Service / Container Apps
// form (IDENTITY_ENDPOINT + IDENTITY_HEADER, api-version 2019-08-01) and IMDS
// (/metadata/identity/oauth2/token, api-version 2018-02-01, `Metadata: true`), as
// @azure/msal-node's ManagedIdentitySources/AppService.mjs and Imds.mjs call them. Tokens are issued
// per identity: the system-assigned one, or a user-assigned one named by client_id, object_id or its
// resource id (IMDS: msi_res_id; App Service: mi_res_id), the parameter names of msal-node's
// BaseManagedIdentitySource.mjs; an identity the resource does not have gets 400.
import { createHash, randomUUID } from 'node:crypto';
import type { EmuRequest, EmulatorContext, Reply } from './context';

/** The App Service form's path under the Entra origin (the value of IDENTITY_ENDPOINT). */
export const APP_SERVICE_PATH = '/msi/token';
/** IMDS's token path; AZURE_POD_IDENTITY_AUTHORITY_HOST is the origin it is appended to. */
export const IMDS_PATH = '/metadata/identity/oauth2/token';
const APP_SERVICE_API_VERSION = '2019-08-01';
const IMDS_API_VERSIONS = new Set(['2018-02-01', '2019-08-01', '2021-02-01']);
/** Managed identity tokens are valid for 24 hours (Microsoft Entra managed identities FAQ). */
export const MANAGED_IDENTITY_TOKEN_SECONDS = 24 * 3600;

/** A stable principal (object) id for an identity's client id. */
export function principalIdOf(clientId: string): string {
  const hex = createHash('sha256').update(`mi:${clientId}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The ARM id of the one user-assigned identity attached to the emulated resource. */
export function userIdentityResourceId(seed: EmulatorContext['seed']): string {
  return `/subscriptions/${seed.subscriptionId}/resourceGroups/${seed.resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ephemeral-agents`;
}

/**
 * The client id of the identity a request names, or undefined when the resource has no such identity.
 * `resourceIdParameter` is `msi_res_id` on IMDS and `mi_res_id` on App Service; App Service also takes
 * `principal_id` for `object_id` (learn.microsoft.com/azure/app-service/overview-managed-identity#rest-endpoint-reference).
 */
function identityFor(ctx: EmulatorContext, query: URLSearchParams, resourceIdParameter: 'msi_res_id' | 'mi_res_id'): string | undefined {
  const user = ctx.seed.userIdentityClientId;
  const named = (name: string) => {
    const value = query.get(name);
    return value === null || value === '' ? undefined : value.toLowerCase();
  };
  const clientId = named('client_id');
  const objectId = named('object_id') ?? (resourceIdParameter === 'mi_res_id' ? named('principal_id') : undefined);
  const resourceId = named(resourceIdParameter);
  if (clientId === undefined && objectId === undefined && resourceId === undefined) return ctx.seed.systemIdentityClientId;
  if (clientId !== undefined) return clientId === user.toLowerCase() ? user : undefined;
  if (objectId !== undefined) return objectId === principalIdOf(user) ? user : undefined;
  return resourceId === userIdentityResourceId(ctx.seed).toLowerCase() ? user : undefined;
}

function issue(ctx: EmulatorContext, clientId: string, resource: string): { token: string; expiresOn: number; notBefore: number } {
  const oid = principalIdOf(clientId);
  const now = Math.floor(Date.now() / 1000);
  const token = ctx.tokens.issue({
    aud: resource,
    iss: `https://sts.windows.net/${ctx.seed.tenantId}/`,
    tid: ctx.seed.tenantId,
    appid: clientId,
    appidacr: '2',
    oid,
    sub: oid,
    idtyp: 'app',
    ver: '1.0',
    uti: randomUUID().replace(/-/g, ''),
  }, MANAGED_IDENTITY_TOKEN_SECONDS);
  return { token, expiresOn: now + MANAGED_IDENTITY_TOKEN_SECONDS, notBefore: now };
}

/** `resource` as sent; MSAL sends the scope without `/.default`. */
function resourceOf(req: EmuRequest): string | undefined {
  const resource = req.query.get('resource');
  return resource ? resource.replace(/\/\.default$/, '') : undefined;
}

function appService(req: EmuRequest, ctx: EmulatorContext): Reply {
  const fail = (status: number, message: string): Reply => ({ status, body: { statusCode: status, message, correlationId: randomUUID() } });
  if (req.headers['x-identity-header'] !== ctx.seed.identityHeader) return fail(401, 'The X-IDENTITY-HEADER header is missing or does not match IDENTITY_HEADER.');
  if (req.query.get('api-version') !== APP_SERVICE_API_VERSION) return fail(400, `The api-version must be ${APP_SERVICE_API_VERSION}.`);
  const resource = resourceOf(req);
  if (!resource) return fail(400, "The 'resource' query parameter is required.");
  const clientId = identityFor(ctx, req.query, 'mi_res_id');
  if (!clientId) return fail(400, 'No User Assigned or Delegated Managed Identity found for specified ClientId/ResourceId/PrincipalId.');
  const { token, expiresOn } = issue(ctx, clientId, resource);
  return { status: 200, body: { access_token: token, expires_on: String(expiresOn), resource, token_type: 'Bearer', client_id: clientId } };
}

function imds(req: EmuRequest, ctx: EmulatorContext): Reply {
  const fail = (status: number, error: string, description: string): Reply => ({ status, body: { error, error_description: description } });
  if (String(req.headers.metadata ?? '').toLowerCase() !== 'true') return fail(400, 'invalid_request', 'Required metadata header not specified');
  if (!IMDS_API_VERSIONS.has(req.query.get('api-version') ?? '')) return fail(400, 'invalid_request', 'Invalid api-version');
  const resource = resourceOf(req);
  if (!resource) return fail(400, 'invalid_request', 'Required audience parameter not specified');
  const clientId = identityFor(ctx, req.query, 'msi_res_id');
  if (!clientId) return fail(400, 'invalid_request', 'Identity not found');
  const { token, expiresOn, notBefore } = issue(ctx, clientId, resource);
  return {
    status: 200,
    body: {
      access_token: token,
      client_id: clientId,
      expires_in: String(MANAGED_IDENTITY_TOKEN_SECONDS),
      expires_on: String(expiresOn),
      ext_expires_in: String(MANAGED_IDENTITY_TOKEN_SECONDS),
      not_before: String(notBefore),
      resource,
      token_type: 'Bearer',
    },
  };
}

/** The reply when `req` is a managed identity token request, else undefined. */
export function managedIdentityRoute(req: EmuRequest, ctx: EmulatorContext): Reply | undefined {
  // @azure/identity's IMDS request ends the path with a slash (/metadata/identity/oauth2/token/?api-version=...).
  const path = req.path.toLowerCase().replace(/\/$/, '');
  if (path !== APP_SERVICE_PATH && path !== IMDS_PATH) return undefined;
  if (req.method !== 'GET') return { status: 405, body: { error: 'invalid_request', error_description: 'Only GET is supported.' } };
  return path === APP_SERVICE_PATH ? appService(req, ctx) : imds(req, ctx);
}
