// Demand matching as the Azure Pipelines server does it: `NAME` (the capability exists) or
// `NAME -equals VALUE`; names and values compare case-insensitively. `-gtVersion` is understood too,
// because the agent's own `Agent.Version -gtVersion x` demand is common in real job requests.
import type { AgentRecord } from '../store';

export interface Demand {
  name: string;
  operator?: 'equals' | 'gtVersion';
  value?: string;
}

export function parseDemand(text: string): Demand {
  const trimmed = text.trim();
  const match = /^(\S+)\s+-(equals|gtVersion)\s+(.*)$/i.exec(trimmed);
  if (!match) {
    if (/\s/.test(trimmed) || trimmed === '') {
      throw new Error(`Demand '${text}' is not valid: expected 'NAME' or 'NAME -equals VALUE'`);
    }
    return { name: trimmed };
  }
  const operator = match[2].toLowerCase() === 'equals' ? 'equals' : 'gtVersion';
  return { name: match[1], operator, value: match[3].trim() };
}

/** The capabilities demands are matched against: system capabilities overlaid by user capabilities. */
export function capabilitiesOf(agent: AgentRecord): Map<string, string> {
  const caps = new Map<string, string>();
  for (const [name, value] of Object.entries(agent.systemCapabilities)) caps.set(name.toLowerCase(), value);
  for (const [name, value] of Object.entries(agent.userCapabilities)) caps.set(name.toLowerCase(), value);
  return caps;
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((p) => parseInt(p, 10) || 0);
  const pb = b.split('.').map((p) => parseInt(p, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function satisfies(caps: Map<string, string>, demand: Demand): boolean {
  const value = caps.get(demand.name.toLowerCase());
  if (value === undefined) return false;
  if (demand.operator === 'equals') return value.toLowerCase() === (demand.value ?? '').toLowerCase();
  if (demand.operator === 'gtVersion') return compareVersions(value, demand.value ?? '') > 0;
  return true;
}

export function agentSatisfies(agent: AgentRecord, demands: readonly Demand[]): boolean {
  const caps = capabilitiesOf(agent);
  return demands.every((d) => satisfies(caps, d));
}
