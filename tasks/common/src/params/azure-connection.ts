// An AzureRM service connection read into plain data: scheme, identity, secret, cloud endpoints.
// Secrets are masked the moment they are read.
import { InputError } from '../errors';
import { requireHttps } from './https';
import type { Endpoint, TaskIO } from '../task-io';

export type AzureAuthScheme = 'ServicePrincipal' | 'WorkloadIdentityFederation' | 'ManagedServiceIdentity';

export const DEFAULT_AUTHORITY = 'https://login.microsoftonline.com/';
export const DEFAULT_ARM_URL = 'https://management.azure.com/';
export const DEFAULT_ARM_RESOURCE = 'https://management.core.windows.net/';

export interface AzureConnection {
  /** The service connection's id (also the OIDC token's serviceConnectionId). */
  id: string;
  /** The name the user gave in the input (for messages). */
  input: string;
  scheme: AzureAuthScheme;
  /** ServicePrincipal only: secret or certificate. */
  authenticationType?: 'spnKey' | 'spnCertificate';
  tenantId?: string;
  clientId?: string;
  clientSecret?: string;
  /** PEM holding the certificate and its private key. */
  certificatePem?: string;
  subscriptionId?: string;
  /** Resource Manager URL (the connection URL), e.g. https://management.azure.com/. */
  armUrl: string;
  /** Entra authority host with a trailing slash. */
  authorityHost: string;
  /** The ARM audience (activeDirectoryServiceEndpointResourceId). */
  armResource: string;
  environment?: string;
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

function normaliseScheme(scheme: string | undefined, input: string): AzureAuthScheme {
  const known: AzureAuthScheme[] = ['ServicePrincipal', 'WorkloadIdentityFederation', 'ManagedServiceIdentity'];
  const hit = known.find((k) => k.toLowerCase() === (scheme ?? 'ServicePrincipal').toLowerCase());
  if (!hit) {
    throw new InputError(input,
      `The service connection in input '${input}' uses the authentication scheme '${scheme}', which this task does not support; ` +
      `use a service principal (secret or certificate), workload identity federation or a managed identity`);
  }
  return hit;
}

/** Reads the AzureRM connection named by `input` (its value is the connection id). */
export function readAzureConnection(io: Pick<TaskIO, 'getEndpoint' | 'setSecret'>, input: string, id: string): AzureConnection {
  const endpoint: Endpoint | undefined = io.getEndpoint(id);
  if (!endpoint) {
    throw new InputError(input,
      `Input '${input}' names the service connection '${id}', which this job cannot use: check its name and that the pipeline is authorized to use it`);
  }
  const scheme = normaliseScheme(endpoint.scheme, input);
  const tenantId = endpoint.authParameter('tenantid');
  const clientId = endpoint.authParameter('serviceprincipalid');
  const connection: AzureConnection = {
    id,
    input,
    scheme,
    tenantId,
    clientId,
    subscriptionId: endpoint.data('subscriptionId'),
    armUrl: withSlash(endpoint.url ?? DEFAULT_ARM_URL),
    authorityHost: withSlash(endpoint.data('activeDirectoryAuthority') ?? endpoint.data('environmentAuthorityUrl') ?? DEFAULT_AUTHORITY),
    armResource: endpoint.data('activeDirectoryServiceEndpointResourceId') ?? DEFAULT_ARM_RESOURCE,
    environment: endpoint.data('environment'),
  };
  requireHttps(connection.armUrl, input, 'The Resource Manager URL of the service connection');
  requireHttps(connection.authorityHost, input, 'The Microsoft Entra authority host of the service connection');
  const missing = (what: string) =>
    new InputError(input, `The service connection in input '${input}' has no ${what}: edit the connection and set it`);
  // A managed identity connection names a user-assigned identity in the data parameter msiclientId
  // (microsoft/azure-pipelines-tasks common-npm-packages/azure-arm-rest/azure-arm-endpoint.ts);
  // without it the agent's system-assigned identity is used.
  if (scheme === 'ManagedServiceIdentity') return { ...connection, clientId: endpoint.data('msiclientId') || undefined };
  if (!tenantId) throw missing('tenant id');
  if (!clientId) throw missing('service principal (client) id');
  if (scheme === 'WorkloadIdentityFederation') return connection;

  const certificate = endpoint.authParameter('servicePrincipalCertificate');
  const secret = endpoint.authParameter('serviceprincipalkey');
  const declared = endpoint.authParameter('authenticationType')?.toLowerCase();
  if (declared === 'spncertificate' || (!declared && certificate && !secret)) {
    if (!certificate) throw missing('certificate');
    io.setSecret(certificate);
    return { ...connection, authenticationType: 'spnCertificate', certificatePem: certificate };
  }
  if (!secret) throw missing('service principal key');
  io.setSecret(secret);
  return { ...connection, authenticationType: 'spnKey', clientSecret: secret };
}
