// Runs Batch tasks: a task whose job's pool exists and has a free task slot is scheduled (active →
// preparing → running → completed); the others wait, active (batch/nodes.ts: allocated nodes times
// task slots per node). A container task runs its image through the container runner,
// `commandLine: ""` meaning the image's entrypoint. Tasks of a job whose pool does not exist stay
// active, as on the real service. A container task's user decides who the entrypoint is: only a pool-scope admin
// auto-user is root in the container (Linux); Windows container tasks need admin elevation.
import type { ContainerHandle, EmulatorContext } from '../context';
import { startDelayMs } from '../containers';
import type { BatchJobRecord, BatchPoolRecord, BatchTaskRecord, ContainerRecord } from '../store';
import { poolNodes, taskSlotsPerNode } from './nodes';
import { recordTaskCounts } from './autoscale';
import { findJob, findPool, setJobState, setTaskState, touch } from './model';

const TASK_ENDED = { category: 'usererror' as const, code: 'TaskEnded', message: 'Task Was Ended by User Request' };
const FAILURE_EXIT_CODE = {
  category: 'usererror' as const,
  code: 'FailureExitCode',
  message: 'The task exited with an exit code representing a failure',
  details: [{ name: 'Message', value: 'The task exited with an exit code representing a failure' }],
};

/** The documented rule has no published error; the emulator's wording of it (see emulator/README.md). */
const WINDOWS_NONADMIN = {
  category: 'usererror' as const,
  code: 'ContainerTaskNotElevated',
  message: 'Container tasks on Windows must run with elevation level admin.',
};

/** How often tasks waiting for a slot look again (targets change by autoscale or by a test). */
const CAPACITY_RETRY_MS = 500;

function requiredSlots(task: BatchTaskRecord): number {
  const slots = Number(task.body.requiredSlots);
  return Number.isInteger(slots) && slots > 0 ? slots : 1;
}

interface UserIdentity {
  username?: unknown;
  autoUser?: { scope?: unknown; elevationLevel?: unknown };
}

/**
 * Who the container's first process is for a task's userIdentity. Batch maps the task's user into a
 * Linux container: only an auto-user of pool scope with admin elevation is root there; the default
 * (no userIdentity) is the pool-scope nonadmin auto-user.
 */
export function containerUser(identity: unknown): 'root' | 'unprivileged' {
  const auto = (identity as UserIdentity | undefined)?.autoUser;
  if (!auto || (identity as UserIdentity).username !== undefined) return 'unprivileged';
  const scope = typeof auto.scope === 'string' ? auto.scope.toLowerCase() : 'pool';
  const elevation = typeof auto.elevationLevel === 'string' ? auto.elevationLevel.toLowerCase() : 'nonadmin';
  return scope === 'pool' && elevation === 'admin' ? 'root' : 'unprivileged';
}

function isAdmin(identity: unknown): boolean {
  const level = (identity as UserIdentity | undefined)?.autoUser?.elevationLevel;
  return typeof level === 'string' && level.toLowerCase() === 'admin';
}

/** A pool's node OS, from its image's node agent SKU (`batch.node.windows amd64`, `batch.node.ubuntu 20.04`). */
export function poolIsWindows(pool: { extra: Record<string, unknown> } | undefined): boolean {
  const vm = pool?.extra.virtualMachineConfiguration as { nodeAgentSKUId?: unknown } | undefined;
  return typeof vm?.nodeAgentSKUId === 'string' && vm.nodeAgentSKUId.toLowerCase().startsWith('batch.node.windows');
}

interface EnvironmentSetting {
  name?: unknown;
  value?: unknown;
}

function environment(settings: unknown): Record<string, string> {
  const env: Record<string, string> = {};
  if (!Array.isArray(settings)) return env;
  for (const s of settings as EnvironmentSetting[]) {
    if (typeof s?.name === 'string') env[s.name] = s.value === undefined || s.value === null ? '' : String(s.value);
  }
  return env;
}

export class BatchTaskRunner {
  private readonly handles = new Map<BatchTaskRecord, ContainerHandle>();
  private readonly ending = new Set<BatchTaskRecord>();
  private readonly timers = new Set<NodeJS.Timeout>();

  private retry?: NodeJS.Timeout;

  /** Starts every active task that has a free slot on its pool now, oldest first. */
  schedule(ctx: EmulatorContext): void {
    const now = Date.now();
    const allocationMs = ctx.options.batchNodeAllocationMs ?? 0;
    const free = new Map<BatchPoolRecord, number>();
    let waiting = false;
    let wakeAt = now + CAPACITY_RETRY_MS;
    for (const task of ctx.store.batchTasks) {
      if (task.state !== 'active') continue;
      const job = findJob(ctx.store, task.jobId);
      const pool = job && job.state === 'active' ? findPool(ctx.store, job.poolId) : undefined;
      if (!job || !pool) continue;
      if (!free.has(pool)) {
        const nodes = poolNodes(pool, allocationMs, now);
        if (nodes.readyAt !== undefined) wakeAt = Math.min(wakeAt, nodes.readyAt);
        free.set(pool, nodes.current * taskSlotsPerNode(pool) - this.usedSlots(ctx, pool));
      }
      const slots = requiredSlots(task);
      if ((free.get(pool) ?? 0) < slots) {
        waiting = true;
        continue;
      }
      free.set(pool, (free.get(pool) ?? 0) - slots);
      this.prepare(ctx, task, job);
    }
    recordTaskCounts(ctx.store);
    // Tasks that wait for a slot start when nodes are allocated or the targets grow (autoscale).
    if (waiting && !this.retry) {
      this.retry = setTimeout(() => {
        this.retry = undefined;
        this.schedule(ctx);
      }, Math.max(10, wakeAt - now));
      this.retry.unref();
    }
  }

  /** Slots taken on `pool` by tasks that are preparing or running. */
  private usedSlots(ctx: EmulatorContext, pool: BatchPoolRecord): number {
    return ctx.store.batchTasks
      .filter((t) => (t.state === 'preparing' || t.state === 'running') && findJob(ctx.store, t.jobId)?.poolId.toLowerCase() === pool.id.toLowerCase())
      .reduce((sum, t) => sum + requiredSlots(t), 0);
  }

  private prepare(ctx: EmulatorContext, task: BatchTaskRecord, job: BatchJobRecord): void {
    setTaskState(task, 'preparing');
    // The image pull of a real node: the configured start delay.
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (task.state !== 'preparing' || !ctx.store.batchTasks.includes(task)) return;
      this.launch(ctx, task, job);
    }, startDelayMs(ctx, [Object.fromEntries(
      ((task.body.environmentSettings as Array<{ name: string; value?: string }> | undefined) ?? []).map((s) => [s.name, s.value]))]));
    this.timers.add(timer);
  }

  private launch(ctx: EmulatorContext, task: BatchTaskRecord, job: BatchJobRecord): void {
    const body = task.body;
    const settings = body.containerSettings as { imageName?: unknown } | undefined;
    const image = typeof settings?.imageName === 'string' ? settings.imageName : '';
    const commandLine = typeof body.commandLine === 'string' ? body.commandLine : '';
    if (settings && !ctx.containers.canRun(image)) {
      this.complete(ctx, task, undefined, {
        category: 'usererror',
        code: 'ContainerImagePullFailed',
        message: `The image '${image}' could not be pulled.`,
      });
      return;
    }
    if (settings && poolIsWindows(findPool(ctx.store, job.poolId)) && !isAdmin(body.userIdentity)) {
      this.complete(ctx, task, undefined, WINDOWS_NONADMIN);
      return;
    }
    const env: Record<string, string> = {
      AZ_BATCH_ACCOUNT_NAME: ctx.seed.batchAccountName,
      AZ_BATCH_ACCOUNT_URL: ctx.urls.batch,
      AZ_BATCH_POOL_ID: job.poolId,
      AZ_BATCH_JOB_ID: job.id,
      AZ_BATCH_TASK_ID: task.id,
      AZ_BATCH_NODE_ID: 'tvmps_emulated_0',
      ...environment(job.body.commonEnvironmentSettings),
      ...environment(body.environmentSettings),
    };
    const record: ContainerRecord = { name: task.id, state: 'Waiting', restartCount: 0, events: [], log: '' };
    task.container = record;
    try {
      const handle = ctx.containers.start({
        label: `batch:${job.id}/${task.id}`,
        image,
        env,
        // A container task with an empty command line runs the image's entrypoint.
        command: commandLine || !settings ? ['/bin/sh', '-c', commandLine] : undefined,
        record,
        user: containerUser(body.userIdentity),
        onExit: (exitCode) => {
          this.handles.delete(task);
          const ended = this.ending.delete(task);
          this.complete(ctx, task, exitCode, ended ? TASK_ENDED : exitCode === 0 ? undefined : FAILURE_EXIT_CODE);
        },
      });
      this.handles.set(task, handle);
    } catch (err) {
      ctx.log(`batch task ${job.id}/${task.id}: start failed: ${(err as Error).message}`);
      this.complete(ctx, task, undefined, { category: 'servererror', code: 'TaskFailedToStart', message: (err as Error).message });
      return;
    }
    task.startTime = new Date().toISOString();
    setTaskState(task, 'running');
    recordTaskCounts(ctx.store);
  }

  private complete(ctx: EmulatorContext, task: BatchTaskRecord, exitCode: number | undefined, failure?: BatchTaskRecord['failureInfo']): void {
    if (task.state === 'completed') return;
    task.exitCode = exitCode;
    task.endTime = new Date().toISOString();
    task.failureInfo = failure;
    setTaskState(task, 'completed');
    recordTaskCounts(ctx.store);
    // Its slot is free for a waiting task.
    if (task.previousState === 'running' || task.previousState === 'preparing') queueMicrotask(() => this.schedule(ctx));
    const job = findJob(ctx.store, task.jobId);
    if (job && job.state === 'active' && job.body.onAllTasksComplete === 'terminatejob') {
      const tasks = ctx.store.batchTasks.filter((t) => t.jobId === job.id);
      if (tasks.every((t) => t.state === 'completed')) {
        job.endTime = new Date().toISOString();
        job.terminateReason = 'AllTasksComplete';
        setJobState(job, 'completed');
      }
    }
  }

  /** Task_Terminate / Job_Terminate: a running task is killed, a waiting one just completes. */
  async terminate(ctx: EmulatorContext, task: BatchTaskRecord): Promise<void> {
    const handle = this.handles.get(task);
    if (handle) {
      this.ending.add(task);
      await handle.stop();
      return;
    }
    if (task.state !== 'completed') this.complete(ctx, task, undefined, TASK_ENDED);
    touch(task);
  }

  /** Stops a task's process before the task is deleted. */
  async discard(task: BatchTaskRecord): Promise<void> {
    const handle = this.handles.get(task);
    this.handles.delete(task);
    if (handle) await handle.stop();
  }

  /** Forgets pending starts and kills running tasks (reset and shutdown). */
  async stopAll(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    if (this.retry) clearTimeout(this.retry);
    this.retry = undefined;
    const handles = [...this.handles.values()];
    this.handles.clear();
    await Promise.all(handles.map((h) => h.stop()));
  }
}
