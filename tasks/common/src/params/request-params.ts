// RequestEphemeralAgent's inputs, validated before any cloud call.
import { type OsType, validateCapabilities, validateTags } from '../agent-spec';
import { InputError } from '../errors';
import { agentNames } from '../naming';
import type { TaskIO } from '../task-io';
import type { AzureConnection } from './azure-connection';
import { type DevOpsAuth, type DevOpsAuthMode, readDevOpsAuth } from './devops-auth';
import { InputReader } from './input-reader';
import { type PipelineContext, readPipelineContext } from './pipeline';
import { type ProviderParams, readAzureTarget } from './provider-params';

export interface RequestParams {
  pipeline: PipelineContext;
  provider: ProviderParams;
  connection?: AzureConnection;
  agentPool: string;
  image: string;
  osType: OsType;
  cpu: number;
  memoryGB: number;
  count: number;
  idleTimeoutMinutes: number;
  capabilities: Array<[string, string]>;
  tags: Array<[string, string]>;
  keepFailedMinutes: number;
  namePrefix: string;
  /** The agents' names, index 0 .. count-1. */
  names: string[];
  /** Which secret registers the agents. */
  registration: DevOpsAuth;
  /** How this task itself talks to Azure DevOps (pool lookup, cleanup of registrations). */
  devops: DevOpsAuth;
}

export const MAX_AGENTS_PER_REQUEST = 50;

export const IMAGE_REFERENCE = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/i;

export function readRequestParams(io: TaskIO): RequestParams {
  const reader = new InputReader(io);
  const agentPool = reader.required('agentPool', 'the name of the agent pool the agents join');
  const image = reader.required('image', 'the agent image, e.g. myregistry.azurecr.io/azp-agent:ubuntu-24.04');
  if (!IMAGE_REFERENCE.test(image)) {
    throw new InputError('image', `Input 'image' must be an image reference such as myregistry.azurecr.io/azp-agent:ubuntu-24.04; got '${image}'`);
  }
  const osType = reader.choice('osType', ['Linux', 'Windows'] as const, 'Linux');
  const cpu = reader.number('cpu', 2, { min: 0.1, max: 4, reason: 'ACI limit' });
  const memoryGB = reader.number('memoryGB', 4, { min: 0.1, max: 16, reason: 'ACI limit' });
  const count = reader.number('count', 1, { min: 1, max: MAX_AGENTS_PER_REQUEST, integer: true, reason: 'agents per task' });
  const idleTimeoutMinutes = reader.number('idleTimeoutMinutes', 15, { min: 0, max: 1440, integer: true, reason: '0 = never' });
  const keepFailedMinutes = reader.number('keepFailedMinutes', 0, { min: 0, max: 1440, integer: true });
  const capabilities = reader.pairs('capabilities');
  validateCapabilities(capabilities);
  const tags = reader.pairs('tags');
  validateTags(tags);
  const namePrefix = reader.optional('namePrefix') ?? 'eph';

  const registrationMode = reader.choice('registration', ['azureServiceConnection', 'systemAccessToken', 'pat'] as const, 'azureServiceConnection');
  const target = readAzureTarget(io, reader, 'create', { image, needsConnection: registrationMode === 'azureServiceConnection' });
  const pipeline = readPipelineContext(io);
  const names = agentNames(namePrefix, pipeline.runId, pipeline.jobId, count);
  const registration = readDevOpsAuth(io, reader, 'registration', registrationMode, target.connection, pipeline);
  const devops = readDevOpsAuth(io, reader, 'devopsAuthentication', registration.mode as DevOpsAuthMode, target.connection, pipeline);
  return {
    pipeline,
    provider: target.provider,
    connection: target.connection,
    agentPool,
    image,
    osType,
    cpu,
    memoryGB,
    count,
    idleTimeoutMinutes,
    capabilities,
    tags,
    keepFailedMinutes,
    namePrefix,
    names,
    registration,
    devops,
  };
}
