// Microsoft Entra ID for one tenant and one application: OpenID discovery, signing keys, and the
// v2.0 token endpoint's client-credentials grant with a client secret, a certificate assertion or a
// federated assertion from the emulated Azure DevOps. Errors carry the real AADSTS codes and shape.
import { createHash, randomInt, randomUUID, X509Certificate } from 'node:crypto';
import type { EmuRequest, EmulatorContext, Reply, Service } from './context';
import { managedIdentityRoute } from './managed-identity';
import {
  decodeJwt, devopsOidcIssuer, FEDERATION_AUDIENCE, rsaSignatureValid, trimOneSlash, withinValidity, type DecodedJwt,
} from './tokens';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const DEFAULT_SUFFIX = '/.default';
const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);
/** Entra's default access token life: a random 60 to 90 minutes (configurable token lifetimes docs). */
const MIN_DEFAULT_LIFETIME_SECONDS = 60 * 60;
const MAX_DEFAULT_LIFETIME_SECONDS = 90 * 60;

/** The life of the next access token: the configured one, else a random one as Entra assigns it. */
export function tokenLifetimeSeconds(configured: number | undefined): number {
  if (configured && configured > 0) return Math.floor(configured);
  return MIN_DEFAULT_LIFETIME_SECONDS + randomInt(MAX_DEFAULT_LIFETIME_SECONDS - MIN_DEFAULT_LIFETIME_SECONDS + 1);
}

/** Entra's timestamp format in error bodies: `2024-05-01 12:34:56Z`. */
function entraTimestamp(date = new Date()): string {
  return date.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function entraError(status: number, error: string, aadsts: number, message: string, origin = ''): Reply {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = entraTimestamp();
  return {
    status,
    headers: { 'Cache-Control': 'no-store, no-cache', Pragma: 'no-cache' },
    body: {
      error,
      error_description: `AADSTS${aadsts}: ${message} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
      error_codes: [aadsts],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `${origin}/error?code=${aadsts}`,
    },
  };
}

/** The service principal's object id: stable per application. */
function servicePrincipalId(clientId: string): string {
  const hex = createHash('sha256').update(`sp:${clientId}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function seededCertificate(pem: string): X509Certificate | undefined {
  const block = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem);
  return block ? new X509Certificate(block[0]) : undefined;
}

/** Compares a thumbprint as MSAL sends it (base64url of the digest) with a digest, tolerating base64 and hex. */
function thumbprintMatches(presented: unknown, digest: Buffer): boolean {
  if (typeof presented !== 'string') return false;
  const normalized = presented.replace(/=+$/, '');
  return [digest.toString('base64url'), digest.toString('base64').replace(/=+$/, ''), digest.toString('hex')]
    .some((form) => form.toLowerCase() === normalized.toLowerCase());
}

function openIdConfiguration(origin: string, tenant: string): Record<string, unknown> {
  const base = `${origin}/${tenant}`;
  return {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${base}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${origin}/oidc/userinfo`,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'tid', 'ver', 'at_hash', 'c_hash'],
    tenant_region_scope: 'NA',
    cloud_instance_name: 'microsoftonline.com',
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: 'graph.microsoft.com',
  };
}

/** The instance discovery answer (MSAL asks for it unless instance discovery is disabled). */
function instanceDiscovery(origin: string, tenant: string): Record<string, unknown> {
  const host = new URL(origin).host;
  return {
    tenant_discovery_endpoint: `${origin}/${tenant}/v2.0/.well-known/openid-configuration`,
    'api-version': '1.1',
    metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
  };
}

interface Client {
  /** How the client authenticated: `appidacr` 1 = secret, 2 = certificate or assertion. */
  appidacr: '1' | '2';
}

export function createEntraService(): Service {
  function tokenRequest(req: EmuRequest, ctx: EmulatorContext, tenant: string): Reply {
    const origin = ctx.urls.entra;
    const fail = (status: number, error: string, code: number, message: string) => entraError(status, error, code, message, origin);
    const form = new URLSearchParams(req.body.toString('utf8'));
    const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    const [basicId, basicSecret] = basic ? Buffer.from(basic[1], 'base64').toString('utf8').split(':').map(decodeURIComponent) : [];

    if (tenant.toLowerCase() !== ctx.seed.tenantId.toLowerCase()) {
      return fail(400, 'invalid_request', 90002,
        `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. ` +
        'Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.');
    }
    const grantType = form.get('grant_type');
    if (!grantType) return fail(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'grant_type'.");
    if (grantType !== 'client_credentials') {
      return fail(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grantType}'.`);
    }
    const clientId = form.get('client_id') ?? basicId;
    if (!clientId) return fail(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'client_id'.");
    if (clientId !== ctx.seed.clientId) {
      return fail(400, 'unauthorized_client', 700016,
        `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application ` +
        'has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent ' +
        'your authentication request to the wrong tenant.');
    }

    const scopes = (form.get('scope') ?? '').split(/\s+/).filter((s) => s && !OIDC_SCOPES.has(s));
    if (scopes.length === 0) return fail(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'scope'.");
    const scope = scopes[0];
    if (scopes.length > 1 || !scope.endsWith(DEFAULT_SUFFIX) || scope.length === DEFAULT_SUFFIX.length) {
      return fail(400, 'invalid_scope', 1002012,
        `The provided value for scope ${scopes.join(' ')} is not valid. Client credential flows must have a scope value with ` +
        '/.default suffixed to the resource identifier (application ID URI).');
    }

    const client = authenticateClient(ctx, form, basicSecret, tenant, fail);
    if ('status' in client) return client;

    const oid = servicePrincipalId(clientId);
    const lifetime = tokenLifetimeSeconds(ctx.options.entraTokenLifetimeSeconds);
    const accessToken = ctx.tokens.issue({
      aud: scope.slice(0, -DEFAULT_SUFFIX.length),
      iss: `${origin}/${tenant}/v2.0`,
      tid: ctx.seed.tenantId,
      appid: clientId,
      azp: clientId,
      appidacr: client.appidacr,
      azpacr: client.appidacr,
      oid,
      sub: oid,
      idtyp: 'app',
      ver: '2.0',
      uti: randomUUID().replace(/-/g, ''),
    }, lifetime);
    return {
      status: 200,
      headers: { 'Cache-Control': 'no-store, no-cache', Pragma: 'no-cache' },
      body: { token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: accessToken },
    };
  }

  type Fail = (status: number, error: string, code: number, message: string) => Reply;

  function authenticateClient(ctx: EmulatorContext, form: URLSearchParams, basicSecret: string | undefined, tenant: string, fail: Fail): Client | Reply {
    const secret = form.get('client_secret') ?? basicSecret;
    const assertion = form.get('client_assertion');
    if (secret !== undefined && secret !== null) {
      if (secret !== ctx.seed.clientSecret) {
        return fail(401, 'invalid_client', 7000215,
          'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client ' +
          `secret ID, for a secret added to app '${ctx.seed.clientId}'.`);
      }
      return { appidacr: '1' };
    }
    if (!assertion) {
      return fail(401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
    }
    if (form.get('client_assertion_type') !== JWT_BEARER) {
      return fail(400, 'invalid_request', 700020, `The client_assertion_type is invalid, it must be '${JWT_BEARER}'.`);
    }
    const jwt = decodeJwt(assertion);
    if (!jwt) return fail(400, 'invalid_request', 50027, 'JWT token is invalid or malformed.');
    if (jwt.header['x5t'] !== undefined || jwt.header['x5t#S256'] !== undefined) {
      return certificateAssertion(ctx, jwt, tenant, fail);
    }
    return federatedAssertion(ctx, jwt, fail);
  }

  function certificateAssertion(ctx: EmulatorContext, jwt: DecodedJwt, tenant: string, fail: Fail): Client | Reply {
    const cert = seededCertificate(ctx.seed.clientCertificatePem);
    const der = cert?.raw;
    const presented = jwt.header['x5t#S256'] ?? jwt.header['x5t'];
    const registered = der !== undefined && (jwt.header['x5t#S256'] !== undefined
      ? thumbprintMatches(jwt.header['x5t#S256'], createHash('sha256').update(der).digest())
      : thumbprintMatches(jwt.header['x5t'], createHash('sha1').update(der).digest()));
    if (!cert || !registered) {
      return fail(401, 'invalid_client', 700027,
        'The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key ' +
        `was not found., Thumbprint of key used by client: '${String(presented)}', Please visit the Azure Portal, Graph Explorer ` +
        `or directly use MS Graph to see configured keys for app Id '${ctx.seed.clientId}'.]`);
    }
    if (!rsaSignatureValid(jwt, cert.publicKey)) return fail(401, 'invalid_client', 7000274, 'Client assertion contains an invalid signature.');
    const claims = jwt.claims;
    if (claims.iss !== ctx.seed.clientId || claims.sub !== ctx.seed.clientId) {
      return fail(401, 'invalid_client', 700021, "Client assertion application identifier doesn't match 'client_id' parameter.");
    }
    const tokenPath = `/${tenant}/oauth2/v2.0/token`.toLowerCase();
    const aud = typeof claims.aud === 'string' ? claims.aud : '';
    let audPath = '';
    try {
      audPath = new URL(aud).pathname.toLowerCase();
    } catch {
      audPath = '';
    }
    if (audPath !== tokenPath && trimOneSlash(audPath) !== `/${tenant}/v2.0`.toLowerCase()) {
      return fail(401, 'invalid_client', 700022, `The audience '${aud}' of the client assertion is not the token endpoint of this tenant.`);
    }
    if (!withinValidity(claims)) return fail(401, 'invalid_client', 700024, 'Client assertion is not within its valid time range.');
    return { appidacr: '2' };
  }

  function federatedAssertion(ctx: EmulatorContext, jwt: DecodedJwt, fail: Fail): Client | Reply {
    const claims = jwt.claims;
    const issuer = devopsOidcIssuer(ctx.seed);
    if (claims.iss !== issuer) {
      return fail(400, 'invalid_request', 700211,
        `No matching federated identity record found for presented assertion issuer '${String(claims.iss)}'. Please note that ` +
        'the matching is done using a case-sensitive comparison. Check your federated identity credential Subject, Audience and ' +
        'Issuer against the presented assertion.');
    }
    if (claims.aud !== FEDERATION_AUDIENCE) {
      return fail(400, 'invalid_request', 700212,
        `No matching federated identity record found for presented assertion audience '${String(claims.aud)}'. Please note ` +
        'that the matching is done using a case-sensitive comparison. Check your federated identity credential Subject, ' +
        'Audience and Issuer against the presented assertion.');
    }
    const [key] = ctx.tokens.jwks().keys;
    if (jwt.header.kid !== key.kid || ctx.tokens.verify(`${jwt.signingInput}.${jwt.signature.toString('base64url')}`) === null) {
      if (jwt.header.kid === key.kid && !withinValidity(claims, Math.floor(Date.now() / 1000) + 300)) {
        return fail(400, 'invalid_request', 700024, 'Client assertion is not within its valid time range.');
      }
      return fail(401, 'invalid_client', 5002738, `Invalid JWT token. The token was not signed by a key of issuer '${issuer}'.`);
    }
    if (typeof claims.sub !== 'string' || claims.sub === '') {
      return fail(400, 'invalid_request', 700213, 'No matching federated identity record found for presented assertion subject.');
    }
    return { appidacr: '2' };
  }

  async function handle(req: EmuRequest, ctx: EmulatorContext): Promise<Reply> {
    const managedIdentity = managedIdentityRoute(req, ctx);
    if (managedIdentity) return managedIdentity;
    const segments = req.path.split('/').filter(Boolean).map(decodeURIComponent);
    const [tenant, ...rest] = segments;
    const route = rest.join('/').toLowerCase();
    const origin = ctx.urls.entra;
    const knownTenant = tenant !== undefined && tenant.toLowerCase() === ctx.seed.tenantId.toLowerCase();
    const unknownTenant = () => entraError(400, 'invalid_tenant', 90002,
      `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`, origin);

    if (req.method === 'GET' && route === 'discovery/instance') {
      const authority = req.query.get('authorization_endpoint') ?? '';
      const match = /^https?:\/\/[^/]+\/([^/]+)/.exec(authority);
      return { status: 200, body: instanceDiscovery(origin, match?.[1] ?? ctx.seed.tenantId) };
    }
    if (req.method === 'GET' && (route === 'v2.0/.well-known/openid-configuration' || route === '.well-known/openid-configuration')) {
      return knownTenant ? { status: 200, body: openIdConfiguration(origin, ctx.seed.tenantId) } : unknownTenant();
    }
    if (req.method === 'GET' && (route === 'discovery/v2.0/keys' || route === 'discovery/keys')) {
      return knownTenant ? { status: 200, body: ctx.tokens.jwks() } : unknownTenant();
    }
    if (route === 'oauth2/v2.0/token') {
      if (req.method !== 'POST') {
        return entraError(400, 'invalid_request', 900561, 'The endpoint only accepts POST requests. Received a GET request.', origin);
      }
      return tokenRequest(req, ctx, tenant ?? '');
    }
    return { status: 404, headers: { 'Content-Type': 'text/html' }, body: '<html><body>Not Found</body></html>' };
  }

  return {
    name: 'entra',
    handle,
    errorReply(status, code, message) {
      const error = status >= 500 || status === 429 ? (status === 500 ? 'server_error' : 'temporarily_unavailable') : 'invalid_request';
      return entraError(status, error, 90033, `${code}: ${message}`);
    },
  };
}
