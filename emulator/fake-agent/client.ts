// A minimal JSON-over-HTTPS client for the fake agent (Node built-ins only, so the agent runs from
// a copied directory without node_modules). NODE_EXTRA_CA_CERTS makes Node trust the emulator's CA.
import http from 'node:http';
import https from 'node:https';

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

export function request(options: RequestOptions): Promise<HttpResponse> {
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
