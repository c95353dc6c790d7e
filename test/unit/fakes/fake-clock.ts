// Virtual time: sleep() advances the clock at once, so polling loops run instantly and deterministically.
import { CancelledError } from '../../../tasks/common/src/errors';
import type { Clock } from '../../../tasks/common/src/clock';

export class FakeClock implements Clock {
  readonly sleeps: number[] = [];
  /** Called after each sleep with the new time, e.g. to change the world at a given moment. */
  onTick?: (now: number) => void;

  constructor(public time = Date.UTC(2025, 0, 1)) {}

  now(): number {
    return this.time;
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw new CancelledError();
    this.sleeps.push(ms);
    this.time += Math.max(0, ms);
    this.onTick?.(this.time);
    await Promise.resolve();
  }
}
