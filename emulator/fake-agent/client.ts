// A minimal JSON-over-HTTPS client for the fake agent (Node built-ins only, so the agent runs from
// a copied directory without node_modules). NODE_EXTRA_CA_CERTS makes Node trust the emulator's CA.
// Like the real agent's HTTP client (VssHttpRetryMessageHandler), it retries transient failures.
import http from 'node:http';
import https from 'node:https';

/**
 * The emulator's agent waits a hundredth of the real agent's times (10 s become 100 ms), so that
 * fault tests stay short; the number of attempts and the shape of the backoff are the real ones.
 */
export const AGENT_TIME_SCALE = 0.01;

/** Statuses VssHttpRetryOptions.RetryableStatusCodes names: the real agent retries these, not 500. */
const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);
/** Network failures VssNetworkHelper.IsTransientNetworkException treats as transient (resets, refusals, timeouts, DNS). */
const TRANSIENT_NETWORK_ERRORS = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'ENETDOWN', 'ENETUNREACH', 'ENETRESET',
  'EHOSTDOWN', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN',
]);

/** VssUtil.CreateConnection: MaxRetryRequest is the VSTS_HTTP_RETRY knob (default 3) kept within [3, 10]. */
export function maxRetryRequest(env: NodeJS.ProcessEnv = process.env): number {
  const knob = Number.parseInt(env.VSTS_HTTP_RETRY ?? '', 10);
  return Math.min(Math.max(Number.isNaN(knob) ? 3 : knob, 3), 10);
}

/** BackoffTimerHelper.GetExponentialBackoff(attempt, 10 s, 10 min, 1 s), scaled by AGENT_TIME_SCALE. */
export function retryBackoffMs(attempt: number, random: () => number = Math.random): number {
  const delta = 1000 * (0.8 + 0.4 * random());
  const realMs = Math.min(10_000 + (2 ** attempt - 1) * delta, 600_000);
  return realMs * AGENT_TIME_SCALE;
}

/** True for a network failure the real agent's client retries. */
export function isTransientNetworkError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && TRANSIENT_NETWORK_ERRORS.has(code);
}

export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json<T = unknown>(): T;
}

export interface RequestOptions {
  method: string;
  url: string;
  authorization?: string;
  body?: unknown;
  /** Sent as is with this content type instead of JSON. */
  form?: URLSearchParams;
  signal?: AbortSignal;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/**
 * Sends the request, retrying a retryable status or a transient network failure up to
 * maxRetryRequest() times with exponential backoff, as VssHttpRetryMessageHandler does for every
 * method; the last answer (or failure) is the caller's.
 */
export async function request(options: RequestOptions): Promise<HttpResponse> {
  const maxAttempts = maxRetryRequest() + 1;
  for (let attempt = 1; ; attempt++) {
    let retry: boolean;
    let result: HttpResponse | undefined;
    let failure: unknown;
    try {
      result = await requestOnce(options);
      retry = RETRYABLE_STATUSES.has(result.status);
    } catch (err) {
      if (options.signal?.aborted) throw err;
      failure = err;
      retry = isTransientNetworkError(err);
    }
    if (!retry || attempt >= maxAttempts) {
      if (result) return result;
      throw failure;
    }
    await delay(retryBackoffMs(attempt), options.signal);
  }
}

function requestOnce(options: RequestOptions): Promise<HttpResponse> {
  const url = new URL(options.url);
  const headers: Record<string, string> = { Accept: 'application/json;api-version=7.2-preview.1', 'User-Agent': 'VSTSAgentCore-Linux/emulated' };
  if (options.authorization) headers.Authorization = options.authorization;
  let payload: Buffer | undefined;
  if (options.form) {
    payload = Buffer.from(options.form.toString(), 'utf8');
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
  } else if (options.body !== undefined) {
    payload = Buffer.from(JSON.stringify(options.body), 'utf8');
    headers['Content-Type'] = 'application/json';
  }
  if (payload) headers['Content-Length'] = String(payload.length);
  const transport = url.protocol === 'http:' ? http : https;
  return new Promise((resolve, reject) => {
    const req = transport.request(url, { method: options.method, headers, signal: options.signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text,
          json<T>() {
            return JSON.parse(text) as T;
          },
        });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** The server's error message (Azure DevOps error JSON) or the status line. */
export function describe(res: HttpResponse): string {
  try {
    const body = res.json<{ message?: string; error_description?: string }>();
    return body.message ?? body.error_description ?? `HTTP ${res.status}`;
  } catch {
    return `HTTP ${res.status}`;
  }
}

/** Resolves the body of a 2xx answer as JSON (null when empty); rejects otherwise. */
export async function requestJson<T>(options: RequestOptions): Promise<T> {
  const res = await request(options);
  if (res.status < 200 || res.status > 299) throw new HttpError(res.status, `${options.method} ${new URL(options.url).pathname}: ${describe(res)}`);
  return (res.text ? res.json<T>() : null) as T;
}
