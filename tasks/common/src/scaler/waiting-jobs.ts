// Which queued job requests ScaleAgentPool should provision for. Pure: the caller lists the pool's
// job requests (completedRequestCount=0, every continuation page) and passes the template
// registration's capabilities. A request counts when it is still queued (no agent assigned, no
// result) and the template, and so the real agents, satisfy its demands. `Agent.Version` demands
// count as satisfied (the agents run whatever version the image ships and update themselves), and
// requests demanding `EPHEMERAL_RUN` are left to RequestEphemeralAgent, which serves them.
//
// Demands travel as strings (`NAME`, `NAME -equals VALUE`, `Agent.Version -gtVersion 2.x`) even though
// azure-devops-node-api types them as `{name, value}`; both forms are accepted. Names and values
// compare case-insensitively, as the server does.

export const EPHEMERAL_RUN = 'EPHEMERAL_RUN';
const AGENT_VERSION = 'agent.version';

export type DemandLike = string | { name: string; value?: string | null };

export interface ParsedDemand {
  name: string;
  operator: 'exists' | 'equals' | 'gtVersion' | 'unknown';
  value?: string;
  /** The demand as written, for messages. */
  text: string;
}

/** The fields of a TaskAgentJobRequest this module reads. */
export interface JobRequestLike {
  requestId?: number;
  demands?: readonly DemandLike[] | null;
  assignTime?: unknown;
  reservedAgent?: unknown;
  result?: unknown;
  finishTime?: unknown;
}

export type Capabilities = Readonly<Record<string, string>> | ReadonlyMap<string, string>;

export interface WaitingJobs {
  /** Queued requests the template's capabilities satisfy. */
  count: number;
  /** True when the listing was cut off, so `count` means "at least". */
  lowerBound: boolean;
  /** Queued requests left out because they demand EPHEMERAL_RUN. */
  ephemeralRun: number;
  /** Queued requests left out because the template does not satisfy their demands. */
  unmatched: number;
}

export function parseDemand(demand: DemandLike): ParsedDemand {
  if (typeof demand !== 'string') {
    const name = demand.name.trim();
    const value = demand.value ?? undefined;
    const text = value === undefined || value === '' ? name : `${name} -equals ${value}`;
    return value === undefined || value === '' ? { name, operator: 'exists', text } : { name, operator: 'equals', value, text };
  }
  const text = demand.trim();
  const match = /^(\S+)\s+-(\S+)\s*(.*)$/.exec(text);
  if (!match) return { name: text, operator: 'exists', text };
  const op = match[2].toLowerCase();
  const operator = op === 'equals' ? 'equals' : op === 'gtversion' ? 'gtVersion' : 'unknown';
  return { name: match[1], operator, value: match[3].trim(), text };
}

function lowerCaseMap(capabilities: Capabilities): Map<string, string> {
  const entries = capabilities instanceof Map ? [...capabilities.entries()] : Object.entries(capabilities);
  return new Map(entries.map(([name, value]) => [name.toLowerCase(), value]));
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((part) => parseInt(part, 10) || 0);
  const pb = b.split('.').map((part) => parseInt(part, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function satisfied(caps: Map<string, string>, demand: ParsedDemand): boolean {
  if (demand.name.toLowerCase() === AGENT_VERSION) return true;
  const value = caps.get(demand.name.toLowerCase());
  if (value === undefined) return false;
  switch (demand.operator) {
    case 'exists':
      return true;
    case 'equals':
      return value.toLowerCase() === (demand.value ?? '').toLowerCase();
    case 'gtVersion':
      return compareVersions(value, demand.value ?? '') > 0;
    default:
      // An operator we do not know: do not provision for a job we cannot be sure to serve.
      return false;
  }
}

/** Still queued: no agent assigned or reserved, no result. `result` may be the enum 0 (succeeded). */
export function isQueued(request: JobRequestLike): boolean {
  const absent = (v: unknown) => v === undefined || v === null;
  return absent(request.assignTime) && absent(request.reservedAgent) && absent(request.result) && absent(request.finishTime);
}

/** Counts the waiting jobs this pool's agents should serve. */
export function countWaitingJobs(
  requests: readonly JobRequestLike[],
  templateCapabilities: Capabilities,
  options: { lowerBound?: boolean } = {},
): WaitingJobs {
  const caps = lowerCaseMap(templateCapabilities);
  const result: WaitingJobs = { count: 0, lowerBound: options.lowerBound ?? false, ephemeralRun: 0, unmatched: 0 };
  const seen = new Set<number>();
  for (const request of requests) {
    if (!isQueued(request)) continue;
    // Pages can overlap when requests move while we page through them.
    if (request.requestId !== undefined) {
      if (seen.has(request.requestId)) continue;
      seen.add(request.requestId);
    }
    const demands = (request.demands ?? []).map(parseDemand);
    if (demands.some((d) => d.name.toUpperCase() === EPHEMERAL_RUN)) result.ephemeralRun++;
    else if (demands.every((d) => satisfied(caps, d))) result.count++;
    else result.unmatched++;
  }
  return result;
}

/** `12`, or `at least 200` when the listing was cut off. */
export function describeWaiting(waiting: WaitingJobs): string {
  return waiting.lowerBound ? `at least ${waiting.count}` : String(waiting.count);
}
