// ScaleAgentPool's inputs, validated before any cloud call.
import { InputError } from '../errors';
import { MAX_NAME_LENGTH, validateNamePrefix } from '../naming';
import { defaultAutoscaleFormula, validateAutoscaleFormula } from '../scaler/autoscale-formula';
import { validateFixedSettings } from '../scaler/fixed-slots';
import { DEFAULT_SCALE_IN_DELAY_MINUTES, type QueueSettings, validateQueueSettings } from '../scaler/policy';
import { SCALER_CAPABILITY, TEMPLATE_CAPABILITY, TEMPLATE_HASH_CAPABILITY, templateName } from '../scaler/pool-spec';
import type { TaskIO } from '../task-io';
import { type AgentInputs, type AgentRegistration, readAgentInputs, readAgentRegistration, readAgentTarget } from './agent-inputs';
import type { AzureConnection } from './azure-connection';
import { InputReader } from './input-reader';
import type { ProviderParams } from './provider-params';

export type ScaleMode = 'fixed' | 'queue';

export interface BatchAutoscaleParams {
  formula: string;
  /** True when the formula is the default one (built from batchMaxNodes and batchLowPriority). */
  isDefault: boolean;
}

export interface ScaleParams extends AgentInputs, AgentRegistration {
  provider: ProviderParams;
  connection?: AzureConnection;
  namePrefix: string;
  mode: ScaleMode;
  desiredCount: number;
  queue: QueueSettings;
  durationMinutes: number;
  intervalSeconds: number;
  sweep: boolean;
  /** Batch only. */
  autoscale?: BatchAutoscaleParams;
}

/** Most agents one pool may be given; ACI and Batch quotas are far below it anyway. */
export const MAX_POOL_AGENTS = 1000;
/** Batch task ids (`<slot>-<generation>`) may be 64 characters long. */
const MAX_BATCH_TASK_ID = 64;
const SCALER_RESERVED = [SCALER_CAPABILITY, TEMPLATE_CAPABILITY, TEMPLATE_HASH_CAPABILITY];

export function readScaleParams(io: TaskIO): ScaleParams {
  const reader = new InputReader(io);
  const agent = readAgentInputs(reader, 'the name of the agent pool to scale');
  for (const [name] of agent.capabilities) {
    if (SCALER_RESERVED.includes(name.toUpperCase())) {
      throw new InputError('capabilities', `Input 'capabilities' cannot set '${name}': ScaleAgentPool sets it on its agents and template; choose another name`);
    }
  }

  const namePrefix = reader.required('namePrefix', "lowercase letters, digits and '-', e.g. 'linux-pool'; it names this pool's agents and resources");
  validateNamePrefix(namePrefix);
  const mode = reader.choice('mode', ['fixed', 'queue'] as const, 'fixed');
  const desiredCount = reader.number('desiredCount', 1, { min: 0, max: MAX_POOL_AGENTS, integer: true });
  const minAgents = reader.number('minAgents', 0, { min: 0, max: MAX_POOL_AGENTS, integer: true });
  const maxAgents = reader.number('maxAgents', 10, { min: 0, max: MAX_POOL_AGENTS, integer: true });
  const minIdle = reader.number('minIdle', 0, { min: 0, max: MAX_POOL_AGENTS, integer: true });
  const scaleInDelayMinutes = reader.number('scaleInDelayMinutes', DEFAULT_SCALE_IN_DELAY_MINUTES, { min: 0, max: 1440 });
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

  const target = readAgentTarget(io, reader, agent.image);
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
  const { pipeline, registration, devops } = readAgentRegistration(io, reader, target);
  return {
    pipeline,
    provider: target.provider,
    connection: target.connection,
    ...agent,
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
