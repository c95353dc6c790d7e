// The controller's Azure identity, from the environment variables @azure/identity reads (its
// EnvironmentCredential, WorkloadIdentityCredential and ManagedIdentityCredential, in that order, as
// DefaultAzureCredential tries them): a service principal secret or certificate, a federated token
// file (Kubernetes workload identity), else a managed identity (IDENTITY_ENDPOINT/IDENTITY_HEADER or
// IMDS). It is presented to the core as an AzureRM service connection, so the tasks' credential code
// (cloud endpoints, token cache, instance discovery) serves the controller unchanged.
import { readFileSync } from 'node:fs';
import { DEFAULT_ARM_RESOURCE, DEFAULT_AUTHORITY } from '../../tasks/common/src/params/azure-connection';
import type { Endpoint } from '../../tasks/common/src/task-io';
import { ConfigError } from './config';

/** The id under which the identity appears as the pools' `azureSubscription`. */
export const IDENTITY_ENDPOINT_ID = 'controller-identity';

export interface EnvironmentIdentity {
  endpoint: Endpoint;
  /** Workload identity: reads the federated token file afresh for every token request (it rotates). */
  getOidcToken?: () => Promise<string>;
  /** For the start-up log line. */
  description: string;
}

/** The ARM audience of a Resource Manager endpoint: each Azure cloud's own, else the public one. */
export function armAudienceOf(resourceManagerEndpoint: string): string {
  const host = new URL(resourceManagerEndpoint).host.toLowerCase();
  const clouds: Record<string, string> = {
    'management.azure.com': 'https://management.core.windows.net/',
    'management.usgovcloudapi.net': 'https://management.core.usgovcloudapi.net/',
    'management.chinacloudapi.cn': 'https://management.core.chinacloudapi.cn/',
  };
  return clouds[host] ?? DEFAULT_ARM_RESOURCE;
}

function readPem(path: string, variable: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(variable, `${variable}: cannot read '${path}' (${(error as NodeJS.ErrnoException).code ?? String(error)}): give the path of a PEM file holding the certificate and its private key`, { cause: error });
  }
}

export function identityFromEnvironment(env: NodeJS.ProcessEnv, resourceManagerEndpoint: string): EnvironmentIdentity {
  const tenantId = env.AZURE_TENANT_ID;
  const clientId = env.AZURE_CLIENT_ID;
  const authority = env.AZURE_AUTHORITY_HOST ?? DEFAULT_AUTHORITY;
  try {
    if (!/^https:\/\//i.test(authority)) throw new Error('not https');
    new URL(authority);
  } catch (error) {
    throw new ConfigError('AZURE_AUTHORITY_HOST', `AZURE_AUTHORITY_HOST must be an https URL such as ${DEFAULT_AUTHORITY}; got '${authority}'`, { cause: error });
  }
  const data: Record<string, string | undefined> = {
    activeDirectoryAuthority: authority,
    activeDirectoryServiceEndpointResourceId: armAudienceOf(resourceManagerEndpoint),
    subscriptionId: env.AZURE_SUBSCRIPTION_ID,
    // A managed identity connection names its user-assigned identity here; a service principal's id is an auth parameter.
    msiclientId: clientId,
  };
  const parameters: Record<string, string | undefined> = { tenantid: tenantId, serviceprincipalid: clientId };
  let scheme = 'ManagedServiceIdentity';
  let description = clientId ? `managed identity (client id ${clientId})` : 'managed identity';
  let getOidcToken: (() => Promise<string>) | undefined;

  const needsTenant = (how: string) => {
    if (!tenantId || !clientId) {
      throw new ConfigError(tenantId ? 'AZURE_CLIENT_ID' : 'AZURE_TENANT_ID', `${tenantId ? 'AZURE_CLIENT_ID' : 'AZURE_TENANT_ID'} is required with ${how}: set AZURE_TENANT_ID and AZURE_CLIENT_ID`);
    }
  };
  if (env.AZURE_CLIENT_SECRET) {
    needsTenant('AZURE_CLIENT_SECRET');
    scheme = 'ServicePrincipal';
    Object.assign(parameters, { authenticationType: 'spnKey', serviceprincipalkey: env.AZURE_CLIENT_SECRET });
    description = `service principal ${clientId} (client secret)`;
  } else if (env.AZURE_CLIENT_CERTIFICATE_PATH) {
    needsTenant('AZURE_CLIENT_CERTIFICATE_PATH');
    if (env.AZURE_CLIENT_CERTIFICATE_PASSWORD) {
      throw new ConfigError('AZURE_CLIENT_CERTIFICATE_PASSWORD', 'AZURE_CLIENT_CERTIFICATE_PASSWORD is not supported: give AZURE_CLIENT_CERTIFICATE_PATH a PEM file with an unencrypted key (mounted from a secret store)');
    }
    scheme = 'ServicePrincipal';
    Object.assign(parameters, { authenticationType: 'spnCertificate', servicePrincipalCertificate: readPem(env.AZURE_CLIENT_CERTIFICATE_PATH, 'AZURE_CLIENT_CERTIFICATE_PATH') });
    description = `service principal ${clientId} (certificate)`;
  } else if (env.AZURE_FEDERATED_TOKEN_FILE) {
    needsTenant('AZURE_FEDERATED_TOKEN_FILE');
    scheme = 'WorkloadIdentityFederation';
    const file = env.AZURE_FEDERATED_TOKEN_FILE;
    getOidcToken = async () => readFileSync(file, 'utf8').trim();
    description = `workload identity ${clientId} (federated token file)`;
  }
  const endpoint: Endpoint = {
    id: IDENTITY_ENDPOINT_ID,
    url: resourceManagerEndpoint,
    scheme,
    authParameter: (key) => Object.entries(parameters).find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1],
    data: (key) => data[key],
  };
  return { endpoint, getOidcToken, description };
}
