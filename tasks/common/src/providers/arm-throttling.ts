// ARM's throttling, seen by the adaptive bound on container group creates. ARM meters writes per
// subscription and region in a token bucket (200 requests, refilled at 10 a second) and answers 429
// with Retry-After when it runs dry: https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling
// So a burst of 50 creates may go out at once, and the bound shrinks only when ARM says so.
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { AdaptiveLimit, type Throttling } from '../adaptive-limit';
import type { Clock } from '../clock';
import { httpStatusOf } from '../errors';
import { retryAfterMs } from '../retry';

/** Creates (PUTs) in flight at first, and at most. */
export const ARM_WRITES_AT_ONCE = 50;
export const ARM_WRITES_MAX = 100;

export function armWriteLimit(clock: Clock): AdaptiveLimit {
  return new AdaptiveLimit({ initial: ARM_WRITES_AT_ONCE, max: ARM_WRITES_MAX, clock });
}

/** A 429 from ARM, with the wait it asked for. */
export function armThrottling(error: unknown): Throttling | undefined {
  return httpStatusOf(error) === 429 ? { retryAfterMs: retryAfterMs(error) } : undefined;
}

/**
 * A pipeline policy (position perRetry: it sees every attempt, also those the SDK retries by itself)
 * that reports each 429 ARM answers to `limit`.
 */
export function throttlingObserverPolicy(limit: AdaptiveLimit): PipelinePolicy {
  return {
    name: 'ephemeralAgentsThrottlingObserver',
    async sendRequest(request, next) {
      const response = await next(request);
      if (response.status === 429) limit.reportThrottling({ retryAfterMs: retryAfterMs({ responseHeaders: response.headers.toJSON() }) });
      return response;
    },
  };
}
