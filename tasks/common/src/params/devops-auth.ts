// How the task authenticates to Azure DevOps, and which secret registers the agents.
import { InputError } from '../errors';
import { requireHttps } from './https';
import type { AzureConnection } from './azure-connection';
import type { InputReader } from './input-reader';
import type { PipelineContext } from './pipeline';
import type { TaskIO } from '../task-io';

export const DEVOPS_AUTH_MODES = ['azureServiceConnection', 'systemAccessToken', 'pat'] as const;
export type DevOpsAuthMode = (typeof DEVOPS_AUTH_MODES)[number];

export type DevOpsAuth =
  | { mode: 'azureServiceConnection'; connection: AzureConnection }
  | { mode: 'systemAccessToken'; token: string }
  /** `organizationUrl`: from a registration connection, whose URL names the organization. */
  | { mode: 'pat'; token: string; organizationUrl?: string };

/**
 * Reads `input` (a DevOps auth mode) and resolves its credential. The PAT comes from the
 * "Ephemeral agents registration" connection in `registrationConnection` (its `apitoken`), else from
 * the secret input `registrationToken`; either is masked at once.
 */
export function readDevOpsAuth(
  io: Pick<TaskIO, 'getEndpoint' | 'setSecret'>,
  reader: InputReader,
  input: string,
  fallback: DevOpsAuthMode,
  connection: AzureConnection | undefined,
  pipeline: PipelineContext,
): DevOpsAuth {
  // `auto` (the task.json default, so the editor shows no blank choice) means the fallback.
  const chosen = reader.choice(input, ['auto', ...DEVOPS_AUTH_MODES] as const, fallback);
  const mode = chosen === 'auto' ? fallback : chosen;
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
      const connectionId = reader.optional('registrationConnection');
      if (connectionId) {
        const endpoint = io.getEndpoint(connectionId);
        const apiToken = endpoint?.authParameter('apitoken');
        if (!endpoint || !apiToken) {
          throw new InputError('registrationConnection',
            `Input 'registrationConnection' names the service connection '${connectionId}', which this job cannot use or which holds no token: check it and that the pipeline may use it`);
        }
        io.setSecret(apiToken);
        if (endpoint.url) requireHttps(endpoint.url, 'registrationConnection', 'The organization URL of the service connection');
        return { mode, token: apiToken, organizationUrl: endpoint.url ? (endpoint.url.endsWith('/') ? endpoint.url : `${endpoint.url}/`) : undefined };
      }
      const token = reader.secret('registrationToken');
      if (!token) {
        throw new InputError('registrationToken',
          `Input 'registrationToken' (or 'registrationConnection') is required when '${input}' is 'pat': pass a personal access token from a secret variable, e.g. $(AgentPoolPat)`);
      }
      return { mode, token };
    }
  }
}
