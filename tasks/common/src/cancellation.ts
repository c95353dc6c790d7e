// SIGINT/SIGTERM -> abort signals. `cancel` stops new work at once; `hard` aborts in-flight cloud
// calls a grace period later, so cleanup started on cancel finishes (or gives up) within 10 s.

export const CLEANUP_GRACE_MS = 10_000;

export interface Cancellation {
  /** Aborted as soon as the agent cancels the task. */
  cancel: AbortSignal;
  /** Aborted CLEANUP_GRACE_MS after `cancel`, or when the task finishes: in-flight cloud calls end then. */
  hard: AbortSignal;
  dispose(): void;
}

export function onTermination(processLike: Pick<NodeJS.Process, 'on' | 'off'> = process, graceMs = CLEANUP_GRACE_MS): Cancellation {
  const cancel = new AbortController();
  const hard = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const handler = (signal: NodeJS.Signals) => {
    if (cancel.signal.aborted) return;
    cancel.abort(new Error(`received ${signal}`));
    timer = setTimeout(() => hard.abort(new Error(`cleanup after ${signal} took longer than ${graceMs} ms`)), graceMs);
    timer.unref();
  };
  processLike.on('SIGINT', handler);
  processLike.on('SIGTERM', handler);
  return {
    cancel: cancel.signal,
    hard: hard.signal,
    dispose: () => {
      processLike.off('SIGINT', handler);
      processLike.off('SIGTERM', handler);
      if (timer) clearTimeout(timer);
      // The task is done: calls still in flight (a create abandoned on cancellation, its LRO poller)
      // are orphans that would keep the process alive; end them now.
      if (!hard.signal.aborted) hard.abort(new Error('the task has finished'));
    },
  };
}

/** Rejects with the signal's reason as soon as it aborts; otherwise settles like `promise`. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined, onAbort: () => Error): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(onAbort());
  return new Promise<T>((resolve, reject) => {
    const listener = () => reject(onAbort());
    signal.addEventListener('abort', listener, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', listener);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', listener);
        reject(error);
      },
    );
  });
}
