// ScaleAgentPool's inputs, validated before any cloud call.
import { type OsType, validateCapabilities, validateTags } from '../agent-spec';
import { InputError } from '../errors';
import { MAX_NAME_LENGTH, validateNamePrefix } from '../naming';
import { defaultAutoscaleFormula, validateAutoscaleFormula } from '../scale/autoscale-formula';
import { validateFixedSettings } from '../scale/fixed-slots';
import { type QueueSettings, validateQueueSettings } from '../scale/policy';
import { SCALER_CAPABILITY, TEMPLATE_CAPABILITY, TEMPLATE_HASH_CAPABILITY, templateName } from '../scaler/pool-spec';
import type { TaskIO } from '../task-io';
import type { AzureConnection } from './azure-connection';
import { type DevOpsAuth, type DevOpsAuthMode, readDevOpsAuth } from './devops-auth';
import { InputReader } from './input-reader';
import { type PipelineContext, readPipelineContext } from './pipeline';
import { type ProviderParams, readAzureTarget } from './provider-params';
import { IMAGE_REFERENCE } from './request-params';

export type ScaleMode = 'fixed' | 'queue';

export interface BatchAutoscaleParams {
  formula: string;
  /** True when the formula is the default one (built from batchMaxNodes and batchLowPriority). */
  isDefault: boolean;
}

export interface ScaleParams {
  pipeline: PipelineContext;
  provider: ProviderParams;
  connection?: AzureConnection;
  agentPool: string;
  image: string;
  osType: OsType;
  cpu: number;
  memoryGB: number;
  capabilities: Array<[string, string]>;
  tags: Array<[string, string]>;
  namePrefix: string;
  mode: ScaleMode;
  desiredCount: number;
  queue: QueueSettings;
  durationMinutes: number;
  intervalSeconds: number;
  sweep: boolean;
  /** Batch only. */
  autoscale?: BatchAutoscaleParams;
  registration: DevOpsAuth;
  devops: DevOpsAuth;
}

/** Most agents one pool may be given; ACI and Batch quotas are far below it anyway. */
export const MAX_POOL_AGENTS = 1000;
/** Batch task ids (`<slot>-<generation>`) may be 64 characters long. */
const MAX_BATCH_TASK_ID = 64;
const SCALER_RESERVED = [SCALER_CAPABILITY, TEMPLATE_CAPABILITY, TEMPLATE_HASH_CAPABILITY];

export function readScaleParams(io: TaskIO): ScaleParams {
  const reader = new InputReader(io);
  const agentPool = reader.required('agentPool', 'the name of the agent pool to scale');
  const image = reader.required('image', 'the agent image, e.g. myregistry.azurecr.io/azp-agent:ubuntu-24.04');
  if (!IMAGE_REFERENCE.test(image)) {
    throw new InputError('image', `Input 'image' must be an image reference such as myregistry.azurecr.io/azp-agent:ubuntu-24.04; got '${image}'`);
  }
  const osType = reader.choice('osType', ['Linux', 'Windows'] as const, 'Linux');
  const cpu = reader.number('cpu', 2, { min: 0.1, max: 4, reason: 'ACI limit' });
  const memoryGB = reader.number('memoryGB', 4, { min: 0.1, max: 16, reason: 'ACI limit' });
  const capabilities = reader.pairs('capabilities');
  validateCapabilities(capabilities);
  for (const [name] of capabilities) {
    if (SCALER_RESERVED.includes(name.toUpperCase())) {
      throw new InputError('capabilities', `Input 'capabilities' cannot set '${name}': ScaleAgentPool sets it on its agents and template; choose another name`);
    }
  }
  const tags = reader.pairs('tags');
  validateTags(tags);

  const namePrefix = reader.required('namePrefix', "lowercase letters, digits and '-', e.g. 'linux-pool'; it names this pool's agents and resources");
  validateNamePrefix(namePrefix);
  const mode = reader.choice('mode', ['fixed', 'queue'] as const, 'fixed');
  const desiredCount = reader.number('desiredCount', 1, { min: 0, max: MAX_POOL_AGENTS, integer: true });
  const minAgents = reader.number('minAgents', 0, { min: 0, max: MAX_POOL_AGENTS, integer: true });
  const maxAgents = reader.number('maxAgents', 10, { min: 0, max: MAX_POOL_AGENTS, integer: true });
  const minIdle = reader.number('minIdle', 0, { min: 0, max: MAX_POOL_AGENTS, integer: true });
  const scaleInDelayMinutes = reader.number('scaleInDelayMinutes', 15, { min: 0, max: 1440 });
  const parallel = reader.optional('maxParallelJobs');
  const maxParallelJobs = parallel === undefined ? undefined : reader.number('maxParallelJobs', 0, { min: 0, max: 100_000, integer: true });
  const queue = validateQueueSettings({ minAgents, maxAgents, minIdle, scaleInDelayMinutes, maxParallelJobs });
  const slots = mode === 'fixed' ? desiredCount : maxAgents;
  validateFixedSettings(slots, namePrefix);
  // The longest names: the template registration, and a Batch task id `<slot>-<generation>`.
  const template = templateName(namePrefix);
  if (template.length > MAX_NAME_LENGTH) {
    throw new InputError('namePrefix', `Input 'namePrefix' is too long: the template registration '${template}' would exceed ${MAX_NAME_LENGTH} characters`);
  }
  const durationMinutes = reader.number('durationMinutes', 0, { min: 0, max: 1440, reason: '0 = one pass' });
  const intervalSeconds = reader.number('intervalSeconds', 60, { min: 1, max: 3600, integer: true });
  const sweep = reader.boolean('sweep', true);

  const registrationMode = reader.choice('registration', ['azureServiceConnection', 'systemAccessToken', 'pat'] as const, 'azureServiceConnection');
  const target = readAzureTarget(io, reader, 'create', { image, needsConnection: registrationMode === 'azureServiceConnection' });
  let autoscale: BatchAutoscaleParams | undefined;
  if (target.provider.kind === 'batch') {
    const longestTask = `${namePrefix}-${Math.max(0, slots - 1)}-9999999999`;
    if (longestTask.length > MAX_BATCH_TASK_ID) {
      throw new InputError('namePrefix', `Input 'namePrefix' is too long for Batch task ids such as '${longestTask}' (at most ${MAX_BATCH_TASK_ID} characters)`);
    }
    const custom = reader.optional('batchAutoscaleFormula');
    const maxNodes = reader.number('batchMaxNodes', 10, { min: 0, max: 10_000, integer: true });
    const lowPriority = reader.boolean('batchLowPriority', false);
    autoscale = custom !== undefined
      ? { formula: validateAutoscaleFormula(custom), isDefault: false }
      : { formula: defaultAutoscaleFormula({ maxNodes, lowPriority }), isDefault: true };
  }
  const pipeline = readPipelineContext(io);
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
    capabilities,
    tags,
    namePrefix,
    mode,
    desiredCount,
    queue,
    durationMinutes,
    intervalSeconds,
    sweep,
    autoscale,
    registration,
    devops,
  };
}
