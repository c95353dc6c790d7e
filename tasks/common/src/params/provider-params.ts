// Where agents run: Azure Container Instances or Azure Batch, with their inputs validated.
import { InputError } from '../errors';
import type { TaskIO } from '../task-io';
import { type AzureConnection, readAzureConnection } from './azure-connection';
import type { InputReader } from './input-reader';

export const PROVIDERS = ['aci', 'batch'] as const;
export type ProviderKind = (typeof PROVIDERS)[number];

export interface RegistryParams {
  server: string;
  username?: string;
  password?: string;
  /** ARM id of a user-assigned identity that pulls the image. */
  identity?: string;
}

export interface AciParams {
  kind: 'aci';
  subscriptionId: string;
  /** Required to create; optional to release (then found by tag across the subscription). */
  resourceGroup?: string;
  location?: string;
  priority: 'Regular' | 'Spot';
  subnetId?: string;
  registry?: RegistryParams;
}

export type BatchAuth = { kind: 'azureServiceConnection' } | { kind: 'sharedKey'; accountName: string; accountKey: string };

export interface BatchParams {
  kind: 'batch';
  accountUrl: string;
  poolId: string;
  jobId: string;
  auth: BatchAuth;
  registry?: RegistryParams;
  /** Extra `docker create` options for the agent's container (the task's containerSettings.containerRunOptions). */
  containerRunOptions?: string;
}

export type ProviderParams = AciParams | BatchParams;

export interface AzureTarget {
  provider: ProviderParams;
  /** The AzureRM connection, when one is given (required for ACI and for Batch with Entra auth). */
  connection?: AzureConnection;
}

export type ProviderPurpose = 'create' | 'release' | 'diagnose';

const RESOURCE_GROUP = /^[-\w.()]{1,90}$/;
const BATCH_ID = /^[A-Za-z0-9_-]{1,64}$/;
const SUBNET_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+\/subnets\/[^/]+$/i;
const IDENTITY_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/[^/]+$/i;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The registry host of an image reference, when it names one (`myacr.azurecr.io/x:1` -> `myacr.azurecr.io`). */
export function registryOfImage(image: string): string | undefined {
  const first = image.split('/')[0];
  return image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost') ? first : undefined;
}

function readRegistry(reader: InputReader, image: string | undefined): RegistryParams | undefined {
  const username = reader.optional('registryUsername');
  const password = reader.secret('registryPassword');
  const identity = reader.optional('registryIdentity');
  const server = reader.optional('registryServer') ?? (username || identity ? registryOfImage(image ?? '') : undefined);
  if (!server) {
    if (username || identity) {
      throw new InputError('registryServer', `Input 'registryServer' is required with registry credentials, e.g. myregistry.azurecr.io`);
    }
    return undefined;
  }
  if (/^[a-z]+:\/\//i.test(server) || server.includes('/')) {
    throw new InputError('registryServer', `Input 'registryServer' must be a host name such as myregistry.azurecr.io, without https:// or a path; got '${server}'`);
  }
  if (identity && (username || password)) {
    throw new InputError('registryIdentity', `Input 'registryIdentity' cannot be combined with 'registryUsername'/'registryPassword'; use one way to pull the image`);
  }
  if (identity && !IDENTITY_ID.test(identity)) {
    throw new InputError('registryIdentity',
      `Input 'registryIdentity' must be the resource id of a user-assigned identity (/subscriptions/.../providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>); got '${identity}'`);
  }
  if (username && !password) throw new InputError('registryPassword', `Input 'registryPassword' is required with 'registryUsername'`);
  if (password && !username) throw new InputError('registryUsername', `Input 'registryUsername' is required with 'registryPassword'`);
  if (!username && !identity) return undefined; // public image, or credentials already on the Batch pool
  return { server, username, password, identity };
}

function readConnection(io: Pick<TaskIO, 'getEndpoint' | 'setSecret'>, reader: InputReader, required: boolean, why: string): AzureConnection | undefined {
  const id = reader.optional('azureSubscription');
  if (!id) {
    if (required) {
      throw new InputError('azureSubscription', `Input 'azureSubscription' is required ${why}: choose an Azure Resource Manager service connection`);
    }
    return undefined;
  }
  return readAzureConnection(io, 'azureSubscription', id);
}

function readAci(reader: InputReader, connection: AzureConnection, purpose: ProviderPurpose, image: string | undefined): AciParams {
  const subscriptionId = reader.optional('subscriptionId') ?? connection.subscriptionId;
  if (!subscriptionId) {
    throw new InputError('subscriptionId',
      `Input 'subscriptionId' is required: the service connection in 'azureSubscription' names no subscription (it may be scoped to a management group)`);
  }
  if (!GUID.test(subscriptionId)) throw new InputError('subscriptionId', `Input 'subscriptionId' must be a subscription id (a GUID); got '${subscriptionId}'`);
  const resourceGroup = purpose === 'create' ? reader.required('resourceGroup', 'the resource group that holds the container groups') : reader.optional('resourceGroup');
  if (resourceGroup !== undefined && (!RESOURCE_GROUP.test(resourceGroup) || resourceGroup.endsWith('.'))) {
    throw new InputError('resourceGroup',
      `Input 'resourceGroup' must be 1-90 letters, digits, '-', '_', '.', '(' or ')', not ending in '.'; got '${resourceGroup}'`);
  }
  const rawLocation = reader.optional('location');
  const location = rawLocation?.toLowerCase().replace(/\s+/g, '');
  if (location !== undefined && !/^[a-z0-9]+$/.test(location)) {
    throw new InputError('location', `Input 'location' must be an Azure region name such as 'westeurope'; got '${rawLocation}'`);
  }
  const subnetId = reader.optional('subnetId');
  if (subnetId !== undefined && !SUBNET_ID.test(subnetId)) {
    throw new InputError('subnetId',
      `Input 'subnetId' must be a subnet resource id (/subscriptions/.../virtualNetworks/<vnet>/subnets/<subnet>); got '${subnetId}'`);
  }
  const priority = reader.choice('priority', ['Regular', 'Spot'] as const, 'Regular');
  // ACI cannot put a Spot container group into a virtual network (Spot containers overview).
  if (priority === 'Spot' && subnetId !== undefined) {
    throw new InputError('priority',
      "Input 'priority' is Spot and input 'subnetId' names a subnet, but Azure Container Instances cannot run Spot container groups in a virtual network: set 'priority' to Regular or clear 'subnetId'");
  }
  return {
    kind: 'aci',
    subscriptionId,
    resourceGroup,
    location,
    priority,
    subnetId,
    registry: purpose === 'create' ? readRegistry(reader, image) : undefined,
  };
}

function readBatch(reader: InputReader, purpose: ProviderPurpose, image: string | undefined): BatchParams {
  const accountUrl = reader.url('batchAccountUrl', reader.required('batchAccountUrl', 'e.g. https://myaccount.westeurope.batch.azure.com'),
    'https://myaccount.westeurope.batch.azure.com') as string;
  const poolId = purpose === 'create' ? reader.required('batchPoolId', 'the Batch pool whose nodes run the agent containers') : reader.optional('batchPoolId') ?? '';
  if (purpose === 'create' && !BATCH_ID.test(poolId)) {
    throw new InputError('batchPoolId', `Input 'batchPoolId' must be 1-64 letters, digits, '-' or '_'; got '${poolId}'`);
  }
  const jobId = reader.optional('batchJobId') ?? 'ephemeral-agents';
  if (!BATCH_ID.test(jobId)) throw new InputError('batchJobId', `Input 'batchJobId' must be 1-64 letters, digits, '-' or '_'; got '${jobId}'`);
  const mode = reader.choice('batchAuthentication', ['azureServiceConnection', 'sharedKey'] as const, 'azureServiceConnection');
  let auth: BatchAuth = { kind: 'azureServiceConnection' };
  if (mode === 'sharedKey') {
    const accountName = reader.optional('batchAccountName') ?? new URL(accountUrl).hostname.split('.')[0];
    const accountKey = reader.secret('batchAccountKey');
    if (!accountKey) {
      throw new InputError('batchAccountKey', `Input 'batchAccountKey' is required when 'batchAuthentication' is 'sharedKey': pass it from a secret variable`);
    }
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(accountKey)) {
      throw new InputError('batchAccountKey', `Input 'batchAccountKey' must be the account's base64 access key (copy it from the Keys page of the Batch account)`);
    }
    auth = { kind: 'sharedKey', accountName, accountKey };
  }
  const containerRunOptions = purpose === 'create' ? reader.optional('batchContainerRunOptions') : undefined;
  if (containerRunOptions !== undefined && /[\r\n\0]/.test(containerRunOptions)) {
    throw new InputError('batchContainerRunOptions', `Input 'batchContainerRunOptions' must be one line of docker create options, e.g. -v /var/run/docker.sock:/var/run/docker.sock`);
  }
  return { kind: 'batch', accountUrl, poolId, jobId, auth, registry: purpose === 'create' ? readRegistry(reader, image) : undefined, containerRunOptions };
}

/**
 * Reads the provider inputs. `needsConnection` says whether something else (e.g. Entra registration)
 * requires the AzureRM connection regardless of the provider.
 */
export function readAzureTarget(
  io: Pick<TaskIO, 'getEndpoint' | 'setSecret'>,
  reader: InputReader,
  purpose: ProviderPurpose,
  options: { image?: string; needsConnection?: boolean } = {},
): AzureTarget {
  const kind = reader.choice('provider', PROVIDERS, 'aci');
  const batchMode = kind === 'batch' ? reader.choice('batchAuthentication', ['azureServiceConnection', 'sharedKey'] as const, 'azureServiceConnection') : undefined;
  const connectionRequired = kind === 'aci' || batchMode === 'azureServiceConnection' || options.needsConnection === true;
  const why = kind === 'aci' ? 'to manage Azure Container Instances' : batchMode === 'azureServiceConnection' ? "for 'batchAuthentication: azureServiceConnection'" : 'for Entra registration';
  const connection = readConnection(io, reader, connectionRequired, why);
  if (kind === 'aci') return { provider: readAci(reader, connection as AzureConnection, purpose, options.image), connection };
  return { provider: readBatch(reader, purpose, options.image), connection };
}
