// RequestEphemeralAgent's inputs, validated before any cloud call.
import { agentNames } from '../naming';
import type { TaskIO } from '../task-io';
import { type AgentInputs, type AgentRegistration, readAgentInputs, readAgentRegistration, readAgentTarget } from './agent-inputs';
import type { AzureConnection } from './azure-connection';
import { InputReader } from './input-reader';
import type { ProviderParams } from './provider-params';

export interface RequestParams extends AgentInputs, AgentRegistration {
  provider: ProviderParams;
  connection?: AzureConnection;
  count: number;
  idleTimeoutMinutes: number;
  keepFailedMinutes: number;
  namePrefix: string;
  /** The agents' names, index 0 .. count-1. */
  names: string[];
}

export const MAX_AGENTS_PER_REQUEST = 50;

export function readRequestParams(io: TaskIO): RequestParams {
  const reader = new InputReader(io);
  const agent = readAgentInputs(reader, 'the name of the agent pool the agents join');
  const count = reader.number('count', 1, { min: 1, max: MAX_AGENTS_PER_REQUEST, integer: true, reason: 'agents per task' });
  const idleTimeoutMinutes = reader.number('idleTimeoutMinutes', 15, { min: 0, max: 1440, integer: true, reason: '0 = never' });
  const keepFailedMinutes = reader.number('keepFailedMinutes', 0, { min: 0, max: 1440, integer: true });
  const namePrefix = reader.optional('namePrefix') ?? 'eph';
  const target = readAgentTarget(io, reader, agent.image);
  const { pipeline, registration, devops } = readAgentRegistration(io, reader, target);
  return {
    pipeline,
    provider: target.provider,
    connection: target.connection,
    ...agent,
    count,
    idleTimeoutMinutes,
    keepFailedMinutes,
    namePrefix,
    names: agentNames(namePrefix, pipeline.runId, pipeline.jobId, count),
    registration,
    devops,
  };
}
