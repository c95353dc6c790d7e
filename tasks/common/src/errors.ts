// Error classes the tasks raise. Each carries a message a pipeline user can act on and keeps the
// underlying error as `cause`, so logs can show the whole chain without losing the first message.

/** A failure the user can fix: the message says what is wrong and how to fix it. */
export class TaskError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An input (or pipeline variable) has a value the task cannot use. Raised before any cloud call. */
export class InputError extends TaskError {
  constructor(readonly input: string, message: string) {
    super(message);
  }
}

/** Which remote service answered with an error. */
export type ServiceName = 'Azure Resource Manager' | 'Azure Batch' | 'Azure DevOps' | 'Microsoft Entra ID';

/** A cloud call failed in a way retrying will not fix (authentication, authorization, quota, not found ...). */
export class CloudError extends TaskError {
  constructor(
    readonly service: ServiceName,
    message: string,
    readonly statusCode?: number,
    readonly code?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A deadline passed before the work was done. */
export class TimeoutError extends TaskError {}

/** The task was cancelled (SIGINT/SIGTERM or an abort signal). */
export class CancelledError extends TaskError {
  constructor(message = 'The operation was cancelled.', options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Several independent operations failed; `errors` holds each one. */
export class AggregateTaskError extends TaskError {
  constructor(message: string, readonly errors: readonly unknown[]) {
    super(message, { cause: errors[0] });
  }
}

interface ErrorLike {
  message?: unknown;
  statusCode?: unknown;
  status?: unknown;
  code?: unknown;
  cause?: unknown;
  name?: unknown;
}

function asErrorLike(error: unknown): ErrorLike | undefined {
  return typeof error === 'object' && error !== null ? (error as ErrorLike) : undefined;
}

/** The HTTP status of an SDK error (core-rest-pipeline RestError, ms-rest-js RestError, node-api errors). */
export function httpStatusOf(error: unknown): number | undefined {
  const e = asErrorLike(error);
  if (!e) return undefined;
  if (typeof e.statusCode === 'number') return e.statusCode;
  if (typeof e.status === 'number') return e.status;
  return undefined;
}

/** The service's error code (ARM `error.code`, Batch `code`, Node's `ECONNRESET` ...), if any. */
export function errorCodeOf(error: unknown): string | undefined {
  const e = asErrorLike(error);
  if (!e) return undefined;
  if (typeof e.code === 'string' && e.code) return e.code;
  const body = (e as { body?: unknown }).body;
  if (body && typeof body === 'object') {
    const code = (body as { code?: unknown; error?: { code?: unknown } }).code ?? (body as { error?: { code?: unknown } }).error?.code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/** The message of one error, without its causes. */
export function messageOf(error: unknown): string {
  const e = asErrorLike(error);
  if (e && typeof e.message === 'string') return e.message;
  // Some SDK errors carry a structured message, e.g. Batch's {lang, value}.
  const value = (e?.message as { value?: unknown } | undefined)?.value;
  if (typeof value === 'string') return value;
  if (e && e.message !== undefined) return JSON.stringify(e.message);
  return String(error);
}

/** The message of an error followed by the messages of its causes, deduplicated: "a: b: c". */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current !== undefined && current !== null && !seen.has(current) && parts.length < 6) {
    seen.add(current);
    const message = messageOf(current).trim();
    // A cause whose first line is already said (SDKs repeat the service's message) adds nothing.
    const firstLine = message.split(/\r?\n/)[0];
    if (firstLine && !parts.some((p) => p.includes(firstLine))) parts.push(message);
    current = asErrorLike(current)?.cause;
  }
  return parts.join(': ') || 'unknown error';
}

/** True when the error (or one of its causes) is a cancellation. */
export function isCancellation(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current && depth < 6; depth++) {
    if (current instanceof CancelledError) return true;
    if (asErrorLike(current)?.name === 'AbortError') return true;
    current = asErrorLike(current)?.cause;
  }
  return false;
}
