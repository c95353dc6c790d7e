// Credentials for Azure DevOps: an Entra token minted from the AzureRM connection (renewed before it
// expires), the job access token, or a PAT. Also the agents' registration secret.
import type { TokenCredential } from '@azure/core-auth';
import { authenticationError, DEVOPS_SCOPE } from '../azure-auth';
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
