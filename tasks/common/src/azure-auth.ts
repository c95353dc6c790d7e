// AzureRM service connection -> TokenCredential (secret, certificate, workload identity, managed
// identity), for public, sovereign and custom clouds alike: the authority, the ARM endpoint and the
// ARM audience all come from the connection. @azure/identity is loaded only when a credential is made.
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { type Clock, systemClock } from './clock';
import { CloudError, describeError, InputError } from './errors';
import { type AzureConnection, DEFAULT_AUTHORITY } from './params/azure-connection';
import type { TlsSettings } from './agent-tls';
import { type CoreProxySettings, toCoreProxySettings } from './proxy';
import { proxyWithTlsPolicy } from './proxy-tls-agent';
import { isTransient, withRetry } from './retry';
import type { ProxyConfig } from './task-io';

/** Azure DevOps' Entra application id: tokens for it authenticate to Azure DevOps REST and register agents. */
export const DEVOPS_RESOURCE = '499b84ac-1321-427f-aa17-267ca6975798';
export const DEVOPS_SCOPE = `${DEVOPS_RESOURCE}/.default`;

/**
 * The Batch resource of each cloud, by the connection's environment name and by the Batch account
 * URL's domain (Azure/azure-cli src/azure-cli-core/azure/cli/core/cloud.py, batch_resource_id).
 */
const BATCH_CLOUDS: ReadonlyArray<{ environment: string; domain: string; resource: string }> = [
  { environment: 'azurecloud', domain: '.batch.azure.com', resource: 'https://batch.core.windows.net/' },
  { environment: 'azureusgovernment', domain: '.batch.usgovcloudapi.net', resource: 'https://batch.core.usgovcloudapi.net/' },
  { environment: 'azurechinacloud', domain: '.batch.chinacloudapi.cn', resource: 'https://batch.chinacloudapi.cn/' },
];

/**
 * The token scope for a Batch account: from the account URL's domain when it names a known cloud,
 * else from the connection's environment, else the public cloud's.
 */
export function batchScope(accountUrl: string, environment?: string): string {
  const host = new URL(accountUrl).hostname.toLowerCase();
  const byDomain = BATCH_CLOUDS.find((c) => host.endsWith(c.domain));
  const byEnvironment = BATCH_CLOUDS.find((c) => c.environment === environment?.toLowerCase());
  return scopeFor((byDomain ?? byEnvironment ?? BATCH_CLOUDS[0]).resource);
}
/** Tokens with less than this left are renewed before use. */
export const REFRESH_MARGIN_MS = 5 * 60_000;

/** `<resource>/.default`, with one trailing '/' of the resource dropped. */
export function scopeFor(resource: string): string {
  return `${resource.endsWith('/') ? resource.slice(0, -1) : resource}/.default`;
}

export function armScope(connection: AzureConnection): string {
  return scopeFor(connection.armResource);
}

/** Options every ARM client gets: the connection's endpoint and audience (the SDK's defaults only fit public Azure). */
export function armClientOptions(connection: AzureConnection, proxy?: ProxyConfig, tls?: TlsSettings): { endpoint: string; credentialScopes: string[]; retryOptions: { maxRetries: number } } & CoreNetworkOptions {
  return {
    endpoint: connection.armUrl.replace(/\/+$/, ''),
    credentialScopes: [armScope(connection)],
    // One retry layer: the provider's retryCloudCall. The SDK's own (3 more attempts per call) multiplied
    // it: a persistent ARM 500 made 24 PUTs per agent.
    retryOptions: { maxRetries: 0 },
    ...coreNetworkOptions(proxy, tls),
  };
}

/** core-rest-pipeline client options for the agent's proxy and certificates. */
export interface CoreNetworkOptions {
  proxyOptions?: CoreProxySettings;
  tlsOptions?: TlsSettings;
  additionalPolicies?: Array<{ policy: PipelinePolicy; position: 'perCall' }>;
}

export function coreNetworkOptions(proxy: ProxyConfig | undefined, tls: TlsSettings | undefined): CoreNetworkOptions {
  // The pipeline ignores tlsOptions behind a proxy; both together go through our own proxy agent.
  if (proxy && tls) return { additionalPolicies: [{ policy: proxyWithTlsPolicy(proxy, tls), position: 'perCall' }] };
  return { proxyOptions: toCoreProxySettings(proxy), ...(tls ? { tlsOptions: tls } : {}) };
}

/** Instance discovery only works against Microsoft's public authority; any other host must skip it. */
export function needsInstanceDiscoveryDisabled(authorityHost: string): boolean {
  return new URL(authorityHost).host.toLowerCase() !== new URL(DEFAULT_AUTHORITY).host;
}

/** Attempts of one token request: the token service's transient failures are retried here, the one retry layer for Entra. */
export const TOKEN_ATTEMPTS = 5;

/**
 * A token request worth another attempt: a transient answer (429, 5xx, a reset connection) of the
 * token service or of its metadata document. @azure/identity wraps these in its own errors, so the
 * status is read from them, their causes and, last, their message. Refused credentials (400, 401:
 * invalid_client ...) are permanent.
 */
export function isTransientTokenError(error: unknown): boolean {
  if (isTransient(error)) return true;
  const e = error as { statusCode?: number; name?: string; message?: string; errorResponse?: { error?: string } } | undefined;
  if (!e || typeof e !== 'object') return false;
  // @azure/identity reports a metadata document it could not fetch as CredentialUnavailableError (endpoints_resolution_error).
  if (/endpoints_resolution_error|network_error/.test(String(e.message ?? ''))) return true;
  if (e.name === 'CredentialUnavailableError' || e.name === 'AbortError') return false;
  if (typeof e.statusCode === 'number') return e.statusCode === 429 || e.statusCode >= 500;
  if (e.errorResponse?.error && /^(invalid_|unauthorized_|access_denied|interaction_required)/.test(e.errorResponse.error)) return false;
  return /\b(429|50[0234])\b|ECONNRESET|ETIMEDOUT|ECONNREFUSED|socket hang up|temporarily unavailable/i.test(String(e.message ?? ''));
}

/** One token request with the token service's transient failures retried: the one retry layer for Entra. */
async function retryTokenRequest<T>(request: () => Promise<T>, clock: Clock, signal?: AbortSignal, deadline?: number): Promise<T> {
  let attempts = 0;
  return withRetry(() => {
    attempts++;
    return request();
  }, { clock, signal, deadline, maxAttempts: TOKEN_ATTEMPTS, isRetryable: isTransientTokenError }).catch((error: unknown) => {
    // Retried here already: a TaskError, so no caller's retry multiplies the attempts.
    if (attempts > 1 && isTransientTokenError(error)) {
      throw new CloudError('Microsoft Entra ID', `The token service failed ${attempts} times in a row: ${describeError(error)}`, undefined, undefined, { cause: error });
    }
    throw error;
  });
}

/** Caches one token per scope set and renews it when less than REFRESH_MARGIN_MS remain; concurrent callers share one request. */
export class RefreshingCredential implements TokenCredential {
  private readonly cache = new Map<string, AccessToken>();
  private readonly pending = new Map<string, Promise<AccessToken>>();

  constructor(private readonly inner: TokenCredential, private readonly clock: Clock = systemClock, private readonly deadline?: () => number | undefined) {}

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    const key = [scopes].flat().sort().join(' ');
    const cached = this.cache.get(key);
    if (cached && cached.expiresOnTimestamp - this.clock.now() > REFRESH_MARGIN_MS) return cached;
    let request = this.pending.get(key);
    if (!request) {
      request = (async () => {
        const token = await retryTokenRequest(() => this.inner.getToken(scopes, options), this.clock, options?.abortSignal as AbortSignal | undefined, this.deadline?.());
        if (!token) throw new CloudError('Microsoft Entra ID', `No token was issued for ${key}`);
        this.cache.set(key, token);
        return token;
      })().finally(() => this.pending.delete(key));
      this.pending.set(key, request);
    }
    return request;
  }
}

export interface CredentialDeps {
  /** Fetches a fresh OIDC token of the job for this connection (workload identity federation). */
  getOidcToken?: () => Promise<string>;
  proxy?: ProxyConfig;
  /** The agent's CA and client certificate (Agent.CAInfo...). */
  tls?: TlsSettings;
  clock?: Clock;
  /** Epoch ms after which no token request is retried (the task's deadline). */
  deadline?: () => number | undefined;
}

type IdentityModule = typeof import('@azure/identity');

function loadIdentity(): IdentityModule {
  // Loaded on first use so the task starts fast and tasks that never need Entra never load MSAL.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@azure/identity') as IdentityModule;
}

/** Which @azure/identity class a connection maps to (exposed for tests and logs). */
export function credentialKind(connection: AzureConnection): 'ClientSecretCredential' | 'ClientCertificateCredential' | 'ClientAssertionCredential' | 'ManagedIdentityCredential' {
  switch (connection.scheme) {
    case 'WorkloadIdentityFederation':
      return 'ClientAssertionCredential';
    case 'ManagedServiceIdentity':
      return 'ManagedIdentityCredential';
    default:
      return connection.authenticationType === 'spnCertificate' ? 'ClientCertificateCredential' : 'ClientSecretCredential';
  }
}

/** The raw @azure/identity credential for the connection (no caching of ours). */
export function createIdentityCredential(connection: AzureConnection, deps: CredentialDeps = {}, identity: IdentityModule = loadIdentity()): TokenCredential {
  const options = {
    authorityHost: connection.authorityHost,
    disableInstanceDiscovery: needsInstanceDiscoveryDisabled(connection.authorityHost),
    // One retry layer: RefreshingCredential retries transient failures (metadata document included).
    retryOptions: { maxRetries: 0 },
    ...coreNetworkOptions(deps.proxy, deps.tls),
  };
  const tenantId = connection.tenantId ?? '';
  const clientId = connection.clientId ?? '';
  switch (credentialKind(connection)) {
    case 'ClientAssertionCredential': {
      const getOidcToken = deps.getOidcToken;
      if (!getOidcToken) {
        throw new InputError(connection.input,
          `The service connection in input '${connection.input}' uses workload identity federation, which needs the job's OIDC token; ` +
          'run the task in an Azure Pipelines job (System.CollectionUri, System.PlanId, System.JobId and the job access token must be set)');
      }
      // A fresh assertion for every token request: OIDC tokens of the job live only minutes.
      return new identity.ClientAssertionCredential(tenantId, clientId, async () => {
        try {
          return await getOidcToken();
        } catch (error) {
          throw new CloudError('Azure DevOps', `Cannot get the job's OIDC token for the service connection in '${connection.input}': ${describeError(error)}`,
            undefined, undefined, { cause: error });
        }
      }, options);
    }
    case 'ManagedIdentityCredential':
      return connection.clientId ? new identity.ManagedIdentityCredential({ clientId: connection.clientId, ...options }) : new identity.ManagedIdentityCredential(options);
    case 'ClientCertificateCredential':
      return new identity.ClientCertificateCredential(tenantId, clientId, { certificate: connection.certificatePem ?? '' }, options);
    case 'ClientSecretCredential':
      return new identity.ClientSecretCredential(tenantId, clientId, connection.clientSecret ?? '', options);
  }
}

/** The credential the tasks use: @azure/identity behind a cache that renews tokens 5 minutes early. */
export function createAzureCredential(connection: AzureConnection, deps: CredentialDeps = {}): TokenCredential {
  let inner: TokenCredential | undefined;
  const lazy: TokenCredential = {
    getToken: async (scopes, options) => {
      inner ??= createIdentityCredential(connection, deps);
      try {
        return await inner.getToken(scopes, options);
      } catch (error) {
        // MSAL remembers a failed metadata fetch (endpoints_resolution_error) and would fail the next
        // attempt without a request: a transient failure gets a fresh credential for the retry.
        if (isTransientTokenError(error)) inner = undefined;
        throw error;
      }
    },
  };
  return new RefreshingCredential(lazy, deps.clock, deps.deadline);
}

/**
 * A credential that asks the token service anew on every call, bypassing every cache (ours and
 * MSAL's), with transient failures retried. Each attempt builds a new @azure/identity credential,
 * so MSAL's memory of a failed metadata fetch never fails the retry.
 */
export function createFreshAzureCredential(connection: AzureConnection, deps: CredentialDeps = {}): TokenCredential {
  return {
    getToken: (scopes, options) => retryTokenRequest(() => createIdentityCredential(connection, deps).getToken(scopes, options),
      deps.clock ?? systemClock, options?.abortSignal as AbortSignal | undefined, deps.deadline?.()),
  };
}

/** Turns an Entra failure into a message naming the connection. */
export function authenticationError(connection: AzureConnection, error: unknown): CloudError {
  return new CloudError('Microsoft Entra ID',
    `Authentication with the service connection in input '${connection.input}' failed: ${describeError(error)}. ` +
    'Check the connection (Project settings > Service connections > Verify)', undefined, undefined, { cause: error });
}
