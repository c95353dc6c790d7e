// An adaptive bound on calls in flight, for bursts of writes to a service that throttles (ARM answers
// 429 with Retry-After when a subscription's write bucket runs dry). It starts wide, so a burst of
// creates goes out at once, and adapts as TCP does (AIMD): each success widens it by 1/limit (about
// one per round of calls), each throttling halves it (once per round: the 429s of one burst count as
// one signal) and holds new calls until the Retry-After the service asked for has passed.
import { type Clock, throwIfAborted } from './clock';

export interface AdaptiveLimitOptions {
  /** Calls in flight at first. */
  initial: number;
  /** Never fewer than this (default 1). */
  min?: number;
  /** Never more than this (default `initial`). */
  max?: number;
  clock: Clock;
}

export interface Throttling {
  /** How long the service asked to wait (Retry-After), when it said. */
  retryAfterMs?: number;
}

/** A slot held by one call; `round` is the limit's round when the call started. */
interface Slot {
  round: number;
}

export class AdaptiveLimit {
  private current: number;
  private readonly min: number;
  private readonly max: number;
  private inFlight = 0;
  /** Bumped by each decrease: a throttling from a call started before it is the same signal. */
  private round = 0;
  private pausedUntil = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly options: AdaptiveLimitOptions) {
    this.min = Math.max(1, options.min ?? 1);
    this.max = Math.max(this.min, options.max ?? options.initial);
    this.current = Math.min(this.max, Math.max(this.min, options.initial));
  }

  /** Calls allowed in flight now. */
  get limit(): number {
    return Math.floor(this.current);
  }

  /** Epoch milliseconds before which no new call starts (the last Retry-After). */
  get holdUntil(): number {
    return this.pausedUntil;
  }

  /**
   * Runs `fn` once a slot is free and no Retry-After holds. `throttled` tells which failures are the
   * service throttling (and how long it asked to wait); any other outcome is a success for the bound.
   */
  async run<T>(fn: () => Promise<T>, throttled: (error: unknown) => Throttling | undefined, signal?: AbortSignal): Promise<T> {
    const slot = await this.acquire(signal);
    try {
      const value = await fn();
      this.succeeded();
      return value;
    } catch (error) {
      const throttling = throttled(error);
      if (throttling) this.throttled(slot, throttling);
      else this.succeeded();
      throw error;
    } finally {
      this.release();
    }
  }

  /** Reports a throttling seen outside `run` (e.g. by a pipeline policy on a retried request). */
  reportThrottling(throttling: Throttling): void {
    this.throttled({ round: this.round }, throttling);
  }

  private async acquire(signal?: AbortSignal): Promise<Slot> {
    for (;;) {
      throwIfAborted(signal);
      const wait = this.pausedUntil - this.options.clock.now();
      if (wait > 0) {
        await this.options.clock.sleep(wait, signal);
        continue;
      }
      if (this.inFlight < this.limit) {
        this.inFlight++;
        return { round: this.round };
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  private release(): void {
    this.inFlight--;
    this.wake();
  }

  /** Lets as many waiting calls try again as there are free slots. */
  private wake(): void {
    let free = this.limit - this.inFlight;
    while (free-- > 0 && this.waiting.length > 0) this.waiting.shift()?.();
  }

  private succeeded(): void {
    this.current = Math.min(this.max, this.current + 1 / this.current);
  }

  private throttled(slot: Slot, { retryAfterMs }: Throttling): void {
    if (retryAfterMs !== undefined && retryAfterMs > 0) this.pausedUntil = Math.max(this.pausedUntil, this.options.clock.now() + retryAfterMs);
    if (slot.round !== this.round) return;
    this.round++;
    this.current = Math.max(this.min, this.current / 2);
  }
}
