// The AgentProvider port: where agent containers run (Azure Container Instances, Azure Batch).
// Providers never read inputs; they get an AgentSpec and the registration secret.
import type { AgentSpec } from '../agent-spec';
import type { ServiceName } from '../errors';

/** The life of an agent's container or task, normalised across providers. */
export type ResourceState = 'creating' | 'running' | 'succeeded' | 'failed' | 'stopped' | 'unknown';

export interface AgentResource {
  name: string;
  /** ARM resource id or Batch task URL. */
  resourceId: string;
  /** Where it runs, for people: "ACI build-agents/eastus", "Batch pool agents". */
  where: string;
  state: ResourceState;
  /** The provider's own words for the state, e.g. "provisioning Succeeded, container Running". */
  detail: string;
  tags: Record<string, string>;
  createdAt?: Date;
  finishedAt?: Date;
  /** The agent's plain environment (never the registration secret), e.g. AZP_AGENT_NAME, EPHEMERAL_*. */
  env?: Record<string, string>;
}

export interface AgentStatus extends AgentResource {
  exitCode?: number;
  /** Container events or Batch failure details, oldest first, one line each. */
  events: string[];
  /** The service's failure message (ACI error, Batch failureInfo), if any. */
  failure?: string;
}

export interface CreatedAgent {
  name: string;
  resourceId: string;
  where: string;
}

/** One entry of `createMany`'s answer. */
export interface BulkAddResult {
  taskId: string;
  /** Created by this request. */
  created: boolean;
  /** Another caller created a resource with this id first. */
  exists: boolean;
  /** Why it was not created (neither created nor exists). */
  error?: string;
}

export interface AgentProvider {
  /** For logs: "Azure Container Instances (resource group build-agents)". */
  readonly description: string;
  /** The service its errors come from, for messages: "Azure Resource Manager", "Azure Batch". */
  readonly serviceName: ServiceName;
  /**
   * False when `listAll` cannot tell a starting resource from a running one (ACI lists groups
   * without their instance view): callers read such resources one by one with `get`.
   */
  readonly listedStateIsCurrent: boolean;
  /**
   * The id of the resource for the `generation`th agent named `agentName`: ACI reuses the group name;
   * Batch task ids must be new, since a completed task may linger.
   */
  resourceIdOf(agentName: string, generation: number | string): string;
  /** One-time preparation before creating (resolve the location, make sure the Batch job exists). */
  prepare(): Promise<void>;
  /** Creates the agent's container group or task; `secret` reaches it only as a secure value. */
  create(spec: AgentSpec, secret: string): Promise<CreatedAgent>;
  /** The agent's resource with its current state, or undefined when it does not exist. */
  get(name: string): Promise<AgentStatus | undefined>;
  /** Every resource this extension created for the run. */
  listByRun(runId: string): Promise<AgentResource[]>;
  /** The last `lines` lines of the agent's log, when the service has it. */
  logTail(name: string, lines: number): Promise<string | undefined>;
  /** Deletes (Batch: terminates then deletes); false when it did not exist. */
  delete(name: string): Promise<boolean>;
  /** Every resource this extension created, any run (ScaleAgentPool: its own agents and sweeping). */
  listAll?(): Promise<AgentResource[]>;
  /** Remembers where an agent's resource lives (its EPHEMERAL_RESOURCE), so get/delete need no listing. */
  learnLocation?(resourceId: string): void;
  /** What fixes a refused listing, naming the input (e.g. input 'resourceGroup'). */
  readonly listingFix?: string;
  /**
   * Why `count` new agents may wait a long time for capacity before they start (Batch: a pool without
   * enough free task slots), or undefined when they should start at once.
   */
  startDelayWarning?(count: number): Promise<string | undefined>;
  /** Creates many agents at once (Batch: add-task-collection); `id` names the resource, `spec.name` the agent. */
  createMany?(items: ReadonlyArray<{ spec: AgentSpec; id: string }>, secret: string): Promise<BulkAddResult[]>;
}

/** True when the container or task has ended (or never started) and no agent will come from it. */
export function hasEnded(state: ResourceState): boolean {
  return state === 'failed' || state === 'succeeded' || state === 'stopped';
}
