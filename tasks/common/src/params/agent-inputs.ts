// The inputs RequestEphemeralAgent and ScaleAgentPool share: what the agents are (pool, image, size,
// capabilities, tags), where they run and how they register. Each task adds its own inputs around them.
import { type OsType, validateCapabilities, validateTags } from '../agent-spec';
import { InputError } from '../errors';
import type { TaskIO } from '../task-io';
import type { AzureConnection } from './azure-connection';
import { type DevOpsAuth, type DevOpsAuthMode, readDevOpsAuth } from './devops-auth';
import type { InputReader } from './input-reader';
import { type PipelineContext, readPipelineContext } from './pipeline';
import { type ProviderParams, readAzureTarget } from './provider-params';

export const IMAGE_REFERENCE = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/i;

export interface AgentInputs {
  agentPool: string;
  image: string;
  osType: OsType;
  cpu: number;
  memoryGB: number;
  capabilities: Array<[string, string]>;
  tags: Array<[string, string]>;
}

/** `poolHint` says what the pool is for, in the message of a missing agentPool. */
export function readAgentInputs(reader: InputReader, poolHint: string): AgentInputs {
  const agentPool = reader.required('agentPool', poolHint);
  const image = reader.required('image', 'the agent image, e.g. myregistry.azurecr.io/azp-agent:ubuntu-24.04');
  if (!IMAGE_REFERENCE.test(image)) {
    throw new InputError('image', `Input 'image' must be an image reference such as myregistry.azurecr.io/azp-agent:ubuntu-24.04; got '${image}'`);
  }
  const osType = reader.choice('osType', ['Linux', 'Windows'] as const, 'Linux');
  const cpu = reader.number('cpu', 2, { min: 0.1, max: 4, reason: 'ACI limit' });
  const memoryGB = reader.number('memoryGB', 4, { min: 0.1, max: 16, reason: 'ACI limit' });
  const capabilities = reader.pairs('capabilities');
  validateCapabilities(capabilities);
  const tags = reader.pairs('tags');
  validateTags(tags);
  return { agentPool, image, osType, cpu, memoryGB, capabilities, tags };
}

export interface AgentTarget {
  provider: ProviderParams;
  connection?: AzureConnection;
  registrationMode: DevOpsAuthMode;
}

/** Where the agents run (ACI or Batch, with the Azure connection); read before the task's provider-specific inputs. */
export function readAgentTarget(io: TaskIO, reader: InputReader, image: string): AgentTarget {
  const registrationMode = reader.choice('registration', ['azureServiceConnection', 'systemAccessToken', 'pat'] as const, 'azureServiceConnection');
  const target = readAzureTarget(io, reader, 'create', { image, needsConnection: registrationMode === 'azureServiceConnection' });
  return { provider: target.provider, connection: target.connection, registrationMode };
}

export interface AgentRegistration {
  pipeline: PipelineContext;
  /** Which secret registers the agents. */
  registration: DevOpsAuth;
  /** How the task itself talks to Azure DevOps (pool lookup, cleanup of registrations). */
  devops: DevOpsAuth;
}

/** The opt-in for a PAT or job token on Batch, whose task environment anyone with read access can read. */
export const ALLOW_READABLE_TOKEN_ON_BATCH = 'allowReadableTokenOnBatch';

export function readAgentRegistration(io: TaskIO, reader: InputReader, target: AgentTarget): AgentRegistration {
  const pipeline = readPipelineContext(io);
  if (target.provider.kind === 'batch' && target.registrationMode !== 'azureServiceConnection') {
    // Batch has no secure environment settings: the token stays readable as long as the task record exists.
    if (!reader.boolean(ALLOW_READABLE_TOKEN_ON_BATCH, false)) {
      throw new InputError('registration',
        `Input 'registration' is '${target.registrationMode}' with provider 'batch': Batch keeps a task's environment, so this long-lived token, ` +
        `readable by anyone with read access to the Batch account for as long as the task record exists. Use 'registration: azureServiceConnection' ` +
        `(a short-lived Entra token), or set '${ALLOW_READABLE_TOKEN_ON_BATCH}: true' to accept that`);
    }
    io.warning(`Registering Batch agents with ${target.registrationMode === 'pat' ? 'a personal access token' : 'the job access token (System.AccessToken)'} ` +
      `(${ALLOW_READABLE_TOKEN_ON_BATCH}): anyone with read access to the Batch account can read it in the task's environment settings ` +
      `for as long as the task record exists (until the task is deleted). Prefer 'registration: azureServiceConnection'.`);
  }
  if (target.provider.kind === 'batch' && target.registrationMode === 'azureServiceConnection' && target.connection?.scheme === 'ManagedServiceIdentity') {
    io.warning(managedIdentityTokenOnBatchWarning());
  }
  const registration = readDevOpsAuth(io, reader, 'registration', target.registrationMode, target.connection, pipeline);
  const devops = readDevOpsAuth(io, reader, 'devopsAuthentication', registration.mode as DevOpsAuthMode, target.connection, pipeline);
  return { pipeline, registration, devops };
}

/**
 * A managed identity's Entra token (IMDS, App Service) lives about 24 hours, not the 60 to 90
 * minutes of a service principal's, and on Batch it sits in the task's environment settings.
 */
export function managedIdentityTokenOnBatchWarning(): string {
  return "Registering Batch agents with a managed identity connection: its Entra token for Azure DevOps lives about 24 hours " +
    "(managed identity tokens are not short-lived), and anyone with read access to the Batch account can read it in the task's " +
    'environment settings for that long, acting as that identity in Azure DevOps. Prefer a service principal or workload identity ' +
    "federation connection (tokens of 60 to 90 minutes), or give the identity rights on the ephemeral agent pools only.";
}
