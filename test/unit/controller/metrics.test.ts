// --metrics-port: /metrics in the Prometheus text format with the contract's names, /healthz 200 only
// while a pass succeeded within the last three intervals.
import assert from 'node:assert/strict';
import { ControllerMetrics } from '../../../controller/src/metrics';
import type { PassResult } from '../../../controller/src/pool-runner';

function passed(pool: string, desired: number): PassResult {
  return {
    pool, minIdle: 0, minAgents: 0,
    report: { pass: 1, mode: 'queue', waiting: 4, busy: 2, idle: 1, starting: 3, others: 0, desired },
    outcome: { provisioned: 3, removed: 1, desired, passes: 1, rows: [], issues: [], pool },
  };
}

describe('controller metrics and health', () => {
  it('serves the metrics and health over http', async () => {
    let now = 1_000_000;
    const metrics = new ControllerMetrics(30, () => now);
    const { server, port } = await metrics.serve(0);
    try {
      const get = (path: string) => fetch(`http://127.0.0.1:${port}${path}`);
      assert.equal((await get('/healthz')).status, 503, 'no pass yet');
      metrics.poolPassed(passed('Ephemeral', 6));
      metrics.poolFailed('Other');
      metrics.passEnded(1.5, true);
      assert.equal((await get('/healthz')).status, 200);
      const res = await get('/metrics');
      assert.match(String(res.headers.get('content-type')), /^text\/plain; version=0\.0\.4/);
      const text = await res.text();
      for (const line of [
        'ephemeral_agents_agents{pool="Ephemeral",state="busy"} 2',
        'ephemeral_agents_agents{pool="Ephemeral",state="idle"} 1',
        'ephemeral_agents_agents{pool="Ephemeral",state="starting"} 3',
        'ephemeral_agents_waiting_jobs{pool="Ephemeral"} 4',
        'ephemeral_agents_target{pool="Ephemeral"} 6',
        'ephemeral_agents_pass_seconds_count 1',
        'ephemeral_agents_pass_errors_total{pool="Other"} 1',
      ]) assert.ok(text.includes(line), `${line} in\n${text}`);
      now += 90_000;
      assert.equal((await get('/healthz')).status, 200, 'three intervals');
      now += 1;
      assert.equal((await get('/healthz')).status, 503, 'more than three intervals since a pass succeeded');
      metrics.passEnded(1, false);
      assert.equal((await get('/healthz')).status, 503, 'a failed pass does not count');
      assert.equal((await get('/nope')).status, 404);
    } finally {
      server.close();
    }
  });
});
