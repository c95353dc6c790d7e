// The standing controller: `--config FILE [--once] [--metrics-port N]`. Each pass runs the scaler of
// ScaleAgentPool (scalePool) over every configured pool; without --once it repeats every
// intervalSeconds until SIGTERM/SIGINT, then abandons the pass in progress and exits 0 within 10 s.
// Exit codes: 0 done, 1 a --once pass failed, 2 a bad configuration (one line on stderr).
import type { Server } from 'node:http';
import { parseArgs } from 'node:util';
import { onTermination } from '../../tasks/common/src/cancellation';
import { type Clock, systemClock } from '../../tasks/common/src/clock';
import { describeError, isCancellation } from '../../tasks/common/src/errors';
import { ConfigError, type ControllerConfig, loadConfig } from './config';
import { identityFromEnvironment } from './identity';
import { JsonLog } from './log';
import { ControllerMetrics } from './metrics';
import { PoolRunner } from './pool-runner';

export const EXIT_OK = 0;
export const EXIT_PASS_FAILED = 1;
export const EXIT_BAD_CONFIG = 2;
/** In-flight cloud calls are cut this long after SIGTERM, so the process ends well within 10 s. */
const STOP_GRACE_MS = 5_000;
/** The last resort after SIGTERM: whatever still runs, the process exits 0 by then. */
const STOP_DEADLINE_MS = 9_000;

export interface Options {
  config: string;
  once: boolean;
  metricsPort?: number;
}

export function parseOptions(argv: string[]): Options {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { config: { type: 'string' }, once: { type: 'boolean' }, 'metrics-port': { type: 'string' } }, strict: true, allowPositionals: false });
  } catch (error) {
    throw new ConfigError('arguments', `${(error as Error).message}: usage: node dist/controller/index.js --config FILE [--once] [--metrics-port N]`, { cause: error });
  }
  const { values } = parsed;
  if (!values.config) throw new ConfigError('--config', '--config is required: give the path of the JSON configuration file (see controller/config.schema.json)');
  let metricsPort: number | undefined;
  if (values['metrics-port'] !== undefined) {
    metricsPort = Number(values['metrics-port']);
    if (!/^\d+$/.test(values['metrics-port']) || metricsPort > 65535) {
      throw new ConfigError('--metrics-port', `--metrics-port must be a TCP port number from 0 to 65535; got '${values['metrics-port']}'`);
    }
  }
  return { config: values.config, once: values.once === true, metricsPort };
}

/** Everything checked before any cloud call: options, file, schema, every pool's inputs, identity. */
export function prepare(argv: string[], env: NodeJS.ProcessEnv, log: JsonLog, stop: ReturnType<typeof onTermination>): { options: Options; config: ControllerConfig; runners: PoolRunner[]; identity: string } {
  const options = parseOptions(argv);
  const config = loadConfig(options.config);
  const identity = identityFromEnvironment(env, config.resourceManagerEndpoint);
  const runners = config.pools.map((pool, i) => new PoolRunner(i, pool, config, identity, log, stop, env));
  return { options, config, runners, identity: identity.description };
}

/** One pass over every pool (at once); true when every pool's pass succeeded. */
export async function runPass(runners: PoolRunner[], metrics: ControllerMetrics, log: JsonLog, clock: Clock, pass: number): Promise<boolean> {
  const started = clock.now();
  const results = await Promise.all(runners.map(async (runner) => {
    const poolStarted = clock.now();
    try {
      const result = await runner.pass(clock.now());
      metrics.poolPassed(result);
      const r = result.report;
      log.line(result.outcome.issues.length > 0 ? 'warning' : 'info', {
        event: 'pass', pool: result.pool, pass, seconds: (clock.now() - poolStarted) / 1000, mode: runner.params.mode,
        waiting: r?.waiting, busy: r?.busy, idle: r?.idle, starting: r?.starting, others: r?.others, target: result.outcome.desired,
        created: result.outcome.provisioned, removed: result.outcome.removed, minIdle: result.minIdle, minAgents: result.minAgents,
        schedule: result.schedule, issues: result.outcome.issues.length > 0 ? result.outcome.issues : undefined,
      });
      return true;
    } catch (error) {
      if (isCancellation(error)) {
        log.line('info', { event: 'pass', pool: runner.name, pass, abandoned: true, message: 'pass abandoned: the controller is stopping' });
        return true;
      }
      metrics.poolFailed(runner.name);
      log.line('error', { event: 'pass', pool: runner.name, pass, seconds: (clock.now() - poolStarted) / 1000, error: describeError(error) });
      return false;
    }
  }));
  const ok = results.every(Boolean);
  metrics.passEnded((clock.now() - started) / 1000, ok);
  return ok;
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env, clock: Clock = systemClock): Promise<number> {
  const log = new JsonLog(undefined, () => clock.now(), env.EPHEMERAL_AGENTS_DEBUG === '1' || env.SYSTEM_DEBUG === 'true');
  const stop = onTermination(process, STOP_GRACE_MS);
  let server: Server | undefined;
  try {
    let prepared;
    try {
      prepared = prepare(argv, env, log, stop);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      process.stderr.write(`${log.masker.mask(`Configuration error: ${error.message}`).replace(/\s*\n\s*/g, ' ')}\n`);
      return EXIT_BAD_CONFIG;
    }
    const { options, config, runners } = prepared;
    stop.cancel.addEventListener('abort', () => {
      log.line('info', { event: 'stopping', message: `${String((stop.cancel.reason as Error)?.message ?? 'stop requested')}: ending the pass in progress` });
      setTimeout(() => process.exit(EXIT_OK), STOP_DEADLINE_MS).unref();
    }, { once: true });
    const metrics = new ControllerMetrics(config.intervalSeconds, () => clock.now());
    if (options.metricsPort !== undefined) {
      const served = await metrics.serve(options.metricsPort);
      server = served.server;
      log.line('info', { event: 'metrics', port: served.port, message: `serving /metrics and /healthz on port ${served.port}` });
    }
    log.line('info', {
      event: 'started', once: options.once, intervalSeconds: config.intervalSeconds, identity: prepared.identity,
      pools: runners.map((r) => ({ pool: r.name, namePrefix: r.params.namePrefix, mode: r.params.mode, provider: r.params.provider.kind })),
    });
    if (options.once) {
      const ok = await runPass(runners, metrics, log, clock, 1);
      return ok || stop.cancel.aborted ? EXIT_OK : EXIT_PASS_FAILED;
    }
    for (let pass = 1; !stop.cancel.aborted; pass++) {
      await runPass(runners, metrics, log, clock, pass);
      try {
        await clock.sleep(config.intervalSeconds * 1000, stop.cancel);
      } catch (error) {
        if (!isCancellation(error)) throw error;
      }
    }
    log.line('info', { event: 'stopped' });
    return EXIT_OK;
  } finally {
    server?.close();
    server?.closeAllConnections();
    stop.dispose();
  }
}
