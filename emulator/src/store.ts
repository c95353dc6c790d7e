// The emulator's whole world in memory: what each emulated service holds. Services mutate it; the
// control API reads it (`GET state`) and resets it (`POST reset`). Wire shapes are produced by each
// service from these records, so the records keep only what the services need.

export interface Seed {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** Certificate and private key, PEM, for the certificate-credential flow. */
  clientCertificatePem: string;
  subscriptionId: string;
  resourceGroup: string;
  location: string;
  batchAccountName: string;
  /** Base64 Shared Key of the Batch account. */
  batchAccountKey: string;
  batchPoolId: string;
  organization: string;
  projectId: string;
  projectName: string;
  /** 52 characters, base32, like a real PAT. */
  pat: string;
  /** A JWT, as the agent hands System.AccessToken to tasks. */
  systemAccessToken: string;
  agentPool: string;
  agentPoolId: number;
  /** Self-hosted parallel jobs the organization has (resourceusage, parallelismTag=Private); default 10. */
  selfHostedParallelJobs?: number;
  /** Client id of the system-assigned managed identity of the resource the emulator plays. */
  systemIdentityClientId: string;
  /** Client id of the one user-assigned managed identity attached to it. */
  userIdentityClientId: string;
  /** The IDENTITY_HEADER secret the App Service form of the managed identity endpoint checks. */
  identityHeader: string;
  /**
   * The Entra resource of the Batch account's cloud, whose tokens Batch accepts; default the public
   * cloud's https://batch.core.windows.net/ (https://batch.core.usgovcloudapi.net/ for US Government).
   */
  batchResource?: string;
  /** An image name the emulator can run (runs images/linux/start.sh over the fake agent). */
  image: string;
}

/** ARM casing, as the real service reports container states. */
export type ContainerStateName = 'Waiting' | 'Running' | 'Terminated';

export interface ContainerEvent {
  count: number;
  firstTimestamp: string;
  lastTimestamp: string;
  name: string; // Pulling, Pulled, Started, Killing
  message: string;
  type: 'Normal' | 'Warning';
}

/** One container of a group, or the container of a Batch task: a local process when running. */
export interface ContainerRecord {
  name: string;
  state: ContainerStateName;
  exitCode?: number;
  startTime?: string;
  finishTime?: string;
  restartCount: number;
  events: ContainerEvent[];
  /** Combined stdout/stderr of the process, for the logs route. */
  log: string;
  /** Process id of the container's first process (its session leader), while running. */
  pid?: number;
}

export interface ContainerGroupRecord {
  /** ARM id, `/subscriptions/.../containerGroups/<name>`. */
  id: string;
  name: string;
  resourceGroup: string;
  subscriptionId: string;
  location: string;
  tags: Record<string, string>;
  /** Pending, Creating, Succeeded, Failed, Deleting. */
  provisioningState: string;
  /** The request body's `properties` as sent, with secrets kept here only (never echoed). */
  properties: Record<string, unknown>;
  identity?: Record<string, unknown>;
  containers: ContainerRecord[];
  createdAt: string;
  /** Availability zones as sent (top-level `zones`). */
  zones?: string[];
  /** True after the stop action, until the group is started again (instanceView.state `Stopped`). */
  stopped?: boolean;
}

export interface ResourceGroupRecord {
  subscriptionId: string;
  name: string;
  location: string;
  tags: Record<string, string>;
}

export interface BatchPoolRecord {
  id: string;
  enableAutoScale: boolean;
  autoScaleFormula?: string;
  autoScaleEvaluationInterval?: string;
  lastEnableAutoScaleAt?: number;
  autoScaleRun?: { timestamp: string; results?: string; error?: { code: string; message: string; values?: { name: string; value: string }[] } };
  targetDedicatedNodes: number;
  targetLowPriorityNodes: number;
  /** Nodes allocated (dedicated + low-priority); absent until first read, then follows the targets (batch/nodes.ts). */
  currentNodes?: number;
  /** A larger target being allocated, and when its nodes are ready (epoch ms). */
  allocation?: { target: number; readyAt: number };
  /** Raw wire body (CloudPool) fields not modelled above. */
  extra: Record<string, unknown>;
  /** Epoch ms the pool was created: its autoscale samples begin here (set on first use when absent). */
  createdAt?: number;
  /** When the active and running task counts of the pool's jobs changed, oldest first (bounded). */
  taskCounts?: BatchTaskCountRecord[];
}

/** From `time` (epoch ms) on, a pool's jobs had this many active and running tasks. */
export interface BatchTaskCountRecord {
  time: number;
  active: number;
  running: number;
}

export interface BatchJobRecord {
  id: string;
  poolId: string;
  state: string; // active, terminating, completed, deleting
  body: Record<string, unknown>;
  creationTime: string;
  eTag: string;
  lastModified: string;
  stateTransitionTime?: string;
  previousState?: string;
  previousStateTransitionTime?: string;
  /** Set when the job completes (terminate): executionInfo.endTime and terminateReason. */
  endTime?: string;
  terminateReason?: string;
}

export interface BatchTaskRecord {
  jobId: string;
  id: string;
  state: 'active' | 'preparing' | 'running' | 'completed';
  body: Record<string, unknown>;
  creationTime: string;
  stateTransitionTime: string;
  previousState?: string;
  previousStateTransitionTime?: string;
  eTag: string;
  lastModified: string;
  container?: ContainerRecord;
  exitCode?: number;
  /** executionInfo.startTime / endTime. */
  startTime?: string;
  endTime?: string;
  /** executionInfo.failureInfo of a completed task that failed. */
  failureInfo?: { category: 'usererror' | 'servererror'; code: string; message: string; details?: { name: string; value: string }[] };
}

export interface AgentPoolRecord {
  id: number;
  name: string;
  isHosted: boolean;
  poolType: 'automation' | 'deployment';
  createdOn: string;
}

export interface AgentRecord {
  poolId: number;
  id: number;
  name: string;
  version: string;
  osDescription: string;
  enabled: boolean;
  /** 'online' while a session is open and polled recently. */
  status: 'online' | 'offline';
  systemCapabilities: Record<string, string>;
  userCapabilities: Record<string, string>;
  createdOn: string;
  statusChangedOn: string;
  /** The agent's public key, as sent by config (authorization.publicKey). */
  publicKey?: { exponent: string; modulus: string };
  /** OAuth client id of the current key; a new one on every replace, so old tokens stop working. */
  clientId?: string;
  /** SHA-256 (hex) of each credential used to register this agent, for the fake job's secret scan. */
  credentialHashes?: string[];
  /** Open session, if any. */
  sessionId?: string;
  lastPollAt?: number;
  assignedRequestId?: number;
  lastCompletedRequestId?: number;
}

export type TaskResultName = 'succeeded' | 'succeededWithIssues' | 'failed' | 'canceled' | 'skipped' | 'abandoned';

export interface JobRequestRecord {
  requestId: number;
  poolId: number;
  demands: string[];
  jobId: string;
  jobName: string;
  planId: string;
  queueTime: string;
  assignTime?: string;
  receiveTime?: string;
  finishTime?: string;
  result?: TaskResultName;
  statusMessage?: string;
  agentId?: number;
  /**
   * OAuth client id of the registration the request went to. Every configure (add, or --replace
   * over a registration of the same name and id) gets a new one, so it tells apart the agents that
   * carried one name one after another.
   */
  agentClientId?: string;
  durationMs: number;
  /** Lock of the assigned agent, renewed by the agent while it runs the job. */
  lockedUntil?: string;
  /** A hostile job: it makes its agent exit with this code once it has run (emulator-only). */
  agentExitCode?: number;
}

export interface SecretSeenRecord {
  agentName: string;
  where: string;
}

export interface RequestLogRecord {
  time: string;
  service: ServiceName;
  method: string;
  path: string;
  query: string;
  status: number;
  /** Who sent it (not in `GET state`): lets measurements tell the agents' traffic from the tasks'. */
  userAgent?: string;
}

export type ServiceName = 'entra' | 'arm' | 'batch' | 'devops';

export interface Store {
  resourceGroups: ResourceGroupRecord[];
  containerGroups: ContainerGroupRecord[];
  batchPools: BatchPoolRecord[];
  batchJobs: BatchJobRecord[];
  batchTasks: BatchTaskRecord[];
  agentPools: AgentPoolRecord[];
  agents: AgentRecord[];
  jobRequests: JobRequestRecord[];
  secretsSeen: SecretSeenRecord[];
  requests: RequestLogRecord[];
  nextIds: { agent: number; request: number; pool: number };
}
