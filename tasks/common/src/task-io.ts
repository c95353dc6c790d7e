// The TaskIO port: everything a task needs from the Azure Pipelines agent (inputs, variables, service
// connections, secrets masking, outputs, result, logging). The core depends on this interface only;
// task-lib-io.ts implements it with azure-pipelines-task-lib, and tests use an in-memory fake.

/** A service connection as the agent exposes it to the task. */
export interface Endpoint {
  id: string;
  url?: string;
  scheme?: string;
  /** Authorization parameter, looked up with a case-insensitive key. */
  authParameter(key: string): string | undefined;
  /** Data parameter (ENDPOINT_DATA_<id>_<KEY>). */
  data(key: string): string | undefined;
}

/** The agent's proxy settings for one URL (null from task-lib when the host is bypassed). */
export interface ProxyConfig {
  proxyUrl: string;
  proxyUsername?: string;
  proxyPassword?: string;
  proxyBypassHosts?: string[];
}

/** The agent's certificate settings (task-lib getHttpCertConfiguration): file paths. */
export interface CertificateConfig {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  passphrase?: string;
}

export type TaskResult = 'Succeeded' | 'SucceededWithIssues' | 'Failed' | 'Cancelled';

/** Pipeline-native logging: what the core writes to the job log. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  /** A warning issue (task.logissue type=warning): shown in the run summary. */
  warning(message: string): void;
  /** An error issue (task.logissue type=error). */
  error(message: string): void;
  /** Starts a collapsible log group (##[group]); close it with endGroup. */
  group(name: string): void;
  endGroup(): void;
  /** task.setprogress: percent 0..100 and what is being done. */
  progress(percent: number, operation: string): void;
}

export interface TaskIO extends Logger {
  /** Trimmed input value, or undefined when empty or absent. */
  getInput(name: string): string | undefined;
  /**
   * A secret input (a key, a token, a password), trimmed, or undefined. It is read without being
   * logged and masked (setSecret) before it is returned.
   */
  getSecretInput(name: string): string | undefined;
  /** Pipeline variable (e.g. 'Build.BuildId'), or undefined when empty or absent. */
  getVariable(name: string): string | undefined;
  /** A variable that may hold a secret (e.g. System.AccessToken): read unlogged, masked before it is returned. */
  getSecretVariable(name: string): string | undefined;
  /** The service connection, or undefined when the agent has none with that id. */
  getEndpoint(id: string): Endpoint | undefined;
  /** Masks a value in every later log line (task.setsecret). */
  setSecret(value: string): void;
  /** Sets a job variable; `output` makes it an output variable (isOutput=true). */
  setVariable(name: string, value: string, options?: { secret?: boolean; output?: boolean }): void;
  setResult(result: TaskResult, message: string): void;
  /** Attaches markdown to the run summary (task.uploadsummary). */
  addSummary(title: string, markdown: string): void;
  /** The task.json message `key` formatted with args; `fallback` (util.format style) when the manifest lacks it. */
  loc(key: string, fallback: string, ...args: unknown[]): string;
  /** The agent's proxy for a URL, or undefined when none applies. */
  getProxy(url?: string): ProxyConfig | undefined;
  /** The agent's certificate settings (Agent.CAInfo, Agent.ClientCert...), or undefined when it has none. */
  getCertificates(): CertificateConfig | undefined;
}
