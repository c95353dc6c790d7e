// Credentials for Azure DevOps: an Entra token minted from the AzureRM connection (renewed before it
// expires), the job access token, or a PAT. Also the agents' registration secret.
import type { TokenCredential } from '@azure/core-auth';
import { authenticationError, DEVOPS_SCOPE } from '../azure-auth';
import type { Clock } from '../clock';
import type { DevOpsAuth } from '../params/devops-auth';

export interface DevOpsToken {
  token: string;
  /** How to send it: Bearer for Entra and job tokens, Basic for PATs. */
  kind: 'bearer' | 'pat';
}

export type DevOpsTokenSource = () => Promise<DevOpsToken>;

/**
 * `credential` is required for azureServiceConnection; `onToken` is called with every new token
 * before it is used, so it can be masked (setSecret) before anything could log it.
 */
export function createDevOpsTokenSource(auth: DevOpsAuth, credential: TokenCredential | undefined, onToken: (token: string) => void): DevOpsTokenSource {
  if (auth.mode === 'pat') return async () => ({ token: auth.token, kind: 'pat' });
  if (auth.mode === 'systemAccessToken') return async () => ({ token: auth.token, kind: 'bearer' });
  let last: string | undefined;
  return async () => {
    if (!credential) throw new Error('no Azure credential for Azure DevOps authentication');
    let token: string;
    try {
      const issued = await credential.getToken(DEVOPS_SCOPE);
      if (!issued) throw new Error(`no token was issued for ${DEVOPS_SCOPE}`);
      token = issued.token;
    } catch (error) {
      throw authenticationError(auth.connection, error);
    }
    if (token !== last) {
      onToken(token);
      last = token;
    }
    return { token, kind: 'bearer' };
  };
}

/**
 * Least life a registration token must have left when the create that carries it is sent: the agent
 * configures once its container starts, after an image pull, a Batch node allocation or a Spot restart.
 */
export const MIN_REGISTRATION_LIFE_MS = 45 * 60_000;

export interface RegistrationTokenOptions {
  clock: Clock;
  /** A warning in the task log. */
  warn: (message: string) => void;
}

/**
 * The registration secret for one create. Entra mode: a token minted afresh by the token service for
 * every call (never one cached until shortly before it expires), so each agent gets the longest life
 * Entra gives (60-90 minutes); one with less than 45 minutes left is used, with a warning. The job
 * access token and a PAT are handed out as they are.
 */
export function createRegistrationTokenSource(auth: DevOpsAuth, freshCredential: TokenCredential | undefined, onToken: (token: string) => void,
  options: RegistrationTokenOptions): () => Promise<string> {
  if (auth.mode !== 'azureServiceConnection') return async () => auth.token;
  let warned = false;
  return async () => {
    if (!freshCredential) throw new Error('no Azure credential for Azure DevOps authentication');
    let issued: Awaited<ReturnType<TokenCredential['getToken']>>;
    try {
      issued = await freshCredential.getToken(DEVOPS_SCOPE);
      if (!issued) throw new Error(`no token was issued for ${DEVOPS_SCOPE}`);
    } catch (error) {
      throw authenticationError(auth.connection, error);
    }
    onToken(issued.token);
    const left = issued.expiresOnTimestamp - options.clock.now();
    if (left < MIN_REGISTRATION_LIFE_MS && !warned) {
      warned = true;
      options.warn(`The registration token of the service connection in '${auth.connection.input}' expires in ${Math.max(0, Math.floor(left / 60_000))} minutes ` +
        `(less than ${MIN_REGISTRATION_LIFE_MS / 60_000}): an agent that starts later cannot register (HTTP 401) and its container exits with code 78.`);
    }
    return issued.token;
  };
}
