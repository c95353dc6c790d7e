// A sliding-window budget of requests: Azure DevOps throttles per identity, so WaitForAgent keeps
// itself to a fixed number of requests per minute, discovery included.
import type { Clock } from './clock';

export class RequestBudget {
  private readonly times: number[] = [];

  constructor(readonly limit: number, readonly windowMs: number, private readonly clock: Clock) {}

  /** Notes one request made now. */
  record(): void {
    this.times.push(this.clock.now());
  }

  private prune(now: number): void {
    while (this.times.length > 0 && this.times[0] <= now - this.windowMs) this.times.shift();
  }

  /** Requests made in the current window. */
  used(): number {
    this.prune(this.clock.now());
    return this.times.length;
  }

  /** The earliest time (epoch ms) another request fits in the budget. */
  nextAllowedAt(): number {
    const now = this.clock.now();
    this.prune(now);
    return this.times.length < this.limit ? now : this.times[this.times.length - this.limit] + this.windowMs;
  }
}
