// Injected faults (control API `POST faults`): each rule hits the next `count` requests of a service
// whose method and path match, adding latency, answering an error status in the service's own error
// shape, or resetting the connection.
import type { Reply, Service } from './context';
import type { ServiceName } from './store';

export interface FaultRule {
  service: ServiceName;
  /** Upper-case HTTP method; undefined matches any. */
  method?: string;
  /** A substring of the request path (query excluded); undefined matches any. */
  path?: string;
  /** Status to answer; undefined passes the request through after the latency. */
  status?: number;
  /** Seconds, sent as Retry-After (and X-RateLimit-* on devops). */
  retryAfter?: number;
  /** Destroys the socket instead of answering. */
  reset?: boolean;
  latencyMs?: number;
  /** Requests left to hit. */
  count: number;
}

const SERVICES: readonly ServiceName[] = ['entra', 'arm', 'batch', 'devops'];

/** Error codes of injected statuses, as each service names them in its error body. */
const FAULT_CODES: Record<number, { code: string; message: string }> = {
  408: { code: 'RequestTimeout', message: 'The request timed out.' },
  429: { code: 'TooManyRequests', message: 'The request was throttled: too many requests. Retry after the delay in Retry-After.' },
  500: { code: 'InternalServerError', message: 'The server encountered an internal error. Please retry the request.' },
  502: { code: 'BadGateway', message: 'The gateway received an invalid response.' },
  503: { code: 'ServiceUnavailable', message: 'The service is temporarily unavailable. Please retry the request.' },
  504: { code: 'GatewayTimeout', message: 'The gateway did not receive a response in time.' },
};

function optionalNumber(body: Record<string, unknown>, key: string, min: number): number | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) throw new Error(`'${key}' must be a number >= ${min}`);
  return value;
}

/** Parses a `POST faults` body; throws an Error whose message explains what is wrong. */
export function parseFaultRule(body: unknown): FaultRule {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error('the body must be a JSON object');
  const b = body as Record<string, unknown>;
  if (typeof b.service !== 'string' || !SERVICES.includes(b.service as ServiceName)) {
    throw new Error(`'service' must be one of ${SERVICES.join(', ')}`);
  }
  if (b.method !== undefined && typeof b.method !== 'string') throw new Error("'method' must be a string");
  if (b.path !== undefined && typeof b.path !== 'string') throw new Error("'path' must be a string");
  if (b.reset !== undefined && typeof b.reset !== 'boolean') throw new Error("'reset' must be a boolean");
  const status = optionalNumber(b, 'status', 100);
  if (status !== undefined && (!Number.isInteger(status) || status > 599)) throw new Error("'status' must be an HTTP status code");
  const count = optionalNumber(b, 'count', 1) ?? 1;
  return {
    service: b.service as ServiceName,
    method: b.method ? b.method.toUpperCase() : undefined,
    path: b.path || undefined,
    status,
    retryAfter: optionalNumber(b, 'retryAfter', 0),
    reset: b.reset === true,
    latencyMs: optionalNumber(b, 'latencyMs', 0),
    count: Math.floor(count),
  };
}

export class FaultBook {
  private rules: FaultRule[] = [];

  add(rule: FaultRule): void {
    this.rules.push({ ...rule });
  }

  /** The first rule matching the request, its count consumed (and removed when spent). */
  take(service: ServiceName, method: string, path: string): FaultRule | undefined {
    const index = this.rules.findIndex((r) =>
      r.service === service && (!r.method || r.method === method.toUpperCase()) && (!r.path || path.includes(r.path)));
    if (index < 0) return undefined;
    const rule = this.rules[index];
    rule.count -= 1;
    if (rule.count <= 0) this.rules.splice(index, 1);
    return { ...rule };
  }

  pending(): FaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  clear(): void {
    this.rules = [];
  }
}

/** The reply of a fault with a status: the service's error body plus Retry-After (and X-RateLimit-* on devops). */
export function faultReply(service: Service, rule: FaultRule & { status: number }): Reply {
  const known = FAULT_CODES[rule.status] ?? { code: 'InjectedFault', message: `The emulator injected status ${rule.status}.` };
  const reply = service.errorReply(rule.status, known.code, known.message);
  const headers: Record<string, string | number> = { ...(reply.headers ?? {}) };
  if (rule.retryAfter !== undefined) {
    headers['Retry-After'] = rule.retryAfter;
    if (service.name === 'devops') {
      headers['X-RateLimit-Resource'] = 'Core';
      headers['X-RateLimit-Delay'] = rule.retryAfter.toFixed(3);
      headers['X-RateLimit-Limit'] = 200;
      headers['X-RateLimit-Remaining'] = 0;
      headers['X-RateLimit-Reset'] = Math.ceil(Date.now() / 1000 + rule.retryAfter);
    }
  }
  return { ...reply, headers };
}
