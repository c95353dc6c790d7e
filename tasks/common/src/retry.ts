// Retries of transient cloud failures: 429 and 5xx answers, connection resets and timeouts, with
// exponential backoff that yields to the service's own Retry-After / X-RateLimit-Delay, all within a
// deadline and stoppable by an abort signal. Permanent errors (4xx) are thrown at once.
import { type Clock, systemClock, throwIfAborted } from './clock';
import { errorCodeOf, httpStatusOf, isCancellation } from './errors';

const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'ENETUNREACH',
  'EHOSTUNREACH', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'REQUEST_SEND_ERROR', 'RequestTimeout',
]);
const TRANSIENT_STATUS = new Set([408, 429, 500, 502, 503, 504]);

export interface RetryOptions {
  /** Epoch milliseconds after which no further attempt starts. */
  deadline?: number;
  /** Attempts in all, the first included (default 6). */
  maxAttempts?: number;
  /** First backoff delay (default 500 ms), doubled on each retry, with jitter. */
  baseDelayMs?: number;
  /** Longest backoff delay without a Retry-After (default 30 s). */
  maxDelayMs?: number;
  signal?: AbortSignal;
  clock?: Clock;
  /** Overrides which errors are worth another attempt. */
  isRetryable?: (error: unknown) => boolean;
  /** Called before each wait, e.g. to log "throttled, retrying in 3 s". */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /** Random source for jitter, in [0, 1). */
  random?: () => number;
}

/** True for 408/429/5xx answers and for connection failures. */
export function isTransient(error: unknown): boolean {
  if (isCancellation(error)) return false;
  const status = httpStatusOf(error);
  if (status !== undefined) return TRANSIENT_STATUS.has(status);
  const code = errorCodeOf(error);
  if (code && TRANSIENT_NETWORK_CODES.has(code)) return true;
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  return cause !== undefined && cause !== error ? isTransient(cause) : false;
}

function headerOf(error: unknown, name: string): string | undefined {
  const e = error as {
    responseHeaders?: Record<string, unknown>;
    response?: { headers?: { get?: (n: string) => string | undefined | null } | Record<string, unknown> };
    headers?: Record<string, unknown>;
  } | undefined;
  if (!e || typeof e !== 'object') return undefined;
  const bags: unknown[] = [e.responseHeaders, e.response?.headers, e.headers];
  for (const bag of bags) {
    if (!bag || typeof bag !== 'object') continue;
    const getter = (bag as { get?: unknown }).get;
    const value = typeof getter === 'function'
      ? (getter as (n: string) => unknown).call(bag, name)
      : Object.entries(bag).find(([k]) => k.toLowerCase() === name)?.[1];
    if (Array.isArray(value) && value.length > 0) return String(value[0]);
    if (typeof value === 'string' || typeof value === 'number') return String(value);
  }
  return undefined;
}

/** Parses a Retry-After value: seconds (decimals allowed) or an HTTP date. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(parseFloat(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** How long the service asked us to wait, from Retry-After(-ms) or Azure DevOps' X-RateLimit-Delay. */
export function retryAfterMs(error: unknown, now = Date.now()): number | undefined {
  const ms = headerOf(error, 'retry-after-ms') ?? headerOf(error, 'x-ms-retry-after-ms');
  if (ms !== undefined && /^\d+$/.test(ms.trim())) return parseInt(ms, 10);
  const candidates = [parseRetryAfter(headerOf(error, 'retry-after'), now), parseRetryAfter(headerOf(error, 'x-ratelimit-delay'), now)]
    .filter((v): v is number => v !== undefined);
  // azure-devops-node-api parses the same headers into `rateLimit` (seconds), even when the body was not JSON.
  const rateLimit = (error as { rateLimit?: { retryAfter?: number; delay?: number } } | undefined)?.rateLimit;
  for (const seconds of [rateLimit?.retryAfter, rateLimit?.delay]) {
    if (typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0) candidates.push(Math.round(seconds * 1000));
  }
  if (candidates.length > 0) return Math.max(...candidates);
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  return cause !== undefined && cause !== error && typeof cause === 'object' ? retryAfterMs(cause, now) : undefined;
}

/** The delay before retry number `attempt` (1-based): the service's wish, else exponential backoff with jitter. */
export function backoffDelay(error: unknown, attempt: number, options: RetryOptions, now: number): number {
  const requested = retryAfterMs(error, now);
  if (requested !== undefined) return requested;
  const base = options.baseDelayMs ?? 500;
  const max = options.maxDelayMs ?? 30_000;
  const exponential = Math.min(max, base * 2 ** (attempt - 1));
  const random = options.random ?? Math.random;
  // "Equal jitter": half fixed, half random, so concurrent callers spread out but never retry at once.
  return Math.round(exponential / 2 + random() * (exponential / 2));
}

/** Runs `operation` until it succeeds, a permanent error occurs, attempts run out or the deadline would pass. */
export async function withRetry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const clock = options.clock ?? systemClock;
  const maxAttempts = options.maxAttempts ?? 6;
  const retryable = options.isRetryable ?? isTransient;
  for (let attempt = 1; ; attempt++) {
    throwIfAborted(options.signal);
    try {
      return await operation(attempt);
    } catch (error) {
      if (attempt >= maxAttempts || !retryable(error)) throw error;
      const now = clock.now();
      const delay = backoffDelay(error, attempt, options, now);
      if (options.deadline !== undefined && now + delay >= options.deadline) throw error;
      options.onRetry?.(error, attempt, delay);
      await clock.sleep(delay, options.signal);
    }
  }
}
