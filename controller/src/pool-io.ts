// The TaskIO port over one pool of the configuration: its keys are ScaleAgentPool's inputs, so the
// task's own readers (readScaleParams) validate them; the pipeline variables they need are the
// controller's (organization, a fixed run id); logging goes to JSON lines.
import { readFileSync } from 'node:fs';
import { format } from 'node:util';
import type { CertificateConfig, Endpoint, ProxyConfig, TaskIO, TaskResult } from '../../tasks/common/src/task-io';
import { ConfigError, type PairsValue, type PoolConfig } from './config';
import { IDENTITY_ENDPOINT_ID } from './identity';
import type { JsonLog, LogFields } from './log';

/** The Build.BuildId the task readers need (digits): a controller has no pipeline run, and pool agents carry the scaler's prefix as their run. */
export const CONTROLLER_RUN_ID = '0';

/** Keys of a pool that are not task inputs. */
const NOT_INPUTS = new Set(['schedules']);

function pairsText(value: PairsValue): string {
  return Array.isArray(value) ? value.join('\n') : Object.entries(value).map(([k, v]) => `${k}=${String(v)}`).join('\n');
}

/**
 * The pool's inputs as ScaleAgentPool would get them: strings, `name=value` lines for capabilities and
 * tags, queue mode unless `mode` says otherwise, the controller's identity as `azureSubscription`, and
 * PAT registration when AZP_TOKEN_FILE names a token file.
 */
export function poolInputs(pool: PoolConfig, env: NodeJS.ProcessEnv): Map<string, string> {
  const inputs = new Map<string, string>();
  for (const [key, value] of Object.entries(pool)) {
    if (NOT_INPUTS.has(key) || value === undefined || value === null) continue;
    inputs.set(key, key === 'capabilities' || key === 'tags' ? pairsText(value as PairsValue) : String(value));
  }
  if (!inputs.has('mode')) inputs.set('mode', 'queue');
  inputs.set('azureSubscription', IDENTITY_ENDPOINT_ID);
  if (env.AZP_TOKEN_FILE) {
    let token: string;
    try {
      token = readFileSync(env.AZP_TOKEN_FILE, 'utf8').trim();
    } catch (error) {
      throw new ConfigError('AZP_TOKEN_FILE', `AZP_TOKEN_FILE: cannot read '${env.AZP_TOKEN_FILE}' (${(error as NodeJS.ErrnoException).code ?? String(error)}): give the path of a file holding a personal access token`, { cause: error });
    }
    if (!token) throw new ConfigError('AZP_TOKEN_FILE', `AZP_TOKEN_FILE: '${env.AZP_TOKEN_FILE}' is empty: write the personal access token into it`);
    inputs.set('registration', 'pat');
    inputs.set('registrationToken', token);
  }
  return inputs;
}

export class PoolIO implements TaskIO {
  result?: { result: TaskResult; message: string };

  constructor(
    private readonly pool: string,
    private readonly inputs: Map<string, string>,
    private readonly variables: Record<string, string>,
    private readonly endpoints: Endpoint[],
    private readonly log: JsonLog,
    /** Called for lines that are changes or throttling rather than plain progress. */
    private readonly classify: (message: string) => LogFields | undefined = () => undefined,
  ) {}

  private write(level: 'debug' | 'info' | 'warning' | 'error', message: string): void {
    const fields = this.classify(message);
    // A retry after a throttled or failed call is worth seeing without debug logging.
    this.log.line(level === 'debug' && fields?.event ? 'info' : level, { pool: this.pool, ...(fields ?? {}), message });
  }

  getInput(name: string): string | undefined {
    const value = this.inputs.get(name)?.trim();
    return value ? value : undefined;
  }

  getSecretInput(name: string): string | undefined {
    const value = this.getInput(name);
    this.log.secret(value);
    return value;
  }

  getVariable(name: string): string | undefined {
    return this.variables[name];
  }

  getSecretVariable(name: string): string | undefined {
    return this.variables[name];
  }

  getEndpoint(id: string): Endpoint | undefined {
    return this.endpoints.find((e) => e.id === id);
  }

  setSecret(value: string): void {
    this.log.secret(value);
  }

  setVariable(): void {
    // A controller has no job variables.
  }

  setResult(result: TaskResult, message: string): void {
    this.result = { result, message };
  }

  addSummary(): void {
    // No run summary: the per-change log lines carry the same rows.
  }

  loc(_key: string, fallback: string, ...args: unknown[]): string {
    return format(fallback, ...args);
  }

  getProxy(): ProxyConfig | undefined {
    return undefined;
  }

  getCertificates(): CertificateConfig | undefined {
    return undefined;
  }

  debug(message: string): void {
    this.write('debug', message);
  }

  info(message: string): void {
    this.write('info', message);
  }

  warning(message: string): void {
    this.write('warning', message);
  }

  error(message: string): void {
    this.write('error', message);
  }

  group(): void {}

  endGroup(): void {}

  progress(): void {}
}
