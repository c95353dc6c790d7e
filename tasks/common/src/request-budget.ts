// A budget of requests: Azure DevOps throttles per identity, so WaitForAgent keeps itself to a fixed
// number of requests per sliding window, and paces them like a token bucket (short bursts of `burst`
// requests, then an even rate) so a burst early in the window never starves the rest of it.
import type { Clock } from './clock';

export class RequestBudget {
  private readonly times: number[] = [];
  private tokens: number;
  private refilledAt: number;

  constructor(readonly limit: number, readonly windowMs: number, private readonly clock: Clock, readonly burst = limit) {
    this.tokens = burst;
    this.refilledAt = clock.now();
  }

  private get msPerToken(): number {
    return this.windowMs / this.limit;
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.burst, this.tokens + (now - this.refilledAt) / this.msPerToken);
    this.refilledAt = now;
  }

  /** Notes one request made now. */
  record(): void {
    const now = this.clock.now();
    this.refill(now);
    this.tokens -= 1;
    this.times.push(now);
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
    this.refill(now);
    const byWindow = this.times.length < this.limit ? now : this.times[this.times.length - this.limit] + this.windowMs;
    const byRate = this.tokens >= 1 ? now : now + Math.ceil((1 - this.tokens) * this.msPerToken);
    return Math.max(byWindow, byRate);
  }
}
