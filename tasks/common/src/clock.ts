// Time as a port, so waits, deadlines and backoff can be tested without real sleeping.
import { callSignal } from './call-signal';
import { CancelledError } from './errors';

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`; rejects with CancelledError as soon as `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  // Each sleep listens on a signal of its own (callSignal): many concurrent sleeps add no listener to the caller's.
  sleep: (ms, callerSignal) =>
    new Promise<void>((resolve, reject) => {
      const signal = callSignal(callerSignal);
      if (signal?.aborted) {
        reject(new CancelledError(undefined, { cause: signal.reason }));
        return;
      }
      const onAbort = () => {
        clearTimeout(timer);
        reject(new CancelledError(undefined, { cause: signal?.reason }));
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, Math.max(0, ms));
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/** Throws CancelledError when the signal has aborted. */
export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CancelledError(undefined, { cause: signal.reason });
}
