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

export interface WaitParams {
  pipeline: PipelineContext;
  agentPool: string;
  agentNames: string[];
  timeoutMinutes: number;
  devops: DevOpsAuth;
  /** Where the agents run, for diagnostics; undefined when the task has no Azure access. */
  provider?: ProviderParams;
  connection?: AzureConnection;
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
  const target = hasAzure ? readAzureTarget(io, reader, 'diagnose') : undefined;
  const pipeline = readPipelineContext(io);
  const devops = readDevOpsAuth(io, reader, 'devopsAuthentication', target?.connection ? 'azureServiceConnection' : 'systemAccessToken', target?.connection, pipeline);
  return { pipeline, agentPool, agentNames, timeoutMinutes, devops, provider: target?.provider, connection: target?.connection };
}
