// The agent's system capabilities, as the real agent computes them: its environment, minus the
// names listed in VSO_AGENT_IGNORE and values of 1024 characters or more, plus the Agent.* facts.
import os from 'node:os';

export const AGENT_VERSION = '4.260.0';
const MAX_VALUE_LENGTH = 1024;

export function systemCapabilities(env: NodeJS.ProcessEnv, agentName: string, agentDir: string): Record<string, string> {
  const ignored = new Set((env.VSO_AGENT_IGNORE ?? '').split(',').map((n) => n.trim().toLowerCase()).filter(Boolean));
  const capabilities: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || ignored.has(name.toLowerCase()) || value.length >= MAX_VALUE_LENGTH) continue;
    capabilities[name] = value;
  }
  return {
    ...capabilities,
    'Agent.Name': agentName,
    'Agent.Version': AGENT_VERSION,
    'Agent.OS': 'Linux',
    'Agent.OSArchitecture': os.arch() === 'arm64' ? 'ARM64' : 'X64',
    'Agent.OSVersion': os.release(),
    'Agent.ComputerName': os.hostname(),
    'Agent.HomeDirectory': agentDir,
  };
}
