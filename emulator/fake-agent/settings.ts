// What `config.sh` leaves in the agent directory for `run.sh`, as the real agent does: `.agent`
// (where and who), `.credentials` (the OAuth client) and `.credentials_rsaparams` (the private key,
// mode 0600). The registration secret is never written.
import fs from 'node:fs';
import path from 'node:path';

export interface AgentSettings {
  agentId: number;
  agentName: string;
  poolId: number;
  poolName: string;
  serverUrl: string;
  workFolder: string;
}

export interface AgentCredentials {
  scheme: 'OAuth';
  data: { clientId: string; authorizationUrl: string };
}

export const SETTINGS_FILE = '.agent';
export const CREDENTIALS_FILE = '.credentials';
export const KEY_FILE = '.credentials_rsaparams';

export function saveSettings(agentDir: string, settings: AgentSettings, credentials: AgentCredentials, privateKeyPem: string): void {
  fs.writeFileSync(path.join(agentDir, SETTINGS_FILE), `${JSON.stringify(settings, null, 2)}\n`, { mode: 0o644 });
  fs.writeFileSync(path.join(agentDir, CREDENTIALS_FILE), `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  fs.writeFileSync(path.join(agentDir, KEY_FILE), privateKeyPem, { mode: 0o600 });
  // writeFileSync keeps the mode of an existing file: make sure a replaced key is private too.
  fs.chmodSync(path.join(agentDir, KEY_FILE), 0o600);
  fs.chmodSync(path.join(agentDir, CREDENTIALS_FILE), 0o600);
}

export function loadSettings(agentDir: string): { settings: AgentSettings; credentials: AgentCredentials; privateKeyPem: string } {
  try {
    return {
      settings: JSON.parse(fs.readFileSync(path.join(agentDir, SETTINGS_FILE), 'utf8')) as AgentSettings,
      credentials: JSON.parse(fs.readFileSync(path.join(agentDir, CREDENTIALS_FILE), 'utf8')) as AgentCredentials,
      privateKeyPem: fs.readFileSync(path.join(agentDir, KEY_FILE), 'utf8'),
    };
  } catch (err) {
    throw new Error('the agent is not configured: run config.sh first', { cause: err });
  }
}
