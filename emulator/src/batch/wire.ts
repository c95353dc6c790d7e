// Wire shapes of CloudJob, CloudTask and CloudPool (api-version 2022-10-01.16.0), built from the
// records: what was sent, plus the service-owned fields and the defaults the service echoes.
import type { BatchJobRecord, BatchPoolRecord, BatchTaskRecord } from '../store';

/** TimeSpan.MaxValue, as the service reports unset durations. */
export const MAX_TIMESPAN = 'P10675199DT2H48M5.4775807S';

export function jobUrl(base: string, job: { id: string }): string {
  return `${base}/jobs/${job.id}`;
}

export function taskUrl(base: string, task: { jobId: string; id: string }): string {
  return `${base}/jobs/${task.jobId}/tasks/${task.id}`;
}

export function jobWire(base: string, job: BatchJobRecord): Record<string, unknown> {
  const body = job.body;
  const constraints = (body.constraints ?? {}) as Record<string, unknown>;
  return {
    ...body,
    id: job.id,
    url: jobUrl(base, job),
    eTag: job.eTag,
    lastModified: job.lastModified,
    creationTime: job.creationTime,
    state: job.state,
    stateTransitionTime: job.stateTransitionTime ?? job.creationTime,
    ...(job.previousState ? { previousState: job.previousState, previousStateTransitionTime: job.previousStateTransitionTime } : {}),
    priority: body.priority ?? 0,
    maxParallelTasks: body.maxParallelTasks ?? -1,
    allowTaskPreemption: body.allowTaskPreemption ?? false,
    usesTaskDependencies: body.usesTaskDependencies ?? false,
    constraints: { maxWallClockTime: MAX_TIMESPAN, maxTaskRetryCount: 0, ...constraints },
    poolInfo: body.poolInfo,
    executionInfo: {
      startTime: job.creationTime,
      poolId: job.poolId,
      ...(job.endTime ? { endTime: job.endTime, terminateReason: job.terminateReason } : {}),
    },
    onAllTasksComplete: body.onAllTasksComplete ?? 'noaction',
    onTaskFailure: body.onTaskFailure ?? 'noaction',
  };
}

export function taskWire(base: string, task: BatchTaskRecord, poolId: string): Record<string, unknown> {
  const body = task.body;
  const constraints = (body.constraints ?? {}) as Record<string, unknown>;
  const executionInfo: Record<string, unknown> = { retryCount: 0, requeueCount: 0 };
  if (task.startTime && (task.state === 'running' || task.state === 'completed')) executionInfo.startTime = task.startTime;
  if (task.state === 'completed') {
    if (task.endTime) executionInfo.endTime = task.endTime;
    if (task.exitCode !== undefined) executionInfo.exitCode = task.exitCode;
    executionInfo.result = task.failureInfo || (task.exitCode ?? 0) !== 0 ? 'failure' : 'success';
    if (task.failureInfo) executionInfo.failureInfo = task.failureInfo;
  }
  const containerSettings = body.containerSettings as Record<string, unknown> | undefined;
  if (containerSettings && task.container && task.state !== 'active') {
    executionInfo.containerInfo = {
      containerId: `${task.jobId}_${task.id}`.toLowerCase(),
      state: task.state === 'completed' ? 'exited' : 'running',
    };
  }
  const wire: Record<string, unknown> = {
    ...body,
    id: task.id,
    url: taskUrl(base, task),
    eTag: task.eTag,
    creationTime: task.creationTime,
    lastModified: task.lastModified,
    state: task.state,
    stateTransitionTime: task.stateTransitionTime,
    ...(task.previousState ? { previousState: task.previousState, previousStateTransitionTime: task.previousStateTransitionTime } : {}),
    commandLine: body.commandLine ?? '',
    userIdentity: body.userIdentity ?? { autoUser: { scope: 'pool', elevationLevel: 'nonadmin' } },
    constraints: { maxWallClockTime: MAX_TIMESPAN, retentionTime: MAX_TIMESPAN, maxTaskRetryCount: 0, ...constraints },
    requiredSlots: body.requiredSlots ?? 1,
    executionInfo,
  };
  if (task.state === 'running' || task.state === 'completed') {
    wire.nodeInfo = { affinityId: 'TVM:tvmps_emulated', nodeId: 'tvmps_emulated_0', poolId, taskRootDirectory: `workitems/${task.jobId}/job-1/${task.id}` };
  }
  return wire;
}

export function poolWire(base: string, pool: BatchPoolRecord, creationTime: string,
  nodes: { dedicated: number; lowPriority: number; resizing: boolean }): Record<string, unknown> {
  const wire: Record<string, unknown> = {
    vmSize: 'standard_d2s_v3',
    resizeTimeout: 'PT15M',
    taskSlotsPerNode: 1,
    taskSchedulingPolicy: { nodeFillType: 'spread' },
    enableInterNodeCommunication: false,
    virtualMachineConfiguration: {
      imageReference: { publisher: 'microsoft-azure-batch', offer: 'ubuntu-server-container', sku: '20-04-lts', version: 'latest' },
      nodeAgentSKUId: 'batch.node.ubuntu 20.04',
      containerConfiguration: { type: 'dockerCompatible' },
    },
    creationTime,
    lastModified: creationTime,
    eTag: '0x8D0000000000000',
    state: 'active',
    stateTransitionTime: creationTime,
    allocationState: 'steady',
    allocationStateTransitionTime: creationTime,
    ...pool.extra,
    ...(nodes.resizing ? { allocationState: 'resizing' } : {}),
    id: pool.id,
    url: `${base}/pools/${pool.id}`,
    currentDedicatedNodes: nodes.dedicated,
    currentLowPriorityNodes: nodes.lowPriority,
    targetDedicatedNodes: pool.targetDedicatedNodes,
    targetLowPriorityNodes: pool.targetLowPriorityNodes,
    enableAutoScale: pool.enableAutoScale,
  };
  if (pool.enableAutoScale) {
    wire.autoScaleFormula = pool.autoScaleFormula;
    wire.autoScaleEvaluationInterval = pool.autoScaleEvaluationInterval ?? 'PT15M';
    if (pool.autoScaleRun) wire.autoScaleRun = pool.autoScaleRun;
  }
  return wire;
}
