// Per-identity request budget, as Azure DevOps applies its rate limits per user: each caller gets
// `devopsRateLimit` requests per fixed window of `devopsRateWindowMs`; beyond that, 429 with the
// Retry-After and X-RateLimit-* headers the real service sends (node-api v17 parses them).
import type { EmulatorOptions, Reply } from '../context';
import { devopsError } from './errors';

interface Window {
  start: number;
  count: number;
}

export class RateLimiter {
  private readonly windows = new Map<string, Window>();

  /** Counts one request of `identity`; returns the 429 reply when it is over budget. */
  check(identity: string, options: EmulatorOptions, now = Date.now()): Reply | null {
    const limit = options.devopsRateLimit;
    if (!limit || limit <= 0) return null;
    const windowMs = Math.max(1, options.devopsRateWindowMs);
    let window = this.windows.get(identity);
    if (!window || now - window.start >= windowMs) {
      window = { start: now, count: 0 };
      this.windows.set(identity, window);
    }
    window.count++;
    if (window.count <= limit) return null;
    const resetAt = window.start + windowMs;
    const delaySeconds = Math.max(0.001, (resetAt - now) / 1000);
    return devopsError(
      429,
      'RequestBlockedException',
      'TF400733: The request has been blocked because you exceeded the usage limits for this organization. ' +
        'See https://aka.ms/tfsratelimits for details.',
      {
        'Retry-After': Math.max(1, Math.ceil(delaySeconds)),
        'X-RateLimit-Resource': 'Core',
        'X-RateLimit-Delay': delaySeconds.toFixed(3),
        'X-RateLimit-Limit': limit,
        'X-RateLimit-Remaining': 0,
        'X-RateLimit-Reset': Math.ceil(resetAt / 1000),
      },
    );
  }

  reset(): void {
    this.windows.clear();
  }
}
