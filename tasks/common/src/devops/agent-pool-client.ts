// The Azure DevOps agent pool port: what the use cases need from distributedtask, in our own types.

export interface PoolRef {
  id: number;
  name: string;
}

export interface PoolAgent {
  id: number;
  name: string;
  enabled: boolean;
  online: boolean;
  /** System and user capabilities merged (present when asked for). */
  capabilities: Record<string, string>;
  /** The job the agent is running, if any (present when asked for). */
  assignedRequest?: { requestId: number; jobName?: string; planId?: string; finished: boolean };
  statusChangedOn?: Date;
  createdOn?: Date;
  /** The last job the agent finished (present when asked for with includeLastCompletedRequest). */
  lastCompletedRequest?: { requestId: number; finishTime?: Date };
}

/** Capability lookup ignoring case, as Azure DevOps compares names. */
export function capability(capabilities: Readonly<Record<string, string>>, name: string): string | undefined {
  const key = Object.keys(capabilities).find((k) => k.toUpperCase() === name.toUpperCase());
  return key === undefined ? undefined : capabilities[key];
}

/** The agent is running a job (its assigned request has not finished). */
export function isBusy(agent: PoolAgent | undefined): boolean {
  return Boolean(agent?.assignedRequest && !agent.assignedRequest.finished);
}

export interface JobRequest {
  requestId: number;
  queueTime?: Date;
  assignTime?: Date;
  finishTime?: Date;
  result?: string;
  demands: string[];
  reservedAgent?: { id: number; name: string };
  jobName?: string;
  planId?: string;
}

export interface ResourceUsage {
  /** Parallel jobs the organization may run (private/self-hosted), if known. */
  totalParallelJobs?: number;
  /** Jobs running now, if known. */
  usedParallelJobs?: number;
}

export interface ListAgentsOptions {
  /** Only these names (client-side filter after one list request; one name is filtered by the server). */
  names?: readonly string[];
  /** Server-side demands filter, e.g. `EPHEMERAL_RUN -equals 42`. */
  demands?: readonly string[];
  includeCapabilities?: boolean;
  includeAssignedRequest?: boolean;
  includeLastCompletedRequest?: boolean;
}

/** Queued and running requests of a pool (completedRequestCount=0), every continuation page read. */
export interface OpenJobRequests {
  requests: JobRequest[];
  /** A full page came back without a continuation token: there may be more than were listed. */
  lowerBound: boolean;
  pages: number;
}

export interface AgentPoolClient {
  /** The pool by name; a CloudError naming the pool when it does not exist or cannot be seen. */
  findPool(name: string): Promise<PoolRef>;
  /** Agents of the pool in ONE list request. */
  listAgents(poolId: number, options?: ListAgentsOptions): Promise<PoolAgent[]>;
  /** Sets enabled=false so no new job is assigned. */
  disableAgent(poolId: number, agent: Pick<PoolAgent, 'id' | 'name'>): Promise<void>;
  /** Deletes the registration; false when it was already gone. */
  deleteAgent(poolId: number, agentId: number): Promise<boolean>;
  /** Every job request of the pool, following continuation tokens. */
  listJobRequests(poolId: number): Promise<JobRequest[]>;
  resourceUsage(): Promise<ResourceUsage>;
  /** Queued and running requests only, following the continuation header past 200 (ScaleAgentPool). */
  listOpenJobRequests?(poolId: number): Promise<OpenJobRequests>;
}
