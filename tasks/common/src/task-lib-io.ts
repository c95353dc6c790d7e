// The TaskIO adapter over azure-pipelines-task-lib: the only file of the core that imports it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { format } from 'node:util';
import * as tlInternal from 'azure-pipelines-task-lib/internal';
import * as tl from 'azure-pipelines-task-lib/task';
import type { CertificateConfig, Endpoint, ProxyConfig, TaskIO, TaskResult } from './task-io';

function nonEmpty(value: string | undefined | null): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/**
 * task-lib has no public getter that does not log the value, so this reads its internals: package.json
 * pins task-lib exactly and test/l0/task-lib-io.test.ts fails when an update changes them.
 *
 * A value from task-lib's vault (where it moved INPUT_*, ENDPOINT_AUTH_* and SECRET_* at load time),
 * read without the `##vso[task.debug]<name>=<value>` line that tl.getInput and
 * tl.getEndpointAuthorizationParameter write before the task could mask the value.
 */
function fromVault(key: string): string | undefined {
  return nonEmpty(tlInternal._vault?.retrieveSecret(key));
}

class TaskLibEndpoint implements Endpoint {
  private readonly parameters: Record<string, string>;

  constructor(readonly id: string, readonly url: string | undefined, readonly scheme: string | undefined, parameters: Record<string, string> | undefined) {
    this.parameters = parameters ?? {};
  }

  authParameter(key: string): string | undefined {
    const wanted = key.toLowerCase();
    const hit = Object.entries(this.parameters).find(([k]) => k.toLowerCase() === wanted);
    // Some agents expose a parameter only as ENDPOINT_AUTH_PARAMETER_<id>_<KEY> (read as task-lib does, quietly).
    return nonEmpty(hit?.[1]) ?? fromVault(`ENDPOINT_AUTH_PARAMETER_${this.id}_${key.toUpperCase()}`);
  }

  data(key: string): string | undefined {
    return nonEmpty(tl.getEndpointDataParameter(this.id, key, true));
  }
}

const RESULTS: Record<TaskResult, tl.TaskResult> = {
  Succeeded: tl.TaskResult.Succeeded,
  SucceededWithIssues: tl.TaskResult.SucceededWithIssues,
  Failed: tl.TaskResult.Failed,
  Cancelled: tl.TaskResult.Cancelled,
};

export interface TaskLibIOOptions {
  /** Where task.json may be (next to the bundle, or the task folder for the unbundled build). */
  taskJsonCandidates: string[];
}

/** One line of the job log, written as task-lib writes its commands (no Console set up for it). */
function writeLine(line: string): void {
  process.stdout.write(`${line}${os.EOL}`);
}

export class TaskLibIO implements TaskIO {
  private readonly messageKeys = new Set<string>();
  /** Values already registered with task.setsecret. */
  private readonly masked = new Set<string>();

  constructor(options: TaskLibIOOptions) {
    const taskJson = options.taskJsonCandidates.find((candidate) => fs.existsSync(candidate));
    if (taskJson) {
      tl.setResourcePath(taskJson, true);
      try {
        const manifest = JSON.parse(fs.readFileSync(taskJson, 'utf8')) as { messages?: Record<string, string> };
        for (const key of Object.keys(manifest.messages ?? {})) this.messageKeys.add(key);
      } catch (error) {
        tl.debug(`cannot read the messages of ${taskJson}: ${String(error)}`);
      }
    }
  }

  getInput(name: string): string | undefined {
    return nonEmpty(tl.getInput(name, false));
  }

  getSecretInput(name: string): string | undefined {
    const value = fromVault(`INPUT_${tlInternal._getVariableKey(name)}`);
    if (value) this.setSecret(value);
    return value;
  }

  getVariable(name: string): string | undefined {
    return nonEmpty(tl.getVariable(name));
  }

  getSecretVariable(name: string): string | undefined {
    const key = tlInternal._getVariableKey(name);
    const value = tlInternal._knownVariableMap[key]?.secret ? fromVault(`SECRET_${key}`) : nonEmpty(process.env[key]);
    if (value) this.setSecret(value);
    return value;
  }

  getEndpoint(id: string): Endpoint | undefined {
    const url = nonEmpty(tl.getEndpointUrl(id, true));
    const auth = tl.getEndpointAuthorization(id, true);
    const scheme = nonEmpty(auth?.scheme) ?? nonEmpty(tl.getEndpointAuthorizationScheme(id, true));
    if (!url && !auth && !scheme) return undefined;
    return new TaskLibEndpoint(id, url, scheme, auth?.parameters);
  }

  setSecret(value: string): void {
    if (!value) return;
    // task-lib refuses multi-line secrets (a PEM certificate): mask each line, as the agent does for
    // multi-line secret variables. PEM armour lines ("-----BEGIN ...-----") are not secret. A value is
    // registered once, however many clients are handed it (the proxy password, say).
    for (const line of value.split(/\r?\n/)) {
      if (!line.trim() || /^-----(BEGIN|END) [A-Z0-9 ]+-----$/.test(line.trim()) || this.masked.has(line)) continue;
      this.masked.add(line);
      tl.setSecret(line);
    }
  }

  setVariable(name: string, value: string, options: { secret?: boolean; output?: boolean } = {}): void {
    tl.setVariable(name, value, options.secret ?? false, options.output ?? false);
  }

  setResult(result: TaskResult, message: string): void {
    tl.setResult(RESULTS[result], message);
  }

  addSummary(title: string, markdown: string): void {
    // A fresh directory each time: no file at a fixed path; the agent uses the file name as the heading.
    const base = this.getVariable('Agent.TempDirectory') ?? os.tmpdir();
    const dir = fs.mkdtempSync(path.join(base, 'ephemeral-agents-'));
    const file = path.join(dir, `${title.replace(/[^\w .-]+/g, '_')}.md`);
    fs.writeFileSync(file, markdown, 'utf8');
    tl.uploadSummary(file);
  }

  loc(key: string, fallback: string, ...args: unknown[]): string {
    return this.messageKeys.has(key) ? tl.loc(key, ...args) : format(fallback, ...args);
  }

  getProxy(url?: string): ProxyConfig | undefined {
    const config = tl.getHttpProxyConfiguration(url);
    if (!config?.proxyUrl) return undefined;
    if (config.proxyPassword) this.setSecret(config.proxyPassword);
    return {
      proxyUrl: config.proxyUrl,
      proxyUsername: config.proxyUsername,
      proxyPassword: config.proxyPassword,
      proxyBypassHosts: config.proxyBypassHosts,
    };
  }

  getCertificates(): CertificateConfig | undefined {
    const config = tl.getHttpCertConfiguration();
    if (!config) return undefined;
    if (config.passphrase) this.setSecret(config.passphrase);
    return { caFile: config.caFile, certFile: config.certFile, keyFile: config.keyFile, passphrase: config.passphrase };
  }

  debug(message: string): void {
    tl.debug(message);
  }

  info(message: string): void {
    writeLine(message);
  }

  warning(message: string): void {
    tl.logIssue(tl.IssueType.Warning, message);
  }

  error(message: string): void {
    tl.logIssue(tl.IssueType.Error, message);
  }

  group(name: string): void {
    writeLine(`##[group]${name}`);
  }

  endGroup(): void {
    writeLine('##[endgroup]');
  }

  progress(percent: number, operation: string): void {
    tl.setProgress(Math.max(0, Math.min(100, Math.round(percent))), operation);
  }
}
