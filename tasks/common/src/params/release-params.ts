// ReleaseEphemeralAgent's inputs.
import type { TaskIO } from '../task-io';
import type { AzureConnection } from './azure-connection';
import { type DevOpsAuth, readDevOpsAuth } from './devops-auth';
import { InputReader } from './input-reader';
import { type PipelineContext, readPipelineContext } from './pipeline';
import { type ProviderParams, readAzureTarget } from './provider-params';
import { readAgentNames } from './wait-params';

export interface ReleaseParams {
  pipeline: PipelineContext;
  agentPool: string;
  /** Explicit names; undefined = every agent and resource of this run. */
  agentNames?: string[];
  provider: ProviderParams;
  connection?: AzureConnection;
  devops: DevOpsAuth;
}

export function readReleaseParams(io: TaskIO): ReleaseParams {
  const reader = new InputReader(io);
  const agentPool = reader.required('agentPool', 'the pool the agents registered in');
  const agentNames = readAgentNames(reader, io, false);
  const target = readAzureTarget(io, reader, 'release');
  const pipeline = readPipelineContext(io);
  const devops = readDevOpsAuth(io, reader, 'devopsAuthentication', target.connection ? 'azureServiceConnection' : 'systemAccessToken', target.connection, pipeline);
  return { pipeline, agentPool, agentNames, provider: target.provider, connection: target.connection, devops };
}
