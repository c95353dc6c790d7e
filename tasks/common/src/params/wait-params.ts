// WaitForAgent's inputs.
import { InputError } from '../errors';
import type { TaskIO } from '../task-io';
import type { AzureConnection } from './azure-connection';
import { type DevOpsAuth, readDevOpsAuth } from './devops-auth';
import { InputReader } from './input-reader';
import { type PipelineContext, readPipelineContext } from './pipeline';
import { type ProviderParams, readAzureTarget } from './provider-params';

/** The plain job variable RequestEphemeralAgent sets for the other tasks of the job. */
export const NAMES_VARIABLE = 'EphemeralAgents.Names';
export const OS_TYPE_VARIABLE = 'EphemeralAgents.OsType';

/**
 * Where RequestEphemeralAgent put the agents: for each provider input, the plain job variable it sets
 * (WaitForAgent in the same job reads them) and the output variable of the same fact.
 */
export const PLACEMENT_VARIABLES = {
  provider: { variable: 'EphemeralAgents.Provider', output: 'provider' },
  subscriptionId: { variable: 'EphemeralAgents.SubscriptionId', output: 'subscriptionId' },
  resourceGroup: { variable: 'EphemeralAgents.ResourceGroup', output: 'resourceGroup' },
  batchAccountUrl: { variable: 'EphemeralAgents.BatchAccountUrl', output: 'batchAccountUrl' },
  batchPoolId: { variable: 'EphemeralAgents.BatchPoolId', output: 'batchPoolId' },
  batchJobId: { variable: 'EphemeralAgents.BatchJobId', output: 'batchJobId' },
} as const;

export type PlacementInput = keyof typeof PLACEMENT_VARIABLES;

/** The provider inputs RequestEphemeralAgent used, as it recorded them in this job's variables. */
export function placementOf(provider: ProviderParams): Partial<Record<PlacementInput, string>> {
  return provider.kind === 'aci'
    ? { provider: 'aci', subscriptionId: provider.subscriptionId, resourceGroup: provider.resourceGroup }
    : { provider: 'batch', batchAccountUrl: provider.accountUrl, batchPoolId: provider.poolId, batchJobId: provider.jobId };
}

/** The placement RequestEphemeralAgent recorded in this job, if it ran. */
function recordedPlacement(io: Pick<TaskIO, 'getVariable'>): Partial<Record<PlacementInput, string>> | undefined {
  const recorded = Object.fromEntries(Object.entries(PLACEMENT_VARIABLES)
    .map(([input, { variable }]) => [input, io.getVariable(variable)])
    .filter(([, value]) => value !== undefined)) as Partial<Record<PlacementInput, string>>;
  return recorded.provider ? recorded : undefined;
}

/** `io` whose provider inputs answer with the recorded placement (the other inputs unchanged). */
function withPlacement(io: TaskIO, placement: Partial<Record<PlacementInput, string>>): TaskIO {
  const overlay = Object.create(io) as TaskIO;
  overlay.getInput = (name: string) => (name in PLACEMENT_VARIABLES ? placement[name as PlacementInput] : undefined) ?? io.getInput(name);
  return overlay;
}

export interface WaitParams {
  pipeline: PipelineContext;
  agentPool: string;
  agentNames: string[];
  timeoutMinutes: number;
  devops: DevOpsAuth;
  /** Where the agents run, for diagnostics; undefined when the task has no Azure access. */
  provider?: ProviderParams;
  connection?: AzureConnection;
  /** True when `provider` is where RequestEphemeralAgent recorded it put the agents, not this task's inputs. */
  placementRecorded: boolean;
}

export function readAgentNames(reader: InputReader, io: Pick<TaskIO, 'getVariable'>, fallbackToVariable: boolean): string[] | undefined {
  const names = reader.list('agentNames') ?? (fallbackToVariable ? io.getVariable(NAMES_VARIABLE)?.split(',').map((s) => s.trim()).filter(Boolean) : undefined);
  for (const name of names ?? []) {
    if (!/^[\w.-]{1,64}$/.test(name)) throw new InputError('agentNames', `Input 'agentNames' has '${name}', which is not an agent name`);
  }
  return names && names.length > 0 ? names : undefined;
}

export function readWaitParams(io: TaskIO): WaitParams {
  const reader = new InputReader(io);
  const agentPool = reader.required('agentPool', 'the pool the agents register in');
  const agentNames = readAgentNames(reader, io, true);
  if (!agentNames) {
    throw new InputError('agentNames',
      `Input 'agentNames' is empty and the variable ${NAMES_VARIABLE} is not set: run RequestEphemeralAgent earlier in this job, or list the agents`);
  }
  // `auto` (the task.json default) means what RequestEphemeralAgent recorded.
  const osInput = reader.optional('osType');
  const osType = osInput !== undefined && osInput.toLowerCase() !== 'auto' ? osInput : io.getVariable(OS_TYPE_VARIABLE);
  const fallbackTimeout = osType?.toLowerCase() === 'windows' ? 30 : 15;
  const timeoutMinutes = reader.number('timeoutMinutes', fallbackTimeout, { min: 1, max: 1440 });
  // Azure access is optional here: with it, the task can explain a failed container.
  const hasAzure = reader.optional('azureSubscription') !== undefined || reader.optional('batchAuthentication')?.toLowerCase() === 'sharedkey';
  // The agents RequestEphemeralAgent started in this job are where it put them, whatever the provider
  // inputs here say (their defaults point at ACI), also when they are named here. Without that record,
  // the waiting learns each agent's place from its registration (EPHEMERAL_RESOURCE).
  const placement = recordedPlacement(io);
  const targetIo = placement ? withPlacement(io, placement) : io;
  const target = hasAzure ? readAzureTarget(targetIo, new InputReader(targetIo), 'diagnose') : undefined;
  const pipeline = readPipelineContext(io);
  const devops = readDevOpsAuth(io, reader, 'devopsAuthentication', target?.connection ? 'azureServiceConnection' : 'systemAccessToken', target?.connection, pipeline);
  return { pipeline, agentPool, agentNames, timeoutMinutes, devops, provider: target?.provider, connection: target?.connection,
    placementRecorded: placement !== undefined };
}
