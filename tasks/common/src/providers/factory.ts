// Builds the provider the inputs ask for, loading only that provider's SDK.
import type { TokenCredential } from '@azure/core-auth';
import type { TlsSettings } from '../agent-tls';
import { armClientOptions, batchScope } from '../azure-auth';
import { type Clock, systemClock } from '../clock';
import { CloudError } from '../errors';
import type { AzureConnection } from '../params/azure-connection';
import type { BatchParams, ProviderParams } from '../params/provider-params';
import { type ProxyLookup, toCoreProxySettings } from '../proxy';
import { armWriteLimit, throttlingObserverPolicy } from './arm-throttling';
import { AciProvider } from './aci';
import { BatchProvider } from './batch';
import { BatchPoolAutoscaler } from './batch-autoscale';
import { createBatchHttpClient } from './batch-http-client';
import { LazyProvider, type ProviderFacts } from './lazy-provider';
import type { PoolAutoscaler } from './pool-autoscaler';
import type { AgentProvider } from './provider';

export interface ProviderContext {
  connection?: AzureConnection;
  credential?: TokenCredential;
  proxy: ProxyLookup;
  /** The agent's CA and client certificate (Agent.CAInfo...). */
  tls?: TlsSettings;
  clock?: Clock;
  signal?: AbortSignal;
  deadline?: () => number | undefined;
  debug?: (message: string) => void;
}

type AciModule = typeof import('@azure/arm-containerinstance');
type BatchModule = typeof import('@azure/batch');
type MsRestModule = typeof import('@azure/ms-rest-js');
type RestPipelineModule = typeof import('@azure/core-rest-pipeline');

const RESOURCE_GROUPS_API_VERSION = '2021-04-01';

function connectionIdentity(connection: AzureConnection | undefined): string {
  return connection ? `the identity of the service connection in '${connection.input}'` : 'the Batch shared key';
}

/** What `createProvider` would answer about the provider, without loading an SDK. */
export function describeProvider(params: ProviderParams): ProviderFacts {
  return params.kind === 'aci'
    ? { description: AciProvider.describe(params), serviceName: AciProvider.serviceName, listedStateIsCurrent: false, listingFix: AciProvider.listingFix }
    : { description: BatchProvider.describe(params), serviceName: BatchProvider.serviceName, listedStateIsCurrent: true };
}

/** The provider, built on its first call: the SDK behind it need not load before the task's first request. */
export function createLazyProvider(params: ProviderParams, context: ProviderContext): AgentProvider {
  return new LazyProvider(() => createProvider(params, context), describeProvider(params));
}

/**
 * The autoscaler of the pool the provider's agents run on, when it has one (a Batch pool); its SDK
 * loads on the first call.
 */
export function createPoolAutoscaler(params: ProviderParams, formula: string, context: ProviderContext): PoolAutoscaler | undefined {
  if (params.kind !== 'batch') return undefined;
  const poolId = params.poolId;
  let autoscaler: PoolAutoscaler | undefined;
  return {
    poolId,
    ensure: () => {
      autoscaler ??= new BatchPoolAutoscaler(poolId, formula, { pool: createBatchClient(params, context).pool, clock: context.clock ?? systemClock, signal: context.signal });
      return autoscaler.ensure();
    },
  };
}

export function createProvider(params: ProviderParams, context: ProviderContext): AgentProvider {
  const common = { clock: context.clock, signal: context.signal, deadline: context.deadline, debug: context.debug };
  if (params.kind === 'aci') {
    const { connection, credential } = context;
    if (!connection || !credential) throw new CloudError('Azure Resource Manager', "Azure Container Instances need the service connection in input 'azureSubscription'");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sdk = require('@azure/arm-containerinstance') as AciModule;
    const writes = armWriteLimit(context.clock ?? systemClock);
    const network = armClientOptions(connection, context.proxy(connection.armUrl), context.tls);
    const options = { ...network, additionalPolicies: [...(network.additionalPolicies ?? []), { policy: throttlingObserverPolicy(writes), position: 'perRetry' as const }] };
    const client = new sdk.ContainerInstanceManagementClient(credential, params.subscriptionId, options);
    const resourceGroupLocation = async (resourceGroup: string): Promise<string> => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const rest = require('@azure/core-rest-pipeline') as RestPipelineModule;
      const url = `${options.endpoint}/subscriptions/${encodeURIComponent(params.subscriptionId)}/resourcegroups/${encodeURIComponent(resourceGroup)}?api-version=${RESOURCE_GROUPS_API_VERSION}`;
      const response = await client.sendRequest(rest.createPipelineRequest({ url, method: 'GET', abortSignal: context.signal }));
      const body = response.bodyAsText ? (JSON.parse(response.bodyAsText) as { location?: string; error?: { code?: string; message?: string } }) : {};
      if (response.status >= 300 || !body.location) {
        const error = new CloudError('Azure Resource Manager',
          `Resource group '${resourceGroup}' cannot be read (${body.error?.code ?? response.status}): ${body.error?.message ?? 'no location'}. Check input 'resourceGroup' or set 'location'`,
          response.status, body.error?.code);
        // Transient answers are retried by the provider; everything else is final.
        throw response.status === 429 || response.status >= 500 ? Object.assign(new Error(error.message), { statusCode: response.status, cause: error, responseHeaders: response.headers.toJSON() }) : error;
      }
      return body.location.toLowerCase().replace(/\s+/g, '');
    };
    return new AciProvider(params, client, { ...common, resourceGroupLocation, identity: connectionIdentity(connection), writes });
  }

  const client = createBatchClient(params, context);
  return new BatchProvider(params, client, { ...common, identity: params.auth.kind === 'sharedKey' ? 'the Batch shared key' : connectionIdentity(context.connection) });
}

function createBatchClient(params: BatchParams, context: ProviderContext): InstanceType<BatchModule['BatchServiceClient']> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sdk = require('@azure/batch') as BatchModule;
  let credentials: ConstructorParameters<BatchModule['BatchServiceClient']>[0];
  if (params.auth.kind === 'sharedKey') {
    credentials = new sdk.BatchSharedKeyCredentials(params.auth.accountName, params.auth.accountKey);
  } else {
    const credential = context.credential;
    if (!credential) throw new CloudError('Azure Batch', "Azure Batch with Entra authentication needs the service connection in input 'azureSubscription'");
    const scope = batchScope(params.accountUrl, context.connection?.environment);
    credentials = {
      signRequest: async (request) => {
        const token = await credential.getToken(scope, { abortSignal: context.signal });
        if (!token) throw new CloudError('Microsoft Entra ID', `No token was issued for ${scope}`);
        request.headers.set('authorization', `Bearer ${token.token}`);
        return request;
      },
    };
  }
  const proxy = toCoreProxySettings(context.proxy(params.accountUrl));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const httpClient = createBatchHttpClient(require('@azure/ms-rest-js') as MsRestModule, context.tls);
  // noRetryPolicy: the provider retries (honouring Retry-After within the task's deadline); the SDK's own
  // policies would multiply the attempts and wait about 30 s on a 503.
  return new sdk.BatchServiceClient(credentials, params.accountUrl, { httpClient, noRetryPolicy: true, ...(proxy ? { proxySettings: proxy } : {}) });
}
