// Runs Batch tasks: a task whose job's pool exists is scheduled (active → preparing → running →
// completed); a container task runs its image through the container runner, `commandLine: ""`
// meaning the image's entrypoint. Tasks of a job whose pool does not exist stay active, as on the
// real service. Node capacity is not modelled: every schedulable task starts.
import type { ContainerHandle, EmulatorContext } from '../context';
import { startDelayMs } from '../containers';
import type { BatchJobRecord, BatchTaskRecord, ContainerRecord } from '../store';
import { recordTaskCounts } from './autoscale';
import { findJob, findPool, setJobState, setTaskState, touch } from './model';

const TASK_ENDED = { category: 'usererror' as const, code: 'TaskEnded', message: 'Task Was Ended by User Request' };
const FAILURE_EXIT_CODE = {
  category: 'usererror' as const,
  code: 'FailureExitCode',
  message: 'The task exited with an exit code representing a failure',
  details: [{ name: 'Message', value: 'The task exited with an exit code representing a failure' }],
};

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

  /** Starts every active task that can run now. */
  schedule(ctx: EmulatorContext): void {
    for (const task of ctx.store.batchTasks) {
      if (task.state !== 'active') continue;
      const job = findJob(ctx.store, task.jobId);
      if (!job || job.state !== 'active' || !findPool(ctx.store, job.poolId)) continue;
      this.prepare(ctx, task, job);
    }
    recordTaskCounts(ctx.store);
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
    const handles = [...this.handles.values()];
    this.handles.clear();
    await Promise.all(handles.map((h) => h.stop()));
  }
}
