// How the task authenticates to Azure DevOps, and which secret registers the agents.
import { InputError } from '../errors';
import type { AzureConnection } from './azure-connection';
import type { InputReader } from './input-reader';
import type { PipelineContext } from './pipeline';

export const DEVOPS_AUTH_MODES = ['azureServiceConnection', 'systemAccessToken', 'pat'] as const;
export type DevOpsAuthMode = (typeof DEVOPS_AUTH_MODES)[number];

export type DevOpsAuth =
  | { mode: 'azureServiceConnection'; connection: AzureConnection }
  | { mode: 'systemAccessToken'; token: string }
  | { mode: 'pat'; token: string };

/**
 * Reads `input` (a DevOps auth mode) and resolves its credential. The PAT comes from the secret input
 * `registrationToken`, masked by the reader.
 */
export function readDevOpsAuth(
  reader: InputReader,
  input: string,
  fallback: DevOpsAuthMode,
  connection: AzureConnection | undefined,
  pipeline: PipelineContext,
): DevOpsAuth {
  const mode = reader.choice(input, DEVOPS_AUTH_MODES, fallback);
  switch (mode) {
    case 'azureServiceConnection':
      if (!connection) {
        throw new InputError('azureSubscription',
          `Input '${input}' is 'azureServiceConnection', which needs an Azure Resource Manager service connection in input 'azureSubscription'; ` +
          `set it, or use '${input}: systemAccessToken'`);
      }
      return { mode, connection };
    case 'systemAccessToken':
      if (!pipeline.jobAccessToken) {
        throw new InputError(input,
          `Input '${input}' is 'systemAccessToken', but the job has no access token; allow scripts to access the OAuth token, or use another mode`);
      }
      return { mode, token: pipeline.jobAccessToken };
    case 'pat': {
      const token = reader.secret('registrationToken');
      if (!token) {
        throw new InputError('registrationToken',
          `Input 'registrationToken' is required when '${input}' is 'pat': pass a personal access token from a secret variable, e.g. $(AgentPoolPat)`);
      }
      return { mode, token };
    }
  }
}
