// One configured pool: its params (read by ScaleAgentPool's readers, before any cloud call), the
// adapters the scaler takes (built once, reused by every pass), and one pass of the shared scaler
// (scalePool) with the standby schedule applied. Every change of a pass becomes one JSON log line.
import { createHash, randomBytes } from 'node:crypto';
import type { TokenCredential } from '@azure/core-auth';
import { createAzureCredential, createFreshAzureCredential, type CredentialDeps } from '../../tasks/common/src/azure-auth';
import type { Cancellation } from '../../tasks/common/src/cancellation';
import { TaskContext } from '../../tasks/common/src/composition';
import { createRegistrationTokenSource } from '../../tasks/common/src/devops/token-source';
import { InputError } from '../../tasks/common/src/errors';
import type { AzureConnection } from '../../tasks/common/src/params/azure-connection';
import { readScaleParams, type ScaleParams } from '../../tasks/common/src/params/scale-params';
import { type PassReport, type ScaleDeps, type ScaleOutcome, type ScalePlan, scalePool } from '../../tasks/common/src/scaler/scale-pool';
import { ConfigError, type ControllerConfig, type PoolConfig } from './config';
import type { EnvironmentIdentity } from './identity';
import type { JsonLog, LogFields } from './log';
import { CONTROLLER_RUN_ID, poolInputs, PoolIO } from './pool-io';
import { activeSchedule, localFormat, minutesOf, standbyAt } from './schedule';

export interface PassResult {
  pool: string;
  outcome: ScaleOutcome;
  report?: PassReport;
  /** The schedule entry in force, if any. */
  schedule?: number;
  minIdle: number;
  minAgents: number;
}

/**
 * The owner tag of this process's creates for a pool: which pool (a hash), and which process, so two
 * controllers creating one name at once tell whose create won, as two task runs do. Whose the agents
 * are (who may remove them) is the ownership model's business, not this tag's.
 */
export function controllerOwner(organizationUrl: string, agentPool: string, namePrefix: string, instance = randomBytes(3).toString('hex')): string {
  const hash = createHash('sha256').update(`${organizationUrl.toLowerCase()}|${agentPool.toLowerCase()}|${namePrefix}`).digest('hex').slice(0, 12);
  return `controller-${hash}-${instance}`;
}

/** Row actions of the scaler -> the change events of the log. */
export function changeEvent(action: string): string | undefined {
  if (/^(created|recreated)$/.test(action)) return 'created';
  if (/^(removed|scaled in|cleaned up)$/.test(action)) return 'removed';
  if (action === 'swept') return 'swept';
  if (action.startsWith('template ')) return 'template';
  return undefined;
}

/** Debug lines of the clients that report a retry (429 with Retry-After, or a transient failure). */
export function classifyLine(message: string): LogFields | undefined {
  return /\bretry \d+ in \d+ ms\b/.test(message) ? { event: 'throttled' } : undefined;
}

/**
 * A TaskContext whose cancellation is the controller's (one for the process, not one per pass) and
 * whose credentials take a workload identity's token from the environment's file, not from a job.
 */
class ControllerContext extends TaskContext {
  constructor(io: PoolIO, private readonly stop: Cancellation, private readonly identity: EnvironmentIdentity) {
    super(io);
  }

  override get signals(): Cancellation {
    return this.stop;
  }

  override credential(connection: AzureConnection | undefined): TokenCredential | undefined {
    return connection ? createAzureCredential(connection, this.identityDeps(connection)) : undefined;
  }

  override freshCredential(connection: AzureConnection | undefined): TokenCredential | undefined {
    return connection ? createFreshAzureCredential(connection, this.identityDeps(connection)) : undefined;
  }

  private identityDeps(connection: AzureConnection): CredentialDeps {
    this.secret(connection.clientSecret);
    this.secret(connection.certificatePem);
    const read = this.identity.getOidcToken;
    const getOidcToken = read ? async () => {
      const token = await read();
      this.secret(token);
      return token;
    } : undefined;
    return { getOidcToken, clock: this.clock };
  }
}

function checkSchedules(pool: PoolConfig, index: number, maxAgents: number): void {
  (pool.schedules ?? []).forEach((entry, j) => {
    const key = `pools[${index}].schedules[${j}]`;
    try {
      localFormat(entry.timeZone);
    } catch (error) {
      throw new ConfigError(`${key}.timeZone`, `'${key}.timeZone' is not a known time zone ('${entry.timeZone}'): use an IANA name such as Europe/Paris or UTC`, { cause: error });
    }
    if (minutesOf(entry.from) === minutesOf(entry.to)) {
      throw new ConfigError(`${key}.to`, `'${key}.to' equals 'from' (${entry.from}): give a window, e.g. from 07:00 to 19:00`);
    }
    if (entry.minAgents !== undefined && entry.minAgents > maxAgents) {
      throw new ConfigError(`${key}.minAgents`, `'${key}.minAgents' (${entry.minAgents}) must not exceed the pool's maxAgents (${maxAgents}): lower it or raise maxAgents`);
    }
  });
}

/** `Input 'maxAgents' ...` -> `'pools[0].maxAgents' ...`. */
function configErrorOf(error: InputError, index: number): ConfigError {
  const key = `pools[${index}].${error.input}`;
  return new ConfigError(key, error.message.replace(/\bInput '([\w.]+)'/g, `'pools[${index}].$1'`).replace(/\binput '([\w.]+)'/g, `'pools[${index}].$1'`), { cause: error });
}

export class PoolRunner {
  readonly params: ScaleParams;
  private readonly io: PoolIO;
  private readonly deps: Omit<ScaleDeps, 'onPass'>;
  private readonly owner: string;

  constructor(
    readonly index: number,
    private readonly pool: PoolConfig,
    config: ControllerConfig,
    identity: EnvironmentIdentity,
    private readonly log: JsonLog,
    stop: Cancellation,
    env: NodeJS.ProcessEnv,
  ) {
    const variables = { 'System.CollectionUri': config.organizationUrl, 'Build.BuildId': CONTROLLER_RUN_ID, 'System.JobId': 'controller', 'System.HostType': 'build' };
    if (pool.provider !== 'batch' && pool.subscriptionId === undefined && !env.AZURE_SUBSCRIPTION_ID) {
      throw new ConfigError(`pools[${index}].subscriptionId`, `'pools[${index}].subscriptionId' is required with provider 'aci': the subscription (a GUID) that holds '${String(pool.resourceGroup ?? 'the resource group')}'`);
    }
    this.io = new PoolIO(pool.agentPool, poolInputs(pool, env), variables, [identity.endpoint], log, classifyLine);
    try {
      this.params = readScaleParams(this.io);
    } catch (error) {
      if (error instanceof InputError) throw configErrorOf(error, index);
      throw error;
    }
    checkSchedules(pool, index, this.params.queue.maxAgents);
    this.owner = controllerOwner(config.organizationUrl, this.params.agentPool, this.params.namePrefix);

    const context = new ControllerContext(this.io, stop, identity);
    const { connection, registration, pipeline } = this.params;
    const credential = context.credential(connection);
    const mint = createRegistrationTokenSource(registration,
      registration.mode === 'azureServiceConnection' ? context.freshCredential(registration.connection) : undefined,
      (token) => context.secret(token), { clock: context.clock, warn: (message) => this.io.warning(message) });
    this.deps = {
      provider: context.provider(this.params.provider, connection, credential),
      devops: context.devopsClient(this.params.devops, pipeline, credential),
      registrationSecret: mint,
      autoscaler: this.params.autoscale ? context.poolAutoscaler(this.params.provider, this.params.autoscale.formula, connection, credential) : undefined,
      log: this.io,
      clock: context.clock,
      signal: stop.cancel,
      loc: (key, fallback, ...args) => this.io.loc(key, fallback, ...args),
    };
  }

  get name(): string {
    return this.params.agentPool;
  }

  /** One pass: observe, sweep, decide and act, with the schedule in force at `now`. */
  async pass(now: number): Promise<PassResult> {
    const p = this.params;
    const standby = standbyAt({ minIdle: p.queue.minIdle, minAgents: p.queue.minAgents }, this.pool.schedules, now);
    const plan: ScalePlan = {
      agentPool: p.agentPool,
      namePrefix: p.namePrefix,
      mode: p.mode,
      desiredCount: p.desiredCount,
      queue: { ...p.queue, minIdle: standby.minIdle, minAgents: standby.minAgents },
      durationMinutes: 0,
      intervalSeconds: p.intervalSeconds,
      sweep: p.sweep,
      image: p.image,
      osType: p.osType,
      cpu: p.cpu,
      memoryGB: p.memoryGB,
      capabilities: p.capabilities,
      tags: p.tags,
      organizationUrl: p.pipeline.collectionUri,
      project: '',
      runId: p.pipeline.runId,
      owner: this.owner,
      idleTimeoutMinutes: typeof this.pool.idleTimeoutMinutes === 'number' ? this.pool.idleTimeoutMinutes : undefined,
    };
    let report: PassReport | undefined;
    const outcome = await scalePool(plan, { ...this.deps, onPass: (r) => (report = r) });
    for (const row of outcome.rows) {
      const event = changeEvent(row.action) ?? (row.action.includes('not done') || row.action === 'create failed' ? 'failed' : 'kept');
      this.log.line(event === 'failed' ? 'warning' : 'info', { event, pool: outcome.pool, agent: row.agent, action: row.action, reason: row.why });
    }
    const active = activeSchedule(this.pool.schedules, now);
    return { pool: outcome.pool, outcome, report, schedule: active?.index, minIdle: standby.minIdle, minAgents: standby.minAgents };
  }
}
