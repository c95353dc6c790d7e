// --metrics-port: GET /metrics (Prometheus text format, prom-client) and GET /healthz (200 while a pass
// succeeded within the last three intervals, else 503). Plain http: nothing secret is served.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { PassResult } from './pool-runner';

export class ControllerMetrics {
  readonly registry = new Registry();
  private readonly agents = new Gauge({ name: 'ephemeral_agents_agents', help: 'Agents of the pool made by this controller, by state (busy, idle, starting).', labelNames: ['pool', 'state'], registers: [this.registry] });
  private readonly waiting = new Gauge({ name: 'ephemeral_agents_waiting_jobs', help: 'Jobs queued for the pool that its agents could run.', labelNames: ['pool'], registers: [this.registry] });
  private readonly target = new Gauge({ name: 'ephemeral_agents_target', help: 'The number of agents the pool should have after the last pass.', labelNames: ['pool'], registers: [this.registry] });
  private readonly passSeconds = new Histogram({ name: 'ephemeral_agents_pass_seconds', help: 'Duration of one reconciliation pass over every pool, in seconds.', buckets: [0.5, 1, 2, 5, 10, 30, 60, 120], registers: [this.registry] });
  private readonly passErrors = new Counter({ name: 'ephemeral_agents_pass_errors_total', help: 'Pool passes that failed.', labelNames: ['pool'], registers: [this.registry] });
  private readonly changes = new Counter({ name: 'ephemeral_agents_changes_total', help: 'Agents created, removed or swept.', labelNames: ['pool', 'change'], registers: [this.registry] });
  private lastSuccess?: number;

  constructor(private readonly intervalSeconds: number, private readonly now: () => number = Date.now) {}

  poolPassed(result: PassResult): void {
    const pool = result.pool;
    if (result.report) {
      this.agents.set({ pool, state: 'busy' }, result.report.busy);
      this.agents.set({ pool, state: 'idle' }, result.report.idle);
      this.agents.set({ pool, state: 'starting' }, result.report.starting);
      if (result.report.waiting !== undefined) this.waiting.set({ pool }, result.report.waiting);
    }
    this.target.set({ pool }, result.outcome.desired);
    if (result.outcome.provisioned > 0) this.changes.inc({ pool, change: 'created' }, result.outcome.provisioned);
    if (result.outcome.removed > 0) this.changes.inc({ pool, change: 'removed' }, result.outcome.removed);
  }

  poolFailed(pool: string): void {
    this.passErrors.inc({ pool });
  }

  /** A whole pass: its duration, and whether every pool's pass succeeded. */
  passEnded(seconds: number, succeeded: boolean): void {
    this.passSeconds.observe(seconds);
    if (succeeded) this.lastSuccess = this.now();
  }

  healthy(): boolean {
    return this.lastSuccess !== undefined && this.now() - this.lastSuccess <= 3 * this.intervalSeconds * 1000;
  }

  /** Serves /metrics and /healthz on `port` (0: any free port); resolves once listening. */
  async serve(port: number): Promise<{ server: Server; port: number }> {
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      if (path === '/healthz') {
        const ok = this.healthy();
        res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain; charset=utf-8' }).end(ok ? 'ok\n' : 'no successful pass within the last three intervals\n');
        return;
      }
      if (path === '/metrics') {
        this.registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
          (error: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error)),
        );
        return;
      }
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics or /healthz\n');
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, () => resolve());
    });
    return { server, port: (server.address() as AddressInfo).port };
  }
}
